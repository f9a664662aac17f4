"""Mirror partners on the surface that face the mirrored way: the closest point of a reflected
vertex, searched again among the triangles facing like the vertex's mirror image when the plain
closest point lies on a sheet facing elsewhere. Numpy in, numpy out, any frame.

Why: on a mouth or an eye two sheets of surface pass within a millimetre of each other (the
lower lip's outer skin and the upper lip's underside at a closed mouth's slit, the lid and the
eyeball), so the closest point of a reflected lip vertex often lands on the sheet facing the
other way. That hit is no mirror partner (its motion is another part's), and before this
module such a vertex simply had none: the lips of the Rocketbox avatars kept their own,
asymmetric deltas (8-12 % of their vertices, most of them moving strongly in the mouth shapes),
and the rig check compared ``_R`` there with the other sheet's motion. The partner an artist
means, the same lip's skin on the other side, is the closest point facing the same way, a
millimetre or two further; this finds it.
"""

from __future__ import annotations

import itertools

import numpy as np

from .memo import memoize
from .transfer import ClosestHits, closest_on_triangles

# vertices per batch of the rival search: bounds its (vertex, candidate triangle) pair arrays
_CHUNK = 1024

# refits of the plane after the first two: more while they bring the mirrored vertices closer
PLANE_MORE_REFITS = 20
# share by which a refit must lower the median mirror distance to count as bringing them closer
PLANE_GAIN = 0.01


# kept by content: the bake's face alignment and the rig check's (the bake's last mirror pass)
# turn the same canonical mesh where the check's frame is the bake's (a mesh with no seams to
# weld: both ask for this plane of the same bytes, ~70 ms at 20k vertices)
@memoize
def mirror_plane(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reach: float,
    min_separation: float = 0.1,
    more_refits: int = PLANE_MORE_REFITS,
    start: tuple[np.ndarray, float] | None = None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The mesh's symmetry plane ``normal . p = offset`` from nearest-vertex pairs: starts from
    ``x = 0`` and refits normal and offset (medians, so a turned head and a few asymmetric parts
    are fine) twice, then again while a refit lowers the median distance of the reflected
    vertices to their nearest vertices by :data:`PLANE_GAIN` (at most
    :data:`PLANE_MORE_REFITS` more). ``reach``: a pair further apart than twice this (mesh
    units) found no partner and gives no direction; pairs closer than ``min_separation`` (near
    the plane) give none either. Returns (normal (3,), offset, reflection (3, 3) of vectors,
    distance (V,) of each reflected vertex to the nearest vertex). ``start``: (normal, offset)
    to start from instead of ``x = 0`` (:func:`model.symmetry_plane.search_symmetry_plane`'s on
    a head turned by more than the refits can follow: about a degree each).

    Vertex pairs, not closest surface points: on a low-poly head whose vertices are mirrored
    but whose quads are split the other way, the closest points lie off the mirrored vertices
    by the quads' bend, which tilted a plane fitted to them by ~0.4 degrees (Rocketbox Adult_02;
    that moved mirror points by ~1 mm, 10 % of a mouth shape's motion there).

    Why more than two refits: the nearest vertex of a reflected vertex lies towards the plane
    it was reflected across, so each refit moves the plane only part of the way, and a head
    whose plane sits off ``x = 0`` needs several. After two, Rocketbox Adult_01's plane sat
    0.013 canonical units (1.6 mm) off its own (reached after 5: median mirror distance 0.025
    -> 0.0023, 5 % -> 42 % of the vertices within 0.002) and its mirror points 3 mm off, which
    is where the bake's symmetrize fades out (model.shape_locality.SYMMETRY_TOL). An
    asymmetric scan's refits mostly drift without bringing the pairs closer and stop: Nefertiti
    keeps the plane of two refits, and so does Demosthenes in the bake's frame (its bake is
    bit-identical); in the rig check's frame Demosthenes' plane turns a further 3 degrees
    (median pair distance 0.029 -> 0.024), and the check still judges it asymmetric (86 % of
    its face paired; before, 72 %).
    """
    from scipy.spatial import cKDTree

    from .weld import weld

    every = np.asarray(vertices, dtype=np.float64)
    # each surface point once: the pairs are fitted on the welded positions, so a mesh split at
    # its UV seams or material borders gets the plane of its welded copy (the bake fits on the
    # welded mesh, the rig check on the input: on a decimated Rocketbox Adult_01, 13 seam
    # duplicates of 587 vertices moved the check's plane 1 mm off the bake's, its mirror points
    # 2 mm, and 16 pairs read 5-19 % asymmetric on shapes the bake had symmetrized whole)
    v = weld(every, np.zeros((0, 3), np.int64)).vertices if len(every) else every
    tree = cKDTree(v)
    normal, offset = np.array([1.0, 0.0, 0.0]), 0.0
    if start is not None:
        normal, offset = np.asarray(start[0], dtype=np.float64), float(start[1])

    # the queries on two workers: each query's answer is its own (the same bits), and these
    # nearest-vertex searches of every reflected vertex are the plane's whole cost
    def reflect(normal: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
        return tree.query(v - 2.0 * ((v @ normal) - offset)[:, None] * normal[None], workers=2)

    def refit(normal: np.ndarray, offset: float, idx: np.ndarray, dist: np.ndarray):
        diff = v - v[idx]
        # pairs far from the plane give its direction; pairs that found no partner give nothing
        far = (np.linalg.norm(diff, axis=1) > min_separation) & (dist < 2 * reach)
        if far.sum() >= 3:
            n = np.median(diff[far] * np.sign(diff[far] @ normal)[:, None], axis=0)
            normal = n / np.linalg.norm(n)
        return normal, float(np.median(((v + v[idx]) / 2.0) @ normal))

    dist, idx = reflect(normal, offset)
    for _ in range(2):
        normal, offset = refit(normal, offset, idx, dist)
        dist, idx = reflect(normal, offset)
    for _ in range(more_refits):
        n2, o2 = refit(normal, offset, idx, dist)
        d2, i2 = reflect(n2, o2)
        if not float(np.median(d2)) < (1.0 - PLANE_GAIN) * float(np.median(dist)):
            break
        normal, offset, dist, idx = n2, o2, d2, i2
    if len(v) != len(every):  # every input vertex's distance (a duplicate's is its group's)
        dist, _ = tree.query(every - 2.0 * ((every @ normal) - offset)[:, None] * normal[None], workers=2)
    return normal, float(offset), np.eye(3) - 2.0 * np.outer(normal, normal), dist


@memoize
def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V, 3) unit area-weighted vertex normals (zero for vertices in no triangle)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    fn = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    out = np.zeros_like(v)
    for k in range(3):
        np.add.at(out, t[:, k], fn)
    norm = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norm, out=np.zeros_like(out), where=norm > 0)


@memoize
def face_normals(v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) unit face normals (zero for degenerate faces), (T,) twice the areas."""
    fn = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    area2 = np.linalg.norm(fn, axis=1)
    return np.divide(fn, area2[:, None], out=np.zeros_like(fn), where=area2[:, None] > 0), area2


