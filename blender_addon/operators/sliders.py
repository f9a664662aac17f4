"""Slider helpers: reset, mirror L<->R, key all."""

from __future__ import annotations

import bpy
import numpy as np

from ..core import sliders
from ..core._model_import import facs
from ._common import mesh_object_poll, run


class _SliderOperator:
    """Mixin: undoable, needs an active mesh object (the sliders drive its shape keys)."""

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        return mesh_object_poll(cls, context)


class FACE_SKINNING_OT_reset_sliders(_SliderOperator, bpy.types.Operator):
    """Set all 53 FACS sliders to 0 (neutral)"""

    bl_idname = "face_skinning.reset_sliders"
    bl_label = "Reset Sliders"

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            sliders.set_values(obj, np.zeros(facs.NUM_EXPRESSIONS))
            return f"Reset the FACS sliders of '{obj.name}'"

        return run(self, work)


class FACE_SKINNING_OT_mirror_sliders(_SliderOperator, bpy.types.Operator):
    """Swap every left/right pair of FACS sliders"""

    bl_idname = "face_skinning.mirror_sliders"
    bl_label = "Mirror L/R"

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            sliders.set_values(obj, sliders.mirror_values(sliders.get_values(obj)))
            return f"Mirrored the FACS sliders of '{obj.name}' left <-> right"

        return run(self, work)


class FACE_SKINNING_OT_key_sliders(_SliderOperator, bpy.types.Operator):
    """Insert a keyframe on all 53 FACS sliders at the current frame"""

    bl_idname = "face_skinning.key_sliders"
    bl_label = "Key All"

    def execute(self, context):
        obj = context.active_object
        frame = context.scene.frame_current

        def work() -> str:
            sliders.key_current(obj, frame)
            return f"Keyed the 53 FACS sliders of '{obj.name}' at frame {frame}"

        return run(self, work)


classes = (FACE_SKINNING_OT_reset_sliders, FACE_SKINNING_OT_mirror_sliders, FACE_SKINNING_OT_key_sliders)
