"""mouthClose alone vs the split (:mod:`model.mouth_close`): how far it moves, how much the surface
cuts through itself, and what the corrective's driver rule does to captured closed lips.

For ICT-FaceKit (``$ICT_FACEKIT``, its face + mouth socket) and each real-dev mesh (the network
bake), prints the largest displacement and the count of self-intersecting triangle pairs
(Blender's BVH overlap, minus those already there at rest) for: mouthClose as baked, mouthClose
alone after the split, jawOpen + mouthClose (baked, and split + corrective at weight 1: equal to
float precision) and jawOpen 0.3 + mouthClose 0.9 (mouthClose beyond the jaw: baked, and split with
the corrective at min(0.3, 0.9)). Then, over the real Live Link take of real-dev, how far the split
rig lands from the linear ARKit mix (``w jawOpen + c mouthClose``, what the capture means) with
the corrective driven by ``min(w, c)`` (the rule used) or by the product ``w c``, in the mesh's
units. Needs bpy.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/mouth_close_split.py [--match Adult]
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _crossings(vertices: np.ndarray, triangles: np.ndarray) -> int:
    """Self-intersecting triangle pairs that share no vertex."""
    import bpy  # noqa: F401  (makes Blender's mathutils importable)
    from mathutils.bvhtree import BVHTree

    tree = BVHTree.FromPolygons(vertices.tolist(), triangles.tolist(), all_triangles=True)
    t = triangles
    return sum(1 for a, b in tree.overlap(tree) if a < b and not (set(t[a]) & set(t[b])))


def _report(label: str, v: np.ndarray, t: np.ndarray, d: np.ndarray) -> None:
    from model.facs import ICT_NAMES
    from model.mouth_close import corrective_weight, split_baked

    ci, ji = ICT_NAMES.index("mouthClose"), ICT_NAMES.index("jawOpen")
    split, corr = split_baked(d)
    rest = _crossings(v, t)
    rows = {
        "mouthClose as baked": d[ci],
        "mouthClose alone (split)": split[ci],
        "jawOpen + mouthClose baked": d[ji] + d[ci],
        "jawOpen + split + corrective": split[ji] + split[ci] + corr,
        "jaw .3 + close .9 baked": 0.3 * d[ji] + 0.9 * d[ci],
        "jaw .3 + close .9 split": 0.3 * split[ji] + 0.9 * split[ci] + corrective_weight(0.3, 0.9) * corr,
    }
    print(f"{label}: rest crossings {rest}")
    for name, delta in rows.items():
        peak = float(np.linalg.norm(delta, axis=1).max())
        print(f"  {name:30s} max |delta| {peak:.4f}  new crossings {_crossings(v + delta, t) - rest}")
    take = _capture()
    if take is not None:
        # the split rig minus the linear mix is (rule(w, c) - c) * corrective on every vertex
        w, c = take
        peak = float(np.linalg.norm(corr, axis=1).max())
        on = c > 0.05
        for rule, weight in (("min(w, c)", corrective_weight(w, c)), ("w * c", w * c)):
            off = np.abs(weight - c)[on] * peak
            print(
                f"  capture, corrective by {rule:9s}: off the linear mix by median {np.median(off):.4f}, "
                f"90 % {np.quantile(off, 0.9):.4f}, max {off.max():.4f} "
                f"({on.sum()} frames with mouthClose > 0.05)"
            )


def _capture() -> tuple[np.ndarray, np.ndarray] | None:
    """(jawOpen, mouthClose) weights per frame of real-dev's Live Link take, or None."""
    import csv

    from _realdev import realdev_dir

    root = realdev_dir()
    path = None if root is None else root / "captures" / "llf_alex_rom_4.csv"
    if path is None or not path.is_file():
        return None
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.lower() for h in rows[0]]
    values = np.array([[float(x) for x in r] for r in (row[2 : len(header)] for row in rows[1:])])
    names = header[2:]
    return values[:, names.index("jawopen")], values[:, names.index("mouthclose")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="Adult", help="real-dev meshes whose name contains this")
    args = parser.parse_args(argv)
    import os

    ict = os.environ.get("ICT_FACEKIT")
    if ict and (pathlib.Path(ict) / "FaceXModel").is_dir():
        from model.ict import PARTS, load_ict

        m = load_ict(ict)
        end = PARTS["mouth_socket"][1]  # face, head and neck, mouth socket: one skin surface
        tri = m.triangles()
        tri = tri[(tri < end).all(1)]
        _report("ICT-FaceKit (cm)", m.neutral[:end].astype(np.float64), tri, m.expressions[:, :end])
    from _realdev import load_mesh, mesh_paths, realdev_dir

    from model.api import FaceModel

    if realdev_dir() is None:
        print("real-dev meshes not found: skipped")
        return 0
    fm = FaceModel.load()
    for path in mesh_paths(realdev_dir(), args.match):
        data = load_mesh(path)
        v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
        prep = fm.prepare(v, t, up=data["up"], forward=data["forward"])
        d = fm.bake(prep, fm.predict_skin_weights(prep), method="network")
        _report(f"{path.name} (network, input units)", v, t, d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
