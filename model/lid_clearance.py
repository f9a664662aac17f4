"""Closed lids kept off the eyeball they close over, at the end of the bake.

The geometric blink (:mod:`model.eyelids`) turns each lid vertex about the eyeball's X axis, so
every vertex keeps its distance from the eyeball's centre; a triangle's middle does not. On a
fine lid the chord between two neighbours dips a fraction of a percent of the radius (an edge
spanning 10 degrees: 0.4 %), but a low-poly game head's lid (Rocketbox Adult_01 / 02 reduced
to a third of their triangles, ``benchmarks/realdev_variants.py --variants decimate``) spans
the eyeball in a few wide triangles, and closed their middles cut 2-17 % of the radius into
it: seen from the front the eyeball showed through the closed lid over a fifth of what the
lids should cover (the rig check's eyeball cover 81 / 82 %, needs >= 90 %).

:func:`clear_eyeball` looks at a closed blink from the front, as the rig check does: where the
eyeball shows through a lid triangle the blink moved and the triangle's chord dips there (the
point lies nearer the eyeball's centre than the triangle's corners do, interpolated: the
sagitta; and behind the sphere's surface by less than :data:`_CHORD` radii), over a patch at
least :data:`_TALL` samples high, it brings the triangle's moved corners forward (canonical +Z,
the direction the face looks) until the triangle lies :data:`_CLEARANCE` radii out; the lifts
fade out over the lid skin around them (harmonic, a few edge rings). Seen from the front nothing
moves, so the closed lids' line (:mod:`model.lid_line`, run before) stays as it was. A margin
tucked in against the eyeball, or the slit a sample or two high where a finer lid's closed
edges meet, is no chord's dip and stays (without those rules the Rocketbox avatars as they
come had their lateral corners lifted 0.15 radii, changing their blinks by up to 0.5 % of the
head size, for slivers the lift did not close). A lift that would fold a triangle is eased back
(:func:`model.lid_line._unfolded`). The bake then raises each blink's lifts to its mirror
twin's (:meth:`model.api.FaceModel._mirror_lifts`).

Measured: ``benchmarks/realdev_variants.py --variants decimate``, eyeball cover mean / worst
column L, R: Rocketbox Adult_01 81.3 / 58.3, 82.2 / 60.0 -> 100 / 100 both; Adult_02 81.1 /
50.0, 81.2 / 63.6 -> 100 / 100 both; no flipped triangles; the demo head's and the scans'
decimated rigs unchanged. ``benchmarks/bake_parity.py --method mixed``: the demo head (as
shipped and at 20k), the scans and both Rocketbox avatars as they come bit-identical.

Canonical frame (:mod:`model.frame`: Y up, face toward +Z); numpy + scipy.
"""

from __future__ import annotations

import numpy as np

from .face_landmarks import frontmost_triangles

# a cutting lid is brought out to this many eyeball radii from its centre (the rig check fits
# its own sphere to the eyeball's vertices in its own frame: a hair of room for the difference)
_CLEARANCE = 1.01
# a chord cuts at most this many radii into the eyeball (deeper: a gap between the lids, or
# the socket's lining showing through it; a decimated Rocketbox lid's: up to 0.17)
_CHORD = 0.2
# a sample this many radii nearer the centre than its triangle's corners is a chord's dip
_DIP = 0.005
# a vertex is lifted at most this many radii (the sagitta of a chord spanning ~80 degrees)
_MAX_LIFT = 0.25
# the lifts fade out over this many edge rings of the lid around the lifted vertices
_RINGS = 2
# rounds of lifting (a lift moves the samples of the neighbouring triangles too)
_ROUNDS = 12
# a patch this many grid samples high (in a column) is a chord's dip; a thinner one a slit
_TALL = 3
# the eyeball's front is sampled on a grid this many samples across (the rig check: 41)
_GRID = 61