def _best_own_face(
    v: np.ndarray, t: np.ndarray, reflection: np.ndarray, directions: np.ndarray
) -> np.ndarray:
    """(V,) the largest cosine between ``directions`` (V, 3) and the mirrored face normals of
    each vertex's own triangles (-inf for a vertex in none)."""
    fn, _ = face_normals(v, t)
    mirrored = fn @ np.asarray(reflection, np.float64).T
    out = np.full(len(v), -np.inf)
    for k in range(3):
        np.maximum.at(out, t[:, k], np.einsum("tc,tc->t", mirrored, directions[t[:, k]]))
    return out


def facing(
    vertices: np.ndarray, triangles: np.ndarray, hits: ClosestHits, reflection: np.ndarray, min_cos: float
) -> np.ndarray:
    """(V,) bool: the surface at each hit faces like the vertex's mirror image: the normal
    interpolated at the hit within ``min_cos`` (cosine) of the reflected vertex normal, or the
    hit triangle's normal within it of a reflected normal of one of the vertex's own triangles
    (on a crease, a lid margin or a lip's edge, the vertex normal averages surfaces facing
    60-150 degrees apart and matches neither side's partner). ``reflection`` (3, 3) reflects
    vectors across the mirror plane."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    vn = vertex_normals(v, t)
    at_hit = np.einsum("vk,vkc->vc", hits.barycentric, vn[hits.corners])
    smooth = np.einsum("vc,vc->v", vn @ reflection.T, at_hit) >= min_cos * np.linalg.norm(at_hit, axis=1)
    fn, _ = face_normals(v, t)
    return smooth | (_best_own_face(v, t, reflection, fn[hits.triangle]) >= min_cos)


def facing_hits(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reflected: np.ndarray,
    hits: ClosestHits,
    reflection: np.ndarray,
    min_cos: float,
    radius: float,
    groups: np.ndarray | None = None,
) -> tuple[ClosestHits, np.ndarray]:
    """(hits, facing (V,) bool): ``hits`` of the ``reflected`` vertices (V, 3) on the mesh, each
    one that lands on surface not facing the vertex's mirrored normal (``min_cos``) searched
    again among the triangles whose face normal does, within ``radius`` (mesh units) of the
    reflected vertex; kept when none is found (facing False). ``groups`` (T,) int: a new hit
    stays in the group (e.g. connected component) of the old one (None: anywhere)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    q = np.asarray(reflected, dtype=np.float64)
    ok = facing(v, t, hits, reflection, min_cos)
    redo = np.flatnonzero(~ok & (hits.distance <= radius))
    if redo.size == 0 or len(t) == 0:
        return hits, ok
    group = None if groups is None else np.asarray(groups, np.int64)
    # the closest point among the triangles facing like one of the vertex's own, mirrored (see
    # facing), of nonzero area, in the old hit's group
    rows, found = _Rivals(v, t, reflection, radius).search(redo, q, hits, min_cos, group)
    close = found.distance <= radius
    fields = [np.array(f, copy=True) for f in hits]
    for out, value in zip(fields, found, strict=True):
        out[rows[close]] = value[close]
    new = ClosestHits(*fields)
    return new, facing(v, t, new, reflection, min_cos)


