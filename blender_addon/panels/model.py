"""Model panel: the loaded network's name/version/status, or how to get its dependencies."""

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
        missing = st.get("missing")
        if missing:
            box = layout.box()
            box.label(text=f"Missing from Blender's Python: {', '.join(missing)}", icon="ERROR")
            box.label(text="Install the add-on zip with bundled wheels, or run:")
            box.label(text="<blender python> -m pip install " + " ".join(missing))
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
        found = model_cache.orientation()
        if found:
            sure = found["confidence"] >= 0.8
            prefix = "Auto" if found["auto"] else "Found"
            layout.label(
                text=f"{prefix}: {found['axes']} ({found['confidence']:.0%} sure)",
                icon="ORIENTATION_GIMBAL" if sure else "QUESTION",
            )


classes = (FACE_SKINNING_PT_model,)
