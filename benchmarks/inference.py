"""Inference timing: bake (geometry precompute included, cold cache) on 5k / 20k / 100k-vertex
meshes, and encoding 1000 frames of a 10k-vertex source (its neutral prepared once).

    .venv/bin/python benchmarks/inference.py [--weights W] [--sizes 5000 20000 100000] [--axes auto]

Each measurement runs in a fresh subprocess so peak memory (max RSS) is its own. Prints tables.
Targets: bake <= 3 s at 20k, <= 20 s and <= 4 GB at 100k; encode 1000 frames <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def face_mesh(n_vertices: int):
    """A closed-ish bumpy head-like surface: a height field over a square, ~n_vertices vertices."""
    import numpy as np

    n = int(round(np.sqrt(n_vertices)))
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1.2, 1.2, n))
    z = 0.7 * np.exp(-(x**2 + 0.6 * y**2)) + 0.2 * np.exp(-10 * (x**2 + (y + 0.1) ** 2))
    v = np.stack([10 * x, 10 * y, 10 * z], -1).reshape(-1, 3)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return v, t.astype(np.int64)


def _child(kind: str, size: int, weights: str | None, frames: int, axes: str = "given") -> dict:
    import resource
    import time

    import numpy as np
    import torch

    from model.api import FaceModel

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", torch.get_num_threads())))
    fm = FaceModel.load(weights)
    v, t = face_mesh(size)
    out = {"kind": kind, "vertices": len(v)}
    if kind == "bake":
        t0 = time.perf_counter()
        prep = fm.prepare(v, t) if axes == "given" else fm.prepare(v, t, up="auto", forward="auto")
        t1 = time.perf_counter()
        fm.predict_skin_weights(prep)
        deltas = fm.bake(prep)
        t2 = time.perf_counter()
        assert deltas.shape == (53, len(v), 3)
        out.update(prepare_s=t1 - t0, network_s=t2 - t1, total_s=t2 - t0)
    else:
        prep = fm.prepare(v, t)
        rng = np.random.default_rng(0)
        anim = v[None] + 0.1 * rng.normal(size=(frames, 1, 3)) * np.ones((1, len(v), 1))
        t0 = time.perf_counter()
        codes = fm.encode(prep, anim)
        out.update(frames=frames, total_s=time.perf_counter() - t0)
        assert codes.shape == (frames, 53)
    out["max_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", default=None)
    p.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--source-size", type=int, default=10000)
    p.add_argument(
        "--axes",
        choices=("given", "auto"),
        default="given",
        help="bake with the default axes (checked by the orientation estimate) or up/forward auto",
    )
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args.child[0], int(args.child[1]), args.weights, args.frames, args.axes)))
        return 0
    rows = []
    jobs = [("bake", s) for s in args.sizes] + [("encode", args.source_size)]
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NFS_CACHE_DIR=cache, PYTHONPATH=str(ROOT))  # cold geometry cache
        for kind, size in jobs:
            cmd = [sys.executable, __file__, "--child", kind, str(size), "--frames", str(args.frames)]
            cmd += ["--axes", args.axes]
            if args.weights:
                cmd += ["--weights", args.weights]
            r = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if r.returncode != 0:
                print(r.stderr, file=sys.stderr)
                return 1
            rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
    print("| bake | vertices | prepare (s) | network (s) | total (s) | peak RSS (GB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if r["kind"] == "bake":
            print(
                f"| bake | {r['vertices']} | {r['prepare_s']:.2f} | {r['network_s']:.2f} | "
                f"{r['total_s']:.2f} | {r['max_rss_gb']:.2f} |"
            )
    print()
    print("| encode | source vertices | frames | total (s) | frames/s | peak RSS (GB) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if r["kind"] == "encode":
            print(
                f"| encode | {r['vertices']} | {r['frames']} | {r['total_s']:.2f} | "
                f"{r['frames'] / r['total_s']:.0f} | {r['max_rss_gb']:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
