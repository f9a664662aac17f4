"""Vertices a fraction of a millimetre apart move together. Numpy in, numpy out, canonical frame.

Why: the network predicts each vertex's motion from that vertex's features (position, normal,
regions). Where a game head folds a surface over a sub-millimetre edge (Rocketbox Adult_01's
upper lip turning inward at the slit: three vertices 0.2 mm apart, the lip's outer and inner
faces), the two faces' normals point apart and the network moves them differently: in
``mouthLeft`` the inner row 0.174 eye distances, the outer 0.237 (~3 mm across 0.2 mm; the
mirror symmetry halves it). The rig check's ripple, which weighs the Laplacian by the inverse vertex
area, put 95 % of ``mouthLeft``'s roughness on that one vertex: 7.0x ICT's (mouthShrugUpper
6.3x, mouthFunnel 3.4x, mouthPucker 3.0x), and the sliver triangles there stretch tenfold.

What: the vertices joined by edges shorter than :data:`SHORT_EDGE` (canonical units) form
clusters; every vertex of a cluster takes the cluster's area-weighted mean delta (lumped mass of
:func:`model.geometry.laplacian`, so a sliver corner counts for little), in every shape. A real
lip slit does not qualify: on Adult_01 the shortest edge whose ends part in ``jawOpen`` (by more
than 0.02 canonical units) is 0.004 long, 1.6x :data:`SHORT_EDGE`, and within it the largest
``jawOpen`` jump is 0.0018. Clusters move rigidly, so the triangles inside them keep their shape;
triangles from a cluster to the rest may turn (slivers): the flip repair after the rig
constraints (:mod:`model.flip_repair`) opens them (Adult_01: 0 flips).

ICT-FaceKit's own head has 426 such edges (104 clusters at the eye sockets' margins and the lips'
inner edges) where its ground-truth shapes part the ends by up to 16.5 % of a shape's peak
(mouthRollUpper; mouthLeft 3.6 %, the network on Adult_01 24 % raw): on ICT's raw topology the
rule evens those out. The held-out ICT cases are scored the same with and without it (``python
-m training evaluate --harder --num-cases 4 --no-classical``: 0.117 / 0.135 / 0.098 / 0.170).
"""

from __future__ import annotations

import numpy as np

# canonical units (RMS radius 1; ~0.3 mm on a head, 0.005 eye distances): an edge this short is
# no feature an animator sees. Rocketbox Adult_01: 11 such edges of 5665 (9 clusters, 20
# vertices); the bust scans and the demo head: none
SHORT_EDGE = 0.0025


def short_edge_clusters(canonical: np.ndarray, triangles: np.ndarray, tol: float = SHORT_EDGE) -> np.ndarray:
    """``(V,) int64`` cluster label per vertex (vertices joined by a chain of edges shorter than
    ``tol`` share a label; every other vertex has a label of its own).

    canonical ``(V, 3)`` float, triangles ``(T, 3)`` int."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    c = np.asarray(canonical, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    short = edges[np.linalg.norm(c[edges[:, 0]] - c[edges[:, 1]], axis=1) < tol]
    n = len(c)
    graph = sp.coo_matrix((np.ones(len(short)), (short[:, 0], short[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def move_together(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    tol: float = SHORT_EDGE,
    cache: dict | None = None,
) -> np.ndarray:
    """``deltas`` (S, V, 3) with each :func:`short_edge_clusters` cluster moved by its
    area-weighted mean delta; the input itself when no edge is shorter than ``tol``.

    canonical ``(V, 3)`` (the vertices the deltas belong to), triangles ``(T, 3)``. ``cache``: a
    dict kept per mesh and ``tol`` (the bake keeps one per prepared mesh): the clusters and the
    lumped masses depend on the geometry only, so a re-bake reuses them (the mass is a whole
    mesh's Laplacian: 0.2 s on ICT's 27k-vertex head)."""
    cache = {} if cache is None else cache
    if "labels" not in cache:
        cache["labels"] = short_edge_clusters(canonical, triangles, tol)
    labels = cache["labels"]
    counts = np.bincount(labels)
    grouped = counts[labels] > 1
    if not grouped.any():
        return deltas
    if "mass" not in cache:
        cache["mass"] = _lumped_mass(canonical, triangles)
    mass = cache["mass"]
    ids = np.flatnonzero(grouped)
    lab = np.unique(labels[ids], return_inverse=True)[1]
    w = mass[ids]
    total = np.bincount(lab, weights=w)
    out = np.array(deltas, copy=True)
    for axis in range(out.shape[2]):
        sums = np.stack([np.bincount(lab, weights=w * d, minlength=total.size) for d in out[:, ids, axis]])
        out[:, ids, axis] = (sums / total)[:, lab]
    return out


def _lumped_mass(canonical: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V,) float64 lumped mass of :func:`model.geometry.laplacian` on the triangles with three
    distinct corners (0 for a vertex in no triangle)."""
    from .geometry import laplacian

    t = np.asarray(triangles, dtype=np.int64)
    used = np.unique(t)
    mass = np.zeros(len(canonical))
    remap = np.full(len(canonical), -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    tt = remap[t]
    tt = tt[(tt[:, 0] != tt[:, 1]) & (tt[:, 1] != tt[:, 2]) & (tt[:, 0] != tt[:, 2])]
    mass[used] = laplacian(np.asarray(canonical, dtype=np.float64)[used], tt)[1]
    return mass