def _tall(shown: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """``shown (n,)`` (samples at ``inside (g, g)``, rows Y) kept where they belong to a run of at
    least :data:`_TALL` shown samples in their column: a slit thinner than that along the
    closed lids' line is left (a finer lid's closed edges meet in front of the eyeball along a
    slit a sample or two high that no lift closes: Rocketbox Adult_01's lateral corners were
    lifted 0.15 radii for it, and it still showed)."""
    grid = np.zeros(inside.shape, dtype=bool)
    grid[inside] = shown
    runs = np.ones((inside.shape[0] - _TALL + 1, inside.shape[1]), dtype=bool)
    for k in range(_TALL):
        runs &= grid[k : k + len(runs)]
    keep = np.zeros_like(grid)
    for k in range(_TALL):
        keep[k : k + len(runs)] |= runs
    return keep[inside]


def clear_eyeball(canonical: np.ndarray, deltas: np.ndarray, frame, triangles: np.ndarray) -> np.ndarray:
    """A closed blink's ``deltas (V, 3)`` (canonical, weight 1.0) with the lid brought forward
    off the eyeball of ``frame`` (:class:`model.eyelids.LidFrame`; only a separate eyeball,
    ``frame.ball``, can show through a lid) wherever, seen from the front, the eyeball shows
    through it: ``(V, 3)``, ``deltas`` itself when nothing shows through, else a float64 copy
    whose X and Y are ``deltas``'. Only the vertices the blink moved are lifted.

    The eyeball's front is sampled on a grid over its disk (finer than the rig check's); at a
    sample no lid covers, the frontmost triangle over it, when the blink moved it, it lies in
    front of the eyeball's centre, its chord dips there (nearer the centre than its corners,
    interpolated, by over :data:`_DIP` radii, but less than :data:`_CHORD` radii behind the
    sphere: deeper is a gap between the lids) and the patch of such samples is at least
    :data:`_TALL` samples high (thinner: the slit closed lids meet along), has its moved corners
    lifted by what takes it :data:`_CLEARANCE` radii out (each corner by its barycentric
    weight: the smallest lifts that do it); a few rounds, each vertex at most
    :data:`_MAX_LIFT` radii. The lifts then fade out over :data:`_RINGS` edge rings of the lid
    around them."""
    ball = getattr(frame, "ball", None)
    if ball is None:
        return deltas
    pts = np.asarray(canonical, dtype=np.float64)
    tris = np.asarray(triangles, dtype=np.int64)
    centre, radius = np.asarray(ball.center, dtype=np.float64), float(ball.radius)
    fixed = np.zeros(len(pts), dtype=bool)
    fixed[np.asarray(frame.eyeball, dtype=np.int64)] = True
    moved = np.any(np.asarray(deltas) != 0.0, axis=1) & ~fixed
    closed = pts + np.asarray(deltas, dtype=np.float64)
    # what can cover the eyeball: every triangle but the eyeball's (and its iris's), near it
    t = tris[~fixed[tris].any(axis=1)]
    lo, hi = closed[t].min(axis=1), closed[t].max(axis=1)
    reach = _CLEARANCE * radius
    near = (hi[:, 0] >= centre[0] - reach) & (lo[:, 0] <= centre[0] + reach)
    near &= (hi[:, 1] >= centre[1] - reach) & (lo[:, 1] <= centre[1] + reach) & (hi[:, 2] > centre[2])
    t = t[near]
    # the corners a lift may move: those the blink moved, of triangles wholly in front of the
    # eyeball's centre (a socket's lining runs behind it: forward would take it into the eyeball,
    # and what shows between the lids there is a gap, not a chord)
    front = closed[:, 2] > centre[2]
    lid = moved[t] & front[t].all(axis=1)[:, None]  # (T, 3)
    if not lid.any():
        return deltas
    g = np.linspace(-1.0, 1.0, _GRID)
    gx, gy = np.meshgrid(g, g)
    inside = gx**2 + gy**2 < 1.0
    sx, sy = centre[0] + radius * gx[inside], centre[1] + radius * gy[inside]
    surface = centre[2] + radius * np.sqrt(1.0 - gx[inside] ** 2 - gy[inside] ** 2)
    # how far forward a lid has to be over each sample: the sphere a hair out
    clear = centre[2] + np.sqrt(np.maximum(reach**2 - (sx - centre[0]) ** 2 - (sy - centre[1]) ** 2, 0.0))
    out = np.array(deltas, dtype=np.float64, copy=True)
    lift = np.zeros(len(pts))
    wanted = None  # the samples a chord cut into at first (lifting does not chase the others)
    for _ in range(_ROUNDS):
        row, z, w0 = frontmost_triangles(pts + out, t, sx, sy)
        w = np.where(row[:, None] >= 0, w0 * lid[np.maximum(row, 0)], 0.0)  # the liftable corners'
        share = w.sum(axis=1)
        # shown through a lid the blink moved, its chord less than a sagitta's reach inside
        shown = (row >= 0) & (z <= surface) & (share > 0.25)
        if wanted is None:
            # a chord's dip (its sagitta): the sample lies nearer the centre than its triangle's
            # corners do, interpolated (a margin tucked in against the eyeball, the inner fold
            # between the closed lids' edges, lies about as near at its corners: left as it is)
            p = np.column_stack([sx, sy, z]) - centre
            corner = np.linalg.norm(closed[t[np.maximum(row, 0)]] - centre, axis=2)
            dip = np.linalg.norm(p, axis=1) < (w0 * corner).sum(axis=1) - _DIP * radius
            wanted = _tall(shown & dip & (z > surface - _CHORD * radius), inside)
        shown &= wanted
        if not shown.any():
            break
        # the smallest lifts that raise the sample by what it needs: each corner by its
        # barycentric weight (the near corner most; a far corner of a long triangle little)
        w = w[shown]
        need = (clear[shown] - z[shown]) / (w**2).sum(axis=1)
        corners = t[row[shown]]
        per_corner = need[:, None] * w
        add = np.zeros(len(pts))
        np.maximum.at(add, corners.ravel(), per_corner.ravel())
        add = np.minimum(add, _MAX_LIFT * radius - lift)
        if not (add > 0.0).any():
            break
        lift += add
        out[:, 2] += add
    held = np.flatnonzero(lift > 0.0)
    if len(held) == 0:
        return deltas
    from .lid_line import _spread_turns, _unfolded

    # the lifts fade out over the lid around them; what did not move, and what lies behind the
    # eyeball's centre (a socket's lining: forward would take it into the eyeball), stays
    still = ~moved | (closed[:, 2] <= centre[2])
    patch, value = _spread_turns(tris, len(pts), held, lift[held], still, rings=_RINGS)
    out = np.array(deltas, dtype=np.float64, copy=True)
    out[patch, 2] += np.maximum(value, 0.0)
    return _unfolded(pts, tris, np.asarray(deltas, dtype=np.float64), out)
