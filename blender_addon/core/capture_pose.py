"""Head and eye pose of an ARKit capture: reading, units, signs and axes, in this one place. bpy-free.

Every capture is brought to one convention when it is read (the Live Link Face one):

* rotations: ``(T, 3)`` radians ``(yaw, pitch, roll)`` of the subject's own head/eye,
  **yaw > 0: turns to the subject's right**, **pitch > 0: looks down**, **roll > 0: the top of
  the head tilts toward the subject's right shoulder**;
* head position: ``(T, 3)`` metres ``(x, y, z)`` in ARKit's right-handed face axes (x: the
  subject's left, y: up, z: out of the face toward the camera).

Where the signs come from. Live Link Face writes radians: on the real take
``real-dev/captures/llf_alex_rom_4.csv`` the eye angles reach |0.63| (36 degrees, an eye's range;
read as degrees they would be under 1 degree while ``EyeLookOut*`` reaches 1.0). The eye yaw
correlates +0.82 with ``EyeLookInLeft`` and +0.75 with ``EyeLookOutRight`` (both eyes look to the
subject's right) and -0.67 with ``EyeLookOutLeft``; the eye pitch correlates +0.87 with
``EyeLookDownLeft`` and -0.80 with ``EyeLookUpLeft``. So yaw > 0 is to the subject's right and
pitch > 0 is down. Head and eyes go through the same decomposition in ARKit front ends (Unreal's
ARKit face support converts head and eye transforms with the same code and flips yaw and roll
together), so the head follows the eyes' signs. That take has no head rotation (all 0: recorded
with head rotation off), so the head sign rests on that argument, and the roll sign (yaw and roll
flipped together, as in an aircraft's yaw-right / right-wing-down pair) is not checked on data.

Face Cap TXT (layout confirmed from a Face Cap take reader: ``k,<ms>,head.position.x,y,z,
head.rotation.x,y,z,eyeLeft.rotation.x,y,eyeRight.rotation.x,y,<blendshapes>``): rotations are
degrees about ARKit's face axes (x: pitch, y: yaw, z: roll, right-handed), so ``yaw = -ry``
(a positive right-handed turn about up turns the face to its own left), ``pitch = +rx`` (about
the subject's left axis: the face turns down), ``roll = +rz`` (about the out-of-face axis: the top
goes to the subject's right); eye roll is 0 (not recorded). The position has no unit in the file;
Face Cap's generic head is built in centimetres, so it is read as cm (:data:`FACE_CAP_POSITION_TO_M`).

Blender side (:func:`blender_rotations`, :func:`blender_vectors`): the head faces -Y with Z up
and the subject's left on +X (Blender's front view), so ARKit ``(x, y, z)`` is Blender
``(x, -z, y)`` and a pose is ``Rz(-yaw) @ Rx(pitch) @ Ry(-roll)``: yaw about up, then pitch about
the side axis, then roll about forward.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import CaptureFormatError

# Capture fields holding a pose channel, (T, 3) each.
CHANNELS = ("head_rotation", "head_position", "eye_left", "eye_right")

# Live Link Face columns (lower-case) of each rotation field, in (yaw, pitch, roll) order.
LIVE_LINK_COLUMNS = {
    "head_rotation": ("headyaw", "headpitch", "headroll"),
    "eye_left": ("lefteyeyaw", "lefteyepitch", "lefteyeroll"),
    "eye_right": ("righteyeyaw", "righteyepitch", "righteyeroll"),
}

FACE_CAP_POSITION_TO_M = 0.01  # Face Cap head position: centimetres (its generic head's unit)
FACE_CAP_TRANSFORM_VALUES = 10  # head pos xyz, head rot xyz, left eye rot xy, right eye rot xy


def refuse_non_finite(
    values: np.ndarray, columns: Sequence[str], lines: np.ndarray, source: str, what: str
) -> None:
    """Refuse NaN/infinite capture values, naming the first one: ``values`` (T, C) as read,
    ``columns`` (C,) their names, ``lines`` (T,) file line numbers, ``source`` the format's name,
    ``what`` the kind of values ("blendshape", "head/eye")."""
    finite = np.isfinite(values)
    if not finite.all():
        r, c = np.argwhere(~finite)[0]
        raise CaptureFormatError(
            f"The {source} has NaN or infinite {what} values (first: {columns[c]} = {values[r, c]} "
            f"at line {int(lines[r])}). Fix: export the capture again, or repair or delete that line."
        )


def validate_pose(values: np.ndarray, columns: Sequence[str], lines: np.ndarray, source: str) -> None:
    """Refuse NaN/infinite head or eye values (see :func:`refuse_non_finite`)."""
    refuse_non_finite(values, columns, lines, source, "head/eye")


def live_link_pose(
    header: Sequence[str], body: Sequence[Sequence[str]], lines: np.ndarray
) -> dict[str, np.ndarray]:
    """Rotation fields of a Live Link Face CSV: ``{field: (T, 3) radians}``; a field is read only
    when all three of its columns are present."""
    lower = [h.strip().lower() for h in header]
    out: dict[str, np.ndarray] = {}
    for field, names in LIVE_LINK_COLUMNS.items():
        if not all(n in lower for n in names):
            continue
        idx = [lower.index(n) for n in names]
        try:
            values = np.array([[r[i] for i in idx] for r in body], dtype=np.float64)
        except ValueError as exc:
            raise CaptureFormatError(
                f"The CSV has a non-numeric head/eye rotation value ({exc}). Fix: export the capture again."
            ) from None
        validate_pose(values, [header[i].strip() for i in idx], lines, "CSV")
        out[field] = values
    return out


def face_cap_pose(transforms: Sequence[Sequence[float]], lines: np.ndarray) -> dict[str, np.ndarray]:
    """Pose fields of Face Cap ``k`` lines: ``transforms`` (T, n) the values between the time and
    the blendshapes. Empty when a line has fewer than the ten transform values (an export without
    them); otherwise converted to this module's convention (radians, metres)."""
    if not transforms or min(len(t) for t in transforms) < FACE_CAP_TRANSFORM_VALUES:
        return {}
    values = np.array([t[:FACE_CAP_TRANSFORM_VALUES] for t in transforms], dtype=np.float64)
    names = ["head.position.x", "head.position.y", "head.position.z", "head.rotation.x",
             "head.rotation.y", "head.rotation.z", "eyeLeft.rotation.x", "eyeLeft.rotation.y",
             "eyeRight.rotation.x", "eyeRight.rotation.y"]  # fmt: skip
    validate_pose(values, names, lines, "Face Cap TXT")
    rad = np.radians(values[:, 3:])
    zero = np.zeros(len(values))

    def ypr(rx: np.ndarray, ry: np.ndarray, rz: np.ndarray) -> np.ndarray:
        return np.stack([-ry, rx, rz], axis=1)  # signs: module docstring

    return {
        "head_position": values[:, :3] * FACE_CAP_POSITION_TO_M,
        "head_rotation": ypr(rad[:, 0], rad[:, 1], rad[:, 2]),
        "eye_left": ypr(rad[:, 3], rad[:, 4], zero),
        "eye_right": ypr(rad[:, 5], rad[:, 6], zero),
    }


