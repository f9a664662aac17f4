"""Per-mesh operators for a DiffusionNet-style network: mass, Laplace eigenbasis, gradients.

Everything here is a pure function of (vertices, triangles), computed in the canonical frame
(see :mod:`model.frame`) and cached on disk, because the eigenbasis is the expensive part of
running the network on a new mesh.

Robustness: the Laplacian is the intrinsic-Delaunay "tufted" Laplacian of ``robust_laplacian``
(Sharp & Crane 2020), well-defined on non-manifold meshes, several components, open boundaries,
duplicate vertices and zero-area faces (edge-length mollification). Unreferenced vertices are
taken out before the solve and get a tiny positive mass, zero eigenvector rows, zero gradient
rows and the normal of the nearest referenced vertex, so every output has the input's V rows
and is finite.

Eigenbasis: exact (dense LAPACK / shift-invert Lanczos, per connected component so the zero
eigenvalue gets one mode per component) for up to ``EXACT_MAX_VERTICES`` referenced vertices;
above that, a Ritz projection onto a reduced basis of smooth, locally supported functions (in the
spirit of Nasikun et al. 2018, "Fast Approximation of Laplace-Beltrami Eigenproblems"):
quasi-uniform samples (one per voxel and component), graph-geodesic aggregates around them,
constant + two linear functions per aggregate (so linear functions are reproduced locally), then
damped-Jacobi smoothing over about an aggregate radius. The basis never couples disconnected
components. Accuracy vs exact (face-like patches): first-32 eigenvalues within ~0.5 % (20k
vertices) to ~1.5 % (100k); see ``benchmarks/geometry.py --accuracy``.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import pathlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .cache import array_digest, entry_path, load_entry, save_entry
from .mesh_io import validate
from .rows import unique_rows

# Bump when the algorithm changes so stale cache entries are recomputed, never reused.
ALGORITHM_VERSION = "geometry-v2"
EXACT_MAX_VERTICES = 3000
# dense LAPACK below this many rows (also the size small components are packed into)
DENSE_MAX = 1000
SMALL_COMPONENT = 200
# Reduced-basis size for the approximate solver: enough functions per wanted eigenvector that the
# low ~k/4 eigenvectors are accurate (checked against exact eigsh in tests/model/test_geometry.py).
RITZ_AGGREGATES_PER_EIGEN = 5.5
RITZ_MIN_AGGREGATES = 300
RITZ_MAX_AGGREGATES = 600
# Jacobi smoothing spreads one edge ring per step; it must cover about an aggregate radius
# (~ sqrt(vertices per aggregate) rings) or the basis stays nearly discontinuous on fine meshes.
RITZ_SMOOTHING_PER_RING = 0.9
RITZ_MAX_SMOOTHING_STEPS = 14


@dataclass
class Operators:
    """Differential operators of one triangle mesh (all arrays float32, V rows = input V).

    Attributes:
        mass: ``(V,)`` lumped (Voronoi-like) vertex areas, in squared input units, > 0.
        evals: ``(k,)`` ascending eigenvalues of ``L phi = lambda M phi`` (1 / squared units).
        evecs: ``(V, k)`` eigenvectors, M-orthonormal (``evecs.T @ diag(mass) @ evecs = I``).
        grad_x, grad_y: ``(V, V)`` CSR; ``grad_x @ f`` is the component of the surface gradient of
            a per-vertex scalar ``f`` along ``frames[:, 0]`` (``grad_y``: along ``frames[:, 1]``).
        frames: ``(V, 3, 3)`` per-vertex orthonormal frames, rows ``(x_axis, y_axis, normal)``.
        normals: ``(V, 3)`` unit area-weighted vertex normals.
        k: number of eigenpairs (``min(requested k, V_referenced - 1)``).
    """

    mass: np.ndarray
    evals: np.ndarray
    evecs: np.ndarray
    grad_x: sp.csr_matrix
    grad_y: sp.csr_matrix
    frames: np.ndarray
    normals: np.ndarray
    k: int


# --------------------------------------------------------------------------------------------
# normals and frames


def face_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Unnormalized face normals ``(T, 3)`` float64: length = 2 * triangle area, right-hand rule."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    return np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Args:
        vertices: ``(V, 3)`` float.
        triangles: ``(T, 3)`` int, 0-based; winding gives the orientation (right-hand rule).

    Returns:
        ``(V, 3)`` float64 unit normals. Vertices whose area-weighted sum vanishes (unreferenced,
        or cancelling faces) take the normal of the nearest vertex that has one, so the field is
        finite and locally consistent; if no vertex has one, ``+Z`` (the model's forward axis).
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    fn = face_normals(v, t)
    corners = t.reshape(-1)
    n = np.stack([np.bincount(corners, np.repeat(fn[:, c], 3), len(v)) for c in range(3)], axis=1)
    length = np.linalg.norm(n, axis=1)
    scale = np.linalg.norm(v.max(axis=0) - v.min(axis=0)) if len(v) else 1.0
    ok = length > 1e-14 * max(scale, 1e-300) ** 2
    n[ok] /= length[ok, None]
    if not ok.all():
        if ok.any():
            from scipy.spatial import cKDTree

            _, nearest = cKDTree(v[ok]).query(v[~ok])
            n[~ok] = n[ok][nearest]
        else:
            n[:] = (0.0, 0.0, 1.0)
    return n


def tangent_frames(normals: np.ndarray) -> np.ndarray:
    """Per-vertex orthonormal frames ``(V, 3, 3)`` float64, rows ``(x, y, n)``, right-handed.

    ``x`` is the global X axis projected onto the tangent plane (global Y where the normal is
    nearly parallel to X): a choice that depends on position only, never on vertex order, so the
    operators commute with vertex permutations.
    """
    n = np.asarray(normals, dtype=np.float64)
    ref = np.zeros_like(n)
    near_x = np.abs(n[:, 0]) > 0.9
    ref[~near_x, 0] = 1.0
    ref[near_x, 1] = 1.0
    x = ref - np.sum(ref * n, axis=1, keepdims=True) * n
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.cross(n, x)
    return np.stack([x, y, n], axis=1)


def gradient_operators(
    vertices: np.ndarray, triangles: np.ndarray, frames: np.ndarray
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Tangent-space gradient operators by least squares over edge neighbours (DiffusionNet).

    For vertex ``i`` with neighbours ``j`` (mesh edges), the gradient ``g`` in the frame's
    ``(x, y)`` minimizes ``sum_j (g . e_ij - (f_j - f_i))^2`` where ``e_ij`` is the edge projected
    into the tangent plane; exact for linear functions on flat patches.

    Args:
        vertices: ``(V, 3)`` float.
        triangles: ``(T, 3)`` int.
        frames: ``(V, 3, 3)`` from :func:`tangent_frames`.

    Returns:
        ``(grad_x, grad_y)``, each ``(V, V)`` CSR float64. Rows of isolated vertices are zero.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    nv = v.shape[0]
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    e = e[e[:, 0] != e[:, 1]]
    e = unique_rows(np.sort(e, axis=1))
    src = np.concatenate([e[:, 0], e[:, 1]])
    dst = np.concatenate([e[:, 1], e[:, 0]])
    d = v[dst] - v[src]
    ex = np.einsum("ij,ij->i", d, frames[src, 0])
    ey = np.einsum("ij,ij->i", d, frames[src, 1])
    a = np.bincount(src, ex * ex, nv)
    b = np.bincount(src, ex * ey, nv)
    c = np.bincount(src, ey * ey, nv)
    # Tikhonov term relative to the local edge scale: keeps vertices whose neighbours are
    # collinear (after projection) finite without biasing well-posed ones measurably.
    reg = 1e-10 * (a + c) + 1e-300
    a, c = a + reg, c + reg
    det = a * c - b * b
    inv = np.where(det > 0, 1.0 / np.where(det > 0, det, 1.0), 0.0)
    # (A^-1) e for the 2x2 A = [[a, b], [b, c]]
    wx = (c[src] * ex - b[src] * ey) * inv[src]
    wy = (a[src] * ey - b[src] * ex) * inv[src]
    rows = np.concatenate([src, src])
    cols = np.concatenate([dst, src])
    gx = sp.csr_matrix((np.concatenate([wx, -wx]), (rows, cols)), shape=(nv, nv))
    gy = sp.csr_matrix((np.concatenate([wy, -wy]), (rows, cols)), shape=(nv, nv))
    gx.sum_duplicates()
    gy.sum_duplicates()
    return gx, gy


# --------------------------------------------------------------------------------------------
# Laplacian and eigenbasis


def laplacian(vertices: np.ndarray, triangles: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Robust (intrinsic Delaunay, tufted-cover) cotan Laplacian and lumped mass.

    Args:
        vertices: ``(V, 3)`` float; every vertex must be referenced by ``triangles``.
        triangles: ``(T, 3)`` int, triangles with repeated indices removed.

    Returns:
        ``L`` ``(V, V)`` CSR float64, symmetric positive semi-definite, rows sum to 0;
        ``mass`` ``(V,)`` float64 > 0 (squared input units).
    """
    import robust_laplacian

    v = np.ascontiguousarray(vertices, dtype=np.float64)
    t = np.ascontiguousarray(triangles)
    key = _laplacian_key(v, t)
    if _LAST_LAPLACIAN and _LAST_LAPLACIAN[0][0] == key:
        _, L, mass = _LAST_LAPLACIAN[0]
        return L.copy(), mass.copy()
    L, M = robust_laplacian.mesh_laplacian(v, t)
    L = sp.csr_matrix(L)
    mass = np.asarray(M.diagonal(), dtype=np.float64)
    floor = 1e-8 * float(mass[mass > 0].mean()) if (mass > 0).any() else 1e-12
    mass = np.maximum(mass, floor)
    _LAST_LAPLACIAN[:] = [(key, L.copy(), mass.copy())]
    return L, mass


