"""Find the head on a bust, a head-and-torso or a full body: a per-vertex weight, 1 on the head,
exactly 0 below the neck, a smooth ramp across the neck.

How: in the canonical frame (:mod:`model.frame`: Y up, face toward +Z) the left-right width of
the surface is measured on horizontal cross-sections from the top of the head down (exact plane /
triangle intersections, so low-poly meshes work). Going down, the width grows over the skull,
shrinks to the neck and jumps at the shoulders (or the arms of a T-pose). The neck is the
narrowest section between the widest point of the head and that jump. A mesh whose width never
jumps is a head (ICT-like, cut at the neck): every weight is 1 and nothing changes.

The width is taken left-right (X) because hair hanging behind the neck (a ponytail) adds depth,
not width. numpy only; the result is index-aligned with the input vertices.

A head bent onto the chest (a bust) can hang its chin below the narrowest section, which then
cuts through the face; :func:`with_face_reach` (called once the eyes are known) keeps the skin
within a face's reach of the eyes, along the surface, at weight 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# horizontal sections over the mesh height
_SECTIONS = 240
# a section this much wider than the narrowest one since the head's widest section = shoulders
_SHOULDER_JUMP = 1.8
# ... and at least this much wider than the head itself (a hat or crown is not a shoulder)
_SHOULDER_OVER_HEAD = 0.0
# below the widest section by this factor, the walk has left the skull
_NECK_DIP = 0.85
# the ramp runs from weight 1 at this surface distance below the narrowest section (in head
# heights: the chin can hang below that section and must keep its full motion) ...
_FADE_START = 0.15
# ... to weight 0 at this one (above the shoulders of a standing adult, ~0.35 head heights)
_FADE_END = 0.35
# a body (bust, torso) has at least this share of its surface area below the shoulder line; less
# is the stub of shoulders an ICT-like head ends with, and such a head is left unchanged
_BODY_AREA = 0.2


@dataclass
class HeadRegion:
    """The head found on a mesh, heights in canonical units (Y up).

    weights: ``(V,)`` float32 in [0, 1]: 1 on the head, 0 (exactly) below ``fade_end``;
    has_body: a neck and shoulders were found below the head (else every weight is 1);
    top: the highest point; neck: weight 1 from here up (a little below the narrowest section);
    fade_end: below this every weight is 0; head_height: ``top - neck`` (canonical units;
    for a head without a body, ``top`` minus the lowest point); head_height_input: the same in
    the input's units; narrowest: the narrowest section below the skull (canonical Y; the
    lowest point if none).
    """

    weights: np.ndarray
    has_body: bool
    top: float
    neck: float
    fade_end: float
    head_height: float
    head_height_input: float
    narrowest: float = float("nan")

    @property
    def fraction(self) -> float:
        """Share of the vertices with weight > 0.5."""
        return float((self.weights > 0.5).mean()) if self.weights.size else 0.0


def section_widths(points: np.ndarray, triangles: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Left-right (X) extent of the surface cut by each horizontal plane ``y = h``.

    Args:
        points: ``(V, 3)`` canonical vertices (Y up); triangles: ``(T, 3)`` int.
        heights: ``(H,)`` plane heights.

    Returns:
        ``(H,)`` float64 widths (0 where a plane cuts nothing).
    """
    p = np.asarray(points, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    ys = p[t][:, :, 1]  # (T, 3)
    xs = p[t][:, :, 0]
    lo, hi = ys.min(1), ys.max(1)
    order = np.argsort(lo)
    lo_sorted = lo[order]
    out = np.zeros(heights.shape[0])
    for i, h in enumerate(heights):
        cand = order[: np.searchsorted(lo_sorted, h, side="right")]
        cand = cand[hi[cand] >= h]
        if cand.size == 0:
            continue
        y, x = ys[cand], xs[cand]
        pts = []
        for a, b in ((0, 1), (1, 2), (2, 0)):
            ya, yb = y[:, a], y[:, b]
            cross = (ya - h) * (yb - h) <= 0
            den = np.where(yb != ya, yb - ya, 1.0)
            s = np.clip((h - ya) / den, 0.0, 1.0)
            pts.append((x[:, a] + s * (x[:, b] - x[:, a]))[cross])
        xcut = np.concatenate(pts)
        if xcut.size:
            out[i] = xcut.max() - xcut.min()
    return out


def find_head_region(vertices: np.ndarray, triangles: np.ndarray, frame=None, parts=None) -> HeadRegion:
    """Locate the head and build its weights.

    Args:
        vertices: ``(V, 3)`` float, input units and axes.
        triangles: ``(T, 3)`` int.
        frame: :class:`model.frame.CanonicalFrame` of the mesh (None: fitted with the OBJ axes,
            Y up, face toward +Z).
        parts: optional :class:`model.parts.Parts`; hair and other loose pieces are left out of
            the width profile (a ponytail or a hat brim widens no section).

    Returns:
        :class:`HeadRegion`.
    """
    from .frame import fit_frame
    from .topology import triangle_areas

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if frame is None:
        frame = fit_frame(v, t)
    c = frame.to_canonical(v)
    tri = t
    if parts is not None:
        from .parts import PART_INDEX

        keep = ~np.isin(parts.labels, [PART_INDEX["hair"], PART_INDEX["other"]])
        sub = tri[keep[tri].all(1)]
        if sub.shape[0] > 0:
            tri = sub
    used = np.zeros(v.shape[0], dtype=bool)
    used[tri.ravel()] = True
    ys = c[used, 1]
    top, bottom = float(ys.max()), float(ys.min())
    span = top - bottom
    heights = top - (np.arange(_SECTIONS) + 0.5) * span / _SECTIONS  # top down
    widths = section_widths(c, tri, heights)

    # walk down: "head" until the width falls well below the widest section so far, then
    # "neck" (track the narrowest section) until a section jumps wider (shoulders, arms)
    head_max, neck_w, neck_i, shoulder = 0.0, np.inf, -1, None
    for i, w in enumerate(widths):
        if w <= 0:
            continue
        if neck_i < 0 and w >= _NECK_DIP * head_max:
            head_max = max(head_max, w)
            continue
        if w < neck_w:
            neck_w, neck_i = w, i
        elif w > _SHOULDER_JUMP * neck_w and w > _SHOULDER_OVER_HEAD * head_max:
            shoulder = i
            break

    scale = float(frame.scale)
    narrowest = float(heights[neck_i]) if neck_i >= 0 else bottom
    if shoulder is None:
        weights = np.ones(v.shape[0], dtype=np.float32)
        return HeadRegion(weights, False, top, bottom, bottom, span, span * scale, narrowest)
    head_height = top - narrowest
    area = triangle_areas(c, tri)
    below = area[c[tri][:, :, 1].mean(1) < float(heights[shoulder])].sum() / max(area.sum(), 1e-300)
    if below < _BODY_AREA:
        weights = np.ones(v.shape[0], dtype=np.float32)
        return HeadRegion(weights, False, top, bottom, bottom, span, span * scale, narrowest)
    # distance along the surface from the head above the narrowest section: a chin that hangs
    # low (a head bent forward) is near the head along the surface, the chest is not
    dist = _surface_distance(c, t, c[:, 1] >= narrowest)
    s = np.clip((_FADE_END * head_height - dist) / ((_FADE_END - _FADE_START) * head_height), 0.0, 1.0)
    weights = (s * s * (3.0 - 2.0 * s)).astype(np.float32)  # smoothstep: 0 and 1 exactly at the ends
    neck = narrowest - _FADE_START * head_height
    fade_end = narrowest - _FADE_END * head_height
    return HeadRegion(weights, True, top, neck, fade_end, head_height, head_height * scale, narrowest)


def head_weights(vertices: np.ndarray, triangles: np.ndarray, frame=None, parts=None) -> np.ndarray:
    """``(V,)`` float32 in [0, 1]: 1 on the head, exactly 0 below the neck, a smooth ramp between.

    See :func:`find_head_region` (same arguments). A mesh that is only a head gets all ones.
    """
    return find_head_region(vertices, triangles, frame, parts).weights


def _surface_distance(points: np.ndarray, triangles: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """(V,) distance along mesh edges from the ``sources`` vertices (bool mask); vertices at one
    position are one node (seams are crossed). A piece not connected to a source takes the
    distance of its nearest connected vertex in space plus the gap to it (clothes on the body)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    from .topology import position_ids, unique_edges

    pid = position_ids(points)
    n = int(pid.max()) + 1
    pos = np.zeros((n, 3))
    pos[pid] = points
    edges, _ = unique_edges(pid[np.asarray(triangles, dtype=np.int64)])
    length = np.linalg.norm(pos[edges[:, 0]] - pos[edges[:, 1]], axis=1) + 1e-12
    graph = sp.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    src = np.unique(pid[sources])
    dist_nodes = dijkstra(graph, directed=False, indices=src, min_only=True)
    dist = dist_nodes[pid]
    reached = np.isfinite(dist)
    if not reached.all() and reached.any():
        gap, nearest = cKDTree(points[reached]).query(points[~reached])
        dist[~reached] = dist[reached][nearest] + gap
    return dist


# the face's own reach along the surface, in eye distances from the eyes (the vertices within
# FACE_SEED_RADIUS of the eye midpoint: the nose bridge and inner eye corners): a head bent
# forward on a bust (Demosthenes) hangs its chin below the narrowest section, even below the
# shoulder line of the width profile, and the ramp above cut the skin under the chin out of
# jawOpen (a notch at the chin in side view). Measured there: the skin under the chin lies
# 2.05-2.3 eye distances from the eyes along the surface, the chest >= 2.8
FACE_SEED_RADIUS = 0.6
FACE_REACH_START = 2.3
FACE_REACH_END = 2.8
# only where the narrowest section cuts through the face: less than this many eye distances below
# the eyes (ICT's chin ends ~1.75 below them; Demosthenes' narrowest section lies 1.06 below, at
# the mouth). Below it (a neck under the chin, a standing avatar) the ramp already keeps the face
# and stays as it is, so only a bent head's bake changes
FACE_CHIN_DROP = 1.8


def with_face_reach(
    head: HeadRegion, canonical: np.ndarray, triangles: np.ndarray, mid: np.ndarray, eye_distance: float
) -> HeadRegion:
    """``head`` with its weights raised to 1 on the skin within :data:`FACE_REACH_START` eye
    distances of the eyes along the surface, fading to the old weights at :data:`FACE_REACH_END`
    (smoothstep; weights only grow), when its narrowest section lies less than
    :data:`FACE_CHIN_DROP` eye distances below the eyes (else, and for a head without a body,
    ``head`` is returned unchanged). ``canonical`` (V, 3): the vertices in the frame ``head`` was
    found in (Y up), where ``mid`` (3,) is the eye midpoint and ``eye_distance`` the eye
    distance (same units); ``triangles`` (T, 3)."""
    if not head.has_body or eye_distance is None or eye_distance <= 0:
        return head
    if (float(mid[1]) - head.narrowest) / eye_distance > FACE_CHIN_DROP:
        return head  # a neck below the chin: the ramp keeps the face
    from dataclasses import replace

    c = np.asarray(canonical, dtype=np.float64)
    seeds = np.linalg.norm(c - np.asarray(mid, dtype=np.float64), axis=1) < FACE_SEED_RADIUS * eye_distance
    if not seeds.any():
        return head
    dist = _surface_distance(c, triangles, seeds) / eye_distance
    s = np.clip((FACE_REACH_END - dist) / (FACE_REACH_END - FACE_REACH_START), 0.0, 1.0)
    face = (s * s * (3.0 - 2.0 * s)).astype(np.float32)
    return replace(head, weights=np.maximum(head.weights, face))