def mirror_pose(pose: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Mirror left/right: swap the eyes, negate yaw and roll, negate the position's x.

    ``pose``: ``{field: (..., 3)}`` as in :data:`CHANNELS` (missing fields stay missing)."""
    out = {}
    for field, values in pose.items():
        v = np.array(values, dtype=np.float64, copy=True)
        if field == "head_position":
            v[..., 0] *= -1.0
        else:
            v[..., 0] *= -1.0
            v[..., 2] *= -1.0
        target = {"eye_left": "eye_right", "eye_right": "eye_left"}.get(field, field)
        out[target] = v
    return out


def blender_rotations(ypr: np.ndarray) -> np.ndarray:
    """``(..., 3)`` radians (yaw, pitch, roll) -> ``(..., 3, 3)`` rotation matrices in Blender's
    face axes (Z up, -Y forward, +X the subject's left): ``Rz(-yaw) @ Rx(pitch) @ Ry(-roll)``."""
    ypr = np.asarray(ypr, dtype=np.float64)
    a, b, c = -ypr[..., 0], ypr[..., 1], -ypr[..., 2]
    one, zero = np.ones_like(a), np.zeros_like(a)

    def mat(rows):
        return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)

    rz = mat([[np.cos(a), -np.sin(a), zero], [np.sin(a), np.cos(a), zero], [zero, zero, one]])
    rx = mat([[one, zero, zero], [zero, np.cos(b), -np.sin(b)], [zero, np.sin(b), np.cos(b)]])
    ry = mat([[np.cos(c), zero, np.sin(c)], [zero, one, zero], [-np.sin(c), zero, np.cos(c)]])
    return rz @ rx @ ry


def blender_vectors(vectors: np.ndarray) -> np.ndarray:
    """``(..., 3)`` in ARKit axes -> the same vectors in Blender axes: ``(x, y, z) -> (x, -z, y)``."""
    v = np.asarray(vectors, dtype=np.float64)
    return np.stack([v[..., 0], -v[..., 2], v[..., 1]], axis=-1)
