"""Bake-time repair of triangles that flip at weight 1.0.

A baked shape can fold the surface where it moves two nearby vertex rows past each other: the
lip corners (the upper lip row slides over the lower one), the eye corners, thin inner-mouth
strips. The rig check (:mod:`model.rig_check`) counts a triangle as flipped when its normal after
the shape points against its neutral normal. Here every shape's delta field is repaired locally:

1. find the triangles that fold or nearly do: each gets a pull that ramps from 0 at a cosine
   of SAFE_COS + BAND (of its turn from the neutral normal) to :data:`RIGID_WEIGHT` at
   :data:`SAFE_COS` and under (non-degenerate triangles only, as the check);
2. re-solve the delta field on their vertices and :data:`SPREAD` ring around (a sparse
   least-squares solve, :func:`_solve`): every edge keeps the network's difference between its
   two ends, and a pulled triangle's edges are also drawn to no difference (a triangle that only
   translates never turns); each solved vertex is anchored to its own delta;
3. re-check the triangles around; a triangle still (nearly) folding is pulled harder (up to
   twice per round), new ones join; every :data:`GROW_EVERY` rounds the solved vertices grow one
   ring (a fold the first ones cannot open), up to :data:`MAX_ROUNDS` solves.

Every step is continuous in the input (no yes/no decision: ramps instead of thresholds), so the
numpy and torch runtimes, whose bakes differ by float32 rounding, bake the same repair.

This is about the least change that opens a fold: the folding triangles and a ring around them
move, everything else keeps the network's motion exactly, so a lip that folds at the mouth corner
still opens with the jaw everywhere else (the umbrella smoothing used before changed ~370
vertices of each avatar's jawOpen, took 11-13 % of its motion on the moving vertices, made new
folds, left 25-86 per real mesh and cost held-out accuracy: hard sets +0.023 / +0.027 relative
error, 4 cases; this changes 76-88 vertices, keeps 99.6-100 % of the motion, leaves no fold on
the real meshes and costs at most +0.0002).
Vertices listed as ``fixed`` (rigid parts: eyeballs, teeth) are never changed. ``mouthClose`` is
judged and repaired on top of ``jawOpen`` (it is a corrective of it), as the rig check does.

numpy + scipy only; works on any frame (orientation tests are invariant to rotation and scale).
"""

from __future__ import annotations

import numpy as np

from .facs import ICT_NAMES

# pull of a folding triangle's edges to no difference, against 1 for every edge keeping its own;
# it starts gentle and doubles each round the triangle still folds, so a fold is opened with
# about the least change (starting at 10 or 100 cascaded: neighbours folded in turn and were
# stiffened too, held-out ICT error on the hard sets +0.004 / +0.03 instead of +0.0004)
RIGID_WEIGHT = 1.0
STIFFEN = 2.0
MAX_WEIGHT = 1e8  # the pull stops growing here (well conditioned in float64)
GROW_EVERY = 10  # rounds before the free neighbourhood grows one ring
MAX_ROUNDS = 40  # solves per shape
# rings around the pulled triangles' vertices solved for at first: with none, a vertex joining
# the free set moved the repair by up to 7x the runtimes' tolerance on an ICT head
SPREAD = 1
MAX_RING = 6  # the free neighbourhood grows to at most this many rings
ANCHOR = 1.0  # hold of a free vertex to its own delta, against 1 per edge
BAND = 0.05  # the pull fades out between SAFE_COS and SAFE_COS + BAND
# a repaired triangle must end clearly unflipped (cosine of its turn from the neutral normal above
# this), not barely: a barely unflipped one can flip back when the keys are stored in float32,
# and the stop decision would hang on rounding (numpy and torch runtimes baked different repairs
# on an ICT head when the test was "dot < 0")
SAFE_COS = 0.05
# shapes judged on top of another one (corrective -> base), as in the rig check
COMBINED: dict[str, str] = {"mouthClose": "jawOpen"}


def _normals(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])


