"""The line closed lids meet along, made smooth at the end of the bake.

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

An eye opening (the skin's boundary loop, lids over an open eye: the demo head, a scan) has the
same problem where the surface is noisy: the blink keeps each margin vertex's noise, and the
demo head with 0.15 % scan-like noise closed along a zig-zag of 10.3 / 7.6 % of the eye's width
(5.6 / 9.0 % at neutral). There both margins go onto lines that bend one way together
(:func:`meeting_lines`: the upper line stays at or below the lower one wherever the margins
met, so the eye stays closed), only each column's visible point and those past the line move
(a vertex tucked behind the lid edge in the same column stays), the margins' turns fade out
over a few edge rings of the lid (:func:`_spread_turns`) and a change that would fold a
triangle is eased back (:func:`_unfolded`): 0.8 / 0.2 %.

Everything works in the canonical frame (:mod:`model.frame`: Y up, face toward +Z); numpy + scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# fewer margin vertices than this bend one way whatever their heights
_MIN_MARGIN = 4
# an eye opening's canthi hold the closed lid lines' ends (weight against 1 for a margin point)
_CORNER_WEIGHT = 100.0
# an opening's margin turns fade out over this many edge rings of the lid around them
_RINGS = 3
# rounds of easing back a change that folds a triangle (each halves it)
_UNFOLD_ROUNDS = 12


def _hinges(x: np.ndarray, x0: float, span: float, knots: np.ndarray) -> np.ndarray:
    """The convex regression's basis at ``x``: 1, t and the hinges ``max(t - knot, 0)``."""
    t = (np.asarray(x, dtype=np.float64) - x0) / span
    return np.column_stack([np.ones_like(t), t, np.maximum(t[:, None] - knots[None, :], 0.0)])


@dataclass
class _OneWay:
    """A fitted line that bends one way: ``sign`` (+1 convex, -1 concave) times hinge weights
    of one sign (:func:`_hinges` with ``x0``, ``span``, ``knots``), ``coef`` its weights."""

    x0: float
    span: float
    knots: np.ndarray
    sign: float
    coef: np.ndarray

    def basis(self, x: np.ndarray) -> np.ndarray:
        return _hinges(x, self.x0, self.span, self.knots)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        free, k = np.full(2, np.inf), len(self.knots)
        if self.sign > 0:
            return np.concatenate([-free, np.zeros(k)]), np.full(k + 2, np.inf)
        return np.full(k + 2, -np.inf), np.concatenate([free, np.zeros(k)])


