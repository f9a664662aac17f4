"""The line a closed socket's lids meet along, made smooth at the end of the bake.

A game avatar's lid margin is low-poly and jagged at neutral: Rocketbox Adult_01's right lower
margin zig-zags 1.6 % of the eye's width, one vertex of it sits 2 % of that width lower than its
mirror twin, and a vertex tucked behind the margin reaches above its neighbours. The geometric blink
(:mod:`model.eyelids`) turns each lid about the eyeball by an angle that is smooth across the
eye, so every margin vertex keeps its neutral offset from the lid edge's smooth line; the bake's
last mirror pass (:mod:`model.mirror_pass`) then gives each vertex its mirror partner's motion,
which on an asymmetric margin adds the neutral asymmetry. Measured with the rig check's zig-zag
(:func:`model.lid_margin.margin_zigzag`, the right closed lower lid of Rocketbox Adult_01):
1.6 % at neutral, 1.5 % after the solver, 2.2 % after the mirror pass.

:func:`smooth_margins` puts each lid margin's closed vertices onto the nearest curve that
bends one way across the eye, seen from the front (:func:`one_way_fit`: heights over X, convex
or concave; the zig-zag metric scores such a curve 0), reached by turning each vertex about
the eyeball's X axis (it keeps its distance from the axis, so it stays on the lid's shell over
the eyeball and never moves into it). Only the margin vertices move, and only where the line
zigs (a few tenths of a millimetre); the rest of the lid keeps the bake's motion.

Everything works in the canonical frame (:mod:`model.frame`: Y up, face toward +Z); numpy + scipy.
"""

from __future__ import annotations

import numpy as np

# fewer margin vertices than this bend one way whatever their heights
_MIN_MARGIN = 4


def one_way_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(k,)`` heights closest to ``y (k,)`` (least squares) that bend one way along ``x (k,)``:
    convex or concave, whichever lies closer. Heights that bend one way already come back as
    they are; a zig-zag is evened out where it zigs, the rest of the line is kept (a convex
    regression: a line plus hinges ``max(x - x_j, 0)`` at the interior points, the hinges'
    weights of one sign)."""
    from scipy.optimize import lsq_linear

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    span = float(np.ptp(x)) if len(x) else 0.0
    if span <= 0.0:
        return y.copy()  # one column: nothing to bend
    t = (x - x.min()) / span
    knots = np.unique(t)[1:-1]
    basis = np.column_stack([np.ones_like(t), t, np.maximum(t[:, None] - knots[None, :], 0.0)])
    free = np.full(2, np.inf)
    best = y
    best_cost = np.inf
    for sign in (1.0, -1.0):
        lower = np.concatenate([-free, np.zeros(len(knots)) if sign > 0 else np.full(len(knots), -np.inf)])
        upper = np.concatenate([free, np.full(len(knots), np.inf) if sign > 0 else np.zeros(len(knots))])
        fit = basis @ lsq_linear(basis, y, bounds=(lower, upper), method="bvls").x
        cost = float(((fit - y) ** 2).sum())
        if cost < best_cost:
            best, best_cost = fit, cost
    return best


def smooth_margin(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """``points (k, 3)`` (a lid margin's closed vertices, canonical) moved onto the nearest
    heights ``y(x)`` that bend one way (:func:`one_way_fit`), each by a turn about the X axis through
    ``centre (3,)`` (the eyeball's centre): ``(k, 3)`` float64. A point the curve's height cannot
    be reached from at its distance from the axis (behind the eyeball's centre, or out of
    reach) stays; fewer than :data:`_MIN_MARGIN` points stay as they are."""
    p = np.asarray(points, dtype=np.float64)
    out = p.copy()
    if len(p) < _MIN_MARGIN or np.ptp(p[:, 0]) <= 0.0:
        return out
    target = one_way_fit(p[:, 0], p[:, 1])
    dy, dz = p[:, 1] - centre[1], p[:, 2] - centre[2]
    rho = np.hypot(dy, dz)
    sine = (target - centre[1]) / np.maximum(rho, 1e-12)
    # the closed margin lies in front of the eyeball's centre: the turn keeps it there
    ok = (dz > 0.0) & (np.abs(sine) < 1.0)
    phi = np.arcsin(np.clip(sine, -1.0, 1.0))
    out[ok, 1] = centre[1] + rho[ok] * np.sin(phi[ok])
    out[ok, 2] = centre[2] + rho[ok] * np.cos(phi[ok])
    return out


def smooth_margins(canonical: np.ndarray, deltas: np.ndarray, frame) -> np.ndarray:
    """A closed blink's ``deltas (V, 3)`` (canonical, at weight 1.0) with both lid margins of
    ``frame`` (:class:`model.eyelids.LidFrame` of the eye, on ``canonical (V, 3)``) on their
    smooth curves (:func:`smooth_margin`): ``(V, 3)`` float64, a copy. Only a closed socket's
    margins move (an opening's lids are the network's blink blended with the solver's, whose
    margins are the opening's own chains: left as they are)."""
    out = np.array(deltas, dtype=np.float64, copy=True)
    if not frame.socket:
        return out
    pts = np.asarray(canonical, dtype=np.float64)
    for margin in (frame.upper_margin, frame.lower_margin):
        if margin is None or len(margin) < _MIN_MARGIN:
            continue
        closed = pts[margin] + out[margin]
        out[margin] = smooth_margin(closed, frame.centre) - pts[margin]
    return out