class _Topology:
    """Vertex adjacency, vertex-triangle incidence and ring growth of one triangle mesh.

    Both relations are kept as CSR index arrays and walked only from the rows a query touches:
    a repair round visits a few hundred vertices of a mesh of tens of thousands, so a product
    with the whole adjacency (what this did before) cost O(V) per ring for an O(region) answer.
    """

    def __init__(self, num_vertices: int, triangles: np.ndarray):
        import scipy.sparse as sp

        t = np.asarray(triangles, dtype=np.int64)
        self.t = t
        self.n = num_vertices
        rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
        cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
        adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_vertices, num_vertices)).tocsr()
        self._adj = (adj.indptr, adj.indices)
        # triangles of each vertex, vertex-major (CSR rows of the V x T incidence)
        order = np.argsort(t.ravel(), kind="stable")
        counts = np.bincount(t.ravel(), minlength=num_vertices)
        self._incidence = (np.concatenate([[0], np.cumsum(counts)]), order // 3)

    @staticmethod
    def _gather(csr: tuple[np.ndarray, np.ndarray], ids: np.ndarray) -> np.ndarray:
        """The column indices of rows ``ids`` of a CSR structure (with repeats)."""
        indptr, indices = csr
        starts = indptr[ids]
        counts = indptr[ids + 1] - starts
        # position of each gathered entry: its row's start plus its rank within the row
        shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return indices[shift + np.arange(int(counts.sum()))]

    def grow(self, mask: np.ndarray, rings: int) -> np.ndarray:
        """``mask (V,)`` bool and every vertex within ``rings`` edges of it."""
        mask = np.array(mask, dtype=bool)
        frontier = np.flatnonzero(mask)
        for _ in range(rings):
            grown = mask.copy()
            grown[self._gather(self._adj, frontier)] = True
            frontier = np.flatnonzero(grown & ~mask)  # only the new ring's rows are walked next
            mask = grown
        return mask

    def triangles_of(self, mask: np.ndarray) -> np.ndarray:
        """Sorted ids of the triangles with a vertex in ``mask (V,)`` bool."""
        hit = np.zeros(len(self.t), dtype=bool)  # a flag per triangle: no sort of the repeats
        hit[self._gather(self._incidence, np.flatnonzero(mask))] = True
        return np.flatnonzero(hit)


def _edges_of(t: np.ndarray) -> np.ndarray:
    """(3T, 2) the directed edges of triangles ``t`` (T, 3), triangle-major."""
    return np.stack([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]], axis=1).reshape(-1, 2)


def _solve(original: np.ndarray, topo: _Topology, free: np.ndarray, pull: np.ndarray) -> np.ndarray:
    """The delta field (V, 3) with the ``free`` vertices re-solved, the others kept
    (:func:`_solve_free`)."""
    ids, values = _solve_free(original, topo, free, pull)
    out = np.array(original)
    out[ids] = values
    return out


