"""Which way is up and which way the face looks, estimated from the geometry alone.

A face mesh can come in any rotation (not only the six axis directions). The estimate runs in
three steps, all on area-weighted surface samples so it does not depend on the resolution:

1. **Bilateral symmetry plane**: each candidate plane (a dense set of directions plus the
   principal axes) reflects the samples; the score is the mean distance of the reflected samples
   to a second, independent sample set, relative to the same distance without reflection
   (sampling noise). The best candidates are refined by Gauss-Newton on point-to-plane
   distances of mirrored samples (a sharp optimum: a rotated mesh gets the rotated plane).
   Its normal is the model X axis (up to sign).
2. **Up axis within the plane**: the major principal axis of the surface projected onto the
   plane (a head, a bust and a body are taller than deep), up to sign.
3. **Signs** (four candidates: up = +-major axis, forward = +-minor axis, X completing a proper
   rotation) from geometric cues that vote: the face side carries the detail (curvature of nose,
   eyes, lips; toes on a body) and the open side of a face mask; the top is narrower than the
   shoulders of a bust, the skull is a smooth dome while the neck/chin end has more detail.

The confidence multiplies how symmetric the mesh is with how much the sign cues agree (a margin
between the best and the second best candidate); it is low when cues disagree or there is no
symmetry plane.

4. **The face picks the reading** (``up="auto", forward="auto"``, :func:`choose_by_face`): a
   cropped game head with a ponytail or a bun, or a head cut at the chin, is deeper than tall, so
   step 2 swaps up and forward (the Rocketbox heads: 112-118 degrees off). The eight readings of
   a head (either in-plane axis as up, each sign) are looked at in the cues' order; eyes of a
   face's proportions found upright (:func:`eyes_upright`) win, else the first reading with a
   face's eyes or nose (:mod:`model.input_warnings`). A few ms to a few tens of ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# area-weighted surface samples per set (two sets: one reflected, one as the reference)
_SAMPLES = 2000
# samples per set in the coarse search over plane directions
_COARSE_SAMPLES = 500
# candidate plane directions of the coarse search (Fibonacci half sphere)
_COARSE_DIRECTIONS = 120
# coarse candidates refined by Gauss-Newton
_REFINED = 3
# a reflected sample farther than this (in RMS radii) from the surface counts as this far
# (robust to asymmetric hair, a raised arm, a cut)
_DISTANCE_CAP = 0.25


@dataclass
class OrientationEstimate:
    """Where the mesh's up and forward point, estimated from its geometry.

    Attributes:
        rotation: ``(3, 3)`` float64 proper rotation (``det = +1``) taking input axes to model
            axes (Y up, face toward +Z): ``rotation @ up = (0, 1, 0)``,
            ``rotation @ forward = (0, 0, 1)``.
        up: ``(3,)`` float64 unit vector, the head's up direction in input space.
        forward: ``(3,)`` float64 unit vector, where the face looks, in input space.
        confidence: float in ``[0, 1]``: symmetry quality times agreement of the cues.
        symmetry: float ``>= 0``: mean distance of the mirrored surface to the surface, relative
            to sampling noise (about 1 for a symmetric mesh, > 2 for a clearly asymmetric one).
        reason: a short human-readable explanation of the estimate.
        shape: ``"head"`` (a head, face mask or bust) or ``"body"`` (a standing figure: much
            taller than deep).
        candidates: ``(3, 3)`` rotations of a head's other readings, most likely first (the
            other signs, then up and forward swapped: a cropped game head with a ponytail or a
            head cut at the chin is deeper than tall), for :func:`choose_by_face`; empty for a
            body.
        face: what in the face chose the reading (``"eyes"``, clearly upright; ``"weak eyes"``;
            ``"nose"``), None when no reading showed a face (:func:`choose_by_face`).
    """

    rotation: np.ndarray
    up: np.ndarray
    forward: np.ndarray
    confidence: float
    symmetry: float
    reason: str
    shape: str = "head"
    candidates: tuple = ()
    face: str | None = None

    def angle_to(self, up: np.ndarray, forward: np.ndarray) -> float:
        """Largest angle in degrees between this estimate's up/forward and the given axes."""
        u = np.asarray(up, np.float64) / np.linalg.norm(up)
        f = np.asarray(forward, np.float64) / np.linalg.norm(forward)
        au = np.degrees(np.arccos(np.clip(self.up @ u, -1.0, 1.0)))
        af = np.degrees(np.arccos(np.clip(self.forward @ f, -1.0, 1.0)))
        return float(max(au, af))


