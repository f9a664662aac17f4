"""The baked shapes without the per-vertex noise a dense mesh shows as ripple. Numpy in, numpy
out, canonical frame.

Why: the network predicts each vertex's delta from that vertex's features, with a small error of
its own at every vertex, whatever the mesh's density (it learned on heads of 2k-12k vertices).
The rig check's ripple (:func:`model.rig_check.ripple_number`, the mass-normalized Laplacian of
the displacement) of noise of a fixed size grows as the square of the density: Nefertiti split
in four (every triangle into four, 35k -> 140k vertices) came out 2.4-4.7x rougher than as it
is (``mouthShrugUpper`` 1.6 -> 5.9x ICT's ripple, ``eyeWide_R`` 0.8 -> 3.8x), the artists'
"orange peel" of dense scans. Stage by stage (``benchmarks/ripple_stages.py``): the network's
raw shapes carry it (split: ``mouthShrugUpper`` 9.1x, ``eyeWide_R`` 11.9x; as is 2.2x, 3.7x), the
first symmetrize more than halves it, and the stages that read other vertices' deltas at points
of their own add some back (the symmetrize's and the lids' mirror images read at each vertex's
mirror point, the static cap read from ICT's nearest static point: ``browInnerUp_L`` 4.3 ->
5.1x). It is the network's, not the geometry's: its shapes on the 35k mesh interpolated
linearly onto the split one are 1.5-1.8x rougher than on the 35k mesh, the split mesh's own
bake 2.4-4.7x; the network's inputs are not it (its normals smoothed, or exact eigenvectors
instead of the Ritz ones: at most a quarter of it off, some shapes rougher).

What: one implicit heat step of fixed physical time :data:`HEAT_TIME` (canonical units squared:
the mesh's RMS radius is 1) on every shape, ``(M + t L) d' = M d`` with the cotan Laplacian ``L``
and lumped mass ``M`` of :func:`model.geometry.laplacian`, solved by Jacobi sweeps
(:func:`smooth_shapes`), after the canonical stages (:meth:`model.api.FaceModel.bake`: after the
static area, before the rigid parts). Both operators converge as the mesh is refined, so the step
is the same on any tessellation of a surface: it damps a feature of wavelength ``l`` by ``1 / (1
+ t (2 pi / l)^2)`` (3 cm, 0.33 canonical units on a head: 1 %; 1 cm: 9 %), and per-vertex noise,
whose Laplacian grows as ``1 / h^2`` with the edge length ``h``, by about ``1 / (1 + 4 t / h^2)``:
12 % on a mesh as dense as the network's densest training meshes (``h`` ~0.03), 35 % four times
denser, 68 % sixteen times denser, so the noise's ripple stops growing with the density (bounded
by ``~1 / t`` instead of growing as ``1 / h^2``).

Each sweep is a convex combination of a vertex's own delta and its neighbours' (the weights of
an intrinsic-Delaunay Laplacian are non-negative): nothing grows, a still vertex among still
neighbours stays exactly still, and it never couples disconnected pieces (eyeballs, teeth) or
reaches across an opening (lips, lids that are holes). Where an unsided shape tears the surface
(sealed lips joined along the mouth line part there in ``jawOpen``) the edges across the tear are
taken out (:data:`TEAR`), so a mouth opens as sharply as the bake made it.
"""

from __future__ import annotations

import numpy as np

# canonical units squared (RMS radius 1; 1e-5 ~ (0.3 mm)^2 on a head): a heat time below any
# feature of a face's expression, at which the network's per-vertex noise stops growing with the
# mesh's density (see the module docstring)
HEAT_TIME = 3e-5
# Jacobi sweeps: each multiplies what is left of the implicit step's error by about a vertex's
# share of its neighbours' motion (t L_ii / (m_i + t L_ii)); sweeps until the median vertex's is
# below SWEEP_TOL (one sweep on a mesh as dense as the network's training meshes, more on denser
# ones, where the heat step reaches over more rings), at most MAX_SWEEPS
SWEEP_TOL = 0.1
MAX_SWEEPS = 50
# an edge whose ends part by this share of an unsided shape's largest delta (from the low end,
# fading out by the high end) is a tear, not noise: sealed lips joined along the mouth line part
# there by most of jawOpen's peak, while the network's per-vertex noise stays under ~20 % of a
# shape's peak whatever the density (Nefertiti split in four: 18 % at worst, in mouthShrugUpper)
# and a smooth motion's step along an edge shrinks with the edge; the step never averages
# across a tear (jawOpen's lips part as sharply as the bake made them)
TEAR = (0.3, 0.5)