def _solve_free(
    original: np.ndarray, topo: _Topology, free: np.ndarray, pull: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids (F,), values (F, 3))``: the ``free`` vertices and their re-solved deltas.

    Least squares over the edges of the triangles touching a free vertex: each edge keeps its
    ``original`` difference (weight 1) and, in a triangle with ``pull`` > 0 (T,), is also drawn
    to no difference with that weight (a triangle that only translates never turns); each free
    vertex is held to its original value with weight :data:`ANCHOR`, so the change fades within
    a ring or two. Every term is continuous in ``pull`` and the anchor keeps the solution from
    depending much on a vertex joining the free set: nearly equal inputs (the numpy and torch
    runtimes) give nearly equal repairs."""
    import scipy.sparse.linalg as spla

    tri = topo.triangles_of(free)
    e = _edges_of(topo.t[tri])
    w = 1.0 + np.repeat(pull[tri], 3)
    target = (original[e[:, 0]] - original[e[:, 1]]) / w[:, None]
    ids = np.flatnonzero(free)
    col = np.full(topo.n, -1)
    col[ids] = np.arange(ids.size)
    if np.any(e[:, 0] == e[:, 1]):  # a triangle with a repeated corner: the general assembly
        a, rhs = _normal_equations_sparse(original, e, w, target, col, ids)
    else:
        a, rhs = _normal_equations(original, e, w, target, col, ids)
    return ids, spla.splu(a).solve(rhs)


def _normal_equations(original, e, w, target, col, ids):
    """(A (F, F) CSC, rhs (F, 3)) of the free vertices' least squares, ``A = B^T W B + ANCHOR I``
    and ``rhs = B^T W known + ANCHOR original[ids]`` (B: the edges' differences on the free
    columns, W the edge weights), assembled directly: the sums of
    :func:`_normal_equations_sparse` (scipy's products, each entry summed over the edges in
    ascending order) term for term, in the same order, so the same bits, without the sparse
    products' overhead (measured 0.20 -> 0.175 s CPU for the 20k demo head's repair). Edges of
    distinct corners only."""
    import scipy.sparse as sp

    n_free = ids.size
    known = target.copy()
    sign = np.array([1.0, -1.0])
    cols = [col[e[:, 0]], col[e[:, 1]]]
    for k in (0, 1):
        is_free = cols[k] >= 0
        known[~is_free] -= sign[k] * original[e[~is_free, k]]
    # the entries of B W (row i: a free corner of edge k, value sign * w_k), by edge ascending
    edge = np.arange(len(e))
    row_i, row_k, row_v, other = [], [], [], []
    for k in (0, 1):
        is_free = cols[k] >= 0
        row_i.append(cols[k][is_free])
        row_k.append(edge[is_free])
        row_v.append(sign[k] * w[is_free])
        other.append(cols[1 - k][is_free])  # the edge's other corner's column (-1: kept)
    row_i, row_k, row_v, other = (np.concatenate(x) for x in (row_i, row_k, row_v, other))
    order = np.argsort(row_k, kind="stable")
    row_i, row_k, row_v, other = row_i[order], row_k[order], row_v[order], other[order]
    # A: (i, i) gets (sign w) * sign = w, (i, other) gets (sign w) * (-sign) = -w per edge
    both = other >= 0
    ai = np.concatenate([row_i, row_i[both]])
    aj = np.concatenate([row_i, other[both]])
    av = np.concatenate([row_v * np.where(row_v > 0, 1.0, -1.0), -np.abs(row_v[both])])
    ak = np.concatenate([row_k, row_k[both]])
    order = np.argsort(ak, kind="stable")  # each entry's terms in ascending edge order
    ai, aj, av = ai[order], aj[order], av[order]
    key, slot = np.unique(aj * n_free + ai, return_inverse=True)  # column-major, rows ascending
    values = np.bincount(slot, weights=av, minlength=key.size)
    rows, columns = key % n_free, key // n_free
    values[rows == columns] += ANCHOR
    indptr = np.concatenate([[0], np.cumsum(np.bincount(columns, minlength=n_free))])
    a = sp.csc_matrix((values, rows, indptr), shape=(n_free, n_free))
    # rhs: each free row's (sign w_k) * known[k] summed over its edges ascending, then the anchor
    rhs = np.stack(
        [np.bincount(row_i, weights=row_v * known[row_k, c], minlength=n_free) for c in range(3)], axis=1
    )
    return a, rhs + ANCHOR * original[ids]


def _normal_equations_sparse(original, e, w, target, col, ids):
    """:func:`_normal_equations` by scipy's sparse products (any edges)."""
    import scipy.sparse as sp

    rows = np.arange(len(e))
    # B x = x_a - x_b on the free columns; the kept vertices go to the right-hand side
    sign = np.array([1.0, -1.0])
    known = target.copy()
    entries_r, entries_c, entries_v = [], [], []
    for k in (0, 1):
        is_free = col[e[:, k]] >= 0
        entries_r.append(rows[is_free])
        entries_c.append(col[e[is_free, k]])
        entries_v.append(np.full(int(is_free.sum()), sign[k]))
        known[~is_free] -= sign[k] * original[e[~is_free, k]]
    b = sp.csr_matrix(
        (np.concatenate(entries_v), (np.concatenate(entries_r), np.concatenate(entries_c))),
        shape=(len(e), ids.size),
    )
    bw = b.T.multiply(w[None, :]).tocsr()
    a = (bw @ b + ANCHOR * sp.identity(ids.size)).tocsc()
    return a, bw @ known + ANCHOR * original[ids]


