"""Visemes panel: bake the viseme keys, recipe table load/save, one slider per viseme."""

from __future__ import annotations

import bpy

from ..core import visemes
from ..core._model_import import submodule
from ._base import SidebarPanel


class FACE_SKINNING_PT_visemes(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_visemes"
    bl_label = "Visemes"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        loaded = bool(getattr(context.scene, visemes.RECIPES_PROP))
        layout.label(text=f"Recipes: {'loaded JSON' if loaded else 'built-in'}")
        row = layout.row(align=True)
        row.operator("face_skinning.load_viseme_recipes", text="Load", icon="IMPORT")
        row.operator("face_skinning.save_viseme_recipes", text="Save", icon="EXPORT")
        row.operator("face_skinning.reset_viseme_recipes", text="Built-in")
        layout.operator("face_skinning.bake_visemes", icon="SHAPEKEY_DATA")
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            return
        props = getattr(obj, visemes.VISEME_PROP)
        col = layout.column(align=True)
        for n in submodule("visemes").VISEME_NAMES:
            col.prop(props, n, slider=True)


classes = (FACE_SKINNING_PT_visemes,)
