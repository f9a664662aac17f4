"""Post-process of the baked shapes: parts move as parts, the body stays still.

The network predicts a displacement for every vertex, loose parts included. Real heads need more:

* **head only**: on a bust or a body (:mod:`model.head_region`) every delta is multiplied by the
  head weight: exactly zero below the neck, a smooth ramp across it. A mesh that is only a head
  is unchanged;
* **eyeballs** (:mod:`model.parts`) are rigid: they do not move in any shape except the
  ``eyeLook*`` shapes of their side, where they rotate about their centre by a fixed angle
  (:data:`EYE_LOOK_DEGREES`, the convention; ICT-FaceKit's own eyeLook shapes move only the
  lids, so the network has nothing to learn the angle from);
* **lower teeth and tongue** move rigidly with the jaw: in :data:`JAW_SHAPES` they take the
  best rigid motion (least squares) of the chin skin; in every other shape they stay still
  (ICT-FaceKit moves its teeth and gums only in these four shapes); a piece spanning both rows
  (gums and tongue in one) takes a share of it fading across its seam
  (:attr:`model.parts.Parts.jaw_blend`), so it does not tear there;
* **upper teeth, hair and other pieces** stay still;
* **lashes and brows** follow the skin they sit on (the mean motion of their nearest skin
  vertices, inverse-distance weighted).

Everything is linear per shape, so a mix of shapes (Blender's shape keys, ``FaceModel.decode``)
is the same mix of the constrained shapes. numpy + scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .facs import ICT_NAMES
from .parts import PART_INDEX

# Gaze angle of each eyeLook shape at weight 1 (degrees): a documented convention within the
# comfortable human range (about 25 degrees up, 30 down, 35 sideways); ARKit gives no angles.
EYE_LOOK_DEGREES: dict[str, float] = {"Up": 25.0, "Down": 30.0, "In": 30.0, "Out": 30.0}
# the shapes in which ICT-FaceKit moves its lower teeth, gums and tongue
JAW_SHAPES: tuple[str, ...] = ("jawForward", "jawLeft", "jawOpen", "jawRight")
# a lash piece's root: its vertices this share of its extent from its closest approach to the skin
_ROOT_BAND = 0.05
# lashes and brows average the motion of this many nearest skin vertices
_FOLLOW_NEIGHBOURS = 4


@dataclass
class RigAnalysis:
    """What the constraints need to know about a mesh: its frame, head region and parts."""

    frame: object
    head: object
    parts: object


def analyze_rig(vertices: np.ndarray, triangles: np.ndarray, frame=None, head=None) -> RigAnalysis:
    """Head region and parts of a mesh (input units and axes; ``frame`` as
    :func:`model.frame.fit_frame` gives, None: OBJ axes; ``head``: its head region if found)."""
    from .frame import fit_frame
    from .head_region import find_head_region
    from .parts import classify_parts

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if frame is None:
        frame = fit_frame(v, t)
    if head is None:
        head = find_head_region(v, t, frame)
    parts = classify_parts(v, t, frame, head=head)
    return RigAnalysis(frame=frame, head=head, parts=parts)


def analysis_from_groups(
    vertices: np.ndarray,
    triangles: np.ndarray,
    frame,
    head_weights: np.ndarray | None,
    part_weights: dict[str, np.ndarray],
) -> RigAnalysis:
    """A :class:`RigAnalysis` from painted weights (vertex groups an artist corrected).

    Args:
        vertices: ``(V, 3)``; triangles: ``(T, 3)``; frame: the mesh's canonical frame.
        head_weights: ``(V,)`` in [0, 1] (None: the automatic head region).
        part_weights: part name (of :data:`model.parts.PART_NAMES`) -> ``(V,)`` weights; a vertex
            belongs to the part it has the highest weight in, if above 0.5, else to the skin.
            Eyeball centres and radii are sphere fits of the painted vertices.
    """
    from .head_region import HeadRegion, find_head_region
    from .parts import PART_NAMES, Eyeball, Parts, fit_sphere

    v = np.asarray(vertices, dtype=np.float64)
    n = v.shape[0]
    if head_weights is None:
        head = find_head_region(v, triangles, frame)
    else:
        w = np.clip(np.asarray(head_weights, dtype=np.float32), 0.0, 1.0)
        nan = float("nan")
        head = HeadRegion(w, bool((w < 1.0).any()), nan, nan, nan, nan, nan)
    names = [k for k in part_weights if k in PART_NAMES and k != "skin"]
    labels = np.full(n, PART_INDEX["skin"], dtype=np.int64)
    if names:
        stack = np.stack([np.asarray(part_weights[k], dtype=np.float64) for k in names], 1)
        best = stack.argmax(1)
        on = stack[np.arange(n), best] > 0.5
        labels[on] = np.array([PART_INDEX[k] for k in names])[best[on]]
    eyeballs = {}
    c = frame.to_canonical(v)
    for side in ("L", "R"):
        ids = np.flatnonzero(labels == PART_INDEX[f"eyeball_{side}"])
        if ids.size >= 4:
            center, radius, _ = fit_sphere(c[ids])
            if radius > 0:
                eyeballs[side] = Eyeball(frame.from_canonical(center[None])[0], radius * frame.scale, ids)
    return RigAnalysis(frame=frame, head=head, parts=Parts(labels, eyeballs))


def gaze_rotation(direction: np.ndarray, degrees: float) -> np.ndarray:
    """(3, 3) rotation (canonical frame) turning the gaze (+Z) toward ``direction`` by ``degrees``."""
    from .orientation import axis_rotation

    d = np.asarray(direction, dtype=np.float64)
    axis = np.cross([0.0, 0.0, 1.0], d)
    axis /= np.linalg.norm(axis)
    a = np.radians(degrees)
    return axis_rotation(axis, np.sin(a), np.cos(a))


def eye_look_rotation(name: str, side: str) -> np.ndarray | None:
    """Canonical rotation of the ``side`` ("L"/"R") eyeball in shape ``name``, or None.

    +X is the subject's left: "Out" turns the left eye toward +X and the right eye toward -X.
    """
    if not name.startswith("eyeLook") or not name.endswith(f"_{side}"):
        return None
    kind = name[len("eyeLook") : -2]
    left = 1.0 if side == "L" else -1.0
    direction = {
        "Up": (0.0, 1.0, 0.0),
        "Down": (0.0, -1.0, 0.0),
        "Out": (left, 0.0, 0.0),
        "In": (-left, 0.0, 0.0),
    }.get(kind)
    if direction is None:
        return None
    return gaze_rotation(np.array(direction), EYE_LOOK_DEGREES[kind])


def rigid_fit(source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None):
    """Least-squares rotation and translation taking ``source`` (n, 3) to ``target`` (n, 3):
    ``(R (3,3), t (3,))`` with ``target ~ source @ R.T + t`` (Kabsch, no reflection)."""
    w = np.ones(source.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    ms, mt = w @ source, w @ target
    h = (source - ms).T @ ((target - mt) * w[:, None])
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T)) or 1.0
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return r, mt - ms @ r.T


def apply_rig_constraints(
    deltas: np.ndarray,
    vertices: np.ndarray,
    analysis: RigAnalysis,
    names: tuple[str, ...] = ICT_NAMES,
) -> np.ndarray:
    """Constrain baked shapes.

    Args:
        deltas: ``(S, V, 3)`` additive shape deltas in the input's units and axes.
        vertices: ``(V, 3)`` the neutral, input units and axes.
        analysis: :func:`analyze_rig` of that mesh.
        names: the ``S`` shape names (ICT names; eyeLook / jaw shapes are found by name).

    Returns:
        ``(S, V, 3)`` float32, a new array.
    """
    v = np.asarray(vertices, dtype=np.float64)
    out = np.array(deltas, dtype=np.float64)
    labels = analysis.parts.labels
    frame = analysis.frame
    if analysis.head.has_body:
        out *= analysis.head.weights.astype(np.float64)[None, :, None]

    static = np.isin(labels, [PART_INDEX[n] for n in ("upper_teeth", "hair", "other")])
    out[:, static] = 0.0

    skin = np.flatnonzero(labels == PART_INDEX["skin"])
    follow = np.flatnonzero(np.isin(labels, [PART_INDEX["lashes"], PART_INDEX["brows"]]))
    if follow.size and skin.size:
        from scipy.spatial import cKDTree

        k = min(_FOLLOW_NEIGHBOURS, skin.size)
        dist, idx = cKDTree(v[skin]).query(v[follow], k=k)
        dist, idx = dist.reshape(follow.size, k), idx.reshape(follow.size, k)
        w = 1.0 / np.maximum(dist, 1e-12 * frame.scale)
        w /= w.sum(1, keepdims=True)
        out[:, follow] = np.einsum("fk,sfkc->sfc", w, out[:, skin[idx]])
        lashes = labels[follow] == PART_INDEX["lashes"]
        pieces = analysis.parts.piece_labels
        if lashes.any() and pieces is not None:
            out[:, follow[lashes]] = _with_roots(v, out, follow[lashes], dist[lashes, 0], pieces)
        shells = list(getattr(analysis.parts, "lid_shells", []) or [])
        if shells and pieces is not None and analysis.parts.eyeballs:
            ids = np.flatnonzero(np.isin(pieces, shells))
            out[:, ids] = _slide_on_eyeballs(v[ids], out[:, ids], analysis.parts.eyeballs)

    for side, eye in analysis.parts.eyeballs.items():
        ids = eye.vertices
        out[:, ids] = 0.0
        rel = v[ids] - eye.center
        for s, name in enumerate(names):
            rot = eye_look_rotation(name, side)
            if rot is None:
                continue
            r_in = frame.rotation.T @ rot @ frame.rotation  # the same turn in input axes
            out[s, ids] = rel @ r_in.T - rel

    jaw = np.flatnonzero(np.isin(labels, [PART_INDEX["lower_teeth"], PART_INDEX["tongue"]]))
    if jaw.size:
        chin = _chin_patch(v, labels, jaw, analysis)
        share = _jaw_share(analysis.parts)
        if share is not None:  # a piece spanning both rows fades across its seam
            jaw = np.flatnonzero(share > 0.0)
        moved = np.zeros((out.shape[0], jaw.size, 3))
        if chin.size >= 3:
            for s, name in enumerate(names):
                if name in JAW_SHAPES:
                    r, tr = rigid_fit(v[chin], v[chin] + out[s, chin])
                    moved[s] = v[jaw] @ r.T + tr - v[jaw]
        if share is not None:
            moved *= share[jaw][None, :, None]
        out[:, jaw] = moved
    return out.astype(np.float32)


def _jaw_share(parts) -> np.ndarray | None:
    """(V,) float64 in [0, 1], the share of the jaw's rigid motion each vertex takes
    (:attr:`model.parts.Parts.jaw_blend`), or None where the labels say it (1 on the lower
    teeth and tongue, 0 elsewhere)."""
    share = getattr(parts, "jaw_blend", None)
    return None if share is None else np.asarray(share, dtype=np.float64)


def _slide_on_eyeballs(points: np.ndarray, moved: np.ndarray, eyeballs: dict) -> np.ndarray:
    """(S, n, 3): the motion ``moved`` (S, n, 3) of shells lying on the lids (``points`` (n, 3),
    input units and axes; :attr:`model.parts.Parts.lid_shells`) with each vertex kept at its
    distance from the centre of its nearer eyeball (``eyeballs`` of :class:`model.parts.Parts`):
    the shell slides over the eyeball as the lids draw it.

    Why: following the nearest lid skin alone, the parts of ICT-FaceKit's occlusion shell that
    lie on the eyeball under a lid sank into the eyeball or lifted off it where the upper and
    lower lids moved apart (``eyeLookDown``, ``eyeSquint``: the shell crumpled in the open eye,
    rendered)."""
    centres = np.stack([e.center for e in eyeballs.values()])
    nearer = np.argmin(np.linalg.norm(points[:, None, :] - centres[None], axis=2), axis=1)
    c = centres[nearer]
    radius = np.linalg.norm(points - c, axis=1)
    rel = points[None] + moved - c[None]
    length = np.linalg.norm(rel, axis=2, keepdims=True)
    slid = rel * (radius[None, :, None] / np.maximum(length, 1e-300))
    return c[None] + slid - points[None]


def _with_roots(
    v: np.ndarray, out: np.ndarray, lashes: np.ndarray, to_skin: np.ndarray, pieces: np.ndarray
) -> np.ndarray:
    """(S, L, 3): each lash vertex (``lashes`` (L,) indices into ``v`` (V, 3)) moved as the
    root of its piece nearest to it moves in ``out`` (S, V, 3) (the root: the piece's vertices
    within :data:`_ROOT_BAND` of its extent of its closest approach to the skin, ``to_skin``
    (L,) their distances to the nearest skin vertex).

    Why: each vertex following its own nearest skin moved a lash's tip with the lid's crease
    and its root with the lid's margin; where the lid turns to close, the strip folded over
    (its triangles flipped) and the flip repair then held the lid margin open where the roots
    are welded to it (ICT-FaceKit's face with its lashes: the lids stopped 0.47 cm short,
    rendered). A lash moves with the margin it grows from."""
    moved = np.empty((out.shape[0], lashes.size, 3), dtype=out.dtype)
    for piece in np.unique(pieces[lashes]):
        here = np.flatnonzero(pieces[lashes] == piece)
        ids = lashes[here]
        extent = float(np.linalg.norm(np.ptp(v[ids], axis=0)))
        root = here[to_skin[here] <= to_skin[here].min() + _ROOT_BAND * extent]
        from scipy.spatial import cKDTree

        _, nearest = cKDTree(v[lashes[root]]).query(v[ids])
        moved[:, here] = out[:, lashes[root[nearest]]]
    return moved


def _chin_patch(v: np.ndarray, labels: np.ndarray, jaw: np.ndarray, analysis: RigAnalysis) -> np.ndarray:
    """Skin vertices of the chin: in front of and below the lower teeth / tongue, within the
    arch's width (canonical frame)."""
    c = analysis.frame.to_canonical(v)
    lower = jaw[labels[jaw] == PART_INDEX["lower_teeth"]]
    ref = c[lower] if lower.size else c[jaw]
    h = max(float(np.ptp(ref[:, 1])), 1e-9)
    x0 = float(np.median(ref[:, 0]))
    half = 0.5 * max(float(np.ptp(ref[:, 0])), h)
    # half a tooth height below the front of the lower teeth, a tooth height around: measured on
    # ICT-FaceKit (its own skin and teeth motion), this patch's rigid motion moves the lower
    # teeth within 12 % (jawOpen), 18 % (jawLeft), 9 % (jawForward) RMS of their true motion
    anchor = np.array([x0, ref[:, 1].min() - 0.5 * h, ref[:, 2].max()])
    skin = np.flatnonzero(labels == PART_INDEX["skin"])
    d = np.linalg.norm(c[skin] - anchor, axis=1)
    # in front of the teeth only: a mouth bag welded to the lips (ICT's complete model) lies round
    # the teeth too, and its floor moves with the lips, not rigidly with the jaw: with it in the
    # patch the lower teeth opened 17 mm where ICT's open 31 (RMS error 15.6 mm), in front 2.3 mm
    # (ICT's own motion on that patch: 2.4 mm; on the old one 3.8)
    near = skin[(d < h) & (np.abs(c[skin, 0] - x0) < half) & (c[skin, 2] > anchor[2])]
    if near.size < 8:
        near = skin[np.argsort(d)[: min(32, skin.size)]]
    return near
