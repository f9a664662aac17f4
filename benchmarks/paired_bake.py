"""Paired cold bake timing of two checkouts: predict + bake at ~20k vertices, the two checkouts
alternating in one loop so that a shared, busy machine slows both alike.

    .venv/bin/python benchmarks/paired_bake.py BASE_ROOT [OTHER_ROOT] [--rounds 5] [--size 20000]

Each round runs, for each checkout (the order alternating between rounds), one fresh
subprocess per mesh with a fresh ``NFS_CACHE_DIR`` (cold: the eigenbasis is computed):
``synthetic``, the bumpy height field of ``benchmarks/inference.py`` (its ``--child bake``:
prepare + predict + bake) and ``demo``, the bundled demo head subdivided and decimated to about
``--size`` vertices (``benchmarks/bake_parity.py``'s mesh, built once with ``bpy`` in this
checkout and saved to a temporary file) through the model API (``prepare``,
``predict_skin_weights``, ``bake``). ``OTHER_ROOT`` defaults to this checkout. Prints the wall
seconds (min and median over the rounds) and the process CPU seconds of each checkout and
mesh, and the other checkout's share of the base's.
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

ROOT = pathlib.Path(__file__).resolve().parents[1]

# the demo-head child: runs in the checkout under test (its PYTHONPATH), on the saved mesh
_DEMO_CHILD = """
import json, sys, time
import numpy as np
from model.api import FaceModel
mesh = np.load(sys.argv[1])
fm = FaceModel.load()
c0, t0 = time.process_time(), time.perf_counter()
prep = fm.prepare(mesh["v"], mesh["t"], up=str(mesh["up"]), forward=str(mesh["forward"]))
skin = fm.predict_skin_weights(prep)
deltas = fm.bake(prep, skin)
t1 = time.perf_counter()
print(json.dumps({"total_s": t1 - t0, "cpu_s": time.process_time() - c0, "vertices": len(mesh["v"])}))
"""

# builds the demo-head target with bpy (this checkout's code) and saves it
_BUILD_CHILD = """
import os, sys
import numpy as np
sys.path.insert(0, sys.argv[2])
sys.path.append(os.path.join(sys.argv[2], "benchmarks"))
from bake_parity import _demo_meshes
meshes = _demo_meshes(int(sys.argv[3]))
name = next(k for k in meshes if k != "demo_head")
v, t, up, forward = meshes[name]
np.savez(sys.argv[1], v=v, t=t, up=up, forward=forward)
os._exit(0)
"""


def _run(cmd: list[str], root: pathlib.Path, cache: str) -> dict:
    env = dict(os.environ, NFS_CACHE_DIR=cache, PYTHONPATH=str(root))
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root)
    if r.returncode != 0:
        raise RuntimeError(f"{cmd} in {root} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def one(kind: str, root: pathlib.Path, size: int, mesh_file: str, tmp: str) -> tuple[float, float]:
    """(wall s, CPU s) of one cold predict + bake in ``root``."""
    cache = tempfile.mkdtemp(dir=tmp)
    if kind == "synthetic":
        cmd = [sys.executable, "-c", _SYNTHETIC_CHILD, str(size)]
        out = _run(cmd, root, cache)
        return out["total_s"], out["cpu_s"]
    out = _run([sys.executable, "-c", _DEMO_CHILD, mesh_file], root, cache)
    return out["total_s"], out["cpu_s"]


# the synthetic child: benchmarks/inference.py's bake, with the CPU seconds too
_SYNTHETIC_CHILD = """
import json, sys, time
sys.path.insert(0, "benchmarks")
from inference import face_mesh
from model.api import FaceModel
fm = FaceModel.load()
v, t = face_mesh(int(sys.argv[1]))
c0, t0 = time.process_time(), time.perf_counter()
prep = fm.prepare(v, t)
fm.predict_skin_weights(prep)
deltas = fm.bake(prep)
print(json.dumps({"total_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=pathlib.Path, help="the baseline checkout's root")
    parser.add_argument("other", type=pathlib.Path, nargs="?", default=ROOT, help="default: this checkout")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--meshes", nargs="+", choices=("synthetic", "demo"), default=["synthetic", "demo"])
    args = parser.parse_args(argv)
    roots = {"base": args.base.resolve(), "other": args.other.resolve()}
    with tempfile.TemporaryDirectory(prefix="nfs-paired-") as tmp:
        mesh_file = os.path.join(tmp, "demo.npz")
        if "demo" in args.meshes:
            build = [sys.executable, "-c", _BUILD_CHILD, mesh_file, str(ROOT), str(args.size)]
            subprocess.run(build, check=True, capture_output=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for r in range(args.rounds):
            order = ["base", "other"] if r % 2 == 0 else ["other", "base"]
            for kind in args.meshes:
                for name in order:
                    wall, cpu = one(kind, roots[name], args.size, mesh_file, tmp)
                    times.setdefault((kind, name), []).append((wall, cpu))
                    print(f"round {r + 1} {kind} {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
    print(f"\n{args.rounds} rounds, {os.cpu_count()} CPU cores; base {roots['base']}, other {roots['other']}")
    print("| mesh | checkout | wall min | wall median | CPU min | CPU median |")
    print("|---|---|---:|---:|---:|---:|")
    for kind in args.meshes:
        for name in ("base", "other"):
            wall = [w for w, _ in times[(kind, name)]]
            cpu = [c for _, c in times[(kind, name)]]
            print(
                f"| {kind} | {name} | {min(wall):.2f} | {statistics.median(wall):.2f} | "
                f"{min(cpu):.2f} | {statistics.median(cpu):.2f} |"
            )
        ratio = [o[0] / b[0] for b, o in zip(times[(kind, "base")], times[(kind, "other")], strict=True)]
        share = f"{min(ratio):.3f} | {statistics.median(ratio):.3f}"
        print(f"| {kind} | other / base, per round (wall) | {share} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
