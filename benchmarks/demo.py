"""Wall time of ``python -m demo`` per stage, with a cold and a warm geometry cache.

    python benchmarks/demo.py [--weights DIR] [--runs 2]

Runs the real command in a subprocess (a fresh Python each time, as a user would) and prints a
table of the cumulative time at which each stage finished, read from the demo's own log lines.
Run 1 uses an empty cache folder (Laplacian eigenbasis computed), later runs reuse it.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
STAGES = (
    ("Blender", "bpy ready"),
    ("imported", "head imported"),
    ("model loaded", "model loaded"),
    ("skinning weights", "weights predicted"),
    ("shape keys baked", "shape keys baked"),
    ("ARKit capture", "capture imported"),
    ("demo.glb", "glb written"),
    ("demo.blend", ".blend saved"),
    ("contact_sheet", "contact sheet rendered"),
)


def run_once(out: pathlib.Path, cache: pathlib.Path, weights: str | None) -> tuple[dict[str, float], float]:
    cmd = [sys.executable, "-m", "demo", "--out", str(out)]
    if weights:
        cmd += ["--weights", weights]
    env = dict(os.environ, NFS_CACHE_DIR=str(cache))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"demo failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    marks = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"\[demo\s+([\d.]+) s\] (.*)", line)
        if m:
            for key, label in STAGES:
                if key in m.group(2) and label not in marks:
                    marks[label] = float(m.group(1))
    return marks, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="weights folder (default: shipped)")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache = pathlib.Path(tmp) / "cache"
        results = [run_once(pathlib.Path(tmp) / f"out{i}", cache, args.weights) for i in range(args.runs)]
    names = [f"run {i + 1} ({'cold' if i == 0 else 'warm'})" for i in range(args.runs)]
    print(f"{'stage (cumulative s, Blender subprocess)':<42}" + "".join(f"{n:>16}" for n in names))
    for _, label in STAGES:
        print(f"{label:<42}" + "".join(f"{r[0].get(label, float('nan')):>16.1f}" for r in results))
    print(
        f"{'total wall time incl. capture + Python start':<42}" + "".join(f"{r[1]:>16.1f}" for r in results)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
