"""``face_skinning.predict_weights`` and ``face_skinning.bake_shape_keys``."""

from __future__ import annotations

import bpy

from ..core import skinning
from ._common import ActiveMeshOperator, Progress, ensure_model, run


class FACE_SKINNING_OT_predict_weights(ActiveMeshOperator, bpy.types.Operator):
    """Predict region weights on the active mesh as FS_ vertex groups (replaces only the groups it made)"""

    bl_idname = "face_skinning.predict_weights"
    bl_label = "Predict Weights"

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object

        def work() -> str:
            ensure_model(context)
            with Progress(context) as progress:
                names = skinning.predict_weights(
                    obj,
                    mask_group=s.mask_group,
                    up=s.up_axis,
                    forward=s.forward_axis,
                    progress=progress,
                    method=s.bake_method.lower(),
                )
            return f"Wrote {len(names)} FS_ vertex groups on '{obj.name}'"

        return run(self, work)


class FACE_SKINNING_OT_bake_shape_keys(ActiveMeshOperator, bpy.types.Operator):
    """Bake the FACS expressions as shape keys driven by the FACS sliders (replaces only its own keys)"""

    bl_idname = "face_skinning.bake_shape_keys"
    bl_label = "Bake Shape Keys"

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object

        def work() -> str:
            ensure_model(context)
            with Progress(context) as progress:
                res = skinning.bake_shape_keys(
                    obj,
                    naming=s.naming,
                    prefix=s.key_prefix,
                    mask_group=s.mask_group,
                    use_painted=s.use_painted,
                    up=s.up_axis,
                    forward=s.forward_axis,
                    method=s.bake_method.lower(),
                    progress=progress,
                )
            if s.bake_method == "REGISTRATION":
                source = "the registered ICT template"
            else:
                source = "the painted FS_ weights" if res.used_painted else "predicted weights"
                if s.bake_method in ("HYBRID", "MIXED"):
                    source += " and the registered ICT template"
            return (
                f"Baked {len(res.names)} shape keys + the jawOpen_mouthClose corrective on '{obj.name}' "
                f"from {source}; {res.drivers} driven by the FACS sliders"
            )

        return run(self, work)


classes = (FACE_SKINNING_OT_predict_weights, FACE_SKINNING_OT_bake_shape_keys)
