"""Geometric face landmarks for the rig check: the skin, its eye openings and the lid margins.

Everything here works on a mesh already in the canonical frame (:mod:`model.frame`: Y up, face
toward +Z, +X = the subject's left) and uses geometry only, never the network, so that the rig
check measures the network instead of trusting it.

* The **skin** is the largest connected component (by vertex count), unless the caller says
  otherwise: eyeballs, teeth and lashes are separate components on artist meshes.
* An **eye opening** is a boundary loop of the skin that lies entirely on one side of the
  symmetry plane (the mouth and the outer border of a face crop straddle it), in front of the
  skin's median depth and above its median height; on each side the longest such loop wins
  (nostril or tear-duct holes are smaller than an eye opening).
* The **lid margins** are the two halves of the loop between its canthi (the loop's extreme
  points along X); the half with the higher mean Y is the upper margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .memo import memoize
from .rows import unique_rows


@dataclass
class Eyeball:
    """A separate eyeball component: ``vertices (n,) int64``, fitted ``center (3,)`` and ``radius``
    (canonical units)."""

    vertices: np.ndarray
    center: np.ndarray
    radius: float


@dataclass
class EyeOpening:
    """One eye opening of the skin, in canonical coordinates.

    side: ``"L"`` (+X, the subject's left) or ``"R"``. loop: ``(n,)`` int64 vertex indices of the
    boundary loop in walking order. upper, lower: ``(m,)`` int64 vertex indices of the upper and
    lower lid margin, ordered from one canthus to the other (both include the canthi).
    center: ``(3,)`` float64 loop centroid. width: canthus-to-canthus distance (canonical units).
    max_gap: the largest distance between the margins across the opening at neutral.
    """

    side: str
    loop: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    center: np.ndarray
    width: float
    max_gap: float


@memoize
def components(num_vertices: int, triangles: np.ndarray) -> np.ndarray:
    """Connected component id of every vertex ``(V,) int64`` (unreferenced vertices are alone)."""
    t = np.asarray(triangles, dtype=np.int64)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    graph = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(num_vertices, num_vertices))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


@memoize
def largest_component_mask(num_vertices: int, triangles: np.ndarray) -> np.ndarray:
    """``(V,) bool``: the vertices of the largest connected component (the skin, by default)."""
    labels = components(num_vertices, triangles)
    referenced = np.zeros(num_vertices, dtype=bool)
    referenced[np.asarray(triangles).ravel()] = True
    counts = np.bincount(labels[referenced], minlength=labels.max() + 1)
    return labels == int(np.argmax(counts))


@memoize
def boundary_loops(triangles: np.ndarray) -> list[np.ndarray]:
    """Boundary loops of a triangle mesh: a list of ``(n,) int64`` vertex index arrays.

    A boundary edge has exactly one incident triangle. Loops are walked along boundary edges;
    at a non-manifold boundary vertex (more than two boundary edges) the walk takes the first
    unused edge, so every boundary edge lands in exactly one chain.
    """
    t = np.asarray(triangles, dtype=np.int64)
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    key = np.sort(edges, axis=1)
    uniq, inverse, counts = unique_rows(key, return_inverse=True, return_counts=True)
    boundary = edges[counts[inverse.ravel()] == 1]
    if len(boundary) == 0:
        return []
    neighbours: dict[int, list[int]] = {}
    for a, b in boundary:
        neighbours.setdefault(int(a), []).append(int(b))
        neighbours.setdefault(int(b), []).append(int(a))
    used: set[tuple[int, int]] = set()
    loops = []
    for a0, b0 in boundary:
        e = (min(a0, b0), max(a0, b0))
        if e in used:
            continue
        used.add(e)
        loop = [int(a0), int(b0)]
        while True:
            cur = loop[-1]
            nxt = next((n for n in neighbours[cur] if (min(cur, n), max(cur, n)) not in used), None)
            if nxt is None:
                break
            used.add((min(cur, nxt), max(cur, nxt)))
            if nxt == loop[0]:
                break
            loop.append(nxt)
        loops.append(np.array(loop, dtype=np.int64))
    return loops


def loop_perimeter(points: np.ndarray) -> float:
    """Length of the closed polygon through ``points (n, 3)``."""
    return float(np.linalg.norm(points - np.roll(points, 1, axis=0), axis=1).sum())


def _split_margins(loop: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a loop at its extreme-X points into (upper, lower) chains, canthus to canthus."""
    # ties (a vertical edge at the corner) go to the point nearest the loop's mid height
    off = np.abs(pts[:, 1] - pts[:, 1].mean())
    i0 = int(np.lexsort((off, pts[:, 0]))[0])
    i1 = int(np.lexsort((off, -pts[:, 0]))[0])
    n = len(loop)
    a = [(i0 + k) % n for k in range(((i1 - i0) % n) + 1)]  # i0 -> i1 one way round
    b = [(i0 - k) % n for k in range(((i0 - i1) % n) + 1)]  # i0 -> i1 the other way
    chain_a, chain_b = loop[a], loop[b]
    if pts[a, 1].mean() >= pts[b, 1].mean():
        return chain_a, chain_b
    return chain_b, chain_a


def margin_gaps(
    canonical: np.ndarray, upper: np.ndarray, lower: np.ndarray, samples: int = 32
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the lid margins face each other: sample points across the opening.

    Both margins run canthus to canthus; each margin vertex gets the parameter ``s`` in [0, 1],
    its projection on the canthus-to-canthus axis at neutral. The margins are interpolated at
    ``samples`` values of ``s`` strictly inside (0.05 .. 0.95).

    Returns ``(s (n,), weights_upper (n, m_u), weights_lower (n, m_l))``: dense linear
    interpolation matrices, so that ``weights_upper @ positions[upper]`` is the upper margin at
    the samples for any deformed positions.
    """
    axis_from = canonical[upper[0]]
    axis = canonical[upper[-1]] - axis_from
    length2 = float(axis @ axis) or 1.0

    def weights(chain: np.ndarray, s_samples: np.ndarray) -> np.ndarray:
        s = (canonical[chain] - axis_from) @ axis / length2
        order = np.argsort(s, kind="stable")
        s_sorted = s[order]
        w = np.zeros((len(s_samples), len(chain)))
        j = np.clip(np.searchsorted(s_sorted, s_samples), 1, len(chain) - 1)
        s0, s1 = s_sorted[j - 1], s_sorted[j]
        frac = np.clip((s_samples - s0) / np.maximum(s1 - s0, 1e-12), 0.0, 1.0)
        rows = np.arange(len(s_samples))
        w[rows, order[j - 1]] += 1.0 - frac
        w[rows, order[j]] += frac
        return w

    s_samples = np.linspace(0.05, 0.95, samples)
    return s_samples, weights(upper, s_samples), weights(lower, s_samples)


def fit_sphere(points: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Least-squares sphere through ``points (n, 3)``: (centre, radius, RMS residual in the
    points' units) -- :func:`model.parts.fit_sphere` with an absolute residual."""
    from .parts import fit_sphere as fit

    centre, radius, relative = fit(points)
    return centre, radius, relative * radius if radius > 0 else np.inf


def find_eyeballs(canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray) -> dict[str, Eyeball]:
    """Separate eyeball components: ``{"L": Eyeball, "R": Eyeball}`` or ``{}``.

    An eyeball is a component other than the skin whose vertices fit a sphere (least squares;
    RMS residual < 10 % of the radius; game meshes often keep only the front cap) whose front
    lies in front of the skin's median depth and whose centre lies above its median height; the
    mirrored pair with the largest radius wins (eyelashes and teeth are not spheres, and a strip
    of lashes that fits one is narrower than its radius; irises are smaller than the eyeball).
    Where no pair is found so, a face mask's depth floor is tried (:func:`_face_depths`).
    """
    comp = components(len(canonical), triangles)
    referenced = np.zeros(len(canonical), dtype=bool)
    referenced[np.asarray(triangles).ravel()] = True
    median_y = float(np.median(canonical[skin, 1]))
    fitted = []
    for c in np.unique(comp[referenced & ~skin]):
        members = np.flatnonzero(comp == c)
        pts = canonical[members]
        if len(pts) < 12:
            continue
        centre, radius, resid = fit_sphere(pts)
        if radius <= 0 or resid > 0.1 * radius:
            continue
        # a strip (a row of eyelashes) fits a sphere too: an eyeball's front is a disk of at
        # least about one radius across, seen from the front
        extent = pts.max(axis=0) - pts.min(axis=0)
        if min(extent[0], extent[1]) < 0.8 * radius:
            continue
        if centre[1] < median_y:
            continue
        fitted.append(Eyeball(members, centre, radius))
    best = None
    for floor in _face_depths(canonical, skin):
        spheres = [b for b in fitted if b.center[2] + b.radius >= floor]
        for a in spheres:
            for b in spheres:
                ca, cb, ra = a.center, b.center, a.radius
                mirrored = abs(ca[1] - cb[1]) < ra and abs(ca[0] + cb[0]) < ra
                if ca[0] > 0 > cb[0] and abs(ra - b.radius) < 0.2 * ra and mirrored:
                    if best is None or ra > best[0].radius:
                        best = (a, b)
        if best is not None:
            break
    return {} if best is None else {"L": best[0], "R": best[1]}


# a face mask's depth floor (:func:`_face_depths`): this share of the skin's width behind its
# frontmost point. On the demo head the eye openings lie 0.18 widths behind the nose tip, the
# ear canals ~0.6 (1.45 eye distances behind the eyes)
_MASK_DEPTH = 0.4


def _face_depths(canonical: np.ndarray, skin: np.ndarray) -> list[float]:
    """Canonical depths (z) in front of which the eyes are looked for, in turn: the skin's
    median depth (behind it: ear canals, a neck cut, the back of the head), then, where that
    found no pair, :data:`_MASK_DEPTH` of the skin's width behind its frontmost point when that
    lies deeper.

    Why two: on a face mask (a scan, a 3DMM fit, a photogrammetry crop: no back of the head, no
    ears) the median depth lies in the cheeks and the forehead, in front of the recessed eyes:
    the demo head cut in front of its ears lost both eye openings and both eyeballs, and with
    them its geometric blinks, the eyes' rotation and every zone placed from the eyes
    (``benchmarks/realdev_variants.py``, ``face crop``). A head as it comes keeps the median,
    which found its eyes before."""
    z = canonical[skin, 2]
    median = float(np.median(z))
    mask = float(z.max() - _MASK_DEPTH * np.ptp(canonical[skin, 0]))
    return [median, mask] if mask < median else [median]


def frontmost_triangles(
    points: np.ndarray, tris: np.ndarray, sx: np.ndarray, sy: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seen along canonical -Z, the frontmost of ``tris (T, 3)`` of ``points (V, 3)`` over each
    sample ``(sx, sy) (n,)``: ``(row (n,) int, -1 where none; its height Z (n,), -inf where
    none; barycentric weights of the sample in it (n, 3))``. Degenerate projections cover
    nothing. Shared by :func:`visible_eyeball` (covered: in front of the eyeball's surface) and
    :func:`model.lid_clearance.clear_eyeball` (which triangle dips into it)."""
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    den = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    ok = np.abs(den) > 1e-15
    den = np.where(ok, den, 1.0)
    row = np.full(len(sx), -1, dtype=np.int64)
    top = np.full(len(sx), -np.inf)
    weights = np.zeros((len(sx), 3))
    # 2-D barycentric coordinates of every sample in every triangle, in chunks
    for start in range(0, len(tris), 512):
        sl = slice(start, start + 512)
        dx, dy = sx[:, None] - c[None, sl, 0], sy[:, None] - c[None, sl, 1]
        w0 = ((b[None, sl, 1] - c[None, sl, 1]) * dx + (c[None, sl, 0] - b[None, sl, 0]) * dy) / den[None, sl]
        w1 = ((c[None, sl, 1] - a[None, sl, 1]) * dx + (a[None, sl, 0] - c[None, sl, 0]) * dy) / den[None, sl]
        w2 = 1.0 - w0 - w1
        hit = (w0 >= 0) & (w1 >= 0) & (w2 >= 0) & ok[None, sl]
        z = np.where(hit, w0 * a[None, sl, 2] + w1 * b[None, sl, 2] + w2 * c[None, sl, 2], -np.inf)
        best = np.argmax(z, axis=1)
        zb = z[np.arange(len(sx)), best]
        better = zb > top
        top[better] = zb[better]
        row[better] = best[better] + start
        weights[better] = np.stack([w0, w1, w2], axis=2)[np.arange(len(sx)), best][better]
    return row, top, weights


def visible_eyeball(
    points: np.ndarray, triangles: np.ndarray, skin: np.ndarray, eyeball: Eyeball, samples: int = 41
) -> np.ndarray:
    """Which front samples of an eyeball the skin leaves visible, seen along canonical -Z.

    ``points (V, 3)``: canonical positions (neutral or posed; the eyeball's sphere is refitted to
    its posed vertices). The eyeball's front hemisphere is sampled on a ``samples x samples`` grid
    over its disk; a sample is covered when a skin triangle's projection contains it in front of
    the sphere. Returns ``(samples, samples) bool`` (False outside the disk).
    """
    centre, radius, _ = fit_sphere(points[eyeball.vertices])
    if radius <= 0:
        centre, radius = eyeball.center, eyeball.radius
    g = np.linspace(-1.0, 1.0, samples)
    gx, gy = np.meshgrid(g, g)
    inside = gx**2 + gy**2 < 1.0
    sx, sy = centre[0] + radius * gx[inside], centre[1] + radius * gy[inside]
    sz = centre[2] + radius * np.sqrt(1.0 - gx[inside] ** 2 - gy[inside] ** 2)
    t = np.asarray(triangles, dtype=np.int64)
    t = t[skin[t].all(axis=1)]
    a, b, c = points[t[:, 0]], points[t[:, 1]], points[t[:, 2]]
    lo, hi = np.minimum(np.minimum(a, b), c), np.maximum(np.maximum(a, b), c)
    near = (hi[:, 0] >= sx.min()) & (lo[:, 0] <= sx.max()) & (hi[:, 1] >= sy.min()) & (lo[:, 1] <= sy.max())
    near &= hi[:, 2] >= sz.min()
    _, top, _ = frontmost_triangles(points, t[near], sx, sy)
    covered = top > sz
    out = np.zeros(gx.shape, dtype=bool)
    out[inside] = ~covered
    return out


# the lid margin's edge length in eye widths on ICT-FaceKit's topology (the demo head: 22 margin
# vertices per lid, 0.067 eye widths apart): the density two edge rings were chosen for
_MARGIN_EDGE_ICT = 0.067
_MAX_RINGS = 8


def margin_rings(points: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> int:
    """How many edge rings :func:`margin_neighbourhoods` takes on this mesh: two on a lid as
    dense as ICT-FaceKit's or coarser, more where the margin is denser, so the neighbourhood
    spans the same distance on the face (the demo head split in four: 4 rings, whose lid gaps
    match the head as it comes within 0.02 eye widths; with 2 they read 0.08 wider and the
    closure measure saw lids it had closed as 70 % shut). points: ``(V, 3)``; upper, lower: the
    margin chains, canthus to canthus."""
    # only the margin's vertices are read (not a float64 copy of the whole mesh)
    chains = [np.asarray(points[chain], dtype=np.float64) for chain in (upper, lower)]
    width = float(np.linalg.norm(chains[0][-1] - chains[0][0]))
    steps = [np.linalg.norm(np.diff(chain, axis=0), axis=1) for chain in chains]
    edge = float(np.mean(np.concatenate(steps))) / max(width, 1e-300)
    if not np.isfinite(edge) or edge <= 0.0:
        return 2
    return int(np.clip(round(2.0 * _MARGIN_EDGE_ICT / edge), 2, _MAX_RINGS))


def margin_neighbourhoods(
    triangles: np.ndarray,
    skin: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    rings: int | None = None,
    points: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """For each inner margin vertex, the skin vertices within ``rings`` edge rings of it that are
    nearer (in rings) to its own margin than to the other one.

    The boundary loop can be tucked behind the visible lid edge (ICT-FaceKit's skin continues
    into the eye socket); the visible edge is then a ring or two away, so the lid edge at a
    margin vertex is taken over this neighbourhood. rings: None = :func:`margin_rings` of
    ``points (V, 3)`` (2 without them). Returns ``(upper_sets, lower_sets)``, one int64 array per
    vertex of ``upper[1:-1]`` / ``lower[1:-1]`` (the canthi are shared).
    """
    if rings is None:
        rings = 2 if points is None else margin_rings(points, upper, lower)
    t = np.asarray(triangles, dtype=np.int64)
    t = t[skin[t].all(axis=1)]
    n = int(max(t.max(), upper.max(), lower.max())) + 1
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    adj = (((adj + adj.T) > 0).astype(np.int8) + sp.identity(n, dtype=np.int8, format="csr")).tocsr()
    # the reach of the margin vertices only (the rows read below): a power of the whole matrix
    # fills in fast with the rings
    seeds = np.concatenate([upper[1:-1], lower[1:-1]])
    reach = adj[seeds]
    for _ in range(rings - 1):
        reach = ((reach @ adj) > 0).astype(np.int8).tocsr()
    row_of = {int(v): k for k, v in enumerate(seeds)}

    def ring_distance(chain_seeds: np.ndarray) -> np.ndarray:
        dist = np.full(n, rings + 1)
        front = np.zeros(n, dtype=bool)
        front[chain_seeds] = True
        dist[front] = 0
        for r in range(1, rings + 1):
            front = (adj @ front.astype(np.int8) > 0) & (dist > rings)
            dist[front] = r
        return dist

    du, dl = ring_distance(upper[1:-1]), ring_distance(lower[1:-1])
    own_up, own_low = du < dl, dl < du

    def sets(chain: np.ndarray, own: np.ndarray) -> list[np.ndarray]:
        out = []
        for i in chain[1:-1]:
            k = row_of[int(i)]
            near = reach.indices[reach.indptr[k] : reach.indptr[k + 1]]
            out.append(np.union1d([i], near[own[near]]))
        return out

    return sets(upper, own_up), sets(lower, own_low)


def find_eye_openings(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray
) -> dict[str, EyeOpening]:
    """The eye openings of the skin: ``{"L": EyeOpening, "R": EyeOpening}`` (either may be absent).

    canonical: ``(V, 3)`` vertices in the canonical frame; triangles ``(T, 3)``; skin ``(V,) bool``.
    An opening is a boundary loop of the skin on one side of ``x = 0``, above the skin's median
    height and in front of its median depth (the largest such loop per side); where that finds
    fewer than two, a face mask's depth floor is tried (:func:`_face_depths`).
    """
    t = np.asarray(triangles, dtype=np.int64)
    skin_tris = t[skin[t].all(axis=1)]
    if len(skin_tris) == 0:
        return {}
    median_y = float(np.median(canonical[skin, 1]))
    loops = []
    for loop in boundary_loops(skin_tris):
        if len(loop) < 6:
            continue
        pts = canonical[loop]
        if pts[:, 0].min() < 0.0 < pts[:, 0].max():  # straddles the plane: mouth or outer border
            continue
        if pts[:, 1].mean() < median_y:  # below the middle of the skin: collar or neck cuts
            continue
        loops.append((loop, float(pts[:, 2].mean()), "L" if pts[:, 0].mean() > 0 else "R"))
    best: dict[str, tuple[float, np.ndarray]] = {}
    for floor in _face_depths(canonical, skin):
        found: dict[str, tuple[float, np.ndarray]] = {}
        for loop, depth, side in loops:
            if depth < floor:  # behind the face: ear canal, neck cut
                continue
            perimeter = loop_perimeter(canonical[loop])
            if side not in found or perimeter > found[side][0]:
                found[side] = (perimeter, loop)
        if len(found) > len(best):  # the face mask's floor only where it finds more
            best = found
        if len(best) == 2:
            break
    return {side: _eye_opening(canonical, side, loop) for side, (_, loop) in best.items()}


def _eye_opening(canonical: np.ndarray, side: str, loop: np.ndarray) -> EyeOpening:
    """The :class:`EyeOpening` of the eye ``side`` ("L" / "R") round the vertex ``loop``."""
    pts = canonical[loop]
    upper, lower = _split_margins(loop, pts)
    _, wu, wl = margin_gaps(canonical, upper, lower)
    gap = np.linalg.norm(wu @ canonical[upper] - wl @ canonical[lower], axis=1)
    return EyeOpening(
        side=side,
        loop=loop,
        upper=upper,
        lower=lower,
        center=pts.mean(axis=0),
        width=float(np.linalg.norm(canonical[upper[-1]] - canonical[upper[0]])),
        max_gap=float(gap.max()),
    )


def socket_eye_openings(canonical: np.ndarray, triangles: np.ndarray) -> dict[str, EyeOpening]:
    """The eye openings of lids that fold into sockets round the eyeballs, as the face looks
    from the front (:func:`model.openings.socket_eyes`): ``{"L": ..., "R": ...}`` or ``{}``.
    canonical ``(V, 3)`` canonical frame; triangles ``(T, 3)``. For the rig check: the bake's
    lid stages keep to :func:`find_eye_openings`."""
    from .openings import socket_eyes

    pair = socket_eyes(np.asarray(canonical, dtype=np.float64), np.asarray(triangles, dtype=np.int64))
    if pair is None:
        return {}
    return {side: _eye_opening(canonical, side, loop) for side, loop in zip("LR", pair, strict=True)}
