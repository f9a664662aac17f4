"""``face_skinning.analyze_mesh``: head region + parts as FSP_ vertex groups, and the report."""

from __future__ import annotations

import bpy

from ..core import analysis
from ._common import ActiveMeshOperator, run


class FACE_SKINNING_OT_analyze_mesh(ActiveMeshOperator, bpy.types.Operator):
    """Find the head and the parts (eyeballs, teeth, lashes...) as FSP_ groups to correct; report problems"""

    bl_idname = "face_skinning.analyze_mesh"
    bl_label = "Analyze Mesh"

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object

        def work() -> str:
            report = analysis.analyze_mesh(obj, up=s.up_axis, forward=s.forward_axis)
            worst = [f for f in report["findings"] if f["level"] == "problem"]
            parts = ", ".join(n for n in report["parts"]["counts"] if n != "skin") or "no separate parts"
            tail = f"; {len(worst)} problem(s): see the Analyze panel" if worst else ""
            return f"Analyzed '{obj.name}': {parts}; eyes {report['eyes']}, lips {report['lips']}{tail}"

        return run(self, work)


classes = (FACE_SKINNING_OT_analyze_mesh,)
