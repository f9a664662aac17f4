"""Cold start: a fresh Blender (bpy) process, from its start to the first baked shape key.

    .venv/bin/python benchmarks/cold_start.py [--runs 3] [--weights DIR] [--runtime auto|numpy|torch]

Each run is a new Python process that imports ``bpy``, registers the add-on, runs *Load Model*
(``face_skinning.load_model``), imports the bundled demo head (4.6k vertices) and runs
*Predict Weights* and *Bake Shape Keys*. Two wall times per run: from the process start (taken
by this script just before it starts the child, so interpreter start-up and ``import bpy`` are
in) and from the Load Model call. Each run gets an empty ``NFS_CACHE_DIR`` (a new mesh: the
Laplacian eigenbasis is computed, as on an artist's first bake); the operating system's file
cache is not dropped, so the runs after the first read the libraries from memory.

``--runtime`` is handed to the child as ``NFS_RUNTIME`` (for a runtime without torch); the
table says whether torch was imported in the child, so it shows what the add-on really ran.
Prints each run's stages, then min / median / max. Goal (issue 13): under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DEMO_HEAD = ROOT / "model" / "data" / "demo_head.obj"
STAGES = ("import bpy", "register", "load model", "import head", "predict", "bake")


def child(weights: str | None) -> dict:
    """Runs in the fresh process: the stages, each stamped with ``time.time()`` (epoch seconds,
    comparable with the parent's stamp)."""
    marks = {"start": time.time()}
    import bpy

    marks["import bpy"] = time.time()
    import blender_addon
    from demo.scene import import_head, make_active

    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    marks["register"] = time.time()
    assert bpy.ops.face_skinning.load_model(filepath=weights or "") == {"FINISHED"}
    marks["load model"] = time.time()
    face, _ = import_head(DEMO_HEAD)
    make_active(face)
    marks["import head"] = time.time()
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    marks["predict"] = time.time()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    marks["bake"] = time.time()
    assert face.data.shape_keys is not None and len(face.data.shape_keys.key_blocks) > 1
    marks["torch imported"] = "torch" in sys.modules
    marks["vertices"] = len(face.data.vertices)
    return marks


def run_once(weights: str | None, runtime: str) -> dict:
    """One cold process; returns its stage stamps plus ``spawn`` (epoch seconds)."""
    with tempfile.TemporaryDirectory(prefix="nfs-cold-") as cache:
        env = dict(os.environ, NFS_CACHE_DIR=cache, NFS_RUNTIME=runtime)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
        cmd = [sys.executable, __file__, "--child"]
        if weights:
            cmd += ["--weights", weights]
        spawn = time.time()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        sys.exit(f"child failed (exit {r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    marks = json.loads(lines[-1])
    marks["spawn"] = spawn
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument(
        "--runtime",
        choices=("auto", "numpy", "torch"),
        default="auto",
        help="passed to the add-on as NFS_RUNTIME (ignored by add-ons that do not read it)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.weights)), flush=True)
        return 0

    runs = [run_once(args.weights, args.runtime) for _ in range(args.runs)]
    print(f"cold start, NFS_RUNTIME={args.runtime}, {os.cpu_count()} CPU cores, {args.runs} fresh processes")
    print("| run | " + " | ".join(f"{s} (s)" for s in STAGES) + " | torch imported |")
    print("|---" * (len(STAGES) + 2) + "|")
    for i, m in enumerate(runs, 1):
        prev, cells = m["spawn"], []
        for s in STAGES:
            cells.append(f"{m[s] - prev:.2f}")
            prev = m[s]
        print(f"| {i} | " + " | ".join(cells) + f" | {'yes' if m['torch imported'] else 'no'} |")
    print()
    from_start = [m["bake"] - m["spawn"] for m in runs]
    from_load = [m["bake"] - m["register"] for m in runs]
    print(f"| first baked key, {runs[0]['vertices']} vertices | min (s) | median (s) | max (s) | goal |")
    print("|---|---|---|---|---|")
    for label, xs in (("from process start", from_start), ("from Load Model", from_load)):
        print(
            f"| {label} | {min(xs):.2f} | {statistics.median(xs):.2f} | {max(xs):.2f} | "
            f"{'< 2 s' if label == 'from Load Model' else '-'} |"
        )
    return 0


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
