"""Shape Keys panel: naming, bake method, prefix, painted weights, bake, check."""

from __future__ import annotations

import bpy

from ..core import shape_keys
from ._base import SidebarPanel


class FACE_SKINNING_PT_shape_keys(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_shape_keys"
    bl_label = "Shape Keys"

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        s = context.scene.nfs_settings
        layout.prop(s, "naming", expand=True)
        layout.prop(s, "bake_method")
        layout.prop(s, "key_prefix")
        layout.prop(s, "use_painted")
        layout.operator("face_skinning.bake_shape_keys", icon="SHAPEKEY_DATA")
        if obj is not None and obj.type == "MESH":
            n = len(shape_keys.owned_keys(obj))
            if n:
                layout.label(text=f"{n} Face Skinning keys on this mesh")
                layout.operator("face_skinning.check_rig", icon="CHECKMARK")
                summary = obj.get("nfs_check_summary")
                if summary:
                    layout.label(text=str(summary))


classes = (FACE_SKINNING_PT_shape_keys,)