# The last mesh's Laplacian (key, L, mass): a bake asks for one mesh's twice (the eigenbasis, then
# the short edges' lumped mass, model.short_edges: 0.13 s CPU at 20k vertices). One entry only, so
# it holds at most one mesh's sparse matrix; callers get copies (they may change theirs).
_LAST_LAPLACIAN: list[tuple[str, sp.csr_matrix, np.ndarray]] = []


def _laplacian_key(v: np.ndarray, t: np.ndarray) -> str:
    """A digest of the exact input arrays (shapes, dtypes, bytes)."""
    h = hashlib.sha256()  # in memory only: the fastest digest here (SHA instructions)
    h.update(f"{v.shape}{v.dtype.str}{t.shape}{t.dtype.str}".encode())
    # the arrays' own buffers (both are C-contiguous here), not tobytes() copies
    h.update(v.reshape(-1).view(np.uint8))
    h.update(t.reshape(-1).view(np.uint8))
    return h.hexdigest()


@contextlib.contextmanager
def _single_threaded_blas():
    """Run the block with OpenBLAS limited to one thread (restored afterwards).

    ARPACK and small dense eigensolvers issue thousands of small BLAS-2 calls; OpenBLAS threads
    then spend more time synchronizing than computing, and on a loaded machine they are several
    times slower than one thread (measured 3.3 s vs 0.7 s for a 5k-vertex mesh on 2 busy cores).
    Best effort: a no-op where the libraries or their symbols are not found.
    """
    restore = []
    try:
        with open("/proc/self/maps") as fh:
            libs = {line.split()[-1] for line in fh if "openblas" in line.lower() and ".so" in line}
    except OSError:
        libs = set()
    for lib in sorted(libs):
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("", "64_"):
                get = getattr(handle, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(handle, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    restore.append((put, int(get())))
                    put(1)
                    break
            else:
                continue
            break
    try:
        yield
    finally:
        for put, n in restore:
            put(n)


def _eigs_block(L: sp.spmatrix, M: sp.spmatrix, k: int) -> tuple[np.ndarray, np.ndarray]:
    n = L.shape[0]
    if n <= DENSE_MAX:
        from scipy.linalg import eigh

        return eigh(L.toarray(), M.toarray(), subset_by_index=[0, min(k, n) - 1])
    from scipy.sparse.linalg import eigsh

    # shift slightly below 0 so (L - sigma M) is positive definite despite the zero mode
    sigma = -1e-6 * float(L.diagonal().mean() / M.diagonal().mean())
    # a fixed start vector: with none, ARPACK starts from fresh OS entropy and two bakes of one
    # mesh differed by up to ~6e-6 of the head's size (and the bake could not be checked for
    # exact equality across a code change)
    v0 = np.random.default_rng(0).standard_normal(n)
    w, phi = eigsh(
        sp.csc_matrix(L), k=min(k, n - 1), M=sp.csc_matrix(M), sigma=sigma, which="LM", tol=1e-8, v0=v0
    )
    order = np.argsort(w)
    return w[order], phi[:, order]


def _eigs_exact(L: sp.spmatrix, mass, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Lowest ``k`` eigenpairs of ``L x = w M x``; ``mass`` is a diagonal ``(n,)`` or sparse M.

    Solved per connected component (small components grouped into dense blocks): the zero
    eigenvalue has one mode per component, and Lanczos misses part of such a cluster (on the
    56-component ICT head it found 33 of 56), while a block-diagonal split gets every one.
    """
    from scipy.sparse.csgraph import connected_components

    n = L.shape[0]
    M = sp.diags(mass) if isinstance(mass, np.ndarray) else sp.csr_matrix(mass)
    L = sp.csr_matrix(L)
    ncomp, lab = connected_components(abs(L) + abs(M), directed=False)
    if ncomp == 1:
        return _eigs_block(L, M, k)
    order = np.argsort(lab, kind="stable")
    sizes = np.bincount(lab, minlength=ncomp)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    Lp = L[order][:, order].tocsr()
    Mp = M.tocsr()[order][:, order].tocsr()
    # blocks of consecutive components: big ones alone, small ones packed up to DENSE_MAX rows
    blocks, lo = [], 0
    for c in range(ncomp):
        a, b = int(starts[c]), int(starts[c + 1])
        if sizes[c] > SMALL_COMPONENT:
            if a > lo:
                blocks.append((lo, a))
            blocks.append((a, b))
            lo = b
        elif b - lo >= DENSE_MAX:
            blocks.append((lo, b))
            lo = b
    if lo < n:
        blocks.append((lo, n))
    vals, vecs = [], []
    for a, b in blocks:
        w, phi = _eigs_block(Lp[a:b, a:b], Mp[a:b, a:b], k)
        vals.append(w)
        vecs.append((a, b, phi))
    allw = np.concatenate(vals)
    pick = np.argsort(allw, kind="stable")[:k]
    out = np.zeros((n, pick.size))
    offsets = np.concatenate([[0], np.cumsum([len(w) for w in vals])])
    for i, (a, b, phi) in enumerate(vecs):
        sel = np.flatnonzero((pick >= offsets[i]) & (pick < offsets[i + 1]))
        out[order[a:b][:, None], sel[None, :]] = phi[:, pick[sel] - offsets[i]]
    return allw[pick], out


def _sample_vertices(v: np.ndarray, L: sp.csr_matrix, m: int) -> tuple[np.ndarray, float]:
    """About ``m`` quasi-uniform samples (one per occupied (voxel, component) cell) and the voxel size.

    Keying cells by connected component keeps interpenetrating parts (teeth inside the mouth,
    eyeballs in their sockets) from sharing a sample; every component gets at least one.
    """
    from scipy.sparse.csgraph import connected_components

    ncomp, comp = connected_components(L, directed=False)
    tag = comp.astype(np.int64)
    lo, hi = v.min(axis=0), v.max(axis=0)
    ext = np.maximum(hi - lo, 1e-12)
    # a surface of extent E covered by cells of size h occupies ~ c (E/h)^2 cells; search h
    # geometrically until the occupied count is close to m (a few cheap passes)
    h = float(np.sqrt(np.prod(np.sort(ext)[1:]) / m))
    for _ in range(12):
        cell = np.floor((v - lo) / h).astype(np.int64)
        dims = cell.max(axis=0) + 1
        key = ((cell[:, 0] * dims[1] + cell[:, 1]) * dims[2] + cell[:, 2]) * ncomp + tag
        count = np.unique(key).size
        ratio = count / m
        if 0.85 < ratio < 1.15 or (ratio > 1 and count <= ncomp):
            break
        h *= ratio**0.5
    # per cell, the vertex closest to the cell centre: depends on positions only, not on order
    centre = lo + (cell + 0.5) * h
    dist = np.sum((v - centre) ** 2, axis=1)
    order = np.lexsort((v[:, 2], v[:, 1], v[:, 0], dist, key))
    first = np.ones(order.size, dtype=bool)
    first[1:] = key[order[1:]] != key[order[:-1]]
    return np.sort(order[first]), h


def _eigs_ritz(v: np.ndarray, L: sp.csr_matrix, mass: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    from scipy.sparse.csgraph import dijkstra

    n = L.shape[0]
    m = int(np.clip(RITZ_AGGREGATES_PER_EIGEN * k, RITZ_MIN_AGGREGATES, RITZ_MAX_AGGREGATES))
    samples, _ = _sample_vertices(v, L, m)
    m = samples.size
    # graph-geodesic aggregates: each vertex joins its nearest sample along mesh edges, so
    # aggregates never straddle a gap (lips, eyelids) or two components
    Lc = L.tocoo()
    off = Lc.row != Lc.col
    r, c = Lc.row[off], Lc.col[off]
    w = np.linalg.norm(v[r] - v[c], axis=1) + 1e-300
    graph = sp.csr_matrix((w, (r, c)), shape=(n, n))
    _, _, source = dijkstra(graph, directed=False, indices=samples, min_only=True, return_predecessors=True)
    agg = np.searchsorted(samples, source)

    # Per aggregate: constant + linear functions along its two principal (tangent) directions.
    # Reproducing linear functions locally is what makes eigenvalue errors second order in the
    # aggregate size (constants alone give first order and need ~10x more functions).
    cnt = np.bincount(agg, minlength=m).astype(np.float64)
    cen = np.stack([np.bincount(agg, v[:, i], m) for i in range(3)], 1) / cnt[:, None]
    d = v - cen[agg]
    outer = (d[:, :, None] * d[:, None, :]).reshape(n, 9)
    cov = np.stack([np.bincount(agg, outer[:, i], m) for i in range(9)], axis=1).reshape(m, 3, 3)
    ev, axes = np.linalg.eigh(cov / cnt[:, None, None])
    spread = np.sqrt(np.maximum(ev[:, 1:], 0.0))
    # a direction with (almost) no extent (1-2 vertex aggregate, a line) carries no information
    keep = spread > 1e-6 * max(float(spread.max()), 1e-300)
    loc = np.einsum("ni,nij->nj", d, axes[agg][:, :, 1:]) / np.where(keep, spread, 1.0)[agg]
    loc *= keep[agg]
    vals = np.concatenate([np.ones((n, 1)), loc], axis=1)
    cols = np.stack([3 * agg, 3 * agg + 1, 3 * agg + 2], axis=1)
    P = sp.csr_matrix((vals.ravel(), (np.repeat(np.arange(n), 3), cols.ravel())), shape=(n, 3 * m))
    used_cols = np.flatnonzero(np.concatenate([np.ones((m, 1), bool), keep], 1).ravel())
    P = P[:, used_cols]

    # damped-Jacobi smoothing (smoothed aggregation): smooth, local, still reproduces constants
    dinv = 1.0 / np.maximum(L.diagonal(), 1e-300)
    S = sp.eye(n, format="csr") - sp.diags(2.0 / 3.0 * dinv) @ L
    steps = int(np.clip(round(RITZ_SMOOTHING_PER_RING * np.sqrt(n / m)), 2, RITZ_MAX_SMOOTHING_STEPS))
    # Too much smoothing makes the basis nearly dependent (ill-conditioned reduced mass matrix,
    # garbage Ritz pairs); check the result and retry with less, then fall back to exact.
    while True:
        U = P
        for _ in range(steps):
            U = S @ U
        result = _ritz_solve(sp.csr_matrix(U), L, mass, k)
        if result is not None:
            return result
        if steps <= 1:
            return _eigs_exact(L, mass, k)
        steps //= 2


def _ritz_solve(
    U: sp.csr_matrix, L: sp.csr_matrix, mass: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Rayleigh-Ritz pairs on span(U), or None if they fail basic sanity checks."""
    Lr = sp.csr_matrix(U.T @ (L @ U))
    Mr = sp.csr_matrix(U.T @ (sp.diags(mass) @ U))
    Lr = sp.csr_matrix(0.5 * (Lr + Lr.T))
    Mr = sp.csr_matrix(0.5 * (Mr + Mr.T))
    kk = min(k, Lr.shape[0] - 1)
    try:
        wr, phir = _eigs_exact(Lr, Mr, kk)
    except (RuntimeError, ValueError, np.linalg.LinAlgError):
        # scipy's ArpackError / ArpackNoConvergence and LAPACK failures derive from these
        return None
    phi = np.asarray(U @ phir)
    scale = max(float(np.abs(wr).max()), 1e-300)
    if not (np.isfinite(wr).all() and np.isfinite(phi).all()) or wr.min() < -1e-6 * scale:
        return None
    # M-norms of the lifted vectors (the full Gram matrix costs V k^2; the diagonal catches an
    # ill-conditioned reduced mass matrix just as well)
    if np.abs(mass @ (phi * phi) - 1.0).max() > 1e-3:
        return None
    return wr, phi


def _fix_signs(evecs: np.ndarray, mass: np.ndarray) -> np.ndarray:
    # Orientation by the sign of the M-weighted third moment: independent of vertex order.
    cube = evecs * evecs
    cube *= evecs
    s = np.sign(mass @ cube)
    s[s == 0] = 1.0
    evecs *= s
    return evecs


def _compute(vertices: np.ndarray, triangles: np.ndarray, k: int) -> Operators:
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    nv = v.shape[0]
    # triangles with a repeated corner have no area and no interior; the Laplacian ignores them
    t_ok = t[(t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 2] != t[:, 0])]
    used = np.zeros(nv, dtype=bool)
    used[t_ok.reshape(-1)] = True
    ref = np.flatnonzero(used)
    remap = np.full(nv, -1, dtype=np.int64)
    remap[ref] = np.arange(ref.size)
    vc, tc = v[ref], remap[t_ok]

    normals = vertex_normals(v, t_ok)
    L, mass_c = laplacian(vc, tc)
    kk = int(max(1, min(k, ref.size - 1)))
    with _single_threaded_blas():
        if ref.size <= EXACT_MAX_VERTICES:
            evals_c, evecs_c = _eigs_exact(L, mass_c, kk)
        else:
            evals_c, evecs_c = _eigs_ritz(vc, L, mass_c, kk)
    evals_c = np.maximum(evals_c, 0.0)
    evecs_c = _fix_signs(evecs_c, mass_c)

    mass = np.full(nv, 1e-8 * float(mass_c.mean()))
    mass[ref] = mass_c
    evecs = np.zeros((nv, kk))
    evecs[ref] = evecs_c

    frames = tangent_frames(normals)
    gx, gy = gradient_operators(v, t_ok, frames)
    return Operators(
        mass=mass.astype(np.float32),
        evals=np.asarray(evals_c, dtype=np.float32),
        evecs=evecs.astype(np.float32),
        grad_x=gx.astype(np.float32),
        grad_y=gy.astype(np.float32),
        frames=frames.astype(np.float32),
        normals=normals.astype(np.float32),
        k=kk,
    )


# --------------------------------------------------------------------------------------------
# cache


def _check_digest(vertices: np.ndarray, triangles: np.ndarray, k: int) -> str:
    # independent of array_digest (different hash, different byte layout) so a key collision or a
    # forged entry under the right name cannot also match this
    h = hashlib.blake2b(digest_size=32)
    h.update(f"{vertices.shape}{triangles.shape}{k}".encode())
    h.update(np.ascontiguousarray(triangles, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(vertices, dtype="<f8").tobytes())
    return h.hexdigest()


def _cache_path(vertices: np.ndarray, triangles: np.ndarray, k: int) -> pathlib.Path | None:
    """The entry's path; None when the cache folder cannot be made (computing still works)."""
    key = array_digest(vertices, triangles, extra=f"k={k};{ALGORITHM_VERSION}")
    return entry_path("geometry", f"{key}.npz")


def _save(path: pathlib.Path, ops: Operators, check: str, nv: int, nt: int) -> None:
    save_entry(
        path,
        dict(
            mass=ops.mass,
            evals=ops.evals,
            evecs=ops.evecs,
            frames=ops.frames,
            normals=ops.normals,
            gx_data=ops.grad_x.data, gx_indices=ops.grad_x.indices, gx_indptr=ops.grad_x.indptr,
            gy_data=ops.grad_y.data, gy_indices=ops.grad_y.indices, gy_indptr=ops.grad_y.indptr,
            meta=np.array([nv, nt, ops.k], dtype=np.int64),
            check=np.array(check),
            version=np.array(ALGORITHM_VERSION),
        ),
    )  # fmt: skip


def _load(path: pathlib.Path, check: str, nv: int, nt: int) -> Operators | None:
    """The cached operators if the entry is intact (signed by this cache, see
    :func:`model.cache.load_entry`) and belongs to this mesh, else None."""
    z = load_entry(path)
    if z is None:
        return None
    try:
        if str(z["check"]) != check or str(z["version"]) != ALGORITHM_VERSION:
            return None
        meta = z["meta"]
        if meta.shape != (3,) or int(meta[0]) != nv or int(meta[1]) != nt:
            return None
        k = int(meta[2])
        ops = Operators(
            mass=z["mass"],
            evals=z["evals"],
            evecs=z["evecs"],
            grad_x=sp.csr_matrix((z["gx_data"], z["gx_indices"], z["gx_indptr"]), shape=(nv, nv)),
            grad_y=sp.csr_matrix((z["gy_data"], z["gy_indices"], z["gy_indptr"]), shape=(nv, nv)),
            frames=z["frames"],
            normals=z["normals"],
            k=k,
        )
    except Exception:  # noqa: BLE001 - a malformed entry (missing member, bad dtype) is recomputed
        return None
    shapes_ok = (
        ops.mass.shape == (nv,)
        and ops.evals.shape == (k,)
        and ops.evecs.shape == (nv, k)
        and ops.frames.shape == (nv, 3, 3)
        and ops.normals.shape == (nv, 3)
    )
    if not shapes_ok:
        return None
    arrays = (ops.mass, ops.evals, ops.evecs, ops.frames, ops.normals, ops.grad_x.data, ops.grad_y.data)
    if not all(a.dtype == np.float32 and np.isfinite(a).all() for a in arrays):
        return None
    return ops


def compute_operators(
    vertices: np.ndarray, triangles: np.ndarray, k: int = 128, cache: bool = True
) -> Operators:
    """Mass, Laplace eigenbasis, tangent frames and gradient operators of a triangle mesh.

    Call it on canonical vertices (:meth:`model.frame.CanonicalFrame.to_canonical`) so that the
    eigenvalues are comparable between meshes.

    Args:
        vertices: ``(V, 3)`` float, any order; unreferenced vertices allowed.
        triangles: ``(T, 3)`` int, 0-based; non-manifold, multi-component, open, duplicated or
            zero-area input is accepted.
        k: eigenpairs wanted; clamped to ``V_referenced - 1``.
        cache: read/write the disk cache (``model.cache.cache_dir("geometry")``); entries are
            verified (shapes, a second independent digest, finiteness) and recomputed if bad.

    Returns:
        :class:`Operators`, every array float32 and finite, per-vertex arrays with V rows.
        Permuting the input vertices permutes the outputs (eigenvectors up to sign / rotation
        inside eigenspaces).

    Raises:
        The typed errors of :func:`model.mesh_io.validate` (empty, NaN, no faces, bad indices,
        degenerate).
    """
    v = np.ascontiguousarray(vertices, dtype=np.float64)
    t = np.ascontiguousarray(triangles, dtype=np.int64)
    validate(v, t)
    k = int(k)
    if k < 1:
        raise ValueError(f"k={k}: the number of eigenpairs must be >= 1; pass k >= 1")
    if not cache:
        return _compute(v, t, k)
    path = _cache_path(v, t, k)
    if path is None:  # no usable cache folder (warned once): only slower
        return _compute(v, t, k)
    check = _check_digest(v, t, k)
    if path.exists():
        ops = _load(path, check, v.shape[0], t.shape[0])
        if ops is not None:
            return ops
    ops = _compute(v, t, k)
    _save(path, ops, check, v.shape[0], t.shape[0])
    return ops
