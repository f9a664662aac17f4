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


classes = (FACE_SKINNING_PT_clone,)
