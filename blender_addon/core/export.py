"""Bake slider animation into shape-key F-curves and export FBX / glTF with morph animation.

FBX and glTF exporters do not carry drivers on custom properties, so before export the value of
each of our shape keys is computed per frame from the slider F-curves (the same average the
drivers use) and keyed on the shape-key data-block. Exports never apply modifiers (that would
drop the shape keys) and only include the chosen object.
"""

from __future__ import annotations

import contextlib
import pathlib

import bpy
import numpy as np

from . import animation, corrective_keys, export_fold, export_presets, gains, mesh_io, shape_keys, sliders
from ._model_import import facs
from .errors import ExportError, ObjectError
from .export_path import FORMAT_LABELS, ExportTarget, resolve_export_target
from .skinning import Progress, _noop


def slider_range(obj) -> tuple[int, int] | None:
    """Frame range covered by the slider keyframes of ``obj`` (None when the sliders are not animated)."""
    lo, hi = np.inf, -np.inf
    for name in facs.ICT_NAMES:
        fc = animation.find_fcurve(obj, sliders.slider_path(name))
        if fc is not None and len(fc.keyframe_points):
            a, b = fc.range()
            lo, hi = min(lo, a), max(hi, b)
    if not np.isfinite(lo):
        return None
    return int(np.floor(lo)), int(np.ceil(hi))


def slider_values(obj, frames: np.ndarray) -> np.ndarray:
    """``(F, 53)`` float32 slider values at ``frames`` (F,): F-curves evaluated, unanimated
    sliders at their current value."""
    current = sliders.get_values(obj)
    out = np.empty((len(frames), facs.NUM_EXPRESSIONS), dtype=np.float32)
    for j, name in enumerate(facs.ICT_NAMES):
        fc = animation.find_fcurve(obj, sliders.slider_path(name))
        if fc is None or len(fc.keyframe_points) == 0:
            out[:, j] = current[j]
        else:
            out[:, j] = [fc.evaluate(f) for f in frames]
    return np.clip(out, 0.0, 1.0)


def owned_naming(obj) -> tuple[str, str] | None:
    """``(naming, prefix)`` of our baked keys on ``obj`` (None when there are none)."""
    key = obj.data.shape_keys
    if not shape_keys.owned_keys(obj) or key is None:
        return None
    return str(key.get(shape_keys.NAMING_PROP, "ICT")), str(key.get(shape_keys.PREFIX_PROP, ""))


def bake_for_export(
    obj, frame_start: int | None = None, frame_end: int | None = None
) -> tuple[int, int, int]:
    """Key our shape keys' values per frame from the sliders. Range: the given frames, else the
    range of the slider keys. Returns ``(frame_start, frame_end, number of keys baked)``."""
    mesh_io.require_local(obj)  # keys written on linked data are not saved
    found = owned_naming(obj)
    if found is None:
        raise ObjectError(
            f"'{obj.name}' has no shape keys baked by Face Skinning: run 'Bake Shape Keys' first."
        )
    naming, prefix = found
    if frame_start is None or frame_end is None:
        rng = slider_range(obj)
        if rng is None:
            raise ObjectError(
                f"The FACS sliders of '{obj.name}' have no keyframes, so there is no animation to "
                "bake: clone or import a capture, or key the sliders first."
            )
        frame_start, frame_end = rng
    frames = np.arange(frame_start, frame_end + 1, dtype=np.float64)
    values = slider_values(obj, frames) * gains.effective_gains(obj)  # what the drivers compute
    names = sliders.key_names(naming, prefix)
    key = obj.data.shape_keys
    for name, src in zip(names, sliders.driver_sources(naming), strict=True):
        col = values[:, [facs.ict_index(s) for s in src]].mean(axis=1) if src else np.zeros(len(frames))
        animation.write_keys(key, shape_keys.key_data_path(name), frames, col)
    if corrective_keys.has_corrective(obj):  # min(jawOpen, mouthClose), as its driver
        path = shape_keys.key_data_path(corrective_keys.key_name(prefix))
        animation.write_keys(key, path, frames, corrective_keys.values(values))
        return frame_start, frame_end, len(names) + 1
    return frame_start, frame_end, len(names)


