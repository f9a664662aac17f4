"""The tongue's body among the welded tongue's candidates, not the mouth bag's walls.

:func:`model.welded_tongue.find_welded_tongue` takes the skin inside the mouth, below the lip
slit, that lags the lower lip in jawOpen. On a game head that box also holds the bag's side
walls and the pockets the lips fold into behind their corners (28 of Rocketbox 02's 61
candidates, 27 of Rocketbox 01's 58): they lag too, hanging from the upper jaw's side of the
bag. Moved rigidly with the chin, they pulled the lower half of each lip corner's fold away from
the upper half and opened dark gaps at Rocketbox 02's inner mouth corners in jawOpen.

Told apart by how they face the mouth's middle (the mid-plane, ``x = mid_x``). For each
candidate's triangle, the segment from the mid-plane point at its centroid's height and depth to
the centroid:

* a wall looks at the mid-plane across the cavity: the segment reaches the triangle's front
  (its normal points back along the segment, within :data:`_FACING` of it);
* a pocket behind a lip corner, or the bag's wall below the tongue's edge, lies behind other
  surface: the segment crosses another triangle on its way;
* the tongue is a body on the mid-plane: its top and underside face up and down, its sides away
  from the mid-plane, and nothing lies between it and the mid-plane inside it.

A candidate is the tongue's body when every triangle around it is seen from the mid-plane and
none faces it; of those, only the pieces joined to the mid-plane are kept (a tongue is one body
across the middle; a lone scrap by a wall is not). Resolution-free: no sizes, one angle. The
mesh's winding gives the normals' sense; a mesh wound inside out is turned by its lips (their
front looks forward, +Z of the canonical frame).
"""

from __future__ import annotations

import numpy as np

from .weld import weld

# a triangle faces the mid-plane when its normal lies within this angle (degrees) of the
# direction back to the mid-plane (Rocketbox 01 / 02: 39 / 42 of the triangles around the
# candidates lie within it, from 1 / 8 degrees; every triangle of the tongue found lies 88
# degrees or more away: its top and underside face up and down, its sides away from the middle)
_FACING = 60.0


def _hidden(start: np.ndarray, end: np.ndarray, own: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``(S,) bool``: whether the segment ``start[s] -> end[s]`` (each parallel to x) crosses a
    triangle of ``t`` (on ``x``) that shares no corner with triangle ``own[s]`` (``(S, 3)``
    vertex ids), open at both ends (Moller-Trumbore on the pairs whose bounds meet)."""
    corners = x[t]  # (T, 3, 3)
    lo, hi = corners.min(axis=1), corners.max(axis=1)
    seg_lo, seg_hi = np.minimum(start, end), np.maximum(start, end)
    pairs = []
    # the segments' bounds against the triangles', a block of segments at a time (memory)
    step = max(1, 2_000_000 // max(len(t), 1))
    for b in range(0, len(start), step):
        meet = np.all(
            (lo[None] <= seg_hi[b : b + step, None]) & (hi[None] >= seg_lo[b : b + step, None]), axis=2
        )
        s_ids, t_ids = np.nonzero(meet)
        pairs.append(np.stack([s_ids + b, t_ids], axis=1))
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), dtype=np.int64)
    # a triangle never hides itself or a neighbour sharing a corner with it
    shares = (t[pairs[:, 1]][:, :, None] == own[pairs[:, 0]][:, None, :]).any(axis=(1, 2))
    pairs = pairs[~shares]
    o, d = start[pairs[:, 0]], end[pairs[:, 0]] - start[pairs[:, 0]]
    a = corners[pairs[:, 1], 0]
    e1, e2 = corners[pairs[:, 1], 1] - a, corners[pairs[:, 1], 2] - a
    h = np.cross(d, e2)
    det = np.einsum("pc,pc->p", e1, h)
    ok = np.abs(det) > 1e-14
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    w = o - a
    u = inv * np.einsum("pc,pc->p", w, h)
    q = np.cross(w, e1)
    v = inv * np.einsum("pc,pc->p", q, d)
    along = inv * np.einsum("pc,pc->p", e2, q)
    cross = ok & (u >= 0.0) & (v >= 0.0) & (u + v <= 1.0) & (along > 1e-9) & (along < 1.0 - 1e-9)
    return np.bincount(pairs[cross, 0], minlength=len(start)) > 0


def tongue_body(
    canonical: np.ndarray,
    triangles: np.ndarray,
    candidates: np.ndarray,
    mid_x: float,
    lips: np.ndarray,
) -> np.ndarray:
    """``(n,) int64`` the ``candidates`` that are the tongue's body (a subset, sorted).

    ``canonical`` (V, 3) vertex positions in the canonical frame (Y up, +Z forward; any scale),
    ``triangles`` (T, 3) int, the mesh's (a seam's duplicate vertices count as one: the mesh is
    welded here), ``candidates`` (C,) int vertex ids (the welded tongue's search), ``mid_x`` the
    mouth's middle (canonical x), ``lips`` (L,) int vertex ids on the lips' front (their
    triangles' mean normal says whether the winding points outward)."""
    c = np.asarray(canonical, dtype=np.float64)
    candidates = np.asarray(candidates, dtype=np.int64)
    if candidates.size == 0:
        return candidates
    welding = weld(c, np.asarray(triangles, dtype=np.int64))
    x, t, idx = welding.vertices, welding.triangles, welding.index
    normal = np.cross(x[t[:, 1]] - x[t[:, 0]], x[t[:, 2]] - x[t[:, 0]])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-30)
    lip_tris = np.isin(t, idx[np.asarray(lips, dtype=np.int64)]).any(axis=1)
    if lip_tris.any() and normal[lip_tris, 2].mean() < 0.0:
        normal = -normal  # wound inside out: the lips' front would look backward
    cand = np.zeros(len(x), dtype=bool)
    cand[idx[candidates]] = True
    around = np.flatnonzero(cand[t].any(axis=1))  # the candidates' triangles
    centre = x[t[around]].mean(axis=1)
    start = np.column_stack([np.full(len(around), mid_x), centre[:, 1], centre[:, 2]])
    back = start - centre
    dist = np.linalg.norm(back, axis=1)
    facing = np.einsum("ij,ij->i", normal[around], back) > np.cos(np.radians(_FACING)) * dist
    hidden = _hidden(start, centre, t[around], x, t)
    wall = np.zeros(len(x), dtype=bool)
    np.logical_or.at(wall, t[around].ravel(), np.repeat(facing | hidden, 3))
    body = cand & ~wall
    # keep the pieces joined to the mid-plane: one body across the middle
    keep = _across_middle(x, t, body, mid_x)
    return np.sort(candidates[keep[idx[candidates]]]).astype(np.int64)


def _across_middle(x: np.ndarray, t: np.ndarray, body: np.ndarray, mid_x: float) -> np.ndarray:
    """``(W,) bool`` the ``body`` vertices whose piece (joined by edges among ``body``) has
    vertices on both sides of ``x = mid_x``, or on it."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    edges = edges[body[edges[:, 0]] & body[edges[:, 1]]]
    n = len(x)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, piece = connected_components(graph, directed=False)
    side = np.sign(np.round(x[:, 0] - mid_x, 9))
    keep = np.zeros(n, dtype=bool)
    for p in np.unique(piece[body]):
        members = body & (piece == p)
        s = side[members]
        if (s == 0).any() or ((s < 0).any() and (s > 0).any()):
            keep |= members
    return keep