def _one_way(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> _OneWay | None:
    """The weighted least-squares line through ``(x, y)`` that bends one way (None: one column)."""
    from scipy.optimize import lsq_linear

    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    span = float(np.ptp(x)) if len(x) else 0.0
    if span <= 0.0:
        return None
    root = np.ones_like(y) if weight is None else np.sqrt(np.asarray(weight, dtype=np.float64))
    x0 = float(x.min())
    knots = np.unique((x - x0) / span)[1:-1]
    basis = _hinges(x, x0, span, knots)
    best, best_cost = None, np.inf
    for sign in (1.0, -1.0):
        line = _OneWay(x0, span, knots, sign, np.zeros(basis.shape[1]))
        lower, upper = line.bounds()
        line.coef = lsq_linear(root[:, None] * basis, root * y, bounds=(lower, upper), method="bvls").x
        cost = float((root**2 * (basis @ line.coef - y) ** 2).sum())
        if cost < best_cost:
            best, best_cost = line, cost
    return best


def one_way_fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """``(k,)`` heights closest to ``y (k,)`` (least squares, each point weighted by ``weight
    (k,)``, default 1) that bend one way along ``x (k,)``: convex or concave, whichever lies
    closer. Heights that bend one way already come back as they are; a zig-zag is evened out
    where it zigs, the rest of the line is kept (a convex regression: a line plus hinges
    ``max(x - x_j, 0)`` at the interior points, the hinges' weights of one sign)."""
    line = _one_way(x, y, weight)
    if line is None:
        return np.asarray(y, dtype=np.float64).copy()  # one column: nothing to bend
    return line.basis(x) @ line.coef


def _turn_to(points: np.ndarray, centre: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``points (k, 3)`` each turned about the X axis through ``centre (3,)`` to the height
    ``target (k,)``: ``(k, 3)`` float64. A point the height cannot be reached from at its
    distance from the axis (behind the eyeball's centre, or out of reach) stays."""
    p = np.asarray(points, dtype=np.float64)
    out = p.copy()
    dy, dz = p[:, 1] - centre[1], p[:, 2] - centre[2]
    rho = np.hypot(dy, dz)
    sine = (target - centre[1]) / np.maximum(rho, 1e-12)
    # the closed margin lies in front of the eyeball's centre: the turn keeps it there
    ok = (dz > 0.0) & (np.abs(sine) < 1.0)
    phi = np.arcsin(np.clip(sine, -1.0, 1.0))
    out[ok, 1] = centre[1] + rho[ok] * np.sin(phi[ok])
    out[ok, 2] = centre[2] + rho[ok] * np.cos(phi[ok])
    return out


def smooth_margin(points: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """``points (k, 3)`` (a lid margin's closed vertices, canonical) moved onto the nearest
    heights ``y(x)`` that bend one way (:func:`one_way_fit`), each by a turn about the X axis through
    ``centre (3,)`` (the eyeball's centre): ``(k, 3)`` float64. A point the curve's height cannot
    be reached from at its distance from the axis (behind the eyeball's centre, or out of
    reach) stays; fewer than :data:`_MIN_MARGIN` points stay as they are."""
    p = np.asarray(points, dtype=np.float64)
    if len(p) < _MIN_MARGIN or np.ptp(p[:, 0]) <= 0.0:
        return p.copy()
    return _turn_to(p, centre, one_way_fit(p[:, 0], p[:, 1]))


def _edge(points: np.ndarray, width: float, upper: bool, held: int):
    """A margin's visible edge (:func:`model.lid_margin.front_edge`, the rig check's view):
    ``(column of each point (k,), column X (c,), column height (c,), columns holding one of the
    first ``held`` points (c,) bool)``."""
    from .lid_margin import front_edge

    col, x, y = front_edge(points, width, upper)
    pinned = np.zeros(len(x), dtype=bool)
    pinned[col[:held]] = True
    return col, x, y, pinned


def meeting_lines(
    upper: np.ndarray, lower: np.ndarray, corners: np.ndarray, width: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """The heights an eye opening's closed lid margins are put at: ``(upper (a,), lower (b,))``
    for the closed margin points ``upper (a, 2)`` / ``lower (b, 2)`` (canonical X and Y, the
    canthi left out), the closed canthi ``corners (2, 2)`` and the eye's ``width``, or None
    when there is nothing to fit (fewer than :data:`_MIN_MARGIN` points, or the solve failed).

    Each margin's visible edge (seen from the front, per column, :func:`_edge`: the rig
    check's view), its canthi held (weight :data:`_CORNER_WEIGHT`), goes to the nearest line
    that bends one way (:func:`one_way_fit`; a line that bends one way already is kept); in
    each column the point on the edge and those past the line move onto it, the others (a
    vertex tucked behind the lid edge in the same column) stay. The lids stay closed:
    wherever the upper edge came down to or past the lower one (piecewise linear between the
    columns), the upper line stays at or below the lower one (a least-squares fit alone
    raises the lowest points of a noisy upper margin and lowers the highest of the lower one,
    which reopens a slit as high as the noise); where the margins did not meet (a loop tucked
    behind the lid edges, which meet in front of it) the lines are free. Both lines are solved
    together (least squares under that constraint, SLSQP) only where the separate fits would
    open the lids."""
    from scipy.optimize import minimize

    up, low, corners = (np.asarray(a, dtype=np.float64) for a in (upper, lower, corners))
    if len(up) < _MIN_MARGIN or len(low) < _MIN_MARGIN:
        return None
    edges = []
    for pts, is_upper in ((up, True), (low, False)):
        col, x, y, pinned = _edge(np.concatenate([corners, pts]), width, is_upper, len(corners))
        edges.append((col[len(corners) :], x, y, np.where(pinned, _CORNER_WEIGHT, 1.0)))
    (col_u, xu, yu, wu), (col_l, xl, yl, wl) = edges
    lines = _one_way(xu, yu, wu), _one_way(xl, yl, wl)
    if lines[0] is None or lines[1] is None:
        return None
    # the closure is kept where both margins reach (the canthi are held, not constrained)
    lo, hi = max(xu.min(), xl.min()), min(xu.max(), xl.max())
    grid = np.unique(np.concatenate([xu, xl]))
    grid = grid[(grid > lo) & (grid < hi)]
    # where the margins met or crossed they still do; where they did not (a loop tucked behind
    # the lid edges, which meet in front of it) the lines are free
    met = np.interp(grid, xu, yu) <= np.interp(grid, xl, yl)
    grid = grid[met]
    allowed = np.zeros(len(grid))
    data = ((lines[0].basis(xu), yu, wu), (lines[1].basis(xl), yl, wl))
    cross = np.hstack([lines[0].basis(grid), -lines[1].basis(grid)])
    split = len(lines[0].coef)
    z = np.concatenate([lines[0].coef, lines[1].coef])
    scale = max(float(np.ptp(np.concatenate([yu, yl]))), 1e-12)
    if (cross @ z > allowed + 1e-9 * scale).any():

        def cost(z: np.ndarray) -> tuple[float, np.ndarray]:
            total, grad = 0.0, np.zeros_like(z)
            for (basis, y, w), part in zip(data, (slice(0, split), slice(split, None)), strict=True):
                r = (basis @ z[part] - y) / scale
                total += float((w * r * r).sum())
                grad[part] = 2.0 * basis.T @ (w * r) / scale
            return total, grad

        bounds = [*zip(*lines[0].bounds(), strict=True), *zip(*lines[1].bounds(), strict=True)]
        bounds = [(None if np.isinf(a) else a, None if np.isinf(b) else b) for a, b in bounds]
        closed = {
            "type": "ineq", "fun": lambda z: (allowed - cross @ z) / scale, "jac": lambda z: -cross / scale,
        }  # fmt: skip
        found = minimize(cost, z, jac=True, bounds=bounds, constraints=[closed], method="SLSQP",
                         options={"maxiter": 500, "ftol": 1e-10})  # fmt: skip
        z = found.x
        # (any point the solver ends at that keeps the lids closed bends one way: its bounds hold)
        if not np.isfinite(z).all() or (cross @ z > allowed + 1e-6 * scale).any():
            return None
    line_u, line_l = data[0][0] @ z[:split], data[1][0] @ z[split:]
    # per column: the edge point and those past the line go onto it, the rest stay
    t_u, t_l = line_u[col_u], line_l[col_l]
    edge_u, edge_l = up[:, 1] <= yu[col_u], low[:, 1] >= yl[col_l]
    return (
        np.where(edge_u | (up[:, 1] < t_u), t_u, up[:, 1]),
        np.where(edge_l | (low[:, 1] > t_l), t_l, low[:, 1]),
    )


def _ring_distance(triangles: np.ndarray, seeds: np.ndarray, num: int, rings: int) -> np.ndarray:
    """``(num,) int``: how many edges each vertex lies from ``seeds`` (``rings + 1`` past ``rings``)."""
    import scipy.sparse as sp

    t = np.asarray(triangles, dtype=np.int64)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(num, num))
    adj = ((adj + adj.T) > 0).astype(np.float64)
    hops = np.full(num, rings + 1, dtype=np.int64)
    front = np.zeros(num, dtype=bool)
    front[seeds] = True
    hops[front] = 0
    for ring in range(1, rings + 1):
        front = ((adj @ front.astype(np.float64)) > 0) & (hops > ring)
        hops[front] = ring
    return hops


def _spread_turns(
    triangles: np.ndarray,
    num: int,
    held: np.ndarray,
    turn: np.ndarray,
    still: np.ndarray,
    rings: int = _RINGS,
) -> tuple[np.ndarray, np.ndarray]:
    """The margins' turns carried into the lid skin around them: ``(vertices (n,) int64,
    their turns (n,))`` over the vertices within ``rings`` edges of ``held (h,)`` (whose turns
    are ``turn (h,)``), harmonic (each the mean of its neighbours) from the held turns to none
    ``rings`` edges out and at ``still (V,) bool`` (the canthi, the eyeball). Moving a margin
    vertex alone shears the triangles between it and the next row, which folds them on a noisy
    lid (the flip repair then undid the smooth line: the noisy demo head's closed right lids
    0.0 -> 3.3 % zig-zag)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    hops = _ring_distance(triangles, held, num, rings)
    patch = np.flatnonzero(hops <= rings)
    t = np.asarray(triangles, dtype=np.int64)
    t = t[(hops[t] <= rings).all(axis=1)]
    index = np.full(num, -1, dtype=np.int64)
    index[patch] = np.arange(len(patch))
    sub = index[t]
    rows = np.concatenate([sub[:, 0], sub[:, 1], sub[:, 2]])
    cols = np.concatenate([sub[:, 1], sub[:, 2], sub[:, 0]])
    n = len(patch)
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    adj = ((adj + adj.T) > 0).astype(np.float64).tocsr()
    value = np.zeros(n)
    fixed = (hops[patch] >= rings) | still[patch]
    value[index[held]] = turn
    fixed[index[held]] = True
    free = np.flatnonzero(~fixed)
    if len(free):
        lap = sp.diags(np.asarray(adj.sum(axis=1)).ravel()) - adj
        a = lap[free][:, free].tocsc()
        b = -(lap[free][:, np.flatnonzero(fixed)] @ value[fixed])
        degree = np.asarray(adj.sum(axis=1)).ravel()[free]
        # a free vertex with no neighbour in the patch keeps no turn
        value[free] = np.where(degree > 0, spsolve(a + sp.diags((degree == 0).astype(float)), b), 0.0)
    return patch, value


def _unfolded(pts: np.ndarray, triangles: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``after (V, 3)`` eased back towards ``before (V, 3)`` where it folds a triangle that
    ``before`` did not: each round halves the change on the folded triangles' vertices. Two
    margin vertices of one column, or a margin vertex next to a canthus, can pass each other
    on a noisy lid; the bake's flip repair then re-solves the margins and their rings and
    brought the zig-zag back (the noisy demo head's closed right lids 0.0 -> 3.0 %)."""
    from .eyelids import _Flips

    change = after - before
    moved = np.any(change != 0.0, axis=1)
    rows = np.flatnonzero(moved[triangles].any(axis=1))
    if len(rows) == 0:
        return after
    tris = triangles[rows]
    flips = _Flips(pts, tris)
    folded = flips(pts + before)
    weight = np.ones(len(pts))
    out = after
    for _ in range(_UNFOLD_ROUNDS):
        bad = flips(pts + out) & ~folded
        if not bad.any():
            break
        weight[tris[bad].ravel()] *= 0.5
        out = before + weight[:, None] * change
    return out


def skin_margins(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, frame
) -> tuple[np.ndarray, np.ndarray] | None:
    """A closed socket's lid margins found on the skin alone: ``(upper (a,), lower (b,))``
    int64 vertices across the eye (:func:`model.lid_margin.socket_edges` over the eyeball of
    ``frame``, :class:`model.eyelids.LidFrame`, with only ``skin (V,) bool`` covering it), or
    None (an eye opening, no eyeball, or no margin found). ``canonical (V, 3)``, ``triangles
    (T, 3)``: the mesh the frame was found on.

    The frame's margins are found on the largest connected piece of the bake's welded mesh,
    which on a game avatar takes in the lash strips welded to the lid at a few shared vertices:
    Rocketbox Adult_01's margins are half lash vertices, and the skin's own edge behind them,
    the lid line an artist (and the rig check) sees, was never smoothed (with 0.15 % noise its
    closed right upper lid zig-zagged 8.0 % of the eye's width after the lid line)."""
    from .face_landmarks import visible_eyeball
    from .lid_margin import socket_edges, socket_margin

    if not frame.socket or frame.ball is None:
        return None
    pts = np.asarray(canonical, dtype=np.float64)
    skin = np.asarray(skin, dtype=bool)
    tris = np.asarray(triangles, dtype=np.int64)
    shown = visible_eyeball(pts, tris, skin, frame.ball)
    edges = socket_edges(pts, tris, skin, frame.centre, frame.radius, shown)
    if edges is None:
        return None
    return socket_margin(edges), socket_margin(edges, upper=False)


def smooth_margins(
    canonical: np.ndarray,
    deltas: np.ndarray,
    frame,
    triangles: np.ndarray | None = None,
    skin: np.ndarray | None = None,
) -> np.ndarray:
    """A closed blink's ``deltas (V, 3)`` (canonical, at weight 1.0) with both lid margins of
    ``frame`` (:class:`model.eyelids.LidFrame` of the eye, on ``canonical (V, 3)``) on smooth
    curves, each margin vertex turned about the eyeball's X axis: ``(V, 3)`` float64, a copy.
    A closed socket's margins each on their own (:func:`smooth_margin`); an eye opening's
    (the skin's boundary loop, split at the canthi) on lines that keep the lids closed
    (:func:`meeting_lines`): a noisy scan's margin zig-zags as much closed as open, since
    the blink turns each vertex by an angle that is smooth across the eye. With ``triangles
    (T, 3)`` an opening's margin turns are carried into the lid skin around them
    (:func:`_spread_turns`). ``skin (V,) bool`` (with ``triangles``): a closed socket's
    margins are found on the skin alone (:func:`skin_margins`), and the lid vertices next to
    them that the line passes go onto it too (:func:`_past_line`)."""
    out = np.array(deltas, dtype=np.float64, copy=True)
    pts = np.asarray(canonical, dtype=np.float64)
    if not frame.socket:
        eye = frame.opening
        if eye is None:
            return out
        up, low = np.asarray(eye.upper[1:-1]), np.asarray(eye.lower[1:-1])
        corners = np.asarray([eye.upper[0], eye.upper[-1]])
        closed = pts + out
        heights = meeting_lines(closed[up][:, :2], closed[low][:, :2], closed[corners][:, :2], eye.width)
        if heights is None:
            return out
        margin = np.concatenate([up, low])
        moved = _turn_to(closed[margin], frame.centre, np.concatenate(heights))
        c = frame.centre
        turn = np.arctan2(moved[:, 1] - c[1], moved[:, 2] - c[2]) - np.arctan2(
            closed[margin, 1] - c[1], closed[margin, 2] - c[2]
        )
        if triangles is None:
            out[margin] = moved - pts[margin]
            return out
        still = np.zeros(len(pts), dtype=bool)
        still[corners] = True
        still[np.asarray(frame.eyeball, dtype=np.int64)] = True
        patch, angle = _spread_turns(triangles, len(pts), margin, turn, still)
        keep = angle != 0.0
        patch, angle = patch[keep], angle[keep]
        dy, dz = closed[patch, 1] - c[1], closed[patch, 2] - c[2]
        rho, phi = np.hypot(dy, dz), np.arctan2(dy, dz) + angle
        out[patch, 1] = c[1] + rho * np.sin(phi) - pts[patch, 1]
        out[patch, 2] = c[2] + rho * np.cos(phi) - pts[patch, 2]
        return _unfolded(pts, np.asarray(triangles, dtype=np.int64), np.asarray(deltas, np.float64), out)
    found = None if skin is None or triangles is None else skin_margins(pts, triangles, skin, frame)
    upper, lower = found if found is not None else (frame.upper_margin, frame.lower_margin)
    both = np.concatenate([np.zeros(0, np.int64), *(m for m in (upper, lower) if m is not None)])
    for margin, is_upper in ((upper, True), (lower, False)):
        if margin is None or len(margin) < _MIN_MARGIN:
            continue
        closed = pts + out
        p = closed[margin]
        line = _one_way(p[:, 0], p[:, 1]) if np.ptp(p[:, 0]) > 0.0 else None
        if line is None:
            continue
        target = line.basis(p[:, 0]) @ line.coef
        out[margin] = _turn_to(p, frame.centre, target) - pts[margin]
        if triangles is None or skin is None:
            continue
        # the lid's vertices next to the margin that the line passes (past it: below an upper
        # lid's line, above a lower lid's) go onto it too, as an opening's do in their column: a
        # noisy lid's margin vertex raised past the vertex right above it folded their triangles
        # (Rocketbox Adult_01 with 0.15 % noise), and the flip repair undid the line
        order = np.argsort(p[:, 0], kind="stable")
        xs, was, now = p[order, 0], p[order, 1], target[order]
        near = _past_line(pts, closed, triangles, skin, frame, margin, both, is_upper)
        x = closed[near, 0]
        y, old, new = closed[near, 1], np.interp(x, xs, was), np.interp(x, xs, now)
        # passed by the line: on the lid's side of the margin before, past the line after (those
        # past the margin already, tucked behind its edge, stay)
        past = (y < new) & (y >= old) if is_upper else (y > new) & (y <= old)
        near = near[past]
        if len(near):
            out[near] = _turn_to(closed[near], frame.centre, new[past]) - pts[near]
    return out


def _past_line(
    pts: np.ndarray, closed: np.ndarray, triangles: np.ndarray, skin: np.ndarray, frame,
    margin: np.ndarray, margins: np.ndarray, upper: bool,
) -> np.ndarray:  # fmt: skip
    """The lid vertices next to a closed socket's ``margin (k,)`` that its smoothed line may pass:
    ``(n,) int64`` skin (``skin (V,) bool``) vertices one edge from it, on neither margin
    (``margins``: both), within its X span (``closed (V, 3)``: the closed lid), in front of the
    eyeball's centre and of its own lid: at neutral (``pts``) above the upper lid edge of
    ``frame`` (``upper``), else below the lower one's (the other lid's vertices at a canthus
    stay with theirs)."""
    t = np.asarray(triangles, dtype=np.int64)
    near = np.unique(t[np.isin(t, margin).any(axis=1)])
    near = near[~np.isin(near, margins) & np.asarray(skin, dtype=bool)[near]]
    span = closed[margin, 0]
    c = frame.centre
    near = near[(closed[near, 0] > span.min()) & (closed[near, 0] < span.max()) & (closed[near, 2] > c[2])]
    phi = np.arctan2(pts[near, 1] - c[1], pts[near, 2] - c[2])
    edge = np.interp(pts[near, 0], frame.xs, frame.phi_top if upper else frame.phi_bot)
    return near[phi >= edge] if upper else near[phi <= edge]
