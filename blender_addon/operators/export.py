"""``face_skinning.bake_for_export`` and ``face_skinning.export``."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, StringProperty

from ..core import export
from ..core.export_fold import MOUTH_CLOSE_ITEMS
from ..core.export_presets import PRESET_ITEMS, PRESETS
from ._common import ActiveMeshOperator, Progress, run


class FACE_SKINNING_OT_bake_for_export(ActiveMeshOperator, bpy.types.Operator):
    """Bake the slider animation into shape-key F-curves (FBX/glTF do not carry the drivers)"""

    bl_idname = "face_skinning.bake_for_export"
    bl_label = "Bake For Export"

    def execute(self, context):
        obj = context.active_object

        def work() -> str:
            with Progress(context):
                start, end, n = export.bake_for_export(obj)
            return f"Baked {n} shape-key curves on '{obj.name}' over frames {start}-{end}"

        return run(self, work)


class FACE_SKINNING_OT_export(ActiveMeshOperator, bpy.types.Operator):
    """Bake, then export the active mesh with its shape-key animation to FBX or glTF (the file
    name's extension picks the format)"""

    bl_idname = "face_skinning.export"
    bl_label = "Export"

    filepath: StringProperty(
        name="File", subtype="FILE_PATH", options={"SKIP_SAVE"}, description="Empty: the panel's file"
    )
    export_format: EnumProperty(
        name="Format",
        items=[("PANEL", "Panel", ""), ("FBX", "FBX", ""), ("GLB", "glTF Binary", ""), ("GLTF", "glTF", "")],
        default="PANEL",
        options={"SKIP_SAVE"},
    )
    preset: EnumProperty(
        name="Engine",
        items=[("PANEL", "Panel", "The Export panel's engine")] + PRESET_ITEMS,
        default="PANEL",
        options={"SKIP_SAVE"},
    )
    mouth_close: EnumProperty(
        name="mouthClose",
        items=[("PANEL", "Panel", "The Export panel's mouthClose setting")] + MOUTH_CLOSE_ITEMS,
        default="PANEL",
        options={"SKIP_SAVE"},
    )

    def execute(self, context):
        s = context.scene.nfs_settings
        obj = context.active_object
        path = self.filepath or s.export_path
        fmt = s.export_format if self.export_format == "PANEL" else self.export_format
        preset = s.export_preset if self.preset == "PANEL" else self.preset
        mouth_close = s.export_mouth_close if self.mouth_close == "PANEL" else self.mouth_close
        written = []

        def work() -> str:
            with Progress(context) as progress:
                target = export.export(
                    context, obj, path, fmt, progress, preset=preset, mouth_close=mouth_close
                )
            written.append(target)
            note = f" ({target.note})" if target.note else ""
            label = PRESETS[preset].label
            return f"Exported '{obj.name}' ({label}) with its shape-key animation to {target.path}{note}"

        result = run(self, work)
        if written and written[0].fmt != fmt:
            # the file's extension overrode the Format setting: say so where it is not missed
            self.report({"WARNING"}, f"{written[0].path.name}: {written[0].note}")
        return result


classes = (FACE_SKINNING_OT_bake_for_export, FACE_SKINNING_OT_export)