def _sample_surface(
    vertices: np.ndarray, triangles: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` area-weighted points on the triangles and the index of their triangle."""
    a, b, c = (vertices[triangles[:, i]] for i in range(3))
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    tri = rng.choice(len(triangles), size=count, p=area / area.sum())
    r1, r2 = rng.random(count), rng.random(count)
    s = np.sqrt(r1)
    # uniform barycentric sample: (1 - sqrt(r1), sqrt(r1) (1 - r2), sqrt(r1) r2)
    pts = (1 - s)[:, None] * a[tri] + (s * (1 - r2))[:, None] * b[tri] + (s * r2)[:, None] * c[tri]
    return pts, tri


def _unit(theta: float, phi: float) -> np.ndarray:
    return np.array([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)])


def _to_angles(n: np.ndarray) -> tuple[float, float]:
    return float(np.arccos(np.clip(n[2], -1.0, 1.0))), float(np.arctan2(n[1], n[0]))


def _half_sphere(count: int) -> np.ndarray:
    """``count`` roughly uniform unit directions on the half sphere z >= 0 (Fibonacci)."""
    i = np.arange(count) + 0.5
    z = 1.0 - i / count
    r = np.sqrt(1.0 - z * z)
    phi = np.pi * (1.0 + 5.0**0.5) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


class _SymmetryScore:
    """Mean capped distance of reflected samples to a reference sample set."""

    def __init__(self, moving: np.ndarray, reference: np.ndarray):
        from scipy.spatial import cKDTree

        self.moving = moving
        self.tree = cKDTree(reference)
        self.noise = max(self(np.array([1.0, 0.0, 0.0]), 0.0, reflect=False), 1e-9)

    def __call__(self, normal: np.ndarray, offset: float, reflect: bool = True) -> float:
        p = self.moving
        if reflect:
            p = p - 2.0 * (p @ normal - offset)[:, None] * normal[None]
        d, _ = self.tree.query(p, k=1)
        return float(np.minimum(d, _DISTANCE_CAP).mean())


def _symmetry_plane(
    points_a: np.ndarray, points_b: np.ndarray, normals_b: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Best mirror plane ``n . x = d`` of the (centred, unit-RMS) samples; ``(n, d, ratio)``.

    ``normals_b``: unit surface normals at ``points_b`` (for the final point-to-plane polish).
    """
    coarse = _SymmetryScore(points_a[:_COARSE_SAMPLES], points_b[:_COARSE_SAMPLES])
    _, axes = np.linalg.eigh(points_a.T @ points_a)
    dirs = np.concatenate([axes.T, _half_sphere(_COARSE_DIRECTIONS)])
    scores = np.array([coarse(n, 0.0) for n in dirs])
    fine = _SymmetryScore(points_a, points_b)
    best = (np.inf, dirs[0], 0.0)
    chosen: list[np.ndarray] = []
    for idx in np.argsort(scores):
        n0 = dirs[idx]
        # skip a direction within 15 degrees of one already refined: same basin
        if any(abs(float(n0 @ c)) > 0.966 for c in chosen):
            continue
        chosen.append(n0)
        normal, offset = _polish_plane(points_a, fine.tree, normals_b, n0, 0.0)
        score = fine(normal, offset)
        if score < best[0]:
            best = (score, normal, offset)
        if len(chosen) >= _REFINED:
            break
    score, normal, offset = best
    return normal, offset, score / fine.noise


def _polish_plane(
    points: np.ndarray,
    tree,
    ref_normals: np.ndarray,
    normal: np.ndarray,
    offset: float,
    steps: int = 12,
) -> tuple[np.ndarray, float]:
    """Gauss-Newton refinement of a mirror plane by point-to-plane distances.

    Each mirrored sample is paired with the nearest reference sample and the distance is taken
    along that sample's surface normal, a smooth function of the plane; unlike the flat optimum
    of the point-to-point score (a derivative-free search finds it to about 0.1 degree) this one
    is sharp, so a rotated mesh gets the rotated plane to float precision.
    """
    for _ in range(steps):
        h = points @ normal - offset
        mirrored = points - 2.0 * h[:, None] * normal[None]
        dist, idx = tree.query(mirrored, k=1)
        keep = dist < _DISTANCE_CAP
        if keep.sum() < 10:
            break
        p, hk, nu = points[keep], h[keep], ref_normals[idx[keep]]
        residual = np.einsum("ij,ij->i", mirrored[keep] - tree.data[idx[keep]], nu)
        e1 = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(normal, e1)
        nu_n = nu @ normal
        # d(mirrored) = -2 [((p . dn) - dd) n + h dn] for a normal step dn (in e1, e2) and dd
        jac = np.stack(
            [-2.0 * ((p @ e) * nu_n + hk * (nu @ e)) for e in (e1, e2)] + [2.0 * nu_n],
            axis=1,
        )
        step = np.linalg.lstsq(jac, -residual, rcond=None)[0]
        normal = normal + step[0] * e1 + step[1] * e2
        normal /= np.linalg.norm(normal)
        offset += float(step[2])
        if np.abs(step).max() < 1e-9:
            break
    return normal, offset


def _vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted unit vertex normals ``(V, 3)`` and unit face normals ``(T, 3)``."""
    a, b, c = (vertices[triangles[:, i]] for i in range(3))
    cross = np.cross(b - a, c - a)
    vn = np.zeros_like(vertices)
    for i in range(3):
        np.add.at(vn, triangles[:, i], cross)
    vn /= np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-30)
    fn = cross / np.maximum(np.linalg.norm(cross, axis=1, keepdims=True), 1e-30)
    return vn, fn


def _triangle_detail(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-triangle bending (1 - mean cosine between face and vertex normals) and face normals.

    High on creases and small features (nose, lids, lips, ears, fingers), low on smooth domes.
    """
    vn, fn = _vertex_normals(vertices, triangles)
    cos = np.stack([np.einsum("ij,ij->i", vn[triangles[:, i]], fn) for i in range(3)], axis=1)
    return 1.0 - cos.mean(axis=1), fn


def sign_cues(
    points: np.ndarray, detail: np.ndarray, normals: np.ndarray, up: np.ndarray, forward: np.ndarray
) -> dict[str, float]:
    """Cue values for the candidate (``up``, ``forward``); each is positive when it agrees.

    points: ``(N, 3)`` centred unit-RMS surface samples; detail: ``(N,)`` bending of the
    sample's triangle; normals: ``(N, 3)`` unit normals of the sample's triangle.
    """
    y = points @ up
    z = points @ forward
    side = np.linalg.norm(points - np.outer(y, up) - np.outer(z, forward), axis=1)
    # the mid-sagittal band: the profile of forehead, nose, lips and chin (ears excluded)
    near = detail * (side < 0.15)
    near = near / max(float(near.sum()), 1e-30)
    top, bottom = y > 0.6, y < -0.6
    width = float(side[top].mean() - side[bottom].mean()) if top.any() and bottom.any() else 0.0
    front = z > 0.5
    return {
        # the face (nose, lids, lips) is the detailed side of the profile, the skull is smooth
        "slice_detail_forward": float(near @ z),
        # an open face mask: its outward normals look forward
        "normals_forward": float((normals @ forward).mean()),
        # a long tail (neck, shoulders, legs) makes the third moment negative along up
        "skew_up": float((y**3).mean()),
        # the frontmost parts (brow, nose) lie above the centroid of a head with neck or a bust
        "front_extent_up": float(np.median(y[front])) if front.any() else 0.0,
        # a face mask: the forehead is wider than the chin
        "width_top_minus_bottom": width,
        # a standing body: the lowest samples (feet) reach forward
        "feet_forward": float(z[y < np.percentile(y, 2)].mean()),
    }


# ratio of the largest to the smallest RMS extent above which the mesh is read as a standing
# body (Rocketbox avatars 5.6-6.2; heads, busts and face masks 1.7-2.5)
_BODY_ELONGATION = 3.5
# cue magnitudes that count as a clear vote (tanh scale), measured on heads, busts and bodies
_FORWARD_SCALE = 0.08
_UP_SCALE = 0.04
# mean outward normal along forward above which the mesh is an open face mask (ICT face crops:
# 0.43-0.49; closed or back-cut heads: < 0.08)
_MASK_NORMALS = 0.2


def _decide_signs(
    points: np.ndarray,
    detail: np.ndarray,
    normals: np.ndarray,
    major: np.ndarray,
    minor: np.ndarray,
    body: bool,
) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Signs of the up (``major``) and forward (``minor``) axes; returns (up, forward, up vote,
    forward vote), a vote's magnitude saying how clear it was.

    Some cues depend on the other axis' sign (the front of a head, the feet of a body), so the
    axis whose cue stands alone is decided first.
    """
    if body:
        # a standing body: long thin legs below (negative skew along up), then toes point forward
        up_vote = -sign_cues(points, detail, normals, major, minor)["skew_up"]
        up = major if up_vote >= 0 else -major
        cues = sign_cues(points, detail, normals, up, minor)
        forward_vote = cues["feet_forward"]
        forward = minor if forward_vote >= 0 else -minor
        return up, forward, abs(up_vote), abs(forward_vote)
    # a head: the face (nose, lips, lids) is the detailed side of the mid-sagittal profile, an
    # open face mask's normals look forward; then the frontmost parts lie above the centroid of
    # a head with neck or a bust, and its long tail (neck, shoulders) is below
    cues = sign_cues(points, detail, normals, major, minor)
    forward_vote = cues["slice_detail_forward"] + 0.5 * cues["normals_forward"]
    forward = minor if forward_vote >= 0 else -minor
    cues = sign_cues(points, detail, normals, major, forward)
    if cues["normals_forward"] > _MASK_NORMALS:
        # an open face mask (no back of the head): the forehead is wider than the chin
        up_vote = cues["width_top_minus_bottom"]
    else:
        up_vote = cues["front_extent_up"] - 0.5 * cues["skew_up"]
    up = major if up_vote >= 0 else -major
    return up, forward, abs(up_vote), abs(forward_vote)


def estimate_orientation(vertices: np.ndarray, triangles: np.ndarray, seed: int = 0) -> OrientationEstimate:
    """Estimate the up and forward directions of a head, bust or body from its surface.

    Args:
        vertices: ``(V, 3)`` float, any units, position and rotation.
        triangles: ``(T, 3)`` int indices into ``vertices`` (zero-area triangles are ignored).
        seed: seed of the surface sampling (the estimate is deterministic for a given seed).

    Returns:
        :class:`OrientationEstimate` (rotation input -> model axes, up, forward, confidence).

    Raises:
        the typed errors of :func:`model.mesh_io.validate` for an unusable mesh.
    """
    from .frame import surface_moments
    from .mesh_io import validate

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    validate(v, t)
    center, rms = surface_moments(v, t)
    rng = np.random.default_rng(seed)
    pts_a, tri_a = _sample_surface(v, t, _SAMPLES, rng)
    pts_b, tri_b = _sample_surface(v, t, _SAMPLES, rng)
    a = (pts_a - center) / rms
    b = (pts_b - center) / rms
    detail, face_normals = _triangle_detail(v, t)
    normal, _, symmetry = _symmetry_plane(a, b, face_normals[tri_b])

    # up axis: the major principal axis of the surface projected onto the symmetry plane
    proj = a - np.outer(a @ normal, normal)
    evals, evecs = np.linalg.eigh(proj.T @ proj / len(proj))
    major, minor = evecs[:, 2], evecs[:, 1]
    spread = np.linalg.eigvalsh(a.T @ a / len(a))
    elongation = float(np.sqrt(spread[2] / max(spread[0], 1e-12)))
    # an open face mask is thin too (no back of the head): a body is a closed surface, whose
    # outward normals cancel, while a mask's look to one side (Nefertiti cut in front of her
    # ears, a crown above her face, read 3.9 as elongated as a body, and its feet's cue turned
    # her upside down: 169 degrees off, confidence 0.91)
    open_side = abs(float((face_normals[tri_a] @ minor).mean()))
    body = elongation > _BODY_ELONGATION and open_side <= _MASK_NORMALS

    up, forward, up_vote, forward_vote = _decide_signs(
        a, detail[tri_a], face_normals[tri_a], major, minor, body
    )
    rotation = np.stack([np.cross(up, forward), up, forward])
    candidates: tuple = ()
    if not body:
        # the other readings of a head: the major axis is up on a bust or a head with neck, but a
        # cropped head with a bun or cut at the chin is deeper than tall; its signs come from
        # the same cues read with the axes swapped
        up2, forward2, _, _ = _decide_signs(a, detail[tri_a], face_normals[tri_a], minor, major, body)
        found = []
        for u0, f0 in ((up, forward), (up2, forward2)):
            # the forward cue (the detailed side of the profile) is the sturdier one: its sign
            # is kept before the up sign is
            for su, sf in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
                u, f = su * u0, sf * f0
                found.append(np.stack([np.cross(u, f), u, f]))
        candidates = tuple(found[1:])

    symmetric = float(np.exp(-max(symmetry - 1.3, 0.0)))
    forward_sure = float(np.tanh(abs(forward_vote) / _FORWARD_SCALE))
    up_sure = float(np.tanh(abs(up_vote) / _UP_SCALE))
    confidence = float(np.clip(symmetric * forward_sure * up_sure, 0.0, 1.0))
    shape = "standing body" if body else "head or bust"
    reason = (
        f"{shape}; mirror symmetry {symmetry:.2f}x noise; face side "
        f"{'clear' if forward_sure > 0.8 else 'unclear'} ({forward_sure:.2f}), "
        f"up {'clear' if up_sure > 0.8 else 'unclear'} ({up_sure:.2f})"
    )
    return OrientationEstimate(
        rotation, up, forward, confidence, float(symmetry), reason, "body" if body else "head", candidates
    )


# an eyes_upright margin this large is trusted over the cues' order: the correct readings of
# the demo head, the real-dev avatars and 26 of 32 held-out ICT cases with eyes 0.52-1.62 (the
# others 0.12-0.30); wrong readings that show eyes (mostly a face mask seen from behind, its
# recessed eye openings then in front of the middle) at most +0.31 (ICT cases, eval_cases/)
EYES_UPRIGHT_MARGIN = 0.5


def eyes_upright(anchors) -> float | None:
    """How far the skin reaches above the eyes minus in front of them, in eye distances, when
    :class:`model.rig_check.FaceAnchors` found eyes of a face's proportions
    (:func:`model.input_warnings.plausible_eyes`: above and in front of the skin's middle); None
    when it found none. Positive in the face's own axes (crown 1.5-2 eye distances above the
    eyes, nose tip 0.6 in front), negative in the reading turned 90 degrees about the
    ear-to-ear axis, the one other reading whose eyes pass those tests."""
    from .input_warnings import plausible_eyes

    if plausible_eyes(anchors) is None or anchors.mid is None or not anchors.eye_distance:
        return None
    c = anchors.canonical[anchors.skin]
    above = c[:, 1].max() - anchors.mid[1]
    ahead = c[:, 2].max() - anchors.mid[2]
    return float((above - ahead) / anchors.eye_distance)


def _reading_anchors(vertices: np.ndarray, triangles: np.ndarray, skin: np.ndarray, rotation, frame):
    """:class:`model.rig_check.FaceAnchors` of the mesh read with ``rotation`` (3, 3) (``frame``
    gives its centre and scale)."""
    from dataclasses import replace

    from .rig_check import face_anchors

    turned = replace(frame, rotation=rotation, orientation=None)
    return face_anchors(vertices, triangles, frame=turned, skin_mask=skin, pitch=0.0)


def choose_by_face(vertices: np.ndarray, triangles: np.ndarray, estimate: OrientationEstimate, frame):
    """The reading of a head (:attr:`OrientationEstimate.candidates`) in which it looks like a
    face (:mod:`model.input_warnings`): eyes of a face's proportions above and in front of its
    middle with the crown clearly farther above them than the nose is in front
    (:func:`eyes_upright` at least :data:`EYES_UPRIGHT_MARGIN`); else the first reading in the
    cues' order with eyes above the nose's reach or with a nose standing out of its front
    (:data:`model.input_warnings.NOSE_MIN_SHARE`); the estimate as it is when no reading looks
    like a face (or for a body).

    vertices (V, 3), triangles (T, 3): the mesh the estimate was made on; frame: its
    :class:`model.frame.CanonicalFrame` (centre and scale). Returns the estimate, with the
    reading chosen (``rotation``, ``up``, ``forward``) and why in ``reason`` when it changed.
    10-20 ms per reading on a 20k-vertex head; the readings are looked at in the cues' order,
    up to the first with clearly upright eyes (the first on most heads the cues read right), all
    8 on a face without them.
    """
    from dataclasses import replace

    from .face_landmarks import largest_component_mask
    from .input_warnings import NOSE_MIN_SHARE, nose_share

    if not estimate.candidates:
        return estimate
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    skin = largest_component_mask(len(v), t)
    readings = [estimate.rotation, *estimate.candidates]
    anchors = []
    margins: list[float | None] = []
    for r in readings:
        anchors.append(_reading_anchors(v, t, skin, r, frame))
        margins.append(eyes_upright(anchors[-1]))
        if margins[-1] is not None and margins[-1] >= EYES_UPRIGHT_MARGIN:
            # clearly upright eyes: the one other reading with eyes has the opposite margin
            break
    strong = [i for i, m in enumerate(margins) if m is not None and m >= EYES_UPRIGHT_MARGIN]
    best = None
    if strong:
        best = max(strong, key=lambda i: margins[i])
    else:
        # the cues' order decides among weaker evidence: the first reading with eyes above the
        # nose's reach or a nose (the nose looked at only up to there: 20 ms each on 35k)
        for i, m in enumerate(margins):
            if (m is not None and m > 0) or nose_share(anchors[i].canonical, t, skin, 0.0) >= NOSE_MIN_SHARE:
                best = i
                break
    if best is None:
        return replace(estimate, reason=estimate.reason + "; no reading shows a face")
    with_eyes = best in strong
    weak = margins[best] is not None and not with_eyes
    why = "eyes found" if with_eyes else "weak eyes found" if weak else "nose found"
    face = "eyes" if with_eyes else "weak eyes" if weak else "nose"
    if best == 0:
        return replace(estimate, reason=f"{estimate.reason}; {why}", face=face)
    r = readings[best]
    # the face decided the reading, not the cues: as sure as the symmetry
    confidence = max(estimate.confidence, float(np.exp(-max(estimate.symmetry - 1.3, 0.0))))
    return replace(
        estimate,
        rotation=r.copy(),
        up=r[1].copy(),
        forward=r[2].copy(),
        confidence=confidence if with_eyes else estimate.confidence,
        reason=f"{estimate.reason}; axes from the face ({why} in reading {best + 1} of {len(readings)})",
        candidates=tuple(c for i, c in enumerate(readings) if i != best),
        face=face,
    )


def nearest_reading(estimate: OrientationEstimate, rotation: np.ndarray) -> OrientationEstimate:
    """The reading of ``estimate`` (its rotation or one of its candidates) nearest ``rotation``
    (3, 3), e.g. a bust's reading for the head cut from it: a head cut at the neck loses the
    shoulders that told its up from its down (the Demosthenes bust: right as a bust, upside down
    as a head)."""
    from dataclasses import replace

    readings = [estimate.rotation, *estimate.candidates]
    best = int(np.argmax([np.trace(r @ rotation.T) for r in readings]))
    if best == 0:
        return estimate
    r = readings[best]
    return replace(
        estimate,
        rotation=r.copy(),
        up=r[1].copy(),
        forward=r[2].copy(),
        candidates=tuple(c for i, c in enumerate(readings) if i != best),
        reason=f"{estimate.reason}; signs from the whole mesh",
    )


# an estimate this sure (and this far from the given axes) makes the given axes suspicious
WARN_CONFIDENCE = 0.8
WARN_DEGREES = 45.0


def axes_warning(frame) -> str | None:
    """A one-line warning when explicitly given axes disagree strongly with a confident estimate.

    frame: a :class:`model.frame.CanonicalFrame` fitted with ``estimate=True`` (else None is
    returned). Returns None when the axes agree, came from the estimate or the estimate is unsure.
    """
    est = getattr(frame, "orientation", None)
    if est is None or frame.auto or est.confidence < WARN_CONFIDENCE:
        return None
    given_up, given_forward = frame.rotation[1], frame.rotation[2]
    angle = est.angle_to(given_up, given_forward)
    if angle < WARN_DEGREES:
        return None
    return (
        f"the given axes (up {axis_name(given_up)}, forward {axis_name(given_forward)}) differ by "
        f"{angle:.0f} degrees from the orientation found in the geometry (up {axis_name(est.up)}, "
        f"forward {axis_name(est.forward)}, confidence {est.confidence:.2f}); the rig will likely be "
        "wrong: use up/forward 'auto' or the axes found"
    )


def axis_name(direction: np.ndarray) -> str:
    """The nearest axis name ("-Y") of a unit vector, with its angle when it is not on an axis."""
    d = np.asarray(direction, np.float64)
    i = int(np.argmax(np.abs(d)))
    name = ("-" if d[i] < 0 else "") + "XYZ"[i]
    off = float(np.degrees(np.arccos(np.clip(abs(d[i]), -1.0, 1.0))))
    return name if off < 5.0 else f"{name}~{off:.0f}deg"


def describe(estimate: OrientationEstimate) -> str:
    """One line for people: the axes found, the confidence and why."""
    return (
        f"up {axis_name(estimate.up)}, forward {axis_name(estimate.forward)}, "
        f"confidence {estimate.confidence:.2f} ({estimate.reason})"
    )


# Area-weighted centroids (cm, Y up, +Z forward) of the compact face regions on the generic
# ICT-FaceKit neutral (model.regions labels): the network's predicted regions on a mesh in a
# near-correct frame are compared with them to fix the head's pitch, the one angle the symmetry
# plane leaves free and the geometric cues find only to about 10 degrees.
REFERENCE_CENTROIDS: dict[str, tuple[float, float, float]] = {
    "brow_L": (5.37, 5.09, 7.40),
    "brow_R": (-5.38, 5.09, 7.40),
    "upper_lid_L": (3.33, 3.85, 9.69),
    "upper_lid_R": (-3.33, 3.85, 9.69),
    "lower_lid_L": (3.62, 2.91, 9.29),
    "lower_lid_R": (-3.61, 2.91, 9.29),
    "nose": (0.00, 1.07, 11.03),
    "upper_lip": (0.00, -2.66, 11.16),
    "lower_lip": (-0.00, -4.16, 10.94),
    "mouth_corner_L": (3.17, -3.68, 9.86),
    "mouth_corner_R": (-3.17, -3.68, 9.86),
}
# a region with less than this share of the surface is absent (a crop, a bad prediction)
_MIN_REGION_SHARE = 0.002


@dataclass
class RegionFit:
    """How the network's face regions sit relative to the reference face.

    pitch: radians, rotation about the model X axis taking the mesh's canonical frame to the
        reference (apply ``rotation_about_x(pitch) @ frame.rotation``).
    residual: RMS distance of the fitted region centroids to the reference, relative to the
        reference's RMS radius (about 0.05-0.1 for a face in the right frame, > 0.3 when the
        network finds no face there).
    regions: how many regions took part.
    """

    pitch: float
    residual: float
    regions: int


def axis_rotation(axis: np.ndarray, sin: float, cos: float) -> np.ndarray:
    """``(3, 3)`` rotation about the unit ``axis`` (3,) by the angle whose sine and cosine are
    given (Rodrigues: ``I + sin K + (1 - cos) K^2``, ``K`` the cross-product matrix of ``axis``)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + sin * k + (1.0 - cos) * (k @ k)


def rotation_about_x(angle: float) -> np.ndarray:
    """``(3, 3)`` rotation by ``angle`` radians about X (Y toward Z for positive angles)."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def fit_regions(
    canonical: np.ndarray, mass: np.ndarray, skin: np.ndarray, region_names: tuple[str, ...]
) -> RegionFit | None:
    """Fit the predicted region centroids to :data:`REFERENCE_CENTROIDS` by a 2-D similarity in
    the sagittal (Y, Z) plane; None when fewer than 5 reference regions are present.

    canonical: ``(W, 3)`` vertices in the model frame; mass: ``(W,)`` vertex areas;
    skin: ``(W, K)`` predicted region weights; region_names: the K names.
    """
    # hard labels: soft weights leak a little onto every vertex and pull centroids to the middle
    hard = np.zeros_like(skin, dtype=np.float64)
    hard[np.arange(len(skin)), np.argmax(skin, axis=1)] = 1.0
    weights = hard * mass[:, None]
    share = weights.sum(axis=0) / max(float(weights.sum()), 1e-30)
    found, ref = [], []
    for k, name in enumerate(region_names):
        if name in REFERENCE_CENTROIDS and share[k] >= _MIN_REGION_SHARE:
            found.append(weights[:, k] @ canonical / weights[:, k].sum())
            ref.append(REFERENCE_CENTROIDS[name])
    if len(found) < 5:
        return None
    p = np.asarray(found)[:, 1:]
    r = np.asarray(ref, dtype=np.float64)[:, 1:]
    p = p - p.mean(axis=0)
    r = r - r.mean(axis=0)
    # the angle rotating p onto r in the (Y, Z) plane, and the scale
    cross = float((p[:, 0] * r[:, 1] - p[:, 1] * r[:, 0]).sum())
    dot = float((p * r).sum())
    pitch = float(np.arctan2(cross, dot))
    c, s = np.cos(pitch), np.sin(pitch)
    rotated = np.stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]], axis=1)
    scale = float((rotated * r).sum() / max(float((rotated * rotated).sum()), 1e-30))
    rms = float(np.sqrt((r * r).sum(axis=1).mean()))
    residual = float(np.sqrt(((scale * rotated - r) ** 2).sum(axis=1).mean()) / rms)
    return RegionFit(pitch=pitch, residual=residual, regions=len(found))
