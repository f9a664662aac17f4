"""The rig check's lid-margin zig-zag of the closed blinks after each stage of the network bake.

    PYTHONPATH=. .venv/bin/python benchmarks/lid_zigzag_stages.py [--match rocketbox] [--demo]

Replays :meth:`model.api.FaceModel.bake` stage by stage (``benchmarks/mirror_stages.py``'s
replay, the last column the shipped bake) on each real-dev mesh whose name contains ``--match``
and prints, per stage, the zig-zag of each eye's closed upper and lower lid margin at
``eyeBlink_L/R`` weight 1.0 (:func:`model.lid_margin.margin_zigzag` on the rig check's own
margins and frame, % of the eye's width; the check's verdict takes the larger of the two, limit
:data:`model.rig_check.THRESHOLDS` ``lid_zigzag_pct``). Where a closed line zig-zags, this
says which lid and which stage made it so (Rocketbox Adult_01's right lower lid: 1.6 % at
neutral, 1.5 % after the lid solver, 2.2 % after the mirror pass, 0.0 after the lid line of
:mod:`model.lid_line`). Skips (exit 0) when ../shared/real-dev is absent.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from mirror_stages import mesh_arguments, prepared_heads, stages  # noqa: E402


def check_margins(fm, v, t, up, forward, skin):
    """(canonical frame, canonical (V, 3), {side: (upper, lower margin vertices, eye width)})
    as the rig check finds them (:func:`model.rig_check.check_rig`)."""
    from model.face_landmarks import visible_eyeball
    from model.rig_check import _OPEN_EYEBALL, _lid_margins, face_anchors

    a = face_anchors(v, t, up, forward, None, skin, fm.region_names, align=True)
    visible = {}
    for side, ball in a.eyeballs.items():
        vis = visible_eyeball(a.canonical, t, a.skin, ball)
        if vis.sum() >= _OPEN_EYEBALL * np.pi * (vis.shape[0] / 2) ** 2:
            visible[side] = vis
    return a.frame, a.canonical, _lid_margins(a.canonical, t, a.skin, a.eyes, a.eyeballs, visible)


def _row(stage: str, posed: dict, margins: dict) -> str:
    """A table row: per side, the zig-zag of the upper / lower margin of ``posed[side]`` (V, 3)."""
    from model.lid_margin import margin_zigzag

    cells = []
    for side, points in posed.items():
        upper, lower, width = margins[side]
        up, low = margin_zigzag(points[upper], width), margin_zigzag(points[lower], width, upper=False)
        cells.append(f"{up:.2f} / {low:.2f}")
    return f"| {stage} | " + " | ".join(cells) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mesh_arguments(parser)
    args = parser.parse_args()
    from model.facs import ICT_NAMES

    for fm, name, v, t, up, forward, prep, skin in prepared_heads(args):
        frame, canon, margins = check_margins(fm, v, t, up, forward, skin)
        if not margins:
            print(f"\n## {name}: no lid margins the check measures")
            continue
        sides = sorted(margins)
        print(f"\n## {name}: closed lids' zig-zag % of the eye width (upper / lower) after each bake stage")
        print("| stage | " + " | ".join(f"eyeBlink_{s} upper / lower" for s in sides) + " |")
        print("|---|" + "---|" * len(sides))

        print(_row("neutral", {side: canon for side in sides}, margins))
        for stage, deltas in stages(fm, prep, skin):
            d = frame.vectors_to_canonical(np.asarray(deltas, dtype=np.float64))
            posed = {side: canon + d[ICT_NAMES.index(f"eyeBlink_{side}")] for side in sides}
            print(_row(stage, posed, margins))
    return 0


if __name__ == "__main__":
    sys.exit(main())
