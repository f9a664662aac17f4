"""``Scene.nfs_settings``: the panel settings shared by the operators (one scene, one workflow)."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, PointerProperty, StringProperty

from ..core.export_fold import MOUTH_CLOSE_ITEMS
from ..core.export_presets import PRESET_ITEMS

_AXES = [(a, a, f"The {a} axis") for a in ("X", "Y", "Z", "-X", "-Y", "-Z")] + [
    ("AUTO", "Auto", "Estimated from the mesh's shape (symmetry plane, face side, face regions)"),
]


def _is_mesh(_self, obj) -> bool:
    return obj.type == "MESH"


class NFS_PG_settings(bpy.types.PropertyGroup):
    """Settings of the Face Skinning workflow."""

    up_axis: EnumProperty(
        name="Up",
        items=_AXES,
        default="Z",
        description="World axis pointing up through the head, or Auto (estimated from the mesh)",
    )
    forward_axis: EnumProperty(
        name="Forward",
        items=_AXES,
        default="-Y",
        description="World axis the face looks toward (Blender front view: -Y), or Auto",
    )
    mask_group: StringProperty(
        name="Mask",
        description="Optional vertex group: only these vertices are skinned and move (e.g. the head "
        "of a full-body mesh). Empty: the whole mesh",
    )
    use_painted: BoolProperty(
        name="Use Painted Weights",
        default=True,
        description="Bake with the FS_ vertex groups as they are now (repaint them to change where "
        "each unit acts); off: use freshly predicted weights",
    )
    naming: EnumProperty(
        name="Names",
        items=[
            ("ICT", "ICT (53)", "ICT-FaceKit names, browInnerUp and cheekPuff split into _L/_R"),
            ("ARKIT", "ARKit (52)", "Apple ARKit names, for apps that expect them"),
        ],
        default="ICT",
    )
    bake_method: EnumProperty(
        name="Method",
        description="How the 53 expression shapes are made",
        items=[
            (
                "MIXED",
                "Mixed (default)",
                "Hybrid on the shapes the eye and mouth openings pin the template for (brows, eyes, "
                "cheeks, nose; jaw and mouth where the lips are open, else the shapes that keep them "
                "together), the network elsewhere",
            ),
            ("NETWORK", "Network", "The neural network's shapes alone (uses the FS_ weights)"),
            (
                "REGISTRATION",
                "Registration",
                "ICT-FaceKit's template fitted onto the mesh (eye/mouth openings as landmarks), its "
                "shapes carried over; ignores the FS_ weights",
            ),
            (
                "HYBRID",
                "Hybrid",
                "Registration where the template fits the mesh closely, the network elsewhere",
            ),
        ],
        default="MIXED",
    )
    key_prefix: StringProperty(
        name="Prefix", description="Prefix of the baked shape-key names (avoids clashes with yours)"
    )
    clone_source: PointerProperty(
        type=bpy.types.Object, name="Source", poll=_is_mesh, description="Animated source face mesh"
    )
    rest_frame: IntProperty(name="Rest Frame", default=1, description="Frame where the source is neutral")
    clone_method: EnumProperty(
        name="Encoder",
        description="How the source's frames are read as FACS weights",
        items=[
            ("DEFAULT", "Default", "The method the loaded weights name (the best on training meshes)"),
            ("JOINT", "Joint", "Fit by the learned encoder's basis and the network's bake together"),
            ("LEARNED", "Learned", "The learned expression encoder alone"),
            ("FIT", "Fit", "Fit by the network's bake of the source"),
        ],
        default="DEFAULT",
    )
    use_scene_range: BoolProperty(name="Scene Range", default=True)
    frame_start: IntProperty(name="Start", default=1)
    frame_end: IntProperty(name="End", default=250)
    capture_fps: EnumProperty(
        name="Capture FPS",
        items=[("AUTO", "Auto", "From the timecode frame numbers"), ("30", "30", ""), ("60", "60", "")],
        default="AUTO",
    )
    smoothing: IntProperty(
        name="Smoothing", default=0, min=0, max=15, description="Moving-average window in frames (0: off)"
    )
    # Head and eye pose of an ARKit capture (core/head_eyes.py): targets, enables, mirror.
    capture_head: PointerProperty(
        type=bpy.types.Object,
        name="Head",
        description="Object (or armature, with a bone) that "
        "takes the capture's head rotation and position. Empty: not keyed",
    )
    capture_head_bone: StringProperty(name="Head Bone", description="Head bone when Head is an armature")
    capture_eye_left: PointerProperty(
        type=bpy.types.Object,
        name="Left Eye",
        description="The subject's left eyeball object "
        "(origin at its centre) or an armature with the eye bone. Empty: not keyed",
    )
    capture_eye_left_bone: StringProperty(name="Left Eye Bone")
    capture_eye_right: PointerProperty(
        type=bpy.types.Object,
        name="Right Eye",
        description="The subject's right eyeball object "
        "(origin at its centre) or an armature with the eye bone. Empty: not keyed",
    )
    capture_eye_right_bone: StringProperty(name="Right Eye Bone")
    capture_use_head_rotation: BoolProperty(name="Head Rotation", default=True)
    capture_use_head_position: BoolProperty(
        name="Head Position", default=True, description="Face Cap head position (Live Link Face has none)"
    )
    capture_use_eyes: BoolProperty(name="Eyes", default=True)
    capture_mirror: BoolProperty(
        name="Mirror", default=False, description="Swap the eyes and mirror the head turn and tilt"
    )
    export_path: StringProperty(
        name="File",
        subtype="FILE_PATH",
        default="//face.fbx",
        description="File to write; its extension (.fbx, .glb, .gltf) picks the format, a name "
        "without one gets the Format below. // paths need a saved .blend",
    )
    export_format: EnumProperty(
        name="Format",
        description="Format for a file name without extension (an extension given wins)",
        items=[("FBX", "FBX", ""), ("GLB", "glTF Binary", ""), ("GLTF", "glTF Separate", "")],
        default="FBX",
    )
    # live capture (core/live_receiver.py)
    live_protocol: EnumProperty(
        name="Protocol",
        items=[
            ("LIVE_LINK_FACE", "Live Link Face", "Epic's iOS app, Live Link streaming (UDP, port 11111)"),
            ("FACE_CAP", "Face Cap (OSC)", "Bannaflak's iOS app, OSC streaming (port set in the app)"),
        ],
        default="LIVE_LINK_FACE",
    )
    live_address: StringProperty(
        name="Listen On",
        default="0.0.0.0",
        description="Local address to receive on: 0.0.0.0 = every network interface (the phone "
        "sends over the LAN), 127.0.0.1 = this computer only",
    )
    live_port: IntProperty(
        name="Port",
        default=11111,
        min=0,
        max=65535,
        description="UDP port the app sends to (Live Link Face: 11111; Face Cap: the port its live "
        "mode sends to)",
    )
    live_record: BoolProperty(
        name="Record",
        default=False,
        description="While the animation plays, key the FACS sliders at each frame from the stream "
        "(replaces keys on those frames)",
    )
    export_preset: EnumProperty(
        name="Engine",
        description="Exporter options for the engine the file is for (axes, units, normals)",
        items=PRESET_ITEMS,
        default="DEFAULT",
    )
    export_mouth_close: EnumProperty(
        name="mouthClose",
        description="How the jawOpen_mouthClose corrective is exported (FBX/glTF carry no drivers)",
        items=MOUTH_CLOSE_ITEMS,
        default="FOLD",
    )


classes = (NFS_PG_settings,)


def register() -> None:
    bpy.types.Scene.nfs_settings = PointerProperty(type=NFS_PG_settings)


def unregister() -> None:
    if hasattr(bpy.types.Scene, "nfs_settings"):
        del bpy.types.Scene.nfs_settings
