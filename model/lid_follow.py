"""Lids that follow the eyes: ``eyeLookUp/Down`` and ``eyeWide`` turn the lid margins at least
as far as ICT-FaceKit's shapes do.

The bake turns a separate eyeball by a fixed gaze angle in ``eyeLook*``
(:data:`model.rig_constraints.EYE_LOOK_DEGREES`: 25 degrees up, 30 down), but on meshes unlike
ICT-FaceKit's head (the Rocketbox game avatars) the network's lids hardly follow: its upper lid
drops 4-7 degrees while the eye looks 30 degrees down (the white shows above the iris, the
iris slides under the lower lid) and lifts 4 degrees for 25 up. On the demo head, close to ICT's
topology, the same network turns the upper lid by 0.38 of the gaze looking up and 0.68 looking
down, the lower lid by about 0.2 (ICT-FaceKit's lid-eye coordination, as learned), and
``eyeWide`` lifts the upper lid by 0.18 of the opening.

:func:`follow_lids` measures how far each of these shapes turns the lid margins (the mean turn
of the middle half of each margin about the eyeball's X axis, :mod:`model.eyelids`) and, where
it falls short of :data:`LID_FOLLOW` / :data:`WIDE_SHARE`, adds the rest as the geometric lid
rotation of :func:`model.eyelids.lid_deltas` (the lids slide over the eyeball, the canthi stay).
A shape that already turns its lids as far (the demo head) is left as it is; nothing is ever
turned back. Everything works in the canonical frame (Y up, face toward +Z); numpy only.
"""

from __future__ import annotations

import numpy as np

from .eyelids import MEET, LidFrame, lid_deltas, lid_frame

# turn of the (upper, lower) lid margin per eyeLook shape, degrees, up > 0: the network's own
# turns on the demo head (ICT-FaceKit's coordination) for the gaze of EYE_LOOK_DEGREES
LID_FOLLOW: dict[str, tuple[float, float]] = {"eyeLookUp": (9.5, 4.5), "eyeLookDown": (-20.5, -6.0)}
# eyeWide lifts the upper lid by this share of the opening's angle over the middle half of the
# eye (demo head: 8.9 of 49 degrees)
WIDE_SHARE = 0.18
# a shortfall below this (degrees) is not worth a correction
_MIN_TOP_UP = 0.5
_ROUNDS = 3


def margin_turn(canonical: np.ndarray, frame: LidFrame, delta: np.ndarray, upper: bool) -> float:
    """Mean turn (radians, up > 0) of the middle half of a lid margin about the eyeball's X axis
    under ``delta (V, 3)`` (canonical)."""
    margin = frame.upper_margin if upper else frame.lower_margin
    if margin is None or len(margin) == 0:
        return 0.0
    pts = np.asarray(canonical, dtype=np.float64)
    order = margin[np.argsort(pts[margin, 0], kind="stable")]
    quarter = len(order) // 4
    mid = order[quarter : len(order) - quarter] if len(order) > 4 else order
    c = frame.centre

    def phi(p: np.ndarray) -> np.ndarray:
        return np.arctan2(p[:, 1] - c[1], p[:, 2] - c[2])

    return float(np.mean(phi(pts[mid] + delta[mid]) - phi(pts[mid])))


def _targets(kind: str, opening: float) -> tuple[float, float]:
    """(upper, lower) target turn in radians of a shape kind (``opening``: the opening's mean
    angle over the middle half of the eye, radians)."""
    if kind == "eyeWide":
        return WIDE_SHARE * opening, 0.0
    up, low = LID_FOLLOW[kind]
    return float(np.radians(up)), float(np.radians(low))


def _shortfall(target: float, current: float) -> float:
    """What is missing to reach ``target`` (same sign as it), 0 when reached or passed."""
    missing = target - current
    return missing if missing * target > 0 else 0.0


def follow_lids(
    canonical: np.ndarray, triangles: np.ndarray, deltas: np.ndarray, names: tuple[str, ...] | list[str],
    frames: dict | None = None,
) -> np.ndarray:  # fmt: skip
    """The shapes with their lids turned up to the targets (see the module docstring).

    canonical: ``(V, 3)``; triangles: ``(T, 3)``; deltas: ``(S, V, 3)`` additive shapes in the
    canonical frame named by ``names`` (ICT names: ``eyeLookUp_L`` ...). frames: ``{side:
    LidFrame | str}`` already found (:func:`model.eyelids.lid_frame`), else found here. Returns a
    float32 copy; eyes without a lid frame (closed at neutral, no eyeball) keep their shapes.
    """
    pts = np.asarray(canonical, dtype=np.float64)
    out = np.array(deltas, dtype=np.float32, copy=True)
    frames = {} if frames is None else frames
    for i, name in enumerate(names):
        kind, _, side = name.rpartition("_")
        if side not in ("L", "R") or (kind not in LID_FOLLOW and kind != "eyeWide"):
            continue
        if side not in frames:
            frames[side] = lid_frame(pts, triangles, side)
        frame = frames[side]
        if isinstance(frame, str):
            continue
        # lid_deltas turns each lid a share of the way to the meeting line (the turn scales with
        # the opening's height across the eye, none at the canthi): the share that gives the
        # missing turn over the middle half of the eye; the falloffs and the flip guard keep a
        # little of it back, so measure again and add the rest (a few rounds)
        gap = np.clip(frame.phi_top - frame.phi_bot, 0.0, None)
        span = float(np.mean(gap[len(gap) // 4 : len(gap) - len(gap) // 4]))
        if span <= 0.0:
            continue
        target = _targets(kind, span)
        for _ in range(_ROUNDS):
            d = out[i].astype(np.float64)
            up = _shortfall(target[0], margin_turn(pts, frame, d, upper=True))
            low = _shortfall(target[1], margin_turn(pts, frame, d, upper=False))
            if max(abs(up), abs(low)) < np.radians(_MIN_TOP_UP):
                break
            upper = float(np.clip(-up / ((1.0 - MEET) * span), -0.95, 0.95))
            lower = float(np.clip(low / (MEET * span), -0.95, 0.95))
            out[i] += lid_deltas(pts, frame, triangles, upper=upper, lower=lower)
    return out
