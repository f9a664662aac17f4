"""Bake slider animation into shape-key F-curves and export FBX / glTF with morph animation.

FBX and glTF exporters do not carry drivers on custom properties, so before export the value of
each of our shape keys is computed per frame from the slider F-curves (the same average the
drivers use) and keyed on the shape-key data-block. Exports never apply modifiers (that would
drop the shape keys) and only include the chosen object.
"""

from __future__ import annotations

import pathlib

import bpy
import numpy as np

from . import animation, shape_keys, sliders
from ._model_import import facs
from .errors import ExportError, ObjectError
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
    values = slider_values(obj, frames)
    names = sliders.key_names(naming, prefix)
    key = obj.data.shape_keys
    for name, src in zip(names, sliders.driver_sources(naming), strict=True):
        col = values[:, [facs.ict_index(s) for s in src]].mean(axis=1) if src else np.zeros(len(frames))
        animation.write_keys(key, shape_keys.key_data_path(name), frames, col)
    return frame_start, frame_end, len(names)


def _select_only(context, obj):
    previous = [o for o in context.view_layer.objects if o.select_get()]
    active = context.view_layer.objects.active
    for o in previous:
        o.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return previous, active


def export(context, obj, filepath: str, fmt: str, progress: Progress = _noop) -> pathlib.Path:
    """Bake (see :func:`bake_for_export`) then export ``obj`` alone to ``filepath``.

    ``fmt``: ``"FBX"`` or ``"GLB"`` / ``"GLTF"`` (glTF binary / separate). Shape keys and their
    animation are exported; modifiers are not applied. Returns the written path.
    """
    if not filepath:
        raise ExportError("No export file path: set one in the Export panel.")
    path = pathlib.Path(bpy.path.abspath(filepath))
    suffix = {"FBX": ".fbx", "GLB": ".glb", "GLTF": ".gltf"}.get(fmt)
    if suffix is None:
        raise ValueError(f"unknown export format {fmt!r}: use FBX, GLB or GLTF")
    if path.suffix.lower() != suffix:
        path = path.with_suffix(suffix)
    if not path.parent.is_dir():
        raise ExportError(f"The export folder '{path.parent}' does not exist: create it or pick another.")
    start, end, _ = bake_for_export(obj)
    progress(0.3)
    scene = context.scene
    old_range = scene.frame_start, scene.frame_end
    previous, active = _select_only(context, obj)
    try:
        scene.frame_start, scene.frame_end = start, end
        if fmt == "FBX":
            if not hasattr(bpy.ops.export_scene, "fbx"):
                raise ExportError("The FBX exporter add-on is disabled: enable 'FBX format' in Preferences.")
            result = bpy.ops.export_scene.fbx(
                filepath=str(path),
                use_selection=True,
                object_types={"MESH", "ARMATURE", "EMPTY"},
                use_mesh_modifiers=False,
                bake_anim=True,
                bake_anim_use_all_bones=False,
                bake_anim_use_nla_strips=False,
                bake_anim_use_all_actions=False,
                bake_anim_force_startend_keying=True,
                bake_anim_simplify_factor=0.0,
                add_leaf_bones=False,
            )
        else:
            if not hasattr(bpy.ops.export_scene, "gltf"):
                raise ExportError("The glTF exporter add-on is disabled: enable 'glTF 2.0 format'.")
            result = bpy.ops.export_scene.gltf(
                filepath=str(path),
                export_format="GLB" if fmt == "GLB" else "GLTF_SEPARATE",
                use_selection=True,
                export_apply=False,
                export_morph=True,
                export_animations=True,
                export_frame_range=True,
                export_force_sampling=True,
            )
    except RuntimeError as exc:
        raise ExportError(f"The {fmt} exporter failed: {exc}. Fix: check the path and the object.") from exc
    finally:
        scene.frame_start, scene.frame_end = old_range
        obj.select_set(False)
        for o in previous:
            if o.name in context.view_layer.objects:
                o.select_set(True)
        context.view_layer.objects.active = active
    if "FINISHED" not in result or not path.is_file():
        raise ExportError(f"The {fmt} exporter did not write '{path}': see the console for its message.")
    progress(1.0)
    return path
