"""Clone panel: clone from an animated mesh, import an ARKit capture."""

from __future__ import annotations

import bpy

from ._base import SidebarPanel


class FACE_SKINNING_PT_clone(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_clone"
    bl_label = "Clone"

    def draw(self, context):
        layout = self.layout
        s = context.scene.nfs_settings
        col = layout.column()
        col.prop(s, "clone_source")
        col.prop(s, "rest_frame")
        col.prop(s, "clone_method")
        col.prop(s, "use_scene_range")
        if not s.use_scene_range:
            row = col.row(align=True)
            row.prop(s, "frame_start")
            row.prop(s, "frame_end")
        col.operator("face_skinning.clone_from_mesh", icon="MOD_DATA_TRANSFER")
        layout.separator()
        col = layout.column()
        col.label(text="ARKit capture (Live Link Face / Face Cap)")
        row = col.row(align=True)
        row.prop(s, "capture_fps")
        row.prop(s, "smoothing")
        col.operator("face_skinning.import_arkit", icon="IMPORT")
        _draw_head_eyes(layout.box(), s)
        _draw_live(layout, s)


def _draw_head_eyes(box, s) -> None:
    """Head/eye targets of the capture import (keyed when set)."""
    box.label(text="Head and eyes (optional)")
    for obj_prop, bone_prop in (
        ("capture_head", "capture_head_bone"),
        ("capture_eye_left", "capture_eye_left_bone"),
        ("capture_eye_right", "capture_eye_right_bone"),
    ):
        box.prop(s, obj_prop)
        obj = getattr(s, obj_prop)
        if obj is not None and obj.type == "ARMATURE":
            box.prop_search(s, bone_prop, obj.data, "bones", text="Bone")
    row = box.row(align=True)
    row.prop(s, "capture_use_head_rotation", toggle=True)
    row.prop(s, "capture_use_head_position", toggle=True)
    row.prop(s, "capture_use_eyes", toggle=True)
    box.prop(s, "capture_mirror")


def _draw_live(layout, s) -> None:
    """Live capture box: settings, start/stop, receiver status."""
    from ..core import live_receiver

    box = layout.box()
    box.label(text="Live capture", icon="LINKED")
    st = live_receiver.status()
    col = box.column()
    col.enabled = st is None  # settings apply at Start
    col.prop(s, "live_protocol")
    row = col.row(align=True)
    row.prop(s, "live_address")
    row.prop(s, "live_port")
    box.prop(s, "live_record")
    if st is None:
        box.operator("face_skinning.live_start", icon="PLAY")
        return
    box.operator("face_skinning.live_stop", icon="PAUSE")
    info = box.column(align=True)
    info.label(text=f"{st['listen']} -> {st['target']}")
    info.label(text=f"Received {st['received']}, applied {st['applied']}, keyed {st['keyed_frames']}")
    info.label(text=f"Dropped {st['dropped']}, skipped {st['skipped']}")
    info.label(text=f"Source: {st['source'] or 'waiting for packets...'}")
    if st["apply_error"]:
        info.label(text=st["apply_error"], icon="ERROR")
    elif st["last_error"]:
        info.label(text=f"Last bad packet: {st['last_error']}", icon="INFO")


classes = (FACE_SKINNING_PT_clone,)
