"""Welding for computation: vertices at the same position become one.

Meshes as artists have them are often split at UV seams, hard edges or material borders: each
seam vertex is duplicated, and the surface falls apart into islands that the Laplacian cannot
couple. The network and the solve run on the welded mesh; every per-vertex result is spread back
to all duplicates, so the output keeps the input's vertex order and count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# positions closer than this fraction of the bounding-box diagonal are the same vertex
WELD_TOLERANCE = 1e-6


@dataclass
class Welding:
    """The map between an input mesh and its welded copy.

    Attributes:
        vertices: ``(W, 3)`` float64 welded vertices (the first input vertex of each group).
        triangles: ``(T', 3)`` int64 triangles on the welded vertices (triangles that collapsed,
            having two corners welded together, are dropped).
        index: ``(V,)`` int64, input vertex -> welded vertex.
        representative: ``(W,)`` int64, welded vertex -> its first input vertex.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    index: np.ndarray
    representative: np.ndarray

    @property
    def merged(self) -> int:
        """How many input vertices were merged into another one."""
        return int(len(self.index) - len(self.representative))

    def spread(self, values: np.ndarray, axis: int = 0) -> np.ndarray:
        """Per-welded-vertex ``values`` (``W`` along ``axis``) -> per input vertex (``V``)."""
        return np.take(values, self.index, axis=axis)

    def gather(self, values: np.ndarray, axis: int = 0) -> np.ndarray:
        """Per-input-vertex ``values`` (``V`` along ``axis``) -> per welded vertex (the value of
        each group's first vertex)."""
        return np.take(values, self.representative, axis=axis)


def weld(
    vertices: np.ndarray,
    triangles: np.ndarray,
    tolerance: float = WELD_TOLERANCE,
    apart: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> Welding:
    """Merge vertices closer than ``tolerance`` times the bounding-box diagonal.

    Args:
        vertices: ``(V, 3)`` float, any units.
        triangles: ``(T, 3)`` int.
        tolerance: relative to the bounding-box diagonal of the vertices.
        apart: ``(V,)`` bool or None: vertices that merge only with each other (a tear line
            touching the lid margin stays a piece of its own: :func:`model.api.prepare_mesh`).
        groups: ``(V,)`` int or None: vertices merge only within their group (the rig check
            welds each piece's seams, :func:`model.topology.components`, and not the pieces
            that touch at vertices: :func:`model.rig_check.check_rig`).

    Returns:
        :class:`Welding`. Welded vertices keep the order of their first input vertex, so a mesh
        without duplicates comes back unchanged (``index`` is the identity).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    n = len(v)
    diagonal = float(np.linalg.norm(v.max(axis=0) - v.min(axis=0))) if n else 0.0
    radius = tolerance * diagonal
    pairs = cKDTree(v).query_pairs(radius, output_type="ndarray") if radius > 0 else np.empty((0, 2), int)
    if apart is not None and len(pairs):
        side = np.asarray(apart, dtype=bool)
        pairs = pairs[side[pairs[:, 0]] == side[pairs[:, 1]]]
    if groups is not None and len(pairs):
        group = np.asarray(groups)
        pairs = pairs[group[pairs[:, 0]] == group[pairs[:, 1]]]
    if len(pairs) == 0:
        return Welding(v, t, np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64))
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    # number the groups by their first input vertex, so the welded order follows the input
    first = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, label, np.arange(n, dtype=np.int64))
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    index = rank[label]
    representative = first[order]
    tw = index[t]
    keep = (tw[:, 0] != tw[:, 1]) & (tw[:, 1] != tw[:, 2]) & (tw[:, 0] != tw[:, 2])
    return Welding(v[representative], tw[keep], index, representative)
