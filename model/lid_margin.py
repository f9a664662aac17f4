"""The upper lid margin of an eye and how smooth a line it draws (the lid-margin zig-zag).

A blink can close the eye by the numbers (no eyeball shows) and still look wrong: the lids meet
along a zig-zag, one margin vertex dipping below its neighbours and the next staying high. This
module finds the upper margin's vertices and measures that:

* the upper margin's vertices: with an eye opening (a boundary loop of the skin) its upper
  margin chain (:mod:`model.face_landmarks`); on a closed socket (the lids fold into the socket
  around a separate eyeball, as on game avatars) the vertices that bound the eyeball's visible
  part from above (:func:`socket_margin`), from the surface's cross-sections
  (:func:`socket_edges`) over the columns where the eyeball shows. The geometric blink
  (:mod:`model.eyelids`) moves the lids by the same edges.
* :func:`margin_zigzag`: the zig-zag amplitude of the margin's height along it, seen from the
  front (second differences that change sign from one vertex to the next), in % of the eye's
  width.

Everything works in the canonical frame (:mod:`model.frame`: Y up, face toward +Z); numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def cross_sections(
    points: np.ndarray,
    triangles: np.ndarray,
    xs: np.ndarray,
    keep: np.ndarray,
    centre: np.ndarray | None = None,
    reach: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the surface's edges cross the planes ``X = xs[i]``.

    points: ``(V, 3)`` canonical; triangles: ``(T, 3)`` int; xs: ``(n,)`` X of the planes;
    keep: ``(V,) bool``, the vertices whose edges count (both ends); centre, reach: when given,
    only the crossings within ``reach`` of ``centre`` (wherever the edge's ends lie). Returns
    ``(column (m,) int, crossing points (m, 3), edges (m, 2) int)``. A low-poly lid has a
    handful of margin vertices across the eye; sampling the surface itself gives an edge that is
    piecewise linear between them, where picking the vertices near each column jumps to whatever
    vertex happens to lie there (the brow fold above a sparse margin).
    """
    t = np.asarray(triangles, dtype=np.int64)
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    e = e[keep[e].all(axis=1)]
    a, b = points[e[:, 0]], points[e[:, 1]]
    if centre is not None:
        # the edges passing within reach (their closest point to the centre): on a coarse mesh
        # a lid's edge runs from the margin to beyond the reach, and a filter on its ends lost
        # the lid (a decimated avatar's lower lid: no section below the eyeball, no blink)
        ab = b - a
        s = np.clip(((centre - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-300), 0.0, 1.0)
        close = np.linalg.norm(a + s[:, None] * ab - centre, axis=1) < reach
        e, a, b = e[close], a[close], b[close]
    lo, hi = np.minimum(a[:, 0], b[:, 0]), np.maximum(a[:, 0], b[:, 0])
    cross = (lo[None, :] <= xs[:, None]) & (hi[None, :] >= xs[:, None]) & (hi > lo)[None, :]
    col, edge = np.nonzero(cross)
    s = (xs[col] - a[edge, 0]) / (b[edge, 0] - a[edge, 0])
    p = a[edge] + s[:, None] * (b[edge] - a[edge])
    if centre is not None:
        inside = np.linalg.norm(p - centre, axis=1) < reach
        col, p, edge = col[inside], p[inside], edge[inside]
    return col, p, e[edge]


def covering(points: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    """``(m,) bool``: points that cover an eyeball seen from the front: over its disk in front of
    its surface, or around its rim (within 1.4 radii) in front of its centre. The socket lining
    behind the eyeball is not a lid."""
    dx, dy = points[:, 0] - centre[0], points[:, 1] - centre[1]
    inside = dx**2 + dy**2 < radius**2
    front = np.sqrt(np.clip(radius**2 - dx**2 - dy**2, 0.0, None))
    near_rim = ~inside & (dx**2 + dy**2 < (1.4 * radius) ** 2) & (points[:, 2] > centre[2])
    return (inside & (points[:, 2] - centre[2] > front - 0.02 * radius)) | near_rim


@dataclass
class SocketEdges:
    """The lid edges of a closed socket over columns across its eyeball (canonical frame).

    xs: ``(n,)`` column X; top, bot: ``(n,)`` the upper / lower lid edge's angle about the X axis
    through the eyeball's centre (radians, up > 0); top_vertex: ``(n,)`` int, the margin vertex
    the upper edge lies at (the nearer end of the surface edge it crosses); bot_vertex: the same
    for the lower edge; dist: ``(n, 2)``
    the upper and lower edge's distance from the centre; trusted: ``(n,) bool``, the columns where
    the eyeball shows between the lids and the section meets both lids (:func:`socket_edges`).
    """

    xs: np.ndarray
    top: np.ndarray
    bot: np.ndarray
    top_vertex: np.ndarray
    bot_vertex: np.ndarray
    dist: np.ndarray
    trusted: np.ndarray


def socket_edges(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, centre: np.ndarray, radius: float,
    visible: np.ndarray, columns: int = 53,
) -> SocketEdges | None:  # fmt: skip
    """The lid edges of a closed socket (the lids fold into the socket around a separate eyeball).

    Over ``columns`` planes ``X = const`` across 1.3 eyeball radii either side of ``centre``,
    the skin surface's cross-sections (:func:`cross_sections`) that cover the eyeball
    (:func:`covering`): the lowest angle above the centre is the upper lid edge, the highest below
    it the lower. ``visible``: the eyeball's front samples visible at neutral
    (:func:`model.face_landmarks.visible_eyeball`, ``(s, s) bool``). Trusted are the columns
    where the eyeball shows (with half a sample to spare) in the run around the widest opening
    whose opening keeps a quarter of its height: past them lies the lids' corner, whose
    section jumps to the socket lining wrapping the eyeball's side (next to no opening). None
    when fewer than three columns are trusted.
    """
    pts = np.asarray(canonical, dtype=np.float64)
    xs = centre[0] + radius * np.linspace(-1.3, 1.3, columns)
    # the skin's surface within 2 radii of the centre, not the edges between vertices there: a
    # coarse lid's edges reach past 2 radii from the margin (the tessellation must not decide)
    col, p, edges = cross_sections(pts, triangles, xs, np.asarray(skin, bool), centre, 2.0 * radius)
    dy = p[:, 1] - centre[1]
    phi = np.arctan2(dy, p[:, 2] - centre[2])
    cover = covering(p, centre, radius)
    dist = np.linalg.norm(p - centre, axis=1)
    n = len(xs)
    top, bot, ok = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    top_vertex, bot_vertex, dists = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros((n, 2))
    for i in range(n):
        here = cover & (col == i)
        up, low = np.flatnonzero(here & (dy > 0)), np.flatnonzero(here & (dy <= 0))
        if len(up) and len(low):
            iu, il = up[np.argmin(phi[up])], low[np.argmax(phi[low])]
            top[i], bot[i], ok[i] = phi[iu], phi[il], True
            top_vertex[i], bot_vertex[i] = (_nearer_end(pts, edges[j], p[j]) for j in (iu, il))
            dists[i] = dist[iu], dist[il]
    samples = np.linspace(-1.0, 1.0, visible.shape[1])
    shown = samples[np.asarray(visible).any(axis=0)]
    if len(shown) == 0:
        return None
    half = 0.5 * (samples[1] - samples[0])
    lo, hi = centre[0] + radius * (shown.min() - half), centre[0] + radius * (shown.max() + half)
    ok &= (xs >= lo) & (xs <= hi)
    gap = np.where(ok, top - bot, 0.0)
    if ok.sum() < 3 or gap.max() <= 0.0:
        return None
    wide = gap >= 0.25 * gap.max()
    run = np.cumsum(~wide)
    ok &= wide & (run == run[int(np.argmax(gap))])
    if ok.sum() < 3:
        return None
    return SocketEdges(xs, top, bot, top_vertex, bot_vertex, dists, ok)


def _nearer_end(points: np.ndarray, edge: np.ndarray, at: np.ndarray) -> int:
    a, b = int(edge[0]), int(edge[1])
    return a if np.linalg.norm(points[a] - at) <= np.linalg.norm(points[b] - at) else b


def socket_margin(edges: SocketEdges, upper: bool = True) -> np.ndarray:
    """The upper (or lower) margin of a closed socket: ``(k,) int64`` vertices in order across
    the eye (the margin vertices of the trusted columns, :func:`socket_edges`)."""
    seen: list[int] = []
    for v in (edges.top_vertex if upper else edges.bot_vertex)[edges.trusted]:
        if int(v) not in seen:
            seen.append(int(v))
    return np.asarray(seen, dtype=np.int64)


def front_edge(
    points: np.ndarray, width: float, upper: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lid margin seen from the front, as :func:`margin_zigzag` sees it: ``(column of each
    point (k,) int64, column X (c,), column height (c,))``, columns in increasing X. Points
    ``(k, 3)`` (canonical) whose X lie less than 1 % of ``width`` apart in a row are one column,
    at their lowest height (``upper``: the upper lid's lower edge shows) or highest (the
    lower lid's upper edge). :mod:`model.lid_line` puts closed margins onto this edge."""
    p = np.asarray(points, dtype=np.float64)
    order = np.argsort(p[:, 0], kind="stable")
    p = p[order]
    start = np.concatenate([[True], np.diff(p[:, 0]) > 0.01 * width])
    group = np.cumsum(start) - 1
    x = np.bincount(group, p[:, 0]) / np.bincount(group)
    y = np.full(group[-1] + 1, np.inf if upper else -np.inf)
    (np.minimum if upper else np.maximum).at(y, group, p[:, 1])
    col = np.empty(len(p), dtype=np.int64)
    col[order] = group
    return col, x, y


def margin_zigzag(points: np.ndarray, width: float, upper: bool = True) -> float:
    """The margin's zig-zag amplitude, seen from the front, in % of ``width`` (the eye's width,
    same units).

    points: ``(k, 3)`` the margin vertices (canonical, posed); upper: the upper lid's margin
    (its lower edge is what shows) or the lower lid's (its upper edge). Seen from the front, the
    margin is the vertices' envelope across the eye: vertices less than 1 % of the width apart
    in X count as one column, at their lowest (upper lid) or highest (lower lid) height, so a
    margin that steps up or down (a staircase of grid edges, a loop tucked behind the lid)
    leaves its visible edge. Along the columns, the second difference of the height: how far
    each column lies above (+) or below (-) the straight line through its neighbours (vertical
    distance at its X). A smooth lid line bends one way (an arc, curling at the corners: second
    differences of one sign); a zig-zag bends up and down in turn, a notch dips below both
    neighbours between two that bulge. Where two consecutive second differences change sign,
    the smaller magnitude of the two is a zig; the largest zig is the number (0 for an arc or a
    straight line).
    """
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 4 or width <= 0:
        return 0.0
    _, x, y = front_edge(p, width, upper)
    if len(x) < 4:
        return 0.0
    s = (x[1:-1] - x[:-2]) / (x[2:] - x[:-2])
    off = y[1:-1] - (y[:-2] + s * (y[2:] - y[:-2]))
    flips = np.sign(off[1:]) * np.sign(off[:-1]) < 0
    if not flips.any():
        return 0.0
    zig = np.minimum(np.abs(off[1:]), np.abs(off[:-1]))[flips]
    return float(100.0 * zig.max() / width)
