"""Intensity gains: rebuild the drivers (upgrade older rigs), reset the gains."""

from __future__ import annotations

import bpy

from ..core import gains, sliders
from ..core._model_import import facs
from ._common import ActiveMeshOperator, mesh_object_poll, run


class FACE_SKINNING_OT_update_drivers(ActiveMeshOperator, bpy.types.Operator):
    """Rebuild the drivers of the baked FACS keys so they follow slider x unit gain x region gain
    (rigs baked before the gains existed ignore the gains until then)"""

    bl_idname = "face_skinning.update_drivers"
    bl_label = "Update Drivers"

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            made = sliders.refresh_drivers(obj)
            return f"Rebuilt {made} drivers of '{obj.name}' (slider x unit gain x region gain)"

        return run(self, work)


class FACE_SKINNING_OT_reset_gains(bpy.types.Operator):
    """Set every unit and region gain to 1 (the plain slider values)"""

    bl_idname = "face_skinning.reset_gains"
    bl_label = "Reset Gains"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return mesh_object_poll(cls, context)

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            gains.set_gains(obj, dict.fromkeys(facs.ICT_NAMES, 1.0), dict.fromkeys(facs.REGION_NAMES, 1.0))
            return f"Reset the intensity gains of '{obj.name}' to 1"

        return run(self, work)


classes = (FACE_SKINNING_OT_update_drivers, FACE_SKINNING_OT_reset_gains)
