"""Head and eye pose of an ARKit capture on the artist's chosen parts: keyed (file import) or set
(one live frame, :func:`apply_head_eye_frame`).

Targets: the head is an object or a pose bone of an armature; each eye is a separate eyeball
object (its origin at the eyeball's centre: it turns about its origin) or an eye bone. Units,
signs and axes of the capture are defined in :mod:`.capture_pose`; here they only meet the
target:

* an **object** gets ``delta_rotation_euler`` (``delta_rotation_quaternion`` when its rotation
  mode is Quaternion) and ``delta_location``: Blender applies delta transforms on top of the
  object's own transform, in its parent's space, so the head turns about the scene's up axis
  whatever rotation the object already has, and the artist's own ``location``/``rotation`` keys
  stay untouched. An eyeball parented to the head turns relative to the head;
* a **pose bone** gets ``rotation_euler`` / ``rotation_quaternion`` and ``location`` (pose
  channels are offsets from the rest pose): the capture's rotation in armature space (the
  armature faces -Y with Z up) is expressed in the bone's rest axes, ``B^T R B``.

Keys are ours by their F-curve group (:data:`GROUP`): a re-import replaces our keys in the
capture's frame range; a curve on the same channel that the artist made is never overwritten
(the import is refused, naming it). Axis-angle rotation is refused (no delta channel to key).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mathutils import Euler, Matrix, Quaternion, Vector

from . import animation, capture_import, capture_pose, mesh_io, sliders
from .errors import ObjectError

GROUP = "ARKit head/eyes"  # action group marking the F-curves this module owns


@dataclass
class HeadEyeTargets:
    """Where the capture's head and eye pose go. ``*_bone``: a pose bone name when the object is
    an armature (ignored otherwise). ``use_*``: per-channel enables; ``mirror``: swap the eyes and
    mirror yaw/roll (and the sideways position)."""

    head: object = None
    head_bone: str = ""
    eye_left: object = None
    eye_left_bone: str = ""
    eye_right: object = None
    eye_right_bone: str = ""
    use_head_rotation: bool = True
    use_head_position: bool = True
    use_eyes: bool = True
    mirror: bool = False

    def any_set(self) -> bool:
        return any(o is not None for o in (self.head, self.eye_left, self.eye_right))


def targets_from_settings(s) -> HeadEyeTargets:
    """The targets of the scene settings (``Scene.nfs_settings``)."""
    return HeadEyeTargets(
        s.capture_head, s.capture_head_bone, s.capture_eye_left, s.capture_eye_left_bone,
        s.capture_eye_right, s.capture_eye_right_bone, s.capture_use_head_rotation,
        s.capture_use_head_position, s.capture_use_eyes, s.capture_mirror,
    )  # fmt: skip


@dataclass
class _Job:
    """One pose field written to one channel of one target."""

    field: str  # capture_pose.CHANNELS
    obj: object
    bone: str  # "" for the object itself
    kind: str  # "rotation" or "location"

    @property
    def owner(self):
        return self.obj.pose.bones[self.bone] if self.bone else self.obj

    @property
    def attr(self) -> str:
        if self.kind == "location":
            return "location" if self.bone else "delta_location"
        quat = self.owner.rotation_mode == "QUATERNION"
        base = "rotation_quaternion" if quat else "rotation_euler"
        return base if self.bone else f"delta_{base}"

    @property
    def data_path(self) -> str:
        return f'pose.bones["{self.bone}"].{self.attr}' if self.bone else self.attr

    @property
    def size(self) -> int:
        return 4 if self.attr.endswith("quaternion") else 3

    @property
    def label(self) -> str:
        return f"'{self.obj.name}'" + (f" bone '{self.bone}'" if self.bone else "")


def _part(obj, bone: str, role: str) -> str:
    """Check one target; returns the bone name to use ("" for the object itself)."""
    mesh_io.require_local(obj)
    if obj.type == "ARMATURE":
        if not bone:
            raise ObjectError(
                f"The {role} '{obj.name}' is an armature but no bone is named. Fix: pick the "
                f"{role} bone in the Clone panel, or pick the {role} object itself."
            )
        if bone not in obj.pose.bones:
            raise ObjectError(
                f"The armature '{obj.name}' has no bone '{bone}' for the {role}. Fix: pick one of "
                "its bones in the Clone panel."
            )
    else:
        bone = ""
    owner = obj.pose.bones[bone] if bone else obj
    if owner.rotation_mode == "AXIS_ANGLE":
        what = f"bone '{bone}'" if bone else f"object '{obj.name}'"
        raise ObjectError(
            f"The {role} {what} uses Axis Angle rotation, which has no channel for the capture. "
            "Fix: set its rotation mode to an Euler order or Quaternion (N panel > Transform)."
        )
    return bone


def plan(targets: HeadEyeTargets, fields: set[str] | None = None) -> list[_Job]:
    """The channels the enabled targets get (all fields when ``fields`` is None, else only those
    present in the capture). Checks every target and that no channel is the artist's (raises
    :class:`ObjectError` naming the fix), before anything is written."""
    wanted = []
    if targets.head is not None:
        bone = _part(targets.head, targets.head_bone, "head")
        if targets.use_head_rotation:
            wanted.append(("head_rotation", targets.head, bone, "rotation"))
        if targets.use_head_position:
            wanted.append(("head_position", targets.head, bone, "location"))
    if targets.use_eyes:
        for field, obj, bone, role in (
            ("eye_left", targets.eye_left, targets.eye_left_bone, "left eye"),
            ("eye_right", targets.eye_right, targets.eye_right_bone, "right eye"),
        ):
            if obj is not None:
                wanted.append((field, obj, _part(obj, bone, role), "rotation"))
    jobs = [_Job(*w) for w in wanted if fields is None or w[0] in fields]
    seen: dict[tuple, str] = {}
    for job in jobs:
        key = (job.obj.name, job.bone, job.kind)
        if key in seen:
            raise ObjectError(
                f"{job.label} is chosen for both the {seen[key].replace('_', ' ')} and the "
                f"{job.field.replace('_', ' ')}. Fix: pick a separate object or bone for each."
            )
        seen[key] = job.field
        for i in range(job.size):
            fc = animation.find_fcurve(job.obj, job.data_path, i)
            if fc is not None and (fc.group is None or fc.group.name != GROUP):
                raise ObjectError(
                    f"{job.label} already has keys on {job.attr}[{i}] that this add-on did not make "
                    "(yours are never overwritten). Fix: delete those keys, or pick another target."
                )
    return jobs


def _rest(job: _Job) -> np.ndarray:
    """(3, 3) the bone's rest axes in armature space (identity for an object)."""
    if not job.bone:
        return np.eye(3)
    return np.asarray(job.obj.data.bones[job.bone].matrix_local.to_3x3().normalized())


