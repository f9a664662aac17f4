"""Skinning panel: mask group, predict weights, FS_ groups."""

from __future__ import annotations

import bpy

from ..core import vertex_groups
from ._base import SidebarPanel


class FACE_SKINNING_PT_skinning(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_skinning"
    bl_label = "Skinning"

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        s = context.scene.nfs_settings
        if obj is None or obj.type != "MESH":
            layout.label(text="Select the face mesh", icon="INFO")
            return
        layout.prop_search(s, "mask_group", obj, "vertex_groups", icon="GROUP_VERTEX")
        layout.operator("face_skinning.predict_weights", icon="MOD_VERTEX_WEIGHT")
        n = len(vertex_groups.owned_groups(obj))
        if n:
            layout.label(text=f"{n} FS_ groups: paint them to change the bake", icon="BRUSH_DATA")


classes = (FACE_SKINNING_PT_skinning,)