def _ring_reach(num_vertices: int, triangles: np.ndarray, rings: int):
    """(V, V) sparse bool: vertex pairs within ``rings`` edge rings of each other."""
    import scipy.sparse as sp

    t = np.asarray(triangles, dtype=np.int64)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0], np.arange(num_vertices)])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2], np.arange(num_vertices)])
    step = sp.csr_matrix((np.ones(len(rows), np.int32), (rows, cols)), shape=(num_vertices, num_vertices))
    step.data[:] = 1
    reach = step
    for _ in range(rings - 1):
        reach = reach @ step
        reach.data[:] = 1
    return reach.tocsr()


def _near_any(reach, corners: np.ndarray, others: np.ndarray) -> np.ndarray:
    """(n,) bool: vertex ``others[n]`` is within reach of one of ``corners[n]`` (n, k)."""
    n, k = corners.shape
    if n == 0:
        return np.zeros(0, bool)
    # one batched lookup of the n * k pairs (sparse indexing costs ~50 us per call)
    found = np.asarray(reach[corners.ravel(), np.repeat(others, k)]).reshape(n, k)
    return (found != 0).any(axis=1)


def _segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, rank): for segments of ``counts`` (n,) items laid end to end, each item's segment
    and its place in it (both (counts.sum(),) int64)."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    start = np.cumsum(counts) - counts
    return owner, np.arange(int(counts.sum())) - start[owner]


def _rows_of(matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, column): the stored entries of CSR ``matrix``'s ``rows``, row by row in storage
    order; ``owner`` indexes ``rows``."""
    start, stop = matrix.indptr[rows], matrix.indptr[np.asarray(rows) + 1]
    owner, rank = _segments(stop - start)
    return owner, matrix.indices[start[owner] + rank].astype(np.int64)


def _incidence(num_vertices: int, t: np.ndarray):
    """(V, T) CSR: each vertex's triangles (each once, ascending, as ``flatnonzero((t == i).any(1))``)."""
    import scipy.sparse as sp

    tri = np.repeat(np.arange(len(t)), 3)
    m = sp.csr_matrix((np.ones(tri.size, np.int8), (t.ravel(), tri)), shape=(num_vertices, len(t)))
    m.sum_duplicates()  # sorted indices, a triangle with a repeated corner once
    return m


