"""Keyframes through one compatibility layer: slotted actions (Blender 4.4+) or legacy ``action.fcurves``.

Blender 4.4 introduced slotted actions (``action.slots`` / ``layers`` / ``strips`` /
``channelbag(slot)``) and Blender 5.0 removed ``Action.fcurves``. Everything in the add-on that
reads or writes F-curves goes through :func:`fcurve_collection`, which returns the collection of
F-curves that animates one ID (it supports ``.new``, ``.find``, ``.remove`` and iteration in both
APIs). Keys are written in bulk with ``keyframe_points.add`` + ``foreach_set``.

Our own F-curves are recognized by data path only; other curves of an action (the artist's) are
never modified.
"""

from __future__ import annotations

import bpy
import numpy as np


def has_slotted_actions() -> bool:
    """True when this Blender has the slotted-action API (4.4+)."""
    strip = getattr(bpy.types, "ActionKeyframeStrip", None)
    return hasattr(bpy.types, "ActionSlot") and strip is not None and "channelbag" in strip.bl_rna.functions


def _slot_for(id_block, action):
    ad = id_block.animation_data
    slot = ad.action_slot
    if slot is None:
        for candidate in action.slots:
            if candidate.target_id_type in (id_block.id_type, "UNSPECIFIED"):
                try:
                    ad.action_slot = candidate
                    slot = ad.action_slot
                except (TypeError, RuntimeError):
                    slot = None
                if slot is not None:
                    break
    if slot is None:
        slot = action.slots.new(id_block.id_type, id_block.name)
        ad.action_slot = slot
    return slot


def _channels(id_block, create: bool, action_name: str | None = None):
    """``(fcurves, groups)`` collections animating ``id_block``, or ``(None, None)``."""
    ad = id_block.animation_data
    if ad is None:
        if not create:
            return None, None
        ad = id_block.animation_data_create()
    action = ad.action
    if action is None:
        if not create:
            return None, None
        action = bpy.data.actions.new(action_name or f"{id_block.name}Action")
        ad.action = action
    if not has_slotted_actions():
        return action.fcurves, action.groups
    if not create:
        slot = ad.action_slot
        if slot is None:
            return None, None
        for layer in action.layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot)
                if bag is not None:
                    return bag.fcurves, bag.groups
        return None, None
    slot = _slot_for(id_block, action)
    if len(action.layers) == 0:
        action.layers.new("Layer")
    layer = action.layers[0]
    if len(layer.strips) == 0:
        layer.strips.new(type="KEYFRAME")
    bag = layer.strips[0].channelbag(slot, ensure=True)
    return bag.fcurves, bag.groups


def fcurve_collection(id_block, create: bool = True, action_name: str | None = None):
    """The F-curve collection animating ``id_block`` (an Object, a shape-key Key, ...).

    With ``create``, makes animation data, an action named ``action_name`` (default
    ``"<id name>Action"``), a slot, layer, keyframe strip and channelbag as needed; the artist's
    existing action is reused, never replaced. Without ``create``, returns None when there is
    nothing yet.
    """
    return _channels(id_block, create, action_name)[0]


def find_fcurve(id_block, data_path: str, index: int = 0):
    """The F-curve animating ``data_path[index]`` of ``id_block``, or None."""
    fcurves = fcurve_collection(id_block, create=False)
    if fcurves is None:
        return None
    return fcurves.find(data_path, index=index)


def write_keys(
    id_block,
    data_path: str,
    frames: np.ndarray,
    values: np.ndarray,
    *,
    index: int = 0,
    group: str | None = None,
    interpolation: str = "LINEAR",
) -> None:
    """Key ``data_path[index]`` at ``frames`` (N,) with ``values`` (N,), replacing the curve's keys
    inside ``[frames.min(), frames.max()]`` and keeping its keys outside that range.
    """
    frames = np.asarray(frames, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if frames.shape != values.shape or frames.ndim != 1:
        raise ValueError(f"frames {frames.shape} and values {values.shape} must be equal 1-D shapes")
    if frames.size == 0:
        return
    fcurves, groups = _channels(id_block, create=True)
    fc = fcurves.find(data_path, index=index)
    if fc is None:
        fc = fcurves.new(data_path, index=index)
        if group:
            fc.group = groups.get(group) or groups.new(group)
    old = np.empty(len(fc.keyframe_points) * 2, dtype=np.float64)
    fc.keyframe_points.foreach_get("co", old)
    old = old.reshape(-1, 2)
    keep = old[(old[:, 0] < frames.min()) | (old[:, 0] > frames.max())]
    co = np.concatenate([keep, np.stack([frames, values], axis=1)])
    co = co[np.argsort(co[:, 0], kind="stable")]
    fc.keyframe_points.clear()
    fc.keyframe_points.add(len(co))
    flat = co.astype(np.float32).ravel()
    fc.keyframe_points.foreach_set("co", flat)
    # Handles at the key itself: with LINEAR/CONSTANT they are unused, with BEZIER this avoids
    # overshoot spikes between dense capture keys.
    fc.keyframe_points.foreach_set("handle_left", flat)
    fc.keyframe_points.foreach_set("handle_right", flat)
    interp = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items[interpolation].value
    fc.keyframe_points.foreach_set("interpolation", np.full(len(co), interp, dtype=np.int32))
    fc.update()


def remove_fcurves(id_block, data_paths: set[str]) -> int:
    """Remove the F-curves of ``id_block`` whose data path is in ``data_paths``. Returns the count."""
    fcurves = fcurve_collection(id_block, create=False)
    if fcurves is None:
        return 0
    doomed = [fc for fc in fcurves if fc.data_path in data_paths]
    for fc in doomed:
        fcurves.remove(fc)
    return len(doomed)