class _Turn:
    """``turn(d, ids)``: the cosine (K,) of the turn of triangles ``ids`` (K,) from their
    neutral normals under the delta field ``d`` (V, 3); 1 for degenerate triangles (not judged,
    as in the rig check).

    The coordinates are kept as one contiguous array per axis: the cross product and the dot
    products then read contiguous rows, not every third number of (K, 3) arrays (0.16 -> 0.08 s
    CPU for the 53 shapes of the 20k demo head). The same bits as the (K, 3) form it replaced:
    the same products and differences, the dot product summed as ``np.einsum("ij,ij->i")``
    does for three terms, ``(x + z) + y``, and the norm as ``np.linalg.norm(axis=1)``, ``(x + y)
    + z`` (``tests/model/test_flip_repair.py`` checks both against numpy's own)."""

    def __init__(self, vertices: np.ndarray, t: np.ndarray, valid: np.ndarray, n0: np.ndarray, n0_len=None):
        self.t = t
        self.v = [np.ascontiguousarray(vertices[:, k], dtype=np.float64) for k in range(3)]
        self.n0 = [np.ascontiguousarray(n0[:, k], dtype=np.float64) for k in range(3)]
        self.n0_len = np.linalg.norm(n0, axis=1) if n0_len is None else n0_len
        self.valid = valid

    def __call__(self, d: np.ndarray, ids: np.ndarray) -> np.ndarray:
        corners = self.t[ids]
        c0, c1, c2 = corners[:, 0], corners[:, 1], corners[:, 2]
        few = 3 * len(ids) < len(d)  # a few triangles: their corners only, not all of V
        e1, e2 = [], []
        for k in range(3):
            if few:
                vk, dk = self.v[k], d[:, k]
                p0, p1, p2 = vk[c0] + dk[c0], vk[c1] + dk[c1], vk[c2] + dk[c2]
            else:
                pk = self.v[k] + d[:, k]
                p0, p1, p2 = pk[c0], pk[c1], pk[c2]
            e1.append(p1 - p0)
            e2.append(p2 - p0)
        # the cross product written out: np.cross's products and differences
        n1 = (
            e1[1] * e2[2] - e1[2] * e2[1],
            e1[2] * e2[0] - e1[0] * e2[2],
            e1[0] * e2[1] - e1[1] * e2[0],
        )
        dot = (self.n0[0][ids] * n1[0] + self.n0[2][ids] * n1[2]) + self.n0[1][ids] * n1[1]
        norm = np.sqrt((n1[0] * n1[0] + n1[1] * n1[1]) + n1[2] * n1[2])
        c = dot / np.maximum(self.n0_len[ids] * norm, 1e-300)
        return np.where(self.valid[ids], c, 1.0)


def _ramp(cos: np.ndarray) -> np.ndarray:
    """How much a triangle turned this far from its neutral normal is pulled: 1 at and under
    :data:`SAFE_COS`, fading linearly to 0 at ``SAFE_COS + BAND`` (no step to land near)."""
    return np.clip((SAFE_COS + BAND - cos) / BAND, 0.0, 1.0)