def _channel_values(job: _Job, values: np.ndarray, current) -> np.ndarray:
    """``values`` (N, 3) pose field -> (N, job.size) channel values. ``current``: the channel's
    value now, the start for Euler/quaternion continuity."""
    b = _rest(job)
    if job.kind == "location":
        return capture_pose.blender_vectors(values) @ b  # rows: b.T @ d
    mats = b.T @ capture_pose.blender_rotations(values) @ b
    out = np.empty((len(mats), job.size))
    if job.size == 4:
        prev = Quaternion(current)
        for i, m in enumerate(mats):
            q = Matrix(m.tolist()).to_quaternion()
            if q.dot(prev) < 0:  # same rotation, the sign nearer the previous key: no flips
                q.negate()
            out[i] = q
            prev = q
    else:
        prev = Euler(current, job.owner.rotation_mode)
        for i, m in enumerate(mats):
            prev = Matrix(m.tolist()).to_euler(job.owner.rotation_mode, prev)
            out[i] = prev
    return out


def key_pose(targets: HeadEyeTargets, frames: np.ndarray, pose: dict[str, np.ndarray]) -> list[str]:
    """Key the pose fields ``pose`` (``{field: (F, 3)}``, :mod:`.capture_pose` convention) at
    ``frames`` (F,) on the targets. Returns one line per keyed channel (for the report)."""
    pose = dict(pose)
    if "head_position" in pose:  # the head keeps its place and moves as the subject moved
        pose["head_position"] = pose["head_position"] - pose["head_position"][:1]
    if targets.mirror:
        pose = capture_pose.mirror_pose(pose)
    done = []
    for job in plan(targets, set(pose)):
        rest = (1.0, 0.0, 0.0, 0.0) if job.size == 4 else (0.0, 0.0, 0.0)
        values = _channel_values(job, pose[job.field], rest)
        for i in range(job.size):
            animation.write_keys(job.obj, job.data_path, frames, values[:, i], index=i, group=GROUP)
        job.obj.update_tag()
        still = job.field == "head_rotation" and not np.any(pose[job.field])
        # Live Link Face writes 0 when head rotation is off in the app: say why the head is still
        note = " (0 throughout: recorded with head rotation off?)" if still else ""
        done.append(f"{job.field.replace('_', ' ')}{note} on {job.label}")
    return done