class _Rivals:
    """The rival of a vertex's mirror hit on another sheet: the closest point of the triangles
    facing the vertex's mirror image (``min_cos``, as :func:`facing`) more than ``rings`` edge
    rings from the hit triangle's corners (or anywhere: :func:`facing_hits`), among the
    triangles that may come within ``radius`` of the mirror point (a ball search on triangle
    centroids, pruned by each triangle's circumradius; a rival found further is the callers' to
    drop). Built once per mesh and pass; shared by :func:`facing_hits`,
    :func:`sheet_consistent_hits` and :func:`motion_sheet_hits`.

    Batched over the vertices (array operations on all (vertex, candidate triangle) pairs at
    once, in chunks of :data:`_CHUNK` vertices), with the results of the former per-vertex
    search: the closest point the smallest distance, ties to the lowest triangle index (as
    :func:`model.transfer.closest_points` on the candidates in ascending order)."""

    def __init__(self, v: np.ndarray, t: np.ndarray, reflection: np.ndarray, radius: float, reach=None):
        """``reach``: :func:`_ring_reach` of the mesh for the rings that count as apart (None:
        any triangle counts, however near the hit: :func:`facing_hits`)."""
        from scipy.spatial import cKDTree

        self.v, self.t = v, t
        self.reach = reach
        self.fn, self.area2 = face_normals(v, t)
        self.mirrored = self.fn @ np.asarray(reflection, np.float64).T
        self.centroid = v[t].mean(axis=1)
        self.circumradius = np.linalg.norm(v[t] - self.centroid[:, None], axis=2).max(axis=1)
        self.radius = radius
        # centroid trees binned by circumradius (up to twice the median, then doubling): each
        # bin is searched within ``radius`` plus its own largest circumradius, so a few long
        # triangles (a neck's cap) do not widen the search for all the others
        base = max(2.0 * float(np.median(self.circumradius)), 1e-12) if len(t) else 1.0
        level = np.zeros(len(t), dtype=np.int64)
        big = self.circumradius > base
        level[big] = np.ceil(np.log2(self.circumradius[big] / base)).astype(np.int64)
        self.bins = []
        for lv in np.unique(level):
            members = np.flatnonzero(level == lv)
            grow = radius + float(self.circumradius[members].max())
            self.bins.append((members, cKDTree(self.centroid[members]), grow))
        self.own = _incidence(len(v), t)

    def search(
        self,
        ids: np.ndarray,
        q: np.ndarray,
        hits: ClosestHits,
        min_cos: float,
        group: np.ndarray | None = None,
    ):
        """(rows, found): the vertices of ``ids`` (ascending) with a rival, (R,) int64, and the
        rivals, :class:`ClosestHits` of ``q[rows]`` (``triangle``: the mesh's triangle).
        ``group`` (T,) int: a rival lies in the group of the vertex's hit triangle (None: any)."""
        ids = np.asarray(ids, dtype=np.int64)
        parts = [
            self._search(ids[s : s + _CHUNK], q, hits, min_cos, group) for s in range(0, len(ids), _CHUNK)
        ]
        if not parts:
            return np.zeros(0, np.int64), _no_hits()
        rows = np.concatenate([p[0] for p in parts])
        return rows, ClosestHits(*(np.concatenate(f) for f in zip(*(p[1] for p in parts), strict=True)))

    def _search(self, ids: np.ndarray, q: np.ndarray, hits: ClosestHits, min_cos: float, group):
        from scipy.spatial import cKDTree

        v, t = self.v, self.t
        # a triangle lies within its circumradius of its centroid: one whose closest point
        # cannot be within ``radius`` is no rival (the callers drop a farther one anyway; the
        # nearest and its ties, within radius, stay); the slack keeps rounding from dropping one
        slack = 1e-9 * (1.0 + np.abs(q[ids]).max(axis=1)) + 1e-12
        queries = cKDTree(q[ids])
        pos, cand = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for members, tree, grow in self.bins:
            # every (vertex, triangle) pair of the bin with the centroid within its reach
            pairs = queries.sparse_distance_matrix(tree, grow + float(slack.max()), output_type="ndarray")
            tri = members[pairs["j"]]
            keep = (pairs["v"] - self.circumradius[tri] <= self.radius + slack[pairs["i"]]) & (
                self.area2[tri] > 0
            )
            pos.append(pairs["i"][keep])
            cand.append(tri[keep])
        pos, cand = np.concatenate(pos), np.concatenate(cand)  # which of ids, which triangle
        if group is not None:
            same = group[cand] == group[hits.triangle[ids[pos]]]
            pos, cand = pos[same], cand[same]
        # facing like one of the vertex's own triangles, mirrored: the best cosine over them
        start = self.own.indptr[ids[pos]]
        count = self.own.indptr[ids[pos] + 1] - start
        owner, rank = _segments(count)
        tri = self.own.indices[start[owner] + rank]
        cosine = np.einsum("nc,nc->n", np.repeat(self.fn[cand], count, axis=0), self.mirrored[tri])
        best = np.full(len(cand), -np.inf)  # a vertex in no triangle: none faces like it
        some = count > 0
        if cosine.size:
            best[some] = np.maximum.reduceat(cosine, (np.cumsum(count) - count)[some])
        keep = best >= min_cos
        pos, cand = pos[keep], cand[keep]
        if self.reach is not None:
            # apart: no corner of the candidate within reach of a corner of the hit triangle
            corners = hits.corners[ids[pos]]
            near = np.zeros(len(cand), bool)
            for k in range(3):
                near |= _near_any(self.reach, t[cand], corners[:, k])
            pos, cand = pos[~near], cand[~near]
        # the closest point of each vertex's mirror point on its candidates
        tri = t[cand]
        p = q[ids[pos]]
        bary = closest_on_triangles(p, v[tri[:, 0]], v[tri[:, 1]], v[tri[:, 2]])
        dist = np.linalg.norm(np.einsum("nk,nkc->nc", bary, v[tri]) - p, axis=1)
        # ties (a mirror point closest to a shared corner or edge) to the lowest triangle index,
        # as closest_points on the candidates listed in ascending order (the former search's
        # multi-point ball query sorted them)
        order = np.lexsort((cand, dist, pos))
        first = order[np.r_[True, pos[order][1:] != pos[order][:-1]]] if order.size else order
        win = cand[first]
        found = ClosestHits(
            win, bary[first], dist[first], np.einsum("nk,nkc->nc", bary[first], v[t[win]]), t[win]
        )
        return ids[pos[first]], found


