"""``face_skinning.clone_from_mesh`` and ``face_skinning.import_arkit``."""

from __future__ import annotations

import os

import bpy
from bpy.props import StringProperty

from ..core import clone, head_eyes
from ._capture_options import capture_options
from ._common import ActiveMeshOperator, Progress, ensure_model, mesh_object_poll, run


class FACE_SKINNING_OT_clone_from_mesh(ActiveMeshOperator, bpy.types.Operator):
    """Clone the source face's animation onto the active mesh's FACS sliders (keys over the frame range)"""

    bl_idname = "face_skinning.clone_from_mesh"
    bl_label = "Clone From Mesh"

    def execute(self, context):
        s = context.scene.nfs_settings
        scene = context.scene
        target = context.active_object
        start, end = (
            (scene.frame_start, scene.frame_end) if s.use_scene_range else (s.frame_start, s.frame_end)
        )

        def work() -> str:
            ensure_model(context)
            with Progress(context) as progress:
                frames, _ = clone.clone_from_mesh(
                    target,
                    s.clone_source,
                    scene,
                    context.evaluated_depsgraph_get,
                    rest_frame=s.rest_frame,
                    frame_start=start,
                    frame_end=end,
                    up=s.up_axis,
                    forward=s.forward_axis,
                    method=None if s.clone_method == "DEFAULT" else s.clone_method.lower(),
                    progress=progress,
                )
            return (
                f"Cloned {len(frames)} frames ({start}-{end}) from '{s.clone_source.name}' onto the "
                f"FACS sliders of '{target.name}'"
            )

        if s.clone_source is None:
            self.report({"ERROR"}, "No source face: pick the animated source mesh in the Clone panel.")
            return {"CANCELLED"}
        return run(self, work)


class FACE_SKINNING_OT_import_arkit(bpy.types.Operator):
    """Key the FACS sliders from an ARKit capture: Live Link Face CSV or Face Cap TXT"""

    bl_idname = "face_skinning.import_arkit"
    bl_label = "Import ARKit Capture"
    bl_options = {"REGISTER", "UNDO"}

    filepath: StringProperty(name="File", subtype="FILE_PATH", options={"SKIP_SAVE"})
    filter_glob: StringProperty(default="*.csv;*.txt", options={"HIDDEN"})

    @classmethod
    def poll(cls, context):
        return mesh_object_poll(cls, context)

    def invoke(self, context, event):
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def execute(self, context):
        s = context.scene.nfs_settings
        scene = context.scene
        obj = context.active_object
        scene_fps = scene.render.fps / scene.render.fps_base
        source_fps = None if s.capture_fps == "AUTO" else float(s.capture_fps)
        options = capture_options(scene, s.smoothing)  # calibration, regions (Scene.nfs_capture)

        def work() -> str:
            with Progress(context):
                path = bpy.path.abspath(self.filepath)
                frames, cap, pose = head_eyes.import_capture(
                    obj, path, scene_fps, scene.frame_start, s.smoothing, source_fps,
                    head_eyes.targets_from_settings(s), options,
                )  # fmt: skip
            for note in cap.notes:  # what was repaired on the way (clipped values, closed gaps)
                self.report({"WARNING"}, note)
            if options.describe():
                self.report({"INFO"}, options.describe())
            rate = f"{cap.source_fps:g} fps capture" if cap.source_fps else "capture"
            return (
                f"Keyed {len(frames)} frames ({int(frames[0])}-{int(frames[-1])}) on '{obj.name}' from "
                f"{os.path.basename(self.filepath)} ({rate}, {len(cap.columns)} ARKit channels, "
                f"scene at {scene_fps:g} fps)" + (f"; {', '.join(pose)}" if pose else "")
            )

        if not self.filepath:
            self.report({"ERROR"}, "No capture file given: pick a Live Link Face .csv or Face Cap .txt.")
            return {"CANCELLED"}
        return run(self, work)


classes = (FACE_SKINNING_OT_clone_from_mesh, FACE_SKINNING_OT_import_arkit)