def repair_field(
    field: np.ndarray,
    vertices: np.ndarray,
    topo: _Topology,
    valid: np.ndarray,
    n0: np.ndarray,
    fixed: np.ndarray | None = None,
    n0_len: np.ndarray | None = None,
    turn: _Turn | None = None,
) -> tuple[np.ndarray, int, int]:
    """Repair one delta field ``(V, 3)`` on the neutral ``vertices`` (V, 3).

    ``valid (T,)`` bool: non-degenerate triangles; ``n0 (T, 3)`` their neutral normals;
    ``n0_len (T,)`` their lengths (computed when None); ``turn``: the :class:`_Turn` of these
    (made here when None; pass one to repair many fields of one mesh).
    Returns (repaired field (V, 3) float64, flipped before, flipped after).
    """
    original = np.array(field, dtype=np.float64)
    t = topo.t
    movable = np.ones(topo.n, bool) if fixed is None else ~np.asarray(fixed, bool)
    if n0_len is None:
        n0_len = np.linalg.norm(n0, axis=1)

    cosines = _Turn(vertices, t, valid, n0, n0_len) if turn is None else turn

    # a triangle whose corners do not move keeps its neutral normal bit for bit (cosine 1: no
    # ramp, not flipped), so only the triangles touching a moving vertex are judged
    judged = topo.triangles_of(np.any(original != 0.0, axis=1))
    cos = cosines(original, judged)
    before = int((cos < 0.0).sum())
    # the ramp is kept on the triangles last judged (``ramp_ids``), zero elsewhere
    ramp_ids, ramp = judged, _ramp(cos)
    if not ramp.any():
        return original, 0, 0
    # the current field: the network's, with the last solved vertices (``solved``) replaced;
    # updated in place (a copy of the whole field per round cost more than the solve at 100k)
    d = original.copy()
    solved = np.zeros(0, dtype=np.int64)
    first_cos = last_cos = cos
    last_ids = judged  # cosines under ``d`` (every other triangle: as judged first)
    pull = np.zeros(len(t))
    seed = np.zeros(topo.n, bool)  # corners of the pulled triangles (pulls never drop to 0)
    rings = SPREAD
    for round_ in range(MAX_ROUNDS):
        # a triangle still (nearly) folding is pulled harder: doubled at full ramp, unchanged at
        # none; a newcomer starts at RIGID_WEIGHT times its ramp. Never a yes/no decision (a
        # triangle outside ``ramp_ids`` has ramp 0: its pull stays as it is)
        pulled = np.maximum(pull[ramp_ids] * STIFFEN**ramp, RIGID_WEIGHT * ramp)
        pull[ramp_ids] = np.minimum(pulled, MAX_WEIGHT)
        seed[t[ramp_ids[pull[ramp_ids] > 0]].ravel()] = True
        if round_ and round_ % GROW_EVERY == 0:
            rings = min(rings + 1, MAX_RING)
        region = topo.grow(seed, rings) & movable
        if not region.any():
            break
        # always solved from the network's field: the result depends on the pulls and the
        # region only, not on the path through the rounds
        d[solved] = original[solved]
        solved, values = _solve_free(original, topo, region, pull)
        d[solved] = values
        ramp_ids = topo.triangles_of(topo.grow(region, 1))
        cos = cosines(d, ramp_ids)
        last_ids, last_cos = ramp_ids, cos
        ramp = _ramp(cos)
        if not ramp.any():
            break
    # ``d`` differs from the network's field only on the last solved vertices, whose triangles
    # are all in ``last_ids``: every other triangle keeps its first cosine (or 1, unmoved)
    after = int((last_cos < 0.0).sum())
    if last_ids is not judged:
        after += int((first_cos[~np.isin(judged, last_ids, assume_unique=True)] < 0.0).sum())
    return d, before, after


def repair_flips(
    deltas: np.ndarray,
    vertices: np.ndarray,
    triangles: np.ndarray,
    names: tuple[str, ...] | list[str] = ICT_NAMES,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Repair every shape of a rig.

    Args:
        deltas: ``(S, V, 3)`` additive shape deltas (any units and axes, the same as vertices).
        vertices: ``(V, 3)`` neutral. triangles: ``(T, 3)`` int.
        names: the S shape names (``mouthClose`` is repaired on top of ``jawOpen``).
        fixed: ``(V,)`` bool, vertices never changed (rigid parts), or None.

    Returns:
        (deltas ``(S, V, 3)``, same dtype; ``{name: (flipped before, flipped after)}`` for the
        shapes that had flips).
    """
    d = np.array(deltas, dtype=np.float64)
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    names = list(names)
    if len(t) == 0:
        return np.asarray(deltas), {}
    topo = _Topology(len(v), t)
    n0 = _normals(v, t)
    area = np.linalg.norm(n0, axis=1)
    valid = area > 1e-12 * max(float(area.max()), 1e-300)
    turn = _Turn(v, t, valid, n0, area)
    counts: dict[str, tuple[int, int]] = {}
    order = sorted(range(len(names)), key=lambda s: names[s] in COMBINED)  # bases first
    for s in order:
        base = names.index(COMBINED[names[s]]) if COMBINED.get(names[s]) in names else None
        offset = d[base] if base is not None else 0.0
        field = d[s] + offset
        fixed_d, before, after = repair_field(field, v, topo, valid, n0, fixed, area, turn)
        # the nearly folding triangles are eased too, also where none flips yet (no yes/no step
        # for nearly equal inputs); only the re-solved vertices change, bit for bit
        moved = np.any(fixed_d != field, axis=1)
        d[s, moved] = fixed_d[moved] - (offset[moved] if base is not None else 0.0)
        if before:
            counts[names[s]] = (before, after)
    return d.astype(np.asarray(deltas).dtype), counts
