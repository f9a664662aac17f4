"""Visemes: bake the viseme keys, load/save the recipe table as JSON."""

from __future__ import annotations

import os

import bpy
from bpy.props import StringProperty

from ..core import visemes
from ._common import ActiveMeshOperator, run


class FACE_SKINNING_OT_bake_visemes(ActiveMeshOperator, bpy.types.Operator):
    """Make the 15 viseme shape keys (viseme_aa, ...) as mixes of the baked FACS keys, each driven
    by its own slider; re-running replaces them"""

    bl_idname = "face_skinning.bake_visemes"
    bl_label = "Bake Visemes"

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            names = visemes.bake_visemes(obj, visemes.scene_recipes(context.scene))
            source = "loaded" if getattr(context.scene, visemes.RECIPES_PROP) else "built-in"
            return f"Baked {len(names)} viseme keys on '{obj.name}' ({source} recipes)"

        return run(self, work)


class _RecipeFileOperator:
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def _path(self) -> str | None:
        if not self.filepath:
            self.report({"ERROR"}, "No file given: pick a viseme recipe .json file.")
            return None
        return bpy.path.abspath(self.filepath)


class FACE_SKINNING_OT_load_viseme_recipes(_RecipeFileOperator, bpy.types.Operator):
    """Use the viseme recipes of a JSON file (weights of the ICT FACS units per viseme) for Bake Visemes"""

    bl_idname = "face_skinning.load_viseme_recipes"
    bl_label = "Load Viseme Recipes"

    def execute(self, context):
        path = self._path()
        if path is None:
            return {"CANCELLED"}

        def work() -> str:
            n = visemes.load_recipes(context.scene, path)
            return f"Loaded {n} viseme recipes from {os.path.basename(path)}: run Bake Visemes to apply them"

        return run(self, work)


class FACE_SKINNING_OT_save_viseme_recipes(_RecipeFileOperator, bpy.types.Operator):
    """Write the viseme recipes in use (loaded, else built-in) to a JSON file to edit"""

    bl_idname = "face_skinning.save_viseme_recipes"
    bl_label = "Save Viseme Recipes"

    def execute(self, context):
        path = self._path()
        if path is None:
            return {"CANCELLED"}

        def work() -> str:
            written = visemes.save_recipes(context.scene, path)
            return f"Wrote the viseme recipes to {written}"

        return run(self, work)


class FACE_SKINNING_OT_reset_viseme_recipes(bpy.types.Operator):
    """Go back to the built-in viseme recipes (the viseme keys change on the next Bake Visemes)"""

    bl_idname = "face_skinning.reset_viseme_recipes"
    bl_label = "Built-in Recipes"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        setattr(context.scene, visemes.RECIPES_PROP, "")
        self.report({"INFO"}, "Using the built-in viseme recipes")
        return {"FINISHED"}


classes = (
    FACE_SKINNING_OT_bake_visemes,
    FACE_SKINNING_OT_load_viseme_recipes,
    FACE_SKINNING_OT_save_viseme_recipes,
    FACE_SKINNING_OT_reset_viseme_recipes,
)
