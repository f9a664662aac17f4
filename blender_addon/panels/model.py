"""Model panel: the loaded network's name/version/status, or how to get torch."""

from __future__ import annotations

import bpy

from ..core import model_cache
from ._base import SidebarPanel


class FACE_SKINNING_PT_model(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_model"
    bl_label = "Model"

    def draw(self, context):
        layout = self.layout
        st = model_cache.status()
        if not st["torch"]:
            box = layout.box()
            box.label(text="PyTorch is missing from Blender's Python", icon="ERROR")
            box.label(text="Install the add-on zip with bundled wheels, or run:")
            box.label(text="<blender python> -m pip install torch==2.13.0")
            box.label(text="  --index-url https://download.pytorch.org/whl/cpu")
            return
        if st["loaded"]:
            col = layout.column(align=True)
            col.label(text=f"{st['name']}  v{st['version']}", icon="CHECKMARK")
            col.label(text=f"{st['regions']} regions, 53 FACS units")
        else:
            layout.label(text="No model loaded", icon="INFO")
        if st["error"]:
            layout.label(text=st["error"][:120], icon="ERROR")
        layout.operator("face_skinning.load_model", icon="FILE_REFRESH")
        s = context.scene.nfs_settings
        row = layout.row(align=True)
        row.prop(s, "up_axis")
        row.prop(s, "forward_axis")


classes = (FACE_SKINNING_PT_model,)
