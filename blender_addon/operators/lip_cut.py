"""``face_skinning.cut_lip_line``: split the lip line of sealed lips so jawOpen can part them."""

from __future__ import annotations

import bpy

from ..core import lip_cut
from ._common import ActiveMeshOperator, ensure_model, run


class FACE_SKINNING_OT_cut_lip_line(ActiveMeshOperator, bpy.types.Operator):
    """Cut sealed lips open along the line between them so jawOpen can part them (keeps keys, groups, UVs)"""

    bl_idname = "face_skinning.cut_lip_line"
    bl_label = "Cut Lip Line"

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object

        def work() -> str:
            done = lip_cut.cut_lip_line(obj, ensure_model(context), up=s.up_axis, forward=s.forward_axis)
            return (
                f"Cut the lip line of '{obj.name}': {done['split']} vertices split "
                f"({done['length']:.3g} units, mouth corners kept); bake the shape keys again "
                "(and Analyze Mesh to refresh the report)"
            )

        return run(self, work)


classes = (FACE_SKINNING_OT_cut_lip_line,)
