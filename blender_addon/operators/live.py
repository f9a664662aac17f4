"""Live capture: start/stop receiving Live Link Face or Face Cap onto the FACS sliders."""

from __future__ import annotations

import bpy

from ..core import head_eyes, live_receiver
from ._common import mesh_object_poll, run


class FACE_SKINNING_OT_live_start(bpy.types.Operator):
    """Receive a live face stream (Live Link Face or Face Cap) onto the active object's FACS sliders"""

    bl_idname = "face_skinning.live_start"
    bl_label = "Start Live"
    # No data changes here; an undo step, so the stream's writes up to Stop undo as one step.
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        return mesh_object_poll(cls, context)

    def execute(self, context):
        obj = context.active_object
        s = context.scene.nfs_settings

        def work() -> str:
            # head/eye targets are read at Start (the panel locks the settings while streaming)
            live_receiver.on_pose = head_eyes.live_pose_hook(head_eyes.targets_from_settings(s))
            session = live_receiver.start(obj, s.live_protocol, s.live_address, s.live_port)
            r = session.receiver
            name = r.protocol.replace("_", " ").title()
            return f"Listening for {name} on {r.address}:{r.port} -> '{obj.name}'"

        return run(self, work)


class FACE_SKINNING_OT_live_stop(bpy.types.Operator):
    """Stop the live stream and close its network port"""

    bl_idname = "face_skinning.live_stop"
    bl_label = "Stop Live"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context) -> bool:
        if live_receiver.session() is None:
            cls.poll_message_set("No live stream is running")
            return False
        return True

    def execute(self, context):
        def work() -> str:
            st = live_receiver.stop() or {}
            return (
                f"Stopped live stream: {st.get('received', 0)} packets, {st.get('applied', 0)} applied, "
                f"{st.get('keyed_frames', 0)} frames keyed, {st.get('dropped', 0)} dropped"
            )

        return run(self, work)


classes = (FACE_SKINNING_OT_live_start, FACE_SKINNING_OT_live_stop)


def register() -> None:
    live_receiver.install_handlers()


def unregister() -> None:
    live_receiver.remove_handlers()
