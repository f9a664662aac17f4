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

import numpy as np

from .transfer import ClosestHits, closest_points

# refits of the plane after the first two: more while they bring the mirrored vertices closer
PLANE_MORE_REFITS = 20
# share by which a refit must lower the median mirror distance to count as bringing them closer
PLANE_GAIN = 0.01


def mirror_plane(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reach: float,
    min_separation: float = 0.1,
    more_refits: int = PLANE_MORE_REFITS,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """The mesh's symmetry plane ``normal . p = offset`` from nearest-vertex pairs: starts from
    ``x = 0`` and refits normal and offset (medians, so a turned head and a few asymmetric parts
    are fine) twice, then again while a refit lowers the median distance of the reflected
    vertices to their nearest vertices by :data:`PLANE_GAIN` (at most
    :data:`PLANE_MORE_REFITS` more). ``reach``: a pair further apart than twice this (mesh
    units) found no partner and gives no direction; pairs closer than ``min_separation`` (near
    the plane) give none either. Returns (normal (3,), offset, reflection (3, 3) of vectors,
    distance (V,) of each reflected vertex to the nearest vertex).

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

    v = np.asarray(vertices, dtype=np.float64)
    tree = cKDTree(v)
    normal, offset = np.array([1.0, 0.0, 0.0]), 0.0

    def reflect(normal: np.ndarray, offset: float) -> tuple[np.ndarray, np.ndarray]:
        return tree.query(v - 2.0 * ((v @ normal) - offset)[:, None] * normal[None])

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
    return normal, float(offset), np.eye(3) - 2.0 * np.outer(normal, normal), dist


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
    from scipy.spatial import cKDTree

    fn, area2 = face_normals(v, t)
    centroid = v[t].mean(axis=1)
    # a triangle whose closest point is within ``radius`` has its centroid within radius plus
    # its own circumradius: the longest edge bounds that
    reach = radius + float(np.linalg.norm(v[t] - centroid[:, None], axis=2).max())
    group = np.zeros(len(t), np.int64) if groups is None else np.asarray(groups, np.int64)
    tree = cKDTree(centroid)
    mirrored = fn @ np.asarray(reflection, np.float64).T
    own = [[] for _ in range(len(v))]
    for f in np.flatnonzero(np.isin(t, redo).any(axis=1)):
        for k in t[f]:
            own[k].append(f)
    fields = [np.array(f, copy=True) for f in hits]
    for i, near in zip(redo, tree.query_ball_point(q[redo], reach), strict=True):
        near = np.asarray(near, dtype=np.int64)
        same = group[near] == group[hits.triangle[i]]
        # a triangle facing like one of the vertex's own, mirrored (see facing)
        like = (fn[near] @ mirrored[own[i]].T).max(axis=1, initial=-np.inf) >= min_cos
        near = near[same & (area2[near] > 0) & like]
        if near.size == 0:
            continue
        found = closest_points(v, t[near], q[i : i + 1])
        if found.distance[0] > radius:
            continue
        for out, value in zip(fields, (near[found.triangle], found.barycentric, found.distance,
                                       found.points, found.corners), strict=True):  # fmt: skip
            out[i] = value[0]
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
    """(n,) bool: vertex ``others[n]`` is within reach of one of ``corners[n]`` (n, 3)."""
    out = np.zeros(len(others), bool)
    for k in range(corners.shape[1]):
        out |= np.asarray(reach[corners[:, k], others]).ravel() != 0
    return out


class _Rivals:
    """The rival of a vertex's mirror hit on another sheet: the closest point of the triangles
    facing the vertex's mirror image (``min_cos``, as :func:`facing`) more than ``rings`` edge
    rings from the hit triangle's corners, within ``radius`` of the mirror point (a box search
    on triangle centroids; distance tests are the caller's). Built once per mesh and pass;
    shared by :func:`sheet_consistent_hits` and :func:`motion_sheet_hits`."""

    def __init__(self, v: np.ndarray, t: np.ndarray, reflection: np.ndarray, radius: float, reach):
        """``reach``: :func:`_ring_reach` of the mesh for the rings that count as apart."""
        from scipy.spatial import cKDTree

        self.v, self.t = v, t
        self.reach = reach
        self.fn, self.area2 = face_normals(v, t)
        self.mirrored = self.fn @ np.asarray(reflection, np.float64).T
        centroid = v[t].mean(axis=1)
        self.grow = radius + float(np.linalg.norm(v[t] - centroid[:, None], axis=2).max())
        self.tree = cKDTree(centroid)

    def search(self, ids: np.ndarray, q: np.ndarray, hits: ClosestHits, min_cos: float):
        """Yield ``(i, own, cand, found)`` for each vertex ``i`` of ``ids`` with a rival: its own
        triangles ``own``, the rival triangles ``cand`` and ``found`` (:class:`ClosestHits` of
        ``q[i]`` on them, one row)."""
        t = self.t
        for i, cand in zip(ids, self.tree.query_ball_point(q[ids], self.grow), strict=True):
            cand = np.asarray(cand, dtype=np.int64)
            own = np.flatnonzero((t == i).any(axis=1))
            like = (self.fn[cand] @ self.mirrored[own].T).max(axis=1, initial=-np.inf) >= min_cos
            apart = np.ones(len(cand), bool)
            for k in range(3):
                apart &= ~_near_any(self.reach, t[cand], np.full(len(cand), hits.corners[i, k]))
            cand = cand[like & apart & (self.area2[cand] > 0)]
            if cand.size == 0:
                continue
            yield i, own, cand, closest_points(self.v, t[cand], q[i : i + 1])


def sheet_consistent_hits(
    vertices: np.ndarray,
    triangles: np.ndarray,
    reflected: np.ndarray,
    hits: ClosestHits,
    reflection: np.ndarray,
    min_cos: float,
    radius: float,
    rings: int = 3,
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
    it than of the current hit.
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
    owner = np.repeat(np.arange(n), [len(x) for x in near])
    other = np.fromiter((k for x in near for k in x), dtype=np.int64, count=len(owner))
    far = ~_near_any(reach, hits.corners[owner], other)
    ambiguous[owner[far]] = True
    ids = np.flatnonzero(ambiguous)
    if ids.size == 0:
        return hits, ambiguous
    one_ring = _ring_reach(n, t, 1)
    rivals = _Rivals(v, t, reflection, radius, reach)
    fields = [np.array(f, copy=True) for f in hits]
    for i, own, cand, found in rivals.search(ids, q, hits, min_cos):
        # the rival must be about as close as the hit, within the mesh's resolution: a hit on
        # a mirror-built mesh's mirrored vertex is exact, however the neighbours vote
        local = float(np.linalg.norm(v[t[own]] - v[i], axis=2).sum() / max(2 * len(own), 1))
        if found.distance[0] > min(radius, hits.distance[i] + local):
            continue
        neighbours = one_ring[i].indices
        sure = neighbours[~ambiguous[neighbours]]
        if sure.size == 0:
            two = (one_ring @ one_ring[i].T).nonzero()[0]
            sure = two[~ambiguous[two]]
        if sure.size == 0:
            continue
        witness = hits.corners[sure, 0]
        keep = _near_any(reach, np.repeat(hits.corners[i : i + 1], len(sure), 0), witness).sum()
        rival = _near_any(reach, np.repeat(found.corners, len(sure), 0), witness).sum()
        if rival > keep:
            for out, value in zip(fields, (cand[found.triangle], *found[1:]), strict=True):
                out[i] = value[0]
    return ClosestHits(*fields), ambiguous


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
    measured on a correspondence it did not choose."""

    ids = np.flatnonzero(ambiguous)
    f = np.asarray(fields, dtype=np.float64)
    if ids.size == 0 or f.size == 0 or len(triangles) == 0:
        return hits
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    q = np.asarray(reflected, dtype=np.float64)
    rivals = _Rivals(v, t, reflection, radius, _ring_reach(len(v), t, rings))
    out = [np.array(x, copy=True) for x in hits]
    # a floor of 15 % of the largest motion: a vertex that barely moves decides nothing
    floor = (0.15 * float(np.sqrt(np.einsum("fvc,fvc->v", f, f).max()))) ** 2

    def mismatch(i: int, corners: np.ndarray, bary: np.ndarray) -> float:
        image = np.einsum("k,fkc->fc", bary, f[:, corners]) @ np.asarray(reflection, np.float64).T
        own = f[:, i]
        total = float((own**2).sum() + (image**2).sum()) + floor
        return float(((own - image) ** 2).sum()) / total if total > 0 else 0.0

    for i, _, cand, found in rivals.search(ids, q, hits, min_cos):
        if found.distance[0] > radius:
            continue
        now = mismatch(i, hits.corners[i], hits.barycentric[i])
        if now >= least and mismatch(i, found.corners[0], found.barycentric[0]) < switch * now:
            for o, value in zip(out, (cand[found.triangle], *found[1:]), strict=True):
                o[i] = value[0]
    return ClosestHits(*out)
