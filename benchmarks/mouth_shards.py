"""Shards inside the open mouth: how crumpled jawOpen leaves the skin, per real-dev FBX avatar.

    PYTHONPATH=. .venv/bin/python benchmarks/mouth_shards.py [--match Adult_01]

For each Rocketbox avatar (``../shared/real-dev``; skips when absent) the network's jawOpen is
baked with the mirror symmetry of :mod:`model.shape_locality` on and off, each with and
without the flip repair, and prints, on the skin triangles (parts label 0): how many edges'
dihedral angle changes by more than 60 / 90 degrees from the neutral (a fold, the "shards"),
the largest change, triangles flipped against the neutral, and how far the flip repair moved
vertices (mm). Measured (session 5): the lip-slit rows of Adult_01 paired by the symmetrize
with the other lip folded into spikes; see ``symmetrize``'s partner gate.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402


def _normals(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    n = np.cross(x[t[:, 1]] - x[t[:, 0]], x[t[:, 2]] - x[t[:, 0]])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-15)


def _edge_pairs(t: np.ndarray) -> np.ndarray:
    """(E, 2) the triangle pairs sharing an edge (manifold edges only)."""
    edges = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    owner = np.tile(np.arange(len(t)), 3)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    e, o = edges[order], owner[order]
    same = np.all(e[1:] == e[:-1], axis=1)
    return np.stack([o[:-1][same], o[1:][same]], axis=1)


def fold_stats(vertices: np.ndarray, triangles: np.ndarray, delta: np.ndarray) -> dict:
    """Dihedral changes (degrees) of one shape ``delta`` (V, 3) on ``triangles`` (T, 3)."""
    pairs = _edge_pairs(triangles)

    def dihedral(x):
        n = _normals(x, triangles)
        return np.degrees(np.arccos(np.clip(np.einsum("ec,ec->e", n[pairs[:, 0]], n[pairs[:, 1]]), -1, 1)))

    change = np.abs(dihedral(vertices + delta) - dihedral(vertices))
    cos = np.einsum("tc,tc->t", _normals(vertices + delta, triangles), _normals(vertices, triangles))
    return {"over60": int((change > 60).sum()), "over90": int((change > 90).sum()),
            "max": float(change.max(initial=0.0)), "flipped": int((cos < 0).sum())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="rocketbox", help="only meshes whose file name contains this")
    args = parser.parse_args(argv)
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ICT_NAMES

    jaw = ICT_NAMES.index("jawOpen")
    print(
        "| mesh | symmetry | flip repair | dihedral change > 60 / > 90 deg | max deg | flipped |"
        " repair moved max mm |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in sorted((realdev / "meshes").glob("*.fbx")):
        if args.match not in path.name:
            continue
        data = load_mesh(path)
        v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
        fm = FaceModel.load()
        prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"])
        skin = fm.predict_skin_weights(prepared)
        skin_tris = t[(prepared.rig_analysis().parts.labels[t] == 0).all(axis=1)]
        for symmetry in (True, False):
            fm.shape_symmetry = symmetry
            shapes = {}
            for repair in (True, False):
                fm.flip_repair = repair
                shapes[repair] = fm.bake(prepared, skin)[jaw]
            moved = 1000.0 * float(np.linalg.norm(shapes[True] - shapes[False], axis=1).max())
            for repair in (True, False):
                s = fold_stats(v, skin_tris, shapes[repair])
                print(f"| {path.name} | {'on' if symmetry else 'off'} | {'on' if repair else 'off'} | "
                      f"{s['over60']} / {s['over90']} | {s['max']:.0f} | {s['flipped']} | "
                      f"{moved if repair else 0.0:.1f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
