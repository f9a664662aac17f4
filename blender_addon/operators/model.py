"""``face_skinning.load_model``."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

from ..core import model_cache
from ..properties.preferences import weights_path
from ._common import Progress, run


class FACE_SKINNING_OT_load_model(bpy.types.Operator):
    """Load the network weights: the folder set in the add-on preferences, else the shipped ones"""

    bl_idname = "face_skinning.load_model"
    bl_label = "Load Model"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(
        name="Weights",
        subtype="DIR_PATH",
        options={"SKIP_SAVE"},
        description="Weights folder (or a file in it); empty: preferences, then shipped weights",
    )

    def execute(self, context):
        def work() -> str:
            with Progress(context) as progress:
                progress(0.1)
                fm = model_cache.load(self.filepath or weights_path(context) or None)
                progress(1.0)
            st = model_cache.status()
            return (
                f"Loaded {fm.name} {fm.version} ({st['regions']} regions, "
                f"{len(fm.expression_names)} FACS units) from {st['source']}"
            )

        return run(self, work)


classes = (FACE_SKINNING_OT_load_model,)
