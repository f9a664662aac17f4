"""``python -m demo``: the one-command demo on the bundled head.

The numpy part runs here (synthesize the ARKit capture, check the weights); the Blender part runs
in a subprocess, ``python -m demo.scene``, because ``model`` never imports ``bpy``.
That part registers the add-on from the checkout, imports the demo head, runs the operators
(load model, predict weights, bake shape keys, import the capture, export glTF) and renders a
contact sheet. Outputs in ``--out``: ``capture.csv``, ``demo.blend``, ``demo.glb``,
``contact_sheet.png``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import subprocess
import sys
import time

from model.commands._common import output_folder, output_path, positive_float, reporting_write_errors
from model.demo_capture import write_demo_capture
from model.weights import read_config, shipped_weights_dir

HELP = "run the demo on the bundled head: rig, ARKit capture, glb + .blend + contact sheet"

_HERE = pathlib.Path(__file__).resolve()
_REPO = _HERE.parents[1]  # the checkout holding ``model``, ``blender_addon`` and ``demo``
_DEMO_HEAD = _REPO / "model" / "data" / "demo_head.obj"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument("--head", default=str(_DEMO_HEAD), help="face mesh OBJ (default: the bundled head)")
    parser.add_argument(
        "--seconds", type=positive_float, default=4.0, help="capture length in seconds (default 4)"
    )
    parser.add_argument("--fps", type=positive_float, default=30.0, help="capture frame rate (default 30)")
    parser.add_argument("--no-render", action="store_true", help="skip the contact sheet render")
    parser.add_argument("--hero", default=None, help="also render a wide hero image to this PNG path")


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    out = output_folder(args.out, option="--out").resolve()  # refused before any work
    if args.hero:
        output_path(args.hero, option="--hero")
    weights = pathlib.Path(args.weights).resolve() if args.weights else shipped_weights_dir()
    config = read_config(weights)  # fails fast, with the fix, before Blender starts
    head = pathlib.Path(args.head).resolve()
    if not head.is_file():
        print(f"error: face mesh {head} not found: pass --head PATH to an OBJ", file=sys.stderr)
        return 2
    if importlib.util.find_spec("bpy") is None:
        print(
            "error: the Blender part of the demo needs the `bpy` module, which is not installed in "
            f"this Python ({sys.executable}). Fix: pip install -e '.[blender]' (bpy 4.5, Python 3.11)",
            file=sys.stderr,
        )
        return 2
    if not (_REPO / "blender_addon" / "__init__.py").is_file():
        print(f"error: no add-on at {_REPO / 'blender_addon'}: run the demo from a checkout", file=sys.stderr)
        return 2

    capture = out / "capture.csv"
    with reporting_write_errors(capture, option="--out"):
        weights_arkit = write_demo_capture(capture, seconds=args.seconds, fps=args.fps)  # atomic
    print(f"capture: {capture} ({weights_arkit.shape[0]} frames at {args.fps:g} fps)")
    name = config.get("metadata", {}).get("name", "?")
    print(f"weights: {weights} ({name})")

    cmd = [sys.executable, "-m", "demo.scene", "--head", str(head), "--capture", str(capture)]
    cmd += ["--out", str(out), "--weights", str(weights)]
    if args.no_render:
        cmd.append("--no-render")
    if args.hero:
        cmd += ["--hero", str(pathlib.Path(args.hero).resolve())]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_REPO), *filter(None, [env.get("PYTHONPATH")])])
    result = subprocess.run(cmd, cwd=str(_REPO), env=env)
    if result.returncode != 0:
        print(
            f"error: the Blender part of the demo failed (exit {result.returncode}); see above",
            file=sys.stderr,
        )
        return result.returncode if result.returncode > 0 else 1
    print(f"demo done in {time.perf_counter() - t0:.1f} s; outputs in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m demo [--out DIR] ...`` with the CLI contract of ``python -m model``."""
    from model.cli import main as cli_main

    return cli_main(["demo", *(sys.argv[1:] if argv is None else argv)], {"demo": "run"}, "demo", "python -m")