def _no_hits() -> ClosestHits:
    empty = np.zeros((0, 3))
    return ClosestHits(np.zeros(0, np.int64), empty, np.zeros(0), empty, np.zeros((0, 3), np.int64))


def sheet_consistent_hits(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reflected: np.ndarray,
    hits: ClosestHits,
    reflection: np.ndarray,
    min_cos: float,
    radius: float,
    rings: int = 3,
    groups: np.ndarray | None = None,
) -> tuple[ClosestHits, np.ndarray]:
    """(hits, ambiguous (V,) bool): where a second sheet of surface passes within an edge
    length of a vertex's mirror point (a vertex there lies more than ``rings`` edge rings from
    the hit triangle's corners: the other lip across a closed mouth's slit, both facing the
    same way), the hit on the sheet its neighbours' mirror points lie on. Geometry only: the
    mirror map is continuous on the surface, so the lower lip's row maps next to where the
    lower lip's next row maps. ``ambiguous``: a second sheet was there (replaced or not).

    Each hit of such a vertex gets a rival: the closest point facing the vertex's mirror image
    (``min_cos``, as :func:`facing`) more than ``rings`` rings from the hit, within ``radius``;
    and no further than the hit plus the mean edge length at the vertex; it wins when more of the vertex's
    neighbours (one ring, those with no second sheet
    by their own mirror point; two rings when none) have their hit within ``rings`` rings of
    it than of the current hit. ``groups`` (T,) int (e.g. connected components): the second
    sheet and the rival lie in the group of the vertex's hit (None: anywhere), so a lip's
    partner never moves onto a loose tooth behind it.
    """
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    q = np.asarray(reflected, dtype=np.float64)
    n = len(v)
    ambiguous = np.zeros(n, bool)
    if len(t) == 0:
        return hits, ambiguous
    reach = _ring_reach(n, t, rings)
    edge = float(np.median(np.linalg.norm(v[t[:, 0]] - v[t[:, 1]], axis=1)))
    near = cKDTree(v).query_ball_point(hits.points, edge)
    owner, _ = _segments(np.fromiter(map(len, near), dtype=np.int64, count=n))
    other = np.fromiter(itertools.chain.from_iterable(near), dtype=np.int64, count=len(owner))
    far = ~_near_any(reach, hits.corners[owner], other)
    group = None if groups is None else np.asarray(groups, np.int64)
    if group is not None:
        # a second sheet of another piece (a loose tooth behind a lip) is no sheet of this one
        vertex_group = np.full(n, -1, np.int64)
        vertex_group[t] = group[:, None]
        far &= vertex_group[other] == group[hits.triangle[owner]]
    ambiguous[owner[far]] = True
    ids = np.flatnonzero(ambiguous)
    if ids.size == 0:
        return hits, ambiguous
    rivals = _Rivals(v, t, reflection, radius, reach)
    rows, found = rivals.search(ids, q, hits, min_cos, group)
    # the rival must be about as close as the hit, within the mesh's resolution: a hit on
    # a mirror-built mesh's mirrored vertex is exact, however the neighbours vote
    local = _mean_edge(v, t, rivals.own, rows)
    close = ~(found.distance > np.minimum(radius, hits.distance[rows] + local))
    rows, found = rows[close], ClosestHits(*(f[close] for f in found))
    # the neighbours that vote: one ring with no second sheet by their own mirror point (the
    # vertex itself is in its ring), two rings when none
    one_ring = _ring_reach(n, t, 1)
    voter, sure = _rows_of(one_ring, rows)
    keep = ~ambiguous[sure]
    voter, sure = voter[keep], sure[keep]
    lone = np.flatnonzero(np.bincount(voter, minlength=len(rows)) == 0)
    if lone.size:
        two_voter, two = _rows_of((one_ring[rows[lone]] @ one_ring).tocsr(), np.arange(len(lone)))
        keep = ~ambiguous[two]
        voter = np.concatenate([voter, lone[two_voter[keep]]])
        sure = np.concatenate([sure, two[keep]])
    witness = hits.corners[sure, 0]
    keep = np.bincount(voter, _near_any(reach, hits.corners[rows[voter]], witness), len(rows))
    rival = np.bincount(voter, _near_any(reach, found.corners[voter], witness), len(rows))
    win = rival > keep
    out = [np.array(f, copy=True) for f in hits]
    for o, value in zip(out, found, strict=True):
        o[rows[win]] = value[win]
    return ClosestHits(*out), ambiguous


