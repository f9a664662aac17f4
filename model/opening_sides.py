"""Which side of an eye or mouth opening each vertex of the surface around it belongs to.

An opening (:func:`model.openings.find_openings`) splits the surface around it into two lips (or
two lids) that meet only at its corners. Two points on opposite lips can lie a hair apart in
space while the surface between them runs round the corner. A closest-point correspondence
(:func:`model.transfer.closest_points`) reads space, not the surface, so it may pair an upper-lip
vertex with the template's lower lip: that vertex then opens with the jaw while its neighbours
stay, and ``jawOpen`` tears the lip into a shard (the stylized demo head of
``benchmarks/realdev_variants.py``: 8 upper-lip vertices). :func:`opening_sides` labels each
side by distance *along the surface* from the opening's two arcs, so the correspondence can be
kept on the right side (:func:`model.classical_rig.register_ict`).

Frame: Y up, X across the face (the canonical frame of :mod:`model.frame`, or ICT's own).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

# how far from the opening the sides are labelled, in the opening's widths: the lips' and lids'
# own surface (the template's lips reach about 0.4 mouth widths from the slit)
SIDE_REACH = 0.5
# near the corners both arcs are about equally far: no side there (a share of the reach)
CORNER_BAND = 0.1


def _arcs(vertices: np.ndarray, loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loop's two arcs between its corners (its leftmost and rightmost vertices, which
    belong to neither), upper arc first."""
    x = vertices[loop, 0]
    a, b = int(np.argmin(x)), int(np.argmax(x))
    n = len(loop)
    first = loop[[(a + k) % n for k in range(1, (b - a) % n)]]
    second = loop[[(b + k) % n for k in range(1, (a - b) % n)]]
    if len(first) == 0 or len(second) == 0:
        return first, second
    if vertices[first, 1].mean() >= vertices[second, 1].mean():
        return first, second
    return second, first


def opening_sides(
    vertices: np.ndarray, triangles: np.ndarray, loop: np.ndarray, reach: float = SIDE_REACH
) -> np.ndarray:
    """(V,) int8 side of each vertex: +1 the upper lip / lid, -1 the lower, 0 neither (farther
    than ``reach`` opening widths along the surface from the opening, near its corners, or on
    another component).

    vertices: (V, 3) float, Y up, X across; triangles: (T, 3) int; loop: (L,) int, the
    opening's boundary loop in order (:func:`model.openings.find_openings`).
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    loop = np.asarray(loop, dtype=np.int64)
    sides = np.zeros(len(v), np.int8)
    upper, lower = _arcs(v, loop)
    width = float(np.ptp(v[loop, 0]))
    if len(upper) == 0 or len(lower) == 0 or width <= 0.0 or len(t) == 0:
        return sides
    limit = reach * width
    # searched a corner band past the reach: a vertex just inside it whose other arc lies just
    # past it is near a corner, not on one side (an infinite distance would read "clear")
    far = limit * (1.0 + CORNER_BAND)
    # a path no longer than `far` from the loop stays within `far` of it in space: the edges
    # there are the whole search (a small part of a dense head's)
    near = cKDTree(v[loop]).query(v, distance_upper_bound=far)[0] <= far
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    edges = edges[near[edges].all(axis=1)]
    ids = np.flatnonzero(near)
    local = np.full(len(v), -1, np.int64)
    local[ids] = np.arange(len(ids))
    a, b = local[edges[:, 0]], local[edges[:, 1]]
    length = np.linalg.norm(v[edges[:, 0]] - v[edges[:, 1]], axis=1)
    graph = coo_matrix((length, (a, b)), shape=(len(ids), len(ids))).tocsr()
    graph = graph.maximum(graph.T)
    to_upper, to_lower = np.full(len(v), np.inf), np.full(len(v), np.inf)
    to_upper[ids] = dijkstra(graph, directed=False, indices=local[upper], min_only=True, limit=far)
    to_lower[ids] = dijkstra(graph, directed=False, indices=local[lower], min_only=True, limit=far)
    reached = np.minimum(to_upper, to_lower) <= limit
    # inf - inf is nan: vertices neither arc reaches are left at 0 by `reached`
    with np.errstate(invalid="ignore"):
        gap = to_lower - to_upper
    clear = reached & ~(np.abs(gap) < CORNER_BAND * limit)
    sides[clear & (gap > 0)] = 1
    sides[clear & (gap < 0)] = -1
    return sides


def triangle_sides(sides: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T,) int8: +1 where a triangle has an upper-side corner, -1 a lower-side one, 0 where
    it has neither or both. ``sides`` (V,) from :func:`opening_sides`."""
    corners = np.asarray(sides)[np.asarray(triangles, dtype=np.int64)]
    up, low = (corners > 0).any(axis=1), (corners < 0).any(axis=1)
    return (up & ~low).astype(np.int8) - (low & ~up).astype(np.int8)
