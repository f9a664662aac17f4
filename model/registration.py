"""Classical surface registration: similarity ICP, then optimal-step non-rigid ICP.

numpy + scipy only. Both stages move a *template* surface onto a *target* surface given in the
same frame and units (the bake path uses the canonical frame of :mod:`model.frame`).

1. :func:`similarity_icp`: Umeyama similarity (scale, rotation, translation) from optional
   landmark pairs, refined by ICP with trimmed point-to-plane correspondences.
2. :func:`nonrigid_icp`: optimal-step non-rigid ICP (Amberg, Romdhani and Vetter, CVPR 2007)
   with decreasing stiffness. To stay fast at any template resolution the per-vertex affine
   transforms live on a subsample of the template (``nodes``, farthest-point sampled, each
   vertex interpolates the affines of its geodesically nearest node and that node's graph
   neighbours), and the stiffness couples neighbouring nodes. Each step solves the sparse
   normal equations ``(D'WD + a^2 K'K + b^2 L'L) X = D'WU + b^2 L'P`` with SuperLU.
   Correspondences are rejected by distance, by normal angle and on the target's boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from .geometry import vertex_normals


@dataclass
class Similarity:
    """``x -> scale * x @ rotation.T + translation`` (rotation (3, 3), translation (3,))."""

    scale: float
    rotation: np.ndarray
    translation: np.ndarray

    def __call__(self, points: np.ndarray) -> np.ndarray:
        return self.scale * np.asarray(points, np.float64) @ self.rotation.T + self.translation

    def vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Apply to displacements (no translation): (..., 3) -> (..., 3)."""
        return self.scale * np.asarray(vectors, np.float64) @ self.rotation.T

    def inverse(self) -> Similarity:
        """The inverse map ``y -> (y - translation) @ rotation / scale``."""
        inv_t = -(self.rotation.T @ self.translation) / self.scale
        return Similarity(1.0 / self.scale, self.rotation.T, inv_t)


