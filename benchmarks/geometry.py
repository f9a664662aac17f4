"""Benchmark ``model.geometry.compute_operators`` (cache off): time, memory, eigen accuracy.

Usage::

    nice -n 10 .venv/bin/python benchmarks/geometry.py                 # 5k 20k 50k 100k
    nice -n 10 .venv/bin/python benchmarks/geometry.py --sizes 20000 --repeats 5 --accuracy

Each size runs in its own subprocess so that ``ru_maxrss`` is that size's peak. Meshes are
synthetic face-like patches (ellipsoid cap + nose bump, jittered irregular triangulation); with
``ICT_FACEKIT`` set, the ICT neutral head (26,719 vertices, 13 components) and its midpoint
subdivision (~105k vertices) are added. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "model"))

from mesh_helpers import face_patch  # noqa: E402 - the test meshes, so the numbers match the tests


def midpoint_subdivide(v: np.ndarray, t: np.ndarray):
    """One 1-to-4 midpoint subdivision (vertices of the input first, in order)."""
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    key = np.sort(e, axis=1)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    mids = len(v) + inv.reshape(3, -1).T  # (T, 3): midpoints of edges 01, 12, 20
    nv = np.concatenate([v, 0.5 * (v[uniq[:, 0]] + v[uniq[:, 1]])])
    a, b, c = t.T
    m01, m12, m20 = mids.T
    nt = np.concatenate([
        np.stack([a, m01, m20], 1), np.stack([m01, b, m12], 1),
        np.stack([m20, m12, c], 1), np.stack([m01, m12, m20], 1),
    ])  # fmt: skip
    return nv, nt


def make_mesh(spec: str):
    if spec.startswith("ict"):
        from model.frame import fit_frame
        from model.mesh_io import read_mesh

        m = read_mesh(pathlib.Path(os.environ["ICT_FACEKIT"]) / "FaceXModel" / "generic_neutral_mesh.obj")
        v, t = m.vertices, m.triangles()
        if spec == "ict-sub":
            v, t = midpoint_subdivide(v, t)
        return fit_frame(v, t).to_canonical(v), t
    return face_patch(int(spec))


def worker(spec: str, repeats: int, accuracy: bool) -> dict:
    from model import geometry

    v, t = make_mesh(spec)
    geometry.compute_operators(v, t, cache=False)  # warm-up: imports, page faults
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        ops = geometry.compute_operators(v, t, cache=False)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    tracemalloc.start()
    geometry.compute_operators(v, t, cache=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out = {
        "spec": spec,
        "V": len(v),
        "T": len(t),
        "k": ops.k,
        "wall_median": float(np.median(walls)),
        "wall_min": float(np.min(walls)),
        "cpu_median": float(np.median(cpus)),
        "tracemalloc_peak_mb": peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "solver": "exact" if len(v) <= geometry.EXACT_MAX_VERTICES else "ritz",
    }
    if accuracy:
        from scipy.sparse.csgraph import connected_components

        used = np.unique(t)
        L, mass = geometry.laplacian(v[used], np.searchsorted(used, t))
        z = connected_components(L, directed=False)[0]  # zero modes: one per component
        w, phi = geometry._eigs_exact(L, mass, z + 48)
        e = ops.evecs[used].astype(np.float64)
        rel = np.abs(ops.evals[z : z + 32] - w[z : z + 32]) / w[z : z + 32]
        sq = np.sqrt(mass)[:, None]
        # first 16 non-constant approximate vectors inside the exact first 24: robust to swaps
        qa, _ = np.linalg.qr(sq * e[:, z : z + 16])
        qb, _ = np.linalg.qr(sq * phi[:, z : z + 24])
        s = np.linalg.svd(qa.T @ qb, compute_uv=False)
        out["components"] = int(z)
        out["eval_relerr_max32"] = float(rel.max())
        out["eval_relerr_mean32"] = float(rel.mean())
        out["angle16_deg"] = float(np.degrees(np.arccos(min(1.0, s.min()))))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="*", default=["5000", "20000", "50000", "100000"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--accuracy", action="store_true", help="also compare with exact eigsh (slow)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeats, args.accuracy)))
        return 0
    specs = list(args.sizes)
    if os.environ.get("ICT_FACEKIT"):
        specs += ["ict", "ict-sub"]
    rows = []
    for spec in specs:
        cmd = [sys.executable, __file__, "--worker", spec, "--repeats", str(args.repeats)]
        if args.accuracy:
            cmd.append("--accuracy")
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            print(f"{spec}: failed\n{res.stderr}", file=sys.stderr)
            return 1
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
    load = os.getloadavg()[0]
    print(f"compute_operators(cache=False), k=128, median of {args.repeats}; {os.cpu_count()} CPUs, "
          f"load average {load:.1f} at the end\n")  # fmt: skip
    head = "| mesh | V | T | solver | wall median s | wall min s | CPU s | tracemalloc peak MB | max RSS MB |"
    sep = "|---|---:|---:|---|---:|---:|---:|---:|---:|"
    if args.accuracy:
        head += " comps | eval rel err max / mean (32 lowest non-zero) | angle 16 in 24 (deg) |"
        sep += "---:|---:|---:|"
    print(head)
    print(sep)
    for r in rows:
        name = {"ict": "ICT neutral", "ict-sub": "ICT neutral, subdivided"}.get(r["spec"], "face patch")
        line = (
            f"| {name} | {r['V']} | {r['T']} | {r['solver']} | {r['wall_median']:.2f} | {r['wall_min']:.2f} "
            f"| {r['cpu_median']:.2f} | {r['tracemalloc_peak_mb']:.0f} | {r['maxrss_mb']:.0f} |"
        )
        if args.accuracy:
            line += (
                f" {r['components']} | {r['eval_relerr_max32']:.4f} / {r['eval_relerr_mean32']:.4f} "
                f"| {r['angle16_deg']:.2f} |"
            )
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
