"""Export panel: bake slider animation, export FBX / glTF."""

from __future__ import annotations

import bpy

from ._base import SidebarPanel


class FACE_SKINNING_PT_export(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_export"
    bl_label = "Export"

    def draw(self, context):
        layout = self.layout
        s = context.scene.nfs_settings
        layout.operator("face_skinning.bake_for_export", icon="ACTION")
        layout.prop(s, "export_format")
        layout.prop(s, "export_preset")
        layout.prop(s, "export_mouth_close")
        layout.prop(s, "export_path")
        layout.operator("face_skinning.export", icon="EXPORT")


classes = (FACE_SKINNING_PT_export,)
