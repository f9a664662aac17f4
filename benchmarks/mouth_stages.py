"""Which bake stage folds jawOpen inside the mouth, and does a welded tongue stay behind.

    PYTHONPATH=. .venv/bin/python benchmarks/mouth_stages.py [--match Adult_02] [--relabel-tongue]

For each Rocketbox avatar (``../shared/real-dev``; skips when absent) jawOpen is baked stage by
stage: the network's raw output (no locality, symmetry, focus, eyelids, constraints), + reach,
+ mirror symmetry, every bake-time stage, + rig constraints (no flip repair), the full bake.
Per stage it prints the folds (dihedral change > 60 / > 90 degrees, flipped triangles) per
part of :mod:`model.parts`, and the **tongue lag**: the mouth-interior skin vertices below the
lip slit that move less than a quarter of the lower lip (see :func:`welded_tongue`).

Measured (session 6, issue 9.3): both Rocketbox heads carry the tongue welded into the mouth
bag (one connected piece with the skin), so :mod:`model.parts` finds no tongue, the rig
constraints leave it as skin, and the network moves it 1-4 mm while the bag floor and lower
lip move 15-30 mm: the tongue tip stays at the upper lip and shows as the V-shaped shard in
the open mouth. ``--relabel-tongue`` labels :func:`welded_tongue`'s vertices ``tongue`` before
the bake (an experiment: the rig constraints then move them rigidly with the chin), which
removes the V in the renders.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402
from mouth_shards import fold_stats  # noqa: E402

# canonical frame (Y up, +Z forward, ~0.11 m per unit on these heads); a heuristic for this
# benchmark only, looked at on the two Rocketbox heads
_FRONT_HALF_WIDTH = 0.05  # the lips' middle column, for the slit height and lower-lip motion
_MOUTH_HALF_WIDTH = 0.3  # mouth interior, either side of the mid-plane
_BEHIND_LIPS = 0.04  # interior: this far behind the lips' front
_LIP_DEPTH = 0.12  # the lips' front: this deep behind the front-most column vertex
_MOUTH_DEPTH = 0.7  # and at most this far (the mouth bag's back; the neck lies behind)
_BELOW_SLIT = (0.015, 0.25)  # interior vertices this far below the slit (min, max)
_LAG = 0.25  # a lagging vertex moves less than this share of the lower lip


def welded_tongue(canonical: np.ndarray, skin: np.ndarray, jaw: np.ndarray) -> tuple[np.ndarray, float]:
    """Skin vertices inside the mouth below the lip slit that lag the jaw.

    ``canonical`` (V, 3) canonical positions, ``skin`` (V,) bool, ``jaw`` (V, 3) the network's
    raw jawOpen deltas (any units). Returns ``(ids, slit_y)``: the lagging vertices and the
    slit height (canonical), found where the lips' middle column's motion jumps."""
    move = np.linalg.norm(jaw, axis=1)
    c = canonical
    middle = np.flatnonzero(
        skin & (np.abs(c[:, 0]) < _FRONT_HALF_WIDTH) & (c[:, 1] < -0.15) & (c[:, 1] > -0.5)
    )
    front_z = float(c[middle, 2].max())
    front = middle[c[middle, 2] > front_z - _LIP_DEPTH]
    front = front[np.argsort(-c[front, 1])]  # top down: upper lip, slit, lower lip
    jump = int(np.argmax(np.diff(move[front])))  # the lower lip moves most more than the upper
    slit_y = 0.5 * float(c[front[jump], 1] + c[front[jump + 1], 1])
    lip = float(move[front[jump + 1 :]].max())
    inside = (
        skin
        & (np.abs(c[:, 0]) < _MOUTH_HALF_WIDTH)
        & (c[:, 2] < front_z - _BEHIND_LIPS)
        & (c[:, 2] > front_z - _MOUTH_DEPTH)
        & (c[:, 1] < slit_y - _BELOW_SLIT[0])
        & (c[:, 1] > slit_y - _BELOW_SLIT[1])
    )
    return np.flatnonzero(inside & (move < _LAG * lip)), slit_y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="rocketbox", help="only meshes whose file name contains this")
    parser.add_argument("--relabel-tongue", action="store_true", help="label the welded tongue 'tongue'")
    args = parser.parse_args(argv)
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.parts import PART_INDEX, PART_NAMES

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
                tongue, slit_y = welded_tongue(canonical, labels == PART_INDEX["skin"], raw)
                if args.relabel_tongue:  # later stages see it as a tongue (rig constraints)
                    labels[tongue] = PART_INDEX["tongue"]
            cells = []
            for p, part in enumerate(PART_NAMES):
                tris = t[(labels[t] == p).all(axis=1)]
                s = fold_stats(v, tris, delta) if len(tris) else None
                if s and (s["over60"] or s["flipped"]):
                    cells.append(f"{part} {s['over60']} / {s['over90']}, {s['flipped']}")
            lag = 1000.0 * np.linalg.norm(delta[tongue], axis=1)
            lip = 1000.0 * float(np.linalg.norm(delta, axis=1).max())
            print(f"| {path.name} | {name} | {'; '.join(cells) or 'none'} | "
                  f"{tongue.size} (slit y {slit_y:+.3f}), {np.median(lag) if lag.size else 0:.1f} mm "
                  f"(most moved {lip:.1f} mm) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
