"""Which bake stage folds jawOpen inside the mouth, and does a welded tongue stay behind.

    PYTHONPATH=. .venv/bin/python benchmarks/mouth_stages.py [--match Adult_02] [--no-welded-tongue]

For each Rocketbox avatar (``../shared/real-dev``; skips when absent) jawOpen is baked stage by
stage: the network's raw output (no locality, symmetry, focus, eyelids, constraints), + reach,
+ mirror symmetry, every bake-time stage, + rig constraints (no flip repair), the full bake.
Per stage it prints the folds (dihedral change > 60 / > 90 degrees, flipped triangles) per
part of :mod:`model.parts`, and the skin of a welded tongue (:func:`model.welded_tongue.find_welded_tongue`
on the raw output): how many vertices, their median motion, the most any vertex moves.

Measured (session 6, issue 9.3): both Rocketbox heads carry the tongue welded into the mouth
bag (one connected piece with the skin), so :mod:`model.parts` finds no tongue, and the network
moves it 0-4 mm while the bag floor and lower lip move 15-30 mm: the tongue tip stayed at the
upper lip and showed as the V-shaped shard in the open mouth. No stage folds it (it is
stretch, not folds); :mod:`model.welded_tongue` now moves it with the jaw
(``--no-welded-tongue``: the bake before).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402
from mouth_shards import fold_stats  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="rocketbox", help="only meshes whose file name contains this")
    parser.add_argument("--no-welded-tongue", action="store_true", help="bake without model.welded_tongue")
    args = parser.parse_args(argv)
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.parts import PART_INDEX, PART_NAMES
    from model.welded_tongue import find_welded_tongue

    jaw = ICT_NAMES.index("jawOpen")
    off = {"shape_locality": False, "shape_symmetry": False, "shape_focus": False, "eyelids": False}
    stages = [
        ("network raw", False, off),
        ("+ reach", False, {**off, "shape_locality": True}),
        ("+ symmetry", False, {**off, "shape_locality": True, "shape_symmetry": True}),
        ("all bake-time", False, {}),
        ("+ rig constraints", True, {"flip_repair": False}),
        ("+ flip repair (full)", True, {}),
    ]
    print("| mesh | stage | folds > 60 / > 90 deg, flipped (per part) | welded tongue: count, median move |")
    print("|---|---|---|---|")
    for path in sorted((realdev / "meshes").glob("*.fbx")):
        if args.match not in path.name:
            continue
        data = load_mesh(path)
        v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
        fm = FaceModel.load()
        fm.welded_tongue = not args.no_welded_tongue
        prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"])
        skin_w = fm.predict_skin_weights(prepared)
        labels = prepared.rig_analysis().parts.labels
        canonical = prepared.frame.to_canonical(v)
        raw = None
        for name, constraints, flags in stages:
            saved = {k: getattr(fm, k) for k in flags}
            for k, value in flags.items():
                setattr(fm, k, value)
            delta = fm.bake(prepared, skin_w, constraints=constraints)[jaw]
            for k, value in saved.items():
                setattr(fm, k, value)
            if raw is None:
                raw = delta
                tongue = find_welded_tongue(canonical, labels == PART_INDEX["skin"], raw)
            cells = []
            for p, part in enumerate(PART_NAMES):
                tris = t[(labels[t] == p).all(axis=1)]
                s = fold_stats(v, tris, delta) if len(tris) else None
                if s and (s["over60"] or s["flipped"]):
                    cells.append(f"{part} {s['over60']} / {s['over90']}, {s['flipped']}")
            lag = 1000.0 * np.linalg.norm(delta[tongue], axis=1)
            lip = 1000.0 * float(np.linalg.norm(delta, axis=1).max())
            print(f"| {path.name} | {name} | {'; '.join(cells) or 'none'} | "
                  f"{tongue.size}, {np.median(lag) if lag.size else 0:.1f} mm "
                  f"(most moved {lip:.1f} mm) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