def umeyama(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None) -> Similarity:
    """Least-squares similarity taking src (N, 3) onto dst (N, 3) (Umeyama 1991), weighted."""
    w = np.ones(len(src)) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    ms, md = w @ src, w @ dst
    s0, d0 = src - ms, dst - md
    cov = (d0 * w[:, None]).T @ s0
    u, sig, vt = np.linalg.svd(cov)
    fix = np.eye(3)
    fix[2, 2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = u @ fix @ vt
    var = float(w @ np.einsum("ij,ij->i", s0, s0))
    scale = float(np.trace(np.diag(sig) @ fix) / max(var, 1e-30))
    return Similarity(scale, rot, md - scale * rot @ ms)


def boundary_vertices(triangles: np.ndarray, num_vertices: int) -> np.ndarray:
    """(V,) bool: vertices on an edge used by exactly one triangle."""
    t = np.asarray(triangles, dtype=np.int64)
    e = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    key = e[:, 0] * num_vertices + e[:, 1]
    _, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    out = np.zeros(num_vertices, dtype=bool)
    out[e[cnt[inv] == 1].ravel()] = True
    return out


class _Target:
    """A target surface prepared for closest-point queries (point-to-plane on the nearest vertex)."""

    def __init__(self, vertices: np.ndarray, triangles: np.ndarray, usable: np.ndarray | None = None):
        self.v = np.asarray(vertices, np.float64)
        self.n = vertex_normals(self.v, triangles).astype(np.float64)
        ids = np.unique(np.asarray(triangles, np.int64))
        if usable is not None:
            ids = ids[usable[ids]]
        self.ids = ids
        self.tree = cKDTree(self.v[ids])
        self.boundary = boundary_vertices(triangles, len(self.v))

    def closest(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For (Q, 3) points: closest points (Q, 3), their normals (Q, 3), target vertex ids (Q,)."""
        _, j = self.tree.query(q)
        vid = self.ids[j]
        p, n = self.v[vid], self.n[vid]
        # project onto the tangent plane of the nearest vertex: a closest point on the surface
        # that does not snap to vertices (matters on coarse, decimated targets)
        off = np.einsum("ij,ij->i", q - p, n)
        return q - off[:, None] * n, n, vid


@dataclass
class ICPState:
    """Where a :func:`similarity_icp` run stands: the current similarity, the mean trimmed
    distance of its last iteration (inf before the first) and whether it has converged, so a
    run can be stopped and resumed with the same result as one uninterrupted run."""

    similarity: Similarity
    mean: float = np.inf
    converged: bool = False


def similarity_icp_steps(
    src_points: np.ndarray,
    target: _Target,
    state: ICPState,
    iterations: int,
    landmarks: tuple[np.ndarray, np.ndarray] | None = None,
    trim: float = 0.8,
    landmark_weight: float = 0.3,
) -> ICPState:
    """Up to ``iterations`` more iterations of :func:`similarity_icp` from ``state`` (none once
    converged); the arguments are those of :func:`similarity_icp`."""
    sim, mean = state.similarity, state.mean
    for _ in range(iterations if not state.converged else 0):
        moved = sim(src_points)
        cp, _, _ = target.closest(moved)
        d = np.linalg.norm(cp - moved, axis=1)
        keep = d <= np.quantile(d, trim)
        src, dst = src_points[keep], cp[keep]
        w = np.ones(len(src))
        if landmarks is not None and len(landmarks[0]):
            ls, ld = landmarks
            src = np.vstack([src, ls])
            dst = np.vstack([dst, ld])
            w = np.concatenate([w, np.full(len(ls), landmark_weight * keep.sum() / len(ls))])
        sim = umeyama(src, dst, w)
        mean_new = float(d[keep].mean())
        if abs(mean - mean_new) < 1e-6 * max(mean_new, 1e-12):
            return ICPState(sim, mean_new, True)
        mean = mean_new
    return ICPState(sim, mean, state.converged)


def similarity_icp(
    src_points: np.ndarray,
    target: _Target,
    init: Similarity,
    landmarks: tuple[np.ndarray, np.ndarray] | None = None,
    iterations: int = 30,
    trim: float = 0.8,
    landmark_weight: float = 0.3,
) -> tuple[Similarity, float]:
    """Refine ``init`` so that ``init(src_points)`` lies on the target surface.

    src_points: (N, 3) template samples; landmarks: (src (L, 3), dst (L, 3)) pairs kept in the
    fit with total weight ``landmark_weight`` of the point term. Each iteration keeps the
    ``trim`` share of closest correspondences (robust to partial overlap). Returns the
    similarity and the mean trimmed distance of the last iteration.
    """
    state = similarity_icp_steps(
        src_points, target, ICPState(init), iterations, landmarks, trim, landmark_weight
    )
    return state.similarity, state.mean


def farthest_point_sample(points: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """(count,) int64 indices of a farthest-point sample of (N, 3) points (deterministic)."""
    n = len(points)
    count = min(count, n)
    first = int(np.random.default_rng(seed).integers(n))
    picked = np.empty(count, np.int64)
    picked[0] = first
    d = np.linalg.norm(points - points[first], axis=1)
    for i in range(1, count):
        picked[i] = int(np.argmax(d))
        d = np.minimum(d, np.linalg.norm(points - points[picked[i]], axis=1))
    return picked


@dataclass
class DeformationGraph:
    """Nodes carrying affine transforms and how template vertices interpolate them.

    nodes: (N,) int64 template vertex ids; weights: (V, N) csr interpolation weights (rows sum
    1); edges: (E, 2) int64 node pairs coupled by the stiffness term.
    """

    nodes: np.ndarray
    weights: sp.csr_matrix
    edges: np.ndarray


def build_graph(vertices: np.ndarray, triangles: np.ndarray, num_nodes: int) -> DeformationGraph:
    """Farthest-point nodes; each vertex is bound to its geodesically nearest node (mesh edge
    graph, so the upper lip never binds to the lower one) and that node's neighbours, with
    Gaussian weights of the Euclidean distance at the node spacing."""
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    n = len(v)
    used = np.unique(t)
    nodes = used[farthest_point_sample(v[used], num_nodes)]
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    length = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1) + 1e-12
    graph = sp.coo_matrix((length, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    dist, _, owner_vertex = dijkstra(
        graph, directed=False, indices=nodes, min_only=True, return_predecessors=True
    )
    # vertices unreachable from any node (unreferenced, tiny islands) take the Euclidean nearest
    node_of = np.full(n, -1, np.int64)
    node_pos = {int(x): i for i, x in enumerate(nodes)}
    reach = np.isfinite(dist) & (owner_vertex >= 0)
    node_of[reach] = np.array([node_pos[int(x)] for x in owner_vertex[reach]], np.int64)
    if (~reach).any():
        _, j = cKDTree(v[nodes]).query(v[~reach])
        node_of[~reach] = j
    pairs = np.unique(np.sort(np.stack([node_of[e[:, 0]], node_of[e[:, 1]]], 1), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    # candidate nodes per vertex: own node + its graph neighbours
    nn = len(nodes)
    adj = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(nn, nn))
    adj = (adj + adj.T + sp.eye(nn)).tocsr()
    adj.data[:] = 1.0
    cand = sp.csr_matrix(adj[node_of])  # (V, N) pattern
    rows = np.repeat(np.arange(n), np.diff(cand.indptr))
    cols = cand.indices
    spacing = 1.0
    if len(pairs):
        spacing = float(np.median(np.linalg.norm(v[nodes[pairs[:, 0]]] - v[nodes[pairs[:, 1]]], axis=1)))
    d2 = np.sum((v[rows] - v[nodes[cols]]) ** 2, axis=1)
    w = np.exp(-d2 / (2.0 * spacing**2)) + 1e-12
    weights = sp.csr_matrix((w, (rows, cols)), shape=(n, nn))
    weights = sp.diags(1.0 / np.asarray(weights.sum(axis=1)).ravel()) @ weights
    return DeformationGraph(nodes, weights.tocsr(), pairs.astype(np.int64))


def _factor(A: sp.spmatrix):
    """Sparse LU of the SPD normal matrix. The minimum-degree ordering of A + A' gave less fill
    than COLAMD here (4.9 s vs 5.3 s for a whole registration); CG with a Jacobi
    preconditioner was slower (7.1 s). A is symmetric positive definite, so the diagonal pivots
    are safe and symmetric mode keeps the ordering's fill: 21 ms instead of 29 ms per factor at
    11k template vertices, the same solution up to rounding."""
    return splu(
        sp.csc_matrix(A), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
    )


def _pcg(A: sp.spmatrix, B: np.ndarray, X: np.ndarray, precondition, tol: float = 1e-8, maxiter: int = 50):
    """Block conjugate gradients (one independent CG per column of B (n, 3)), warm-started at X.

    Within one stiffness level only the correspondence weights change between iterations, so
    the LU factor of the level's first matrix is a near-exact preconditioner: a few CG steps
    replace a new factorization.
    """
    X = X.copy()
    R = B - A @ X
    Z = precondition(R)
    P = Z.copy()
    rz = np.einsum("ij,ij->j", R, Z)
    stop = tol * np.maximum(np.linalg.norm(B, axis=0), 1e-30)
    for _ in range(maxiter):
        if np.all(np.linalg.norm(R, axis=0) <= stop):
            break
        AP = A @ P
        step = rz / np.maximum(np.einsum("ij,ij->j", P, AP), 1e-300)
        X += step * P
        R -= step * AP
        Z = precondition(R)
        rz_new = np.einsum("ij,ij->j", R, Z)
        P = Z + (rz_new / np.maximum(rz, 1e-300)) * P
        rz = rz_new
    return X


def _data_matrix(graph: DeformationGraph, v: np.ndarray) -> sp.csr_matrix:
    """D (V, 4N): row i holds ``w_ij * (v_i, 1)`` at node j's four columns, so ``D @ X`` moves
    every template vertex by its interpolated affine (X (4N, 3), one [A; t] block per node)."""
    wcoo = graph.weights.tocoo()
    hom = np.hstack([v, np.ones((len(v), 1))])
    r = np.repeat(wcoo.row, 4)
    c = (wcoo.col[:, None] * 4 + np.arange(4)[None]).ravel()
    val = (wcoo.data[:, None] * hom[wcoo.row]).ravel()
    return sp.csr_matrix((val, (r, c)), shape=(len(v), 4 * len(graph.nodes)))


def _stiffness_normals(edges: np.ndarray, num_nodes: int, gamma: float) -> sp.csr_matrix:
    """K'K (4N, 4N) of the stiffness rows ``G (X_a - X_b)`` per node edge, G = diag(1, 1, 1, gamma)."""
    e = edges
    g = np.array([1.0, 1.0, 1.0, gamma])
    er = np.repeat(np.arange(len(e) * 4), 2)
    ec = np.stack([e[:, 0, None] * 4 + np.arange(4), e[:, 1, None] * 4 + np.arange(4)], -1).reshape(-1)
    ev = np.tile(np.stack([g, -g], -1).reshape(-1), len(e))
    K = sp.csr_matrix((ev, (er, ec)), shape=(len(e) * 4, 4 * num_nodes))
    return (K.T @ K).tocsr()


def _without_rows(full: sp.spmatrix, D: sp.csr_matrix, rejected: np.ndarray) -> sp.csr_matrix:
    """``full`` less the rejected rows' share of D'D: with ``full = D'D + R`` this is
    ``D' diag(~rejected) D + R`` (csr), at the cost of the few rejected rows only."""
    rows = D[np.flatnonzero(rejected)]
    return (full - rows.T @ rows).tocsr()


class _NormalField:
    """Area-weighted unit vertex normals of one fixed triangulation, as
    :func:`model.geometry.vertex_normals` gives them: the vertex-face incidence is built once,
    so each of the non-rigid ICP's iterations costs 1 ms instead of 2 ms at 11k vertices."""

    def __init__(self, triangles: np.ndarray, num_vertices: int):
        self.t = np.asarray(triangles, np.int64)
        faces = np.repeat(np.arange(len(self.t)), 3)
        ones = np.ones(3 * len(self.t))
        self.incidence = sp.csr_matrix((ones, (self.t.ravel(), faces)), shape=(num_vertices, len(self.t)))

    def __call__(self, vertices: np.ndarray) -> np.ndarray:
        """(V, 3) float64 unit normals of (V, 3) vertices."""
        v, t = vertices, self.t
        n = self.incidence @ np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
        length = np.linalg.norm(n, axis=1)
        # vertex_normals' own test: a vertex without a normal takes its neighbour's there
        if not (length > 1e-14 * np.linalg.norm(v.max(axis=0) - v.min(axis=0)) ** 2).all():
            return vertex_normals(v, t).astype(np.float64)
        return n / length[:, None]


@dataclass
class NonRigidResult:
    """vertices: (V, 3) deformed template; linear: (V, 3, 3) local linear maps (row-vector
    convention, ``d' = d @ linear[i]``); residual: (V,) distance of each deformed vertex to its
    last correspondence (inf where rejected)."""

    vertices: np.ndarray
    linear: np.ndarray
    residual: np.ndarray


def nonrigid_icp(
    vertices: np.ndarray,
    triangles: np.ndarray,
    target: _Target,
    landmarks: tuple[np.ndarray, np.ndarray] | None = None,
    stiffness: tuple[float, ...] = (50.0, 20.0, 10.0, 5.0, 2.0, 1.0, 0.5),
    iterations: int = 3,
    num_nodes: int = 600,
    gamma: float = 1.0,
    max_distance: float = 0.1,
    max_angle_degrees: float = 60.0,
    landmark_weight: float = 10.0,
    graph: DeformationGraph | None = None,
) -> NonRigidResult:
    """Optimal-step non-rigid ICP of a template (already similarity-aligned) onto a target.

    vertices (V, 3), triangles (T, 3): the template, in the target's frame and units.
    ``max_distance`` (target units) rejects far correspondences, ``max_angle_degrees`` those
    whose normals disagree; correspondences on the target's boundary are rejected. Landmarks:
    (template vertex ids (L,), target positions (L, 3)), weighted by ``landmark_weight``
    relative to one point correspondence, faded with the stiffness. Stiffness values are per
    node edge relative to the number of data rows per node. ``graph``: a prebuilt
    :func:`build_graph` of this template (it is invariant to similarity transforms, so it can be
    built once on the undeformed template and reused).
    """
    v = np.asarray(vertices, np.float64)
    if graph is None:
        graph = build_graph(v, triangles, num_nodes)
    nn = len(graph.nodes)
    D = _data_matrix(graph, v)
    KtK = _stiffness_normals(graph.edges, nn, gamma)
    # every row's share of D'D, once: each iteration subtracts its few rejected rows (about 5 %)
    # instead of forming D'WD anew (0.4 s of 1 s at 11k template vertices)
    DtD = (D.T @ D).tocsr()
    data_per_node = len(v) / nn
    # identity affines: X_j = [I; 0]
    X = np.tile(np.vstack([np.eye(3), np.zeros((1, 3))]), (nn, 1))
    cos_max = np.cos(np.deg2rad(max_angle_degrees))
    normals = _NormalField(triangles, len(v))
    residual = np.full(len(v), np.inf)
    LtL, LtP = sp.csr_matrix((4 * nn, 4 * nn)), np.zeros((4 * nn, 3))
    if landmarks is not None and len(landmarks[0]):
        L = D[landmarks[0]]
        LtL, LtP = (L.T @ L).tocsr(), L.T @ np.asarray(landmarks[1], np.float64)
    for alpha in stiffness:
        beta = landmark_weight * (alpha / stiffness[0]) ** 0.5
        # the level's matrix with every data row accepted
        level = DtD + (alpha**2 * data_per_node) * KtK + beta**2 * LtL
        factor = None
        for _ in range(iterations):
            cur = D @ X
            n_cur = normals(cur)
            cp, cn, vid = target.closest(cur)
            d = np.linalg.norm(cp - cur, axis=1)
            ok = (d < max_distance) & (np.einsum("ij,ij->i", n_cur, cn) > cos_max) & ~target.boundary[vid]
            residual = np.where(ok, d, np.inf)
            A = _without_rows(level, D, ~ok)
            B = D.T @ np.where(ok[:, None], cp, 0.0) + beta**2 * LtP
            if factor is None:
                factor = _factor(A)
                X = factor.solve(B)
            else:
                X = _pcg(A, B, X, factor.solve)
    cur = D @ X
    lin = np.asarray(graph.weights @ X.reshape(nn, 12)).reshape(len(v), 4, 3)[:, :3, :]
    return NonRigidResult(cur, lin, residual)
