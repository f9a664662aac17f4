"""Place the face where the network learned to find it: the canonical frame's centre and scale
adjusted by the eyes.

The canonical frame (:mod:`model.frame`) removes translation and scale with surface statistics
of the whole mesh: centroid and RMS radius. The network reads canonical positions (and Fourier
features of them), so it finds the face by where it sits in that frame. On ICT-FaceKit, which it
was trained on, the eye midpoint sits at ``y`` 0.37-0.47, ``z`` 0.37-0.66 and the eye distance
is 0.53-0.68 canonical units (the training crops ``head`` and ``face``; measured with
:func:`model.rig_check.face_anchors`). A crown, a tall hat, a ponytail or a bust's collar moves
the centroid and grows the radius, and the face lands outside that range. Nefertiti's crown
puts her eyes at ``y = -0.29`` with an eye distance of 0.37; the network then labelled the crown
as forehead and brows and the whole real face as chin and jaw, and ``jawOpen`` slid the face.
Game avatars with their back hair sit at ``z`` 0.93-1.04.

:func:`place_face` finds the eyes from geometry alone (eye openings, eyeball pieces, or the
nose-tip estimate for sealed eyes: :func:`model.rig_check.face_anchors` without skin weights)
and, when the eye midpoint or eye distance lies outside the training range, moves and scales
the frame by the least amount that brings them inside (:data:`MID_RANGE`, :data:`EYE_DISTANCE_RANGE`).
Faces already inside keep their frame exactly, so ICT-like heads bake as before. The frame stays
a similarity: rotation unchanged, outputs mapped back to the input's units as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

# the range of the eye midpoint (canonical y, z) and eye distance over 60 training samples
# (training.augment.make_sample, seeds 0-59, topology "none": all crops, eyeballs, warps; the
# 5 / 50 / 95th percentiles are y 0.32 / 0.40 / 0.48, z 0.17 / 0.40 / 0.70, distance 0.49 / 0.67
# / 0.79): the frame moves only a face the network never saw placed like that. A tighter range
# (ICT's head and face crops only: y 0.37-0.47, z 0.37-0.66, distance 0.53-0.68) lowered the
# game avatar's cosine to its artist's shapes 0.593 -> 0.571; this one 0.587
MID_RANGE = {1: (0.27, 0.52), 2: (-0.03, 0.72)}
EYE_DISTANCE_RANGE = (0.44, 1.02)


@dataclass
class Placement:
    """What :func:`place_face` did: ``source`` of the eyes (as
    :attr:`model.rig_check.FaceAnchors.source`), the eye midpoint ``mid`` (3,) and ``eye_distance``
    before and after (canonical units of the old and new frame), ``moved``: the frame changed;
    ``anchors``: the :class:`model.rig_check.FaceAnchors` the eyes came from (in the frame before
    the move), kept so the input warnings judge the eyes found without finding them again."""

    source: str
    mid_before: np.ndarray | None
    eye_distance_before: float | None
    mid_after: np.ndarray | None
    eye_distance_after: float | None
    moved: bool
    anchors: object = field(default=None, repr=False)


def place_face(
    frame,
    vertices: np.ndarray,
    triangles: np.ndarray,
    skin_mask: np.ndarray | None = None,
    pitch: float = 0.0,
):
    """``(frame, Placement)``: ``frame`` (:class:`model.frame.CanonicalFrame` of ``vertices``
    (V, 3) input units, ``triangles`` (T, 3)) with its centre and scale adjusted so the eyes lie
    in the training range; the same frame object when they already do or no eyes are found.
    ``skin_mask``: (V,) bool largest connected component when already known (else found here);
    ``pitch``: the face's pitch in ``frame`` (radians, :attr:`model.face_alignment.Alignment.face_pitch`)."""
    from .rig_check import face_anchors

    canonical = frame.to_canonical(vertices)
    # Y up, Z forward: canonical axes
    anchors = face_anchors(canonical, triangles, skin_mask=skin_mask, pitch=pitch)
    if anchors.mid is None:
        return frame, Placement(anchors.source, None, None, None, None, False, anchors)
    # face_anchors fits its own frame on the canonical mesh (centre ~0, scale ~1): back to ours
    mid = anchors.frame.from_canonical(anchors.mid)
    u = float(anchors.eye_distance * anchors.frame.scale)
    u_new = float(np.clip(u, *EYE_DISTANCE_RANGE))
    ratio = u / u_new  # canonical units of the old frame per unit of the new one
    target = mid / ratio  # where the midpoint lands after scaling alone
    for axis, (lo, hi) in MID_RANGE.items():
        target[axis] = np.clip(target[axis], lo, hi)
    shift = mid / ratio - target  # new canonical units
    if u_new == u and not np.any(shift):
        return frame, Placement(anchors.source, mid, u, mid, u, False, anchors)
    # new canonical = old canonical / ratio - shift:
    #   R (p - c') / s' with s' = s * ratio and c' = c + s * ratio * R^T shift
    moved = replace(
        frame,
        scale=frame.scale * ratio,
        center=frame.center + frame.scale * ratio * (frame.rotation.T @ shift),
    )
    return moved, Placement(anchors.source, mid, u, target, u_new, True, anchors)