def _operators(canonical: np.ndarray, triangles: np.ndarray) -> tuple:
    """``(used, weights, rows, incidence, edge_of)`` of the mesh: the referenced vertices (U,),
    the Laplacian's off-diagonal weights ``W = -L`` (U, U) CSR float64 (>= 0), each stored
    weight's row (nnz,), the edges' incidence (E, U) CSR float32 (+1, -1) and each stored
    weight's edge (nnz,), and the lumped mass (U,)."""
    import scipy.sparse as sp

    from .geometry import laplacian

    t = np.asarray(triangles, dtype=np.int64)
    t = t[(t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])]
    used = np.unique(t)
    remap = np.full(len(canonical), -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    # the same vertices and triangles as the eigenbasis (model.geometry.compute_operators): the
    # bake finds this Laplacian in geometry's one-entry cache
    L, mass = laplacian(np.asarray(canonical, dtype=np.float64)[used], remap[t])
    weights = (-L).tocsr()
    weights.setdiag(0.0)
    weights.eliminate_zeros()
    # the intrinsic-Delaunay cotan weights are >= 0 up to rounding; a zero weight is kept as an
    # entry (symmetric structure: each edge stored twice)
    np.maximum(weights.data, 0.0, out=weights.data)
    weights.sort_indices()
    rows = np.repeat(np.arange(used.size), np.diff(weights.indptr))
    cols = weights.indices
    upper = rows < cols
    n_edges = int(upper.sum())
    ids = np.zeros(len(rows), dtype=np.int64)
    ids[upper] = np.arange(n_edges)
    # the lower entry (j, i) of an edge takes the id of its upper entry (i, j)
    key = sp.csr_matrix((ids[upper] + 1, (rows[upper], cols[upper])), shape=weights.shape)
    key = (key + key.T).tocsr()
    key.sort_indices()
    edge_of = np.asarray(key.data, dtype=np.int64) - 1
    ends = np.stack([rows[upper], cols[upper]], 1).ravel()
    signs = np.tile(np.float32([1.0, -1.0]), n_edges)
    incidence = sp.csr_matrix((signs, (np.repeat(np.arange(n_edges), 2), ends)), shape=(n_edges, used.size))
    return used, weights, rows, incidence, edge_of, mass


def _tear_gate(x: np.ndarray, shapes: int, incidence, edge_of: np.ndarray) -> np.ndarray:
    """(nnz,) float64 in [0, 1] per stored Laplacian weight: 1 where the edge's ends move alike,
    smoothstep to 0 where in some unsided shape (``jawOpen``, ``mouthClose``, ...) they part by
    :data:`TEAR` of that shape's largest delta. ``x`` (U, 3 S) float32, columns (axis, shape)."""
    from .facs import ICT_NAMES
    from .shape_locality import mirror_pairs

    unsided = mirror_pairs(ICT_NAMES)[1] if shapes == len(ICT_NAMES) else list(range(shapes))
    cols3 = (np.arange(3)[:, None] * shapes + np.asarray(unsided)[None, :]).ravel()
    y = x[:, cols3].reshape(len(x), 3, -1)
    peak = np.sqrt((y * y).sum(axis=1).max(axis=0))  # (unsided,)
    y = (y / np.maximum(peak, 1e-30)).reshape(len(x), -1)
    diff = incidence @ y  # (E, 3 unsided): one row per edge, columns (axis, shape)
    diff *= diff
    k = len(unsided)
    part = diff[:, :k] + diff[:, k : 2 * k]
    part += diff[:, 2 * k :]
    jump = np.sqrt(part.max(axis=1))
    low, high = TEAR
    a = np.clip((high - jump) / (high - low), 0.0, 1.0)
    return (a * a * (3.0 - 2.0 * a))[edge_of]


def smooth_shapes(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    heat_time: float | None = None,
    cache: dict | None = None,
    keep: tuple[int, ...] | list[int] = (),
) -> np.ndarray:
    """``deltas`` (S, V, 3) after one implicit heat step of time ``heat_time`` (None:
    :data:`HEAT_TIME`, canonical units squared) on the mesh ``canonical`` (V, 3), ``triangles``
    (T, 3): ``(M + t L) d' = M d`` per shape and axis, by Jacobi sweeps from ``d``, with the
    edges the unsided shapes tear (:func:`_tear_gate`: a closed mouth's slit) taken out of ``L``.
    float32, same shape; vertices in no triangle keep their deltas; ``heat_time`` 0: the input
    itself. ``cache``: a dict kept per mesh (the operators depend on the geometry only).
    ``keep``: shape rows returned as given (still read by the tear gate)."""
    import scipy.sparse as sp

    t = HEAT_TIME if heat_time is None else float(heat_time)
    d = np.asarray(deltas)
    if t <= 0.0 or d.size == 0:
        return deltas
    cache = {} if cache is None else cache
    if "operators" not in cache:
        cache["operators"] = _operators(canonical, triangles)
    used, weights, rows, incidence, edge_of, mass = cache["operators"]
    if used.size == 0:
        return deltas
    s, v = d.shape[:2]
    every = used.size == v
    # (U, 3 S): one sparse product per sweep for all shapes and axes; the columns in (axis,
    # shape) order, so that going there and back is a plain 2-d transpose (a (V, S, 3) layout
    # took 5x longer, 0.05 s at 18k vertices)
    x = np.ascontiguousarray(d.reshape(s, -1).T, dtype=np.float32).reshape(v, 3 * s)
    if not every:
        x = x[used]
    w = weights.data * _tear_gate(x, s, incidence, edge_of)
    denom = mass + t * np.bincount(rows, w, minlength=used.size)
    scaled = (w * (t / denom)[rows]).astype(np.float32)
    step = sp.csr_matrix((scaled, weights.indices, weights.indptr), shape=weights.shape)
    own = (mass / denom).astype(np.float32)[:, None]
    share = 1.0 - own[:, 0]
    typical = float(np.median(share))
    sweeps = 1 if typical <= SWEEP_TOL else min(int(np.ceil(np.log(SWEEP_TOL) / np.log(typical))), MAX_SWEEPS)
    rhs = x * own
    for _ in range(sweeps):
        x = step @ x
        x += rhs
    if every:
        out = np.ascontiguousarray(x.reshape(v * 3, s).T).reshape(s, v, 3)
    else:
        out = np.array(d, dtype=np.float32, copy=True)
        out[:, used] = x.reshape(used.size, 3, s).transpose(2, 0, 1)
    if len(keep):
        out[list(keep)] = d[list(keep)]
    return out