def apply_head_eye_frame(
    settings_or_targets,
    head_rot: np.ndarray | None,
    head_pos: np.ndarray | None,
    eye_l: np.ndarray | None,
    eye_r: np.ndarray | None,
) -> list[str]:
    """Set (not key) one frame of head/eye pose on the targets, e.g. from a live capture.

    ``settings_or_targets``: a :class:`HeadEyeTargets` or the scene settings. ``head_rot``,
    ``eye_l``, ``eye_r``: (3,) radians (yaw, pitch, roll) in the :mod:`.capture_pose` convention;
    ``head_pos``: (3,) metres in ARKit axes, the offset from the caller's reference position
    (e.g. the first live sample). None skips a channel, as does a disabled or unset target.
    Mirror applies as on import. Returns one line per channel set.
    """
    targets = (
        settings_or_targets
        if isinstance(settings_or_targets, HeadEyeTargets)
        else targets_from_settings(settings_or_targets)
    )
    given = {"head_rotation": head_rot, "head_position": head_pos, "eye_left": eye_l, "eye_right": eye_r}
    pose = {k: np.asarray(v, dtype=np.float64).reshape(1, 3) for k, v in given.items() if v is not None}
    for name, v in pose.items():
        if not np.isfinite(v).all():
            raise ValueError(f"{name} {v.ravel().tolist()} is not finite: skip the frame instead.")
    if targets.mirror:
        pose = capture_pose.mirror_pose(pose)
    done = []
    for job in plan(targets, set(pose)):
        current = tuple(getattr(job.owner, job.attr))
        value = _channel_values(job, pose[job.field], current)[0]
        setattr(job.owner, job.attr, Vector(value) if job.size == 3 else Quaternion(value))
        job.obj.update_tag()
        done.append(f"{job.field.replace('_', ' ')} on {job.label}")
    return done


def live_pose_hook(targets: HeadEyeTargets):
    """A ``live_receiver.on_pose`` callable that sets each live frame's head/eye pose on ``targets``.

    Head position is taken relative to the stream's first sample (a phone's absolute position is
    meaningless in the scene), so the head starts where the artist put it.
    """
    reference: dict[str, np.ndarray] = {}

    def hook(obj, head_rot, head_pos, eye_l, eye_r) -> None:
        if head_pos is not None:
            pos = np.asarray(head_pos, dtype=np.float64)
            head_pos = pos - reference.setdefault("head_pos", pos.copy())
        apply_head_eye_frame(targets, head_rot, head_pos, eye_l, eye_r)

    return hook


def import_capture(
    obj,
    path,
    scene_fps: float,
    start_frame: int,
    smoothing: int = 0,
    source_fps: float | None = None,
    targets: HeadEyeTargets | None = None,
    options: capture_import.ImportOptions | None = None,
) -> tuple[np.ndarray, capture_import.Capture, list[str]]:
    """Key ``obj``'s FACS sliders from a capture (:func:`capture_import.import_capture`) and the
    capture's head/eye pose on ``targets``. ``options``: calibration, region filter and per-region
    smoothing of the weights (:class:`capture_import.ImportOptions`); the pose uses ``smoothing``.
    Every target is checked before anything is keyed.
    Returns ``(frames (F,), capture, one line per pose channel keyed)``."""
    sliders.require_slider_target(obj)
    if targets is not None and targets.any_set():
        plan(targets)  # refuse bad targets before a long read and before the sliders are keyed
    units = options.units() if options is not None else None  # refuse an empty filter up front
    frames, weights, cap = capture_import.capture_to_frames(
        path, scene_fps, start_frame, smoothing, source_fps, options
    )
    sliders.key_sliders(obj, frames, weights, units)
    done: list[str] = []
    if targets is not None and targets.any_set():
        pose = capture_import.pose_to_frames(cap, scene_fps, start_frame, smoothing)
        done = key_pose(targets, frames, pose)
    return frames, cap, done
