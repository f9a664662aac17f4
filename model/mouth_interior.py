"""The inside of the mouth: skin hidden behind the lips, found by looking at the face from the front.

Game heads (both Rocketbox avatars of the real-dev set) model the mouth bag and the tongue as one
connected piece with the face skin. ICT-FaceKit's ``head`` crop, from which the rig check's
reference regions come (:mod:`model.rig_check_reference`), has no mouth interior: its
``mouth_interior`` region moves 0 in every shape there, so the reach check counted every
millimetre the bag and tongue move as motion "outside the shape's regions" (and the network labels
Rocketbox Adult_01's bag ``nose``, 0.5-0.74). In ``jawOpen`` the bag's floor and the welded tongue
(:mod:`model.welded_tongue`) follow the jaw by design: 34-43 % of the motion (area-weighted
``|d|^2``) of Adult_01's jaw shapes lies there, 27-69 % of its lower-lip shapes' (mouthRollLower
rolls the lip's inner face).

:func:`mouth_interior` takes the skin in the mouth's box (placed by the eye midpoint and eye
distance of :func:`model.rig_check.face_anchors`) that has skin at least :data:`HIDDEN_DEPTH` eye
distances in front of it along the face's forward axis (canonical +Z): a ray from the vertex
toward the viewer hits the surface (the lips, the cheeks) first (within :data:`MOUTH_DEPTH` of the lips'
front: a bust's back of the head is hidden by its face too). Found: Rocketbox Adult_01 171 vertices,
Adult_02 188 (their bags), the demo head 74 (its lips' inner faces, 0.4-0.6 eye distances behind
the lips' front), Demosthenes 8, Nefertiti 0 (sealed mouths).

Canonical frame (:mod:`model.frame`: Y up, +Z forward).
"""

from __future__ import annotations

import numpy as np

# the mouth's box around the eye midpoint, in eye distances: half width, heights (below the
# nostrils, above the chin; ICT: the mouth's slit 1.2, the chin 1.8 below the eyes; Rocketbox
# Adult_01's bag spans 0.85-1.4 below them; lower, the neck under a bust's chin or beard is
# hidden too) and depth behind the box's front-most skin (the lips; the bag reaches 1.0 behind
# them, the back of the head lies 2.5-3.3 behind a bust's)
MOUTH_HALF_WIDTH = 0.6
MOUTH_HEIGHTS = (-1.45, -0.85)
MOUTH_DEPTH = 1.2
# eye distances of skin in front of a vertex for it to be inside the mouth (~6 mm: more than a
# lip's overhang on the one below it, less than the bag's depth behind the lips, ~2-4 cm)
HIDDEN_DEPTH = 0.1
_CHUNK = 256  # vertices per vectorized ray batch


def hidden_from_front(
    canonical: np.ndarray, triangles: np.ndarray, ids: np.ndarray, depth: float
) -> np.ndarray:
    """``(len(ids),) bool``: a ray from vertex ``ids[i]`` along +Z meets a triangle at least
    ``depth`` (canonical units) in front of the vertex.

    canonical ``(V, 3)`` float, triangles ``(T, 3)`` int, ids ``(n,)`` int. Triangles whose
    projection on the XY plane is degenerate are skipped."""
    c = np.asarray(canonical, dtype=np.float64)
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros(ids.size, dtype=bool)
    if ids.size == 0:
        return out
    p = c[ids]
    tri = c[np.asarray(triangles, dtype=np.int64)]
    # only triangles over the vertices' box and in front of the deepest of them can hide one
    lo, hi = tri[:, :, :2].min(axis=1), tri[:, :, :2].max(axis=1)
    near = (
        (hi >= p[:, :2].min(axis=0)).all(axis=1)
        & (lo <= p[:, :2].max(axis=0)).all(axis=1)
        & (tri[:, :, 2].max(axis=1) > p[:, 2].min() + depth)
    )
    a, b, cc = tri[near, 0], tri[near, 1], tri[near, 2]
    e0, e1 = b[:, :2] - a[:, :2], cc[:, :2] - a[:, :2]
    det = e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0]
    ok = np.abs(det) > 1e-14
    a, b, cc, e0, e1, det = a[ok], b[ok], cc[ok], e0[ok], e1[ok], det[ok]
    for start in range(0, ids.size, _CHUNK):
        q = p[start : start + _CHUNK]
        w = q[:, None, :2] - a[None, :, :2]
        s = (w[..., 0] * e1[None, :, 1] - w[..., 1] * e1[None, :, 0]) / det
        r = (e0[None, :, 0] * w[..., 1] - e0[None, :, 1] * w[..., 0]) / det
        over = (s >= 0) & (r >= 0) & (s + r <= 1)
        z = a[None, :, 2] + s * (b[None, :, 2] - a[None, :, 2]) + r * (cc[None, :, 2] - a[None, :, 2])
        out[start : start + _CHUNK] = (over & (z > q[:, None, 2] + depth)).any(axis=1)
    return out


def mouth_interior(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, mid: np.ndarray, eye_distance: float
) -> np.ndarray:
    """``(V,) bool``: the skin inside the mouth (see the module docstring).

    canonical ``(V, 3)``, triangles ``(T, 3)``, skin ``(V,) bool``, mid ``(3,)`` the eye midpoint
    and ``eye_distance`` (canonical units) of :func:`model.rig_check.face_anchors`."""
    c = np.asarray(canonical, dtype=np.float64)
    local = (c - np.asarray(mid, dtype=np.float64)) / eye_distance
    lo, hi = MOUTH_HEIGHTS
    box = (
        np.asarray(skin, dtype=bool)
        & (np.abs(local[:, 0]) < MOUTH_HALF_WIDTH)
        & (local[:, 1] > lo)
        & (local[:, 1] < hi)
    )
    if not box.any():
        return np.zeros(len(c), dtype=bool)
    box = np.flatnonzero(box & (local[:, 2] > local[box, 2].max() - MOUTH_DEPTH))
    out = np.zeros(len(c), dtype=bool)
    out[box[hidden_from_front(c, triangles, box, HIDDEN_DEPTH * eye_distance)]] = True
    return out


def loose_mouth(vertices: np.ndarray, triangles: np.ndarray, frame, skin: np.ndarray) -> np.ndarray:
    """``(V,) bool``: the loose pieces inside the mouth off the ``skin`` (V,) bool (teeth, gums,
    a loose tongue: :func:`model.parts.loose_mouth_pieces`, classified in ``frame``, the
    :class:`model.frame.CanonicalFrame` of ``vertices`` (V, 3) input units, triangles (T, 3)).

    Why: the bake moves them rigidly, the lower ones with the jaw (:mod:`model.rig_constraints`);
    judged as skin, ICT-FaceKit's complete model's teeth read as jawOpen's motion outside its
    regions, and its gums_and_tongue tear by design where its upper and lower gums meet."""
    from .parts import loose_mouth_pieces

    found = loose_mouth_pieces(vertices, triangles, frame)
    if found is None:
        return np.zeros(len(vertices), dtype=bool)
    return found & ~np.asarray(skin, dtype=bool)