def _mean_edge(v: np.ndarray, t: np.ndarray, own, rows: np.ndarray) -> np.ndarray:
    """(R,) the mean length of the edges at each vertex of ``rows``: its triangles' corner
    distances summed over twice their number (own (V, T) CSR :func:`_incidence`; 0 for a
    vertex in none). Summed per vertex as one array of its triangles (ascending) by their
    corners, the bits of the former per-vertex sum."""
    out = np.zeros(len(rows))
    counts = own.indptr[rows + 1] - own.indptr[rows]
    for m in np.unique(counts[counts > 0]):
        sel = np.flatnonzero(counts == m)
        tri = own.indices[own.indptr[rows[sel]][:, None] + np.arange(m)]  # (k, m)
        d = np.linalg.norm(v[t[tri]] - v[rows[sel]][:, None, None], axis=3)  # (k, m, 3)
        out[sel] = d.reshape(len(sel), 3 * m).sum(axis=1) / max(2 * m, 1)
    return out


def rival_hits(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reflected: np.ndarray,
    hits: ClosestHits,
    ids: np.ndarray,
    reflection: np.ndarray,
    min_cos: float,
    radius: float,
    rings: int,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, ClosestHits]:
    """(rows, found): the vertices of ``ids`` (ascending) whose mirror point ``reflected`` (V,
    3) has a rival on another sheet within ``radius``, and those rivals (:class:`ClosestHits`,
    one row each): the closest point of the triangles facing the vertex's mirror image
    (``min_cos``) more than ``rings`` edge rings from the corners of its hit in ``hits``. Used
    by :func:`motion_sheet_hits` and the bake's lip-slit pass
    (:func:`model.shape_locality.post_process`). ``groups`` (T,) int: a rival lies in the group
    of the vertex's hit (None: anywhere)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    q = np.asarray(reflected, dtype=np.float64)
    rivals = _Rivals(v, t, reflection, radius, _ring_reach(len(v), t, rings))
    group = None if groups is None else np.asarray(groups, np.int64)
    rows, found = rivals.search(ids, q, hits, min_cos, group)
    close = found.distance <= radius
    return rows[close], ClosestHits(*(x[close] for x in found))


def motion_sheet_hits(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reflected: np.ndarray,
    hits: ClosestHits,
    ambiguous: np.ndarray,
    reflection: np.ndarray,
    fields: np.ndarray,
    min_cos: float,
    radius: float,
    rings: int = 3,
    switch: float = 0.5,
    least: float = 0.3,
    groups: np.ndarray | None = None,
) -> ClosestHits:
    """``hits`` where, at a vertex with a second sheet by its mirror point (``ambiguous`` (V,)
    bool, :func:`sheet_consistent_hits`), the rival on the other sheet (the closest point facing
    the vertex's mirror image, ``min_cos``, more than ``rings`` edge rings from the hit, within
    ``radius``) moves like the vertex in the unsided ``fields`` (F, V, 3) (vectors, the mesh's
    frame: e.g. the ``jawOpen`` of a rig, a shape with no left/right partner, which must be its
    own mirror image) and the hit does not: the rival's mismatch ``|own - image|^2 / (|own|^2 +
    |image|^2 + floor)`` (summed over the fields; the floor 15 % of the largest motion, squared)
    below ``switch`` times the hit's, and the hit's at least ``least`` (a motion that differs
    by about half: the bake's lip-slit gate, :data:`model.shape_locality.MIRROR_MISMATCH`; a
    smaller one is asymmetry to measure, not another sheet).

    Why: at a closed mouth's slit of a low-poly head (Rocketbox Adult_02, edges ~8 mm) the
    lower lip's slit row lands 0.4-1.4 mm from the upper lip and 0.7-2 mm from its own lip, and
    every neighbour has a second sheet by its mirror point too, so no neighbour vote decides;
    the upper lip moves a tenth of the lower lip in jawOpen (3.5 vs 34.6 mm/100 at the row's
    middle), its own lip the same. Unsided shapes only, so a sided pair's mirror error is still
    measured on a correspondence it did not choose. ``groups`` (T,) int: the rival lies in the
    group of the vertex's hit (None: anywhere): the lower teeth move like the lower lip in
    jawOpen, and a loose tooth behind a lip is never its partner."""

    ids = np.flatnonzero(ambiguous)
    f = np.asarray(fields, dtype=np.float64)
    if ids.size == 0 or f.size == 0 or len(triangles) == 0:
        return hits
    rows, found = rival_hits(
        vertices, triangles, reflected, hits, ids, reflection, min_cos, radius, rings, groups=groups
    )
    # a floor of 15 % of the largest motion: a vertex that barely moves decides nothing
    floor = (0.15 * float(np.sqrt(np.einsum("fvc,fvc->v", f, f).max()))) ** 2
    now = _mismatch(f, reflection, floor, rows, hits.corners[rows], hits.barycentric[rows])
    then = _mismatch(f, reflection, floor, rows, found.corners, found.barycentric)
    win = (now >= least) & (then < switch * now)
    out = [np.array(x, copy=True) for x in hits]
    for o, value in zip(out, found, strict=True):
        o[rows[win]] = value[win]
    return ClosestHits(*out)


def _mismatch(
    f: np.ndarray,
    reflection: np.ndarray,
    floor: float,
    rows: np.ndarray,
    corners: np.ndarray,
    bary: np.ndarray,
) -> np.ndarray:
    """(R,) the mismatch of :func:`motion_sheet_hits` between each vertex of ``rows`` and the
    mirror image of the fields ``f`` (F, V, 3) at the points ``bary`` (R, 3) of triangles with
    ``corners`` (R, 3): ``|own - image|^2 / (|own|^2 + |image|^2 + floor)``, 0 where that
    denominator is 0. Each vertex's (F, 3) arrays laid out as the former per-vertex loop's (the
    same sums to the bit)."""
    image = np.einsum("nk,fnkc->nfc", bary, f[:, corners]) @ np.asarray(reflection, np.float64).T
    own = np.ascontiguousarray(f[:, rows].transpose(1, 0, 2))  # (R, F, 3)
    total = (own**2).sum(axis=(1, 2)) + (image**2).sum(axis=(1, 2)) + floor
    diff = ((own - image) ** 2).sum(axis=(1, 2))
    return np.divide(diff, total, out=np.zeros_like(diff), where=total > 0)
