"""A tongue welded into the mouth bag: found by the jaw's motion, moved with the jaw.

Game heads (both Rocketbox avatars of the real-dev set) model the mouth bag and the tongue as
one connected piece with the face skin, so :mod:`model.parts` (which names loose pieces) finds
no tongue and the rig constraints leave it as skin. The network then moves it with the upper
head: in jawOpen it moves 1-4 mm while the bag floor and the lower lip move 15-30 mm, so the
tongue tip stays at the upper lip and the triangles down to the dropped floor show as a
V-shaped shard in the open mouth (measured with ``benchmarks/mouth_stages.py``, issue 9.3).

:func:`find_welded_tongue` takes the skin inside the mouth, below the lip slit, that lags the
lower lip in jawOpen, and of it only the tongue's body (:mod:`model.tongue_body`: not the bag's
walls or the pockets behind the lip corners, which lag too); :func:`with_tongue` labels it
``tongue``, so
:func:`model.rig_constraints.apply_rig_constraints` moves it rigidly with the chin, like a loose
tongue. A head without a mouth bag (the demo head, the bust scans) has no such skin.

Canonical frame (:mod:`model.frame`: Y up, +Z forward). The sizes below are in eye distances
and the heights are measured from the eye line, so a head finds its tongue however much of it
the frame was fitted on (a face-only mask puts the face at a larger scale in the frame than a
whole head); the values were looked at on the two Rocketbox heads, whose eye distance is 0.49
and 0.53 canonical units with the eye line at ``y = 0.27`` (:data:`REFERENCE_EYES`, also what a
head without eyes found is measured with).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .parts import PART_INDEX
from .tongue_body import tongue_body

# the eye line's height and the eye distance, in canonical units, of the Rocketbox heads the
# sizes below were chosen on (they were 0.05, -0.5 ... canonical units there)
REFERENCE_EYES = (0.27, 0.51)
_U = REFERENCE_EYES[1]
# the lips' middle column: this close to the mid-plane, between these heights below the eye line
# (below the nose, above the chin's underside)
_COLUMN_HALF_WIDTH = 0.05 / _U
_COLUMN_HEIGHTS = ((-0.5 - REFERENCE_EYES[0]) / _U, (-0.15 - REFERENCE_EYES[0]) / _U)
# the lips' front: column vertices this close behind the front-most one
_LIP_DEPTH = 0.12 / _U
# the mouth interior: this close to the mid-plane, this far behind the lips' front (at least the
# lips' thickness, at most the bag's depth; the neck lies behind), this far below the slit
_MOUTH_HALF_WIDTH = 0.3 / _U
_BEHIND_LIPS = 0.04 / _U
_MOUTH_DEPTH = 0.7 / _U
_BELOW_SLIT = (0.015 / _U, 0.25 / _U)
# a lagging vertex moves less than this share of the lower lip
_LAG = 0.25
# the slit is a real one where the lower lip moves at least this many times the upper lip
_MIN_JUMP = 4.0


def find_welded_tongue(
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin: np.ndarray,
    jaw: np.ndarray,
    eyes: tuple[float, float] | None = None,
) -> np.ndarray:
    """``(n,) int64`` skin vertices inside the mouth, below the lip slit, lagging the jaw: the
    tongue's body, not the mouth bag's walls (:func:`model.tongue_body.tongue_body`).

    ``canonical`` (V, 3) vertex positions in the canonical frame, ``triangles`` (T, 3) int the
    mesh's triangles (their winding outward), ``skin`` (V,) bool the face
    skin, ``jaw`` (V, 3) jawOpen deltas (any units: only ratios count), ``eyes``: the eye line's
    height (canonical y) and the eye distance (canonical units) of the face anchors (None:
    :data:`REFERENCE_EYES`). The slit is where the motion of the lips' middle column (its front,
    top down) jumps most; none found (no jump of :data:`_MIN_JUMP` times) gives an empty array."""
    eye_y, u = REFERENCE_EYES if eyes is None else eyes
    c = np.asarray(canonical, dtype=np.float64)
    # heights from the eye line and every size in eye distances
    c = np.column_stack([c[:, 0], c[:, 1] - eye_y, c[:, 2]]) / u
    skin = np.asarray(skin, dtype=bool)
    move = np.linalg.norm(np.asarray(jaw, dtype=np.float64), axis=1)
    none = np.zeros(0, dtype=np.int64)
    lo, hi = _COLUMN_HEIGHTS
    column = np.flatnonzero(skin & (np.abs(c[:, 0]) < _COLUMN_HALF_WIDTH) & (c[:, 1] > lo) & (c[:, 1] < hi))
    if column.size < 2:
        return none
    front_z = float(c[column, 2].max())
    front = column[c[column, 2] > front_z - _LIP_DEPTH]
    front = front[np.argsort(-c[front, 1])]  # top down: upper lip, slit, lower lip
    if front.size < 2:
        return none
    jump = int(np.argmax(np.diff(move[front])))
    upper, lower = move[front[: jump + 1]], move[front[jump + 1 :]]
    lip = float(lower.max())
    if lip <= 0.0 or lip < _MIN_JUMP * float(np.median(upper)):
        return none
    slit_y = 0.5 * float(c[front[jump], 1] + c[front[jump + 1], 1])
    inside = (
        skin
        & (np.abs(c[:, 0]) < _MOUTH_HALF_WIDTH)
        & (c[:, 2] < front_z - _BEHIND_LIPS)
        & (c[:, 2] > front_z - _MOUTH_DEPTH)
        & (c[:, 1] < slit_y - _BELOW_SLIT[0])
        & (c[:, 1] > slit_y - _BELOW_SLIT[1])
    )
    candidates = np.flatnonzero(inside & (move < _LAG * lip))
    # the lips' middle column is the mouth's middle; its front says which way the winding points
    mid_x = float(np.median(np.asarray(canonical, dtype=np.float64)[front, 0]))
    return tongue_body(canonical, triangles, candidates, mid_x, front)


def with_tongue(analysis, ids: np.ndarray):
    """A copy of ``analysis`` (:class:`model.rig_constraints.RigAnalysis`) with ``ids`` labelled
    ``tongue`` (the given analysis is left as it is: later bakes find the tongue again)."""
    labels = np.array(analysis.parts.labels)
    labels[np.asarray(ids, dtype=np.int64)] = PART_INDEX["tongue"]
    return dataclasses.replace(analysis, parts=dataclasses.replace(analysis.parts, labels=labels))


def has_loose_jaw_parts(labels: np.ndarray) -> bool:
    """Whether :mod:`model.parts` found a loose tongue or lower teeth (then nothing is welded)."""
    return bool(np.isin(labels, [PART_INDEX["tongue"], PART_INDEX["lower_teeth"]]).any())
