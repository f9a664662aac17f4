"""``face_skinning.check_rig``: the rig check on the active object's baked shape keys."""

from __future__ import annotations

import bpy

from ..core import rig_check
from ._common import ActiveMeshOperator, run

_MAX_LINES = 12  # verdict lines reported one by one; the rest are counted


class FACE_SKINNING_OT_check_rig(ActiveMeshOperator, bpy.types.Operator):
    """Check the baked keys (blinks, static parts, flips, symmetry, ripple, tears, reach); mark problems"""

    bl_idname = "face_skinning.check_rig"
    bl_label = "Check Rig"

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object

        def work() -> str:
            report = rig_check.check_object(
                obj, mask_group=s.mask_group, up=s.up_axis, forward=s.forward_axis
            )
            for line in report.verdicts[:_MAX_LINES]:
                self.report({"WARNING"}, line)
            if report.passed:
                return f"Rig check on '{obj.name}': every check passes"
            more = len(report.verdicts) - _MAX_LINES
            tail = f" ({more} more in the console)" if more > 0 else ""
            if more > 0:
                print("\n".join(report.verdicts))
            return (
                f"Rig check on '{obj.name}': {len(report.verdicts)} problems{tail}; "
                f"see the vertex group {rig_check.PROBLEM_GROUP}"
            )

        return run(self, work)


classes = (FACE_SKINNING_OT_check_rig,)
