"""The rig check on the real-dev meshes as other users might bring them: turned, in other units,
denser, noisier.

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_variants.py [--match NAME] [--variants a,b] [--verbose]
        [--method mixed]

Each real-dev mesh (and the demo head) is transformed (turned 10 degrees about each axis through
its centre, scaled to centimetres, every triangle split in four, 0.15 % scan-like noise along the
normals) and baked by the shipped default, mixed (``--method``: another bake method), with the axes the
user would give; the rig check runs
on the mesh as it came, the deltas mapped back (turns, units), or on the variant itself (split,
noise). One row per mesh and variant, the same columns as
``benchmarks/realdev_check.py``; a variant that adds verdicts the mesh as it comes does not have
is a robustness problem. Skips (exit 0) without ../shared/real-dev.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import ROOT, bake_methods, load_mesh, require_realdev  # noqa: E402
from realdev_check import summary  # noqa: E402

AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def _turn(axis: np.ndarray, degrees: float) -> np.ndarray:
    """(3, 3) rotation about the unit ``axis`` by ``degrees`` (Rodrigues)."""
    a = axis / np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def _axis(name: str) -> np.ndarray:
    v = np.zeros(3)
    v[AXIS_INDEX[name.lstrip("-")]] = -1.0 if name.startswith("-") else 1.0
    return v


def subdivide(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every triangle split in four at its edge midpoints (shared midpoints welded)."""
    t = np.asarray(triangles, dtype=np.int64)
    edges = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    uniq, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = 0.5 * (vertices[uniq[:, 0]] + vertices[uniq[:, 1]])
    m = len(vertices) + inverse.reshape(3, -1).T  # (T, 3): midpoints of edges 01, 12, 20
    a, b, c = t.T
    ab, bc, ca = m.T
    tris = np.concatenate(
        [np.stack(x, axis=1) for x in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))]
    )
    return np.concatenate([vertices, mid]), tris


def variants(vertices, triangles, materials, up: str, forward: str) -> dict:
    """{name: (vertices, triangles, materials, linear)} of one mesh; ``linear`` (3, 3): the
    variant's vertices are ``linear`` times the mesh's about its centre (None: not a linear map)."""
    from model.geometry import vertex_normals

    centre = 0.5 * (vertices.min(0) + vertices.max(0))
    size = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
    up_v, fwd_v = _axis(up), _axis(forward)
    side_v = np.cross(up_v, fwd_v)
    out = {"as is": (vertices, triangles, materials, None)}
    for name, axis in (("yaw 10", up_v), ("pitch 10", side_v), ("roll 10", fwd_v)):
        r = _turn(axis, 10.0)
        out[name] = ((vertices - centre) @ r.T + centre, triangles, materials, r)
    out["x100 units"] = (vertices * 100.0, triangles, materials, 100.0 * np.eye(3))
    sv, st = subdivide(vertices, triangles)
    out["split in 4"] = (
        sv,
        st,
        None if materials is None else np.repeat(materials[None], 4, 0).reshape(-1),
        None,
    )
    # scan-like noise along the normals, one offset per surface point: vertices at one position
    # (a game mesh's UV and normal seams) move together, as one point of a scanned surface would
    # (until session 9 each duplicate had its own offset, which split every seam open)
    from model.topology import position_ids

    rng = np.random.default_rng(0)
    ids = position_ids(vertices)
    normal = np.zeros((int(ids.max()) + 1, 3))
    np.add.at(normal, ids, vertex_normals(vertices, triangles))
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-300)
    amount = rng.normal(0.0, 0.0015 * size, len(normal))
    out["noise 0.15 %"] = (vertices + (normal * amount[:, None])[ids], triangles, materials, None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="", help="only meshes whose file name contains this")
    parser.add_argument("--variants", default="", help="comma-separated variant names (default all)")
    parser.add_argument("--verbose", action="store_true", help="print every verdict line")
    parser.add_argument(
        "--judge-variant",
        action="store_true",
        help="run the check on each variant as it is (the check's robustness too), not mapped back",
    )
    parser.add_argument(
        "--method",
        default="mixed",
        choices=("mixed", "network", "registration", "hybrid"),
        help="the bake method (model.api.BAKE_METHODS)",
    )
    args = parser.parse_args()
    realdev = require_realdev()
    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from model.rig_check import check_rig

    fm = FaceModel.load()
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    items = [("demo_head.obj", (demo.vertices, demo.triangles(), None, "Y", "Z"))]
    for path in sorted((realdev / "meshes").iterdir()):
        if path.suffix.lower() in (".fbx", ".obj"):
            d = load_mesh(path)
            ids = d["head_ids"]
            head = (d["vertices"][ids], d["head_triangles"], d["head_materials"], d["up"], d["forward"])
            items.append((path.name, head))
    wanted = {v.strip() for v in args.variants.split(",") if v.strip()}
    rows, details = [], []
    for name, (v, t, mats, up, fwd) in items:
        if args.match and args.match not in name:
            continue
        for vname, (vv, tt, mm, lin) in variants(np.asarray(v, np.float64), t, mats, up, fwd).items():
            if wanted and vname not in wanted:
                continue
            t0 = time.perf_counter()
            try:
                baked, skin = bake_methods(fm, vv, tt, up, fwd, (args.method,), mm)
            except Exception as e:  # a refusal is a result too
                rows.append(f"| {name} [{vname}] | refused: {type(e).__name__}: {e} |")
                continue
            deltas = baked[args.method]
            if lin is not None and not args.judge_variant:
                # judged as the mesh came (the bake's robustness, not the check's): the deltas
                # mapped back by the inverse of the variant's linear map
                deltas = deltas @ np.linalg.inv(lin).T
                vv = np.asarray(v, np.float64)
            report = check_rig(vv, tt, deltas, up=up, forward=fwd, skin_weights=skin,
                               region_names=fm.region_names)  # fmt: skip
            rows.append(summary(f"{name} [{vname}]", report))
            details.append((f"{name} [{vname}]", report, time.perf_counter() - t0))
            print(rows[-1], flush=True)
    print("\n".join(rows))
    for label, report, secs in details:
        lines = report.verdicts if args.verbose else report.verdicts[:8]
        print(f"\n## {label} ({secs:.1f} s), {len(report.verdicts)} verdicts")
        for line in lines:
            print("  FAIL", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