def _select_only(context, obj):
    previous = [o for o in context.view_layer.objects if o.select_get()]
    active = context.view_layer.objects.active
    for o in previous:
        o.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return previous, active


# Keyframe properties saved and put back verbatim (co_ui is derived from co).
_KEYFRAME_PROPS = {
    "co": (np.float32, 2), "handle_left": (np.float32, 2), "handle_right": (np.float32, 2),
    "handle_left_type": (np.int32, 1), "handle_right_type": (np.int32, 1),
    "interpolation": (np.int32, 1), "type": (np.int32, 1), "easing": (np.int32, 1),
    "back": (np.float32, 1), "amplitude": (np.float32, 1), "period": (np.float32, 1),
    "select_control_point": (bool, 1), "select_left_handle": (bool, 1), "select_right_handle": (bool, 1),
}  # fmt: skip


def _read_keyframes(fc) -> dict[str, np.ndarray]:
    n = len(fc.keyframe_points)
    out = {}
    for name, (dtype, width) in _KEYFRAME_PROPS.items():
        out[name] = np.empty(n * width, dtype=dtype)
        fc.keyframe_points.foreach_get(name, out[name])
    return out


def _write_keyframes(fc, saved: dict[str, np.ndarray]) -> None:
    fc.keyframe_points.clear()
    fc.keyframe_points.add(len(saved["co"]) // 2)
    for name, values in saved.items():
        fc.keyframe_points.foreach_set(name, values)


class _KeyAnimationSnapshot:
    """The shape-key animation :func:`bake_for_export` is about to write, to put back verbatim if
    the export fails: whether the Key had animation data and an action, and the keyframes of each
    of our baked curves (None: the curve did not exist)."""

    def __init__(self, obj):
        self.key = obj.data.shape_keys
        found = owned_naming(obj)
        naming, prefix = found if found is not None else ("ICT", "")
        names = [*sliders.key_names(naming, prefix), corrective_keys.key_name(prefix)]
        self.paths = [shape_keys.key_data_path(n) for n in names]
        ad = self.key.animation_data
        self.had_animation_data = ad is not None
        self.action = ad.action if ad is not None else None
        self.curves = {}
        for path in self.paths:
            fc = animation.find_fcurve(self.key, path) if self.action is not None else None
            self.curves[path] = None if fc is None else _read_keyframes(fc)

    def restore(self) -> None:
        key = self.key
        ad = key.animation_data
        if self.action is None:  # the bake made the action: drop it (and the animation data)
            made = ad.action if ad is not None else None
            if ad is not None:
                if self.had_animation_data:
                    ad.action = None
                else:
                    key.animation_data_clear()
            if made is not None and made.users == 0:
                bpy.data.actions.remove(made)
            return
        fcurves = animation.fcurve_collection(key, create=False)
        for path, saved in self.curves.items():
            fc = fcurves.find(path) if fcurves is not None else None
            if saved is None:
                if fc is not None:
                    fcurves.remove(fc)
            elif fc is not None:
                _write_keyframes(fc, saved)


def _one_line(exc: BaseException) -> str:
    """The last line of an exporter's error (a Python traceback turned into a RuntimeError), which
    names the actual problem, e.g. ``PermissionError: [Errno 13] Permission denied: '/x.glb'``."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip() and not ln.startswith("Location:")]
    text = lines[-1] if lines else type(exc).__name__
    return text.removeprefix("Error: ").removeprefix("Python: ")


def _run_exporter(fmt: str, path: pathlib.Path, preset: str) -> set[str]:
    if fmt == "FBX":
        if not hasattr(bpy.ops.export_scene, "fbx"):
            raise ExportError("The FBX exporter add-on is disabled. Fix: enable 'FBX format' in Preferences.")
        return bpy.ops.export_scene.fbx(filepath=str(path), **export_presets.fbx_options(preset))
    if not hasattr(bpy.ops.export_scene, "gltf"):
        raise ExportError(
            "The glTF exporter add-on is disabled. Fix: enable 'glTF 2.0 format' in Preferences."
        )
    return bpy.ops.export_scene.gltf(filepath=str(path), **export_presets.gltf_options(preset, fmt == "GLB"))


def export(
    context,
    obj,
    filepath: str,
    fmt: str,
    progress: Progress = _noop,
    preset: str = "DEFAULT",
    mouth_close: str = "FOLD",
) -> ExportTarget:
    """Bake (see :func:`bake_for_export`) then export ``obj`` alone to ``filepath``.

    ``fmt``: the requested ``"FBX"`` or ``"GLB"`` / ``"GLTF"`` (glTF binary / separate); the file
    name's extension overrides it (:func:`export_path.resolve_export_target`, which also refuses
    folders, unknown extensions and relative paths of an unsaved file). Shape keys and their
    animation are exported; modifiers are not applied. ``preset``: the target engine's exporter
    options (``"DEFAULT" | "UNITY" | "UNREAL"``, :mod:`export_presets`). Returns the target
    written (path, format, and a note when the format differs from ``fmt``).

    ``mouth_close`` (:data:`export_fold.MOUTH_CLOSE_MODES`, for a rig with the ``jawOpen_mouthClose``
    corrective): ``"FOLD"`` (default) exports mouthClose as the unsplit ARKit shape and no
    corrective, what an engine that drives only the 52 ARKit names needs to seal closed lips
    (:mod:`export_fold`; the object itself is not changed); ``"CORRECTIVE"`` exports the split
    keys as in Blender, the corrective with its baked animation.

    On failure the scene is left as it was: the baked shape-key curves (or the action the bake
    made), the frame range, the current frame and the selection are put back, and the error is
    one line (the exporter's traceback goes to the console only).
    """
    export_presets.get_preset(preset)  # an unknown preset fails before anything is touched
    if mouth_close not in export_fold.MOUTH_CLOSE_MODES:
        raise ValueError(f"mouth_close must be one of {export_fold.MOUTH_CLOSE_MODES}, got {mouth_close!r}")
    target = resolve_export_target(filepath, fmt, bpy.data.filepath)
    snapshot = _KeyAnimationSnapshot(obj) if obj.data.shape_keys is not None else None
    scene = context.scene
    old_range = scene.frame_start, scene.frame_end
    old_frame = scene.frame_current, scene.frame_subframe
    previous, active = _select_only(context, obj)
    label = FORMAT_LABELS[target.fmt]
    try:
        start, end, _ = bake_for_export(obj)
        progress(0.3)
        scene.frame_start, scene.frame_end = start, end
        try:
            with contextlib.ExitStack() as stack:
                if mouth_close == "FOLD":
                    out = stack.enter_context(export_fold.folded_copy(obj))
                    if out is not obj:
                        _select_only(context, out)  # the selection is restored below
                result = _run_exporter(target.fmt, target.path, preset)
        except RuntimeError as exc:
            raise ExportError(
                f"The {label} export to '{target.path}' failed ({_one_line(exc)}); the scene is "
                "unchanged. Fix: pick a writable file path, or see the system console for details."
            ) from exc
        if "FINISHED" not in result or not target.path.is_file():
            raise ExportError(
                f"The {label} exporter did not write '{target.path}'; the scene is unchanged. "
                "Fix: see the system console for its message."
            )
    except BaseException:
        if snapshot is not None:
            snapshot.restore()
        raise
    finally:
        scene.frame_start, scene.frame_end = old_range
        if (scene.frame_current, scene.frame_subframe) != old_frame:
            scene.frame_set(old_frame[0], subframe=old_frame[1])
        obj.select_set(False)
        for o in previous:
            if o.name in context.view_layer.objects:
                o.select_set(True)
        context.view_layer.objects.active = active
    progress(1.0)
    return target
