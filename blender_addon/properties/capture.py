"""``Scene.nfs_capture``: capture-import calibration, region filter and per-region smoothing
(the frame rate and global smoothing stay in ``Scene.nfs_settings``)."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, IntProperty, PointerProperty

from ..core._model_import import facs

CAPTURE_PROP = "nfs_capture"

_REGION_ITEMS = [(r.upper(), r.capitalize(), f"Key the {r} sliders") for r in facs.REGION_NAMES]


def _annotations() -> dict:
    out = {
        "neutral": EnumProperty(
            name="Neutral",
            description="Subtract the performer's neutral face from every frame (clamped at 0)",
            items=[
                ("NONE", "None", "Use the captured weights as they are"),
                ("FRAME", "Frame", "The weights of one capture sample (Neutral Sample) are the neutral"),
                ("MINIMUM", "Minimum", "Each channel's minimum over the capture is its neutral"),
            ],
            default="NONE",
        ),
        "neutral_frame": IntProperty(
            name="Neutral Sample",
            default=0,
            min=0,
            description="Index of the capture sample with a relaxed face (0 = the file's first, "
            "in time order)",
        ),
        "rescale": BoolProperty(
            name="Rescale",
            default=False,
            description="Divide by 1 - neutral after subtracting, so a channel can still reach 1",
        ),
        "regions": EnumProperty(
            name="Regions",
            description="Face regions whose sliders are keyed; the other sliders keep their keys",
            items=_REGION_ITEMS,
            options={"ENUM_FLAG"},
            default={r.upper() for r in facs.REGION_NAMES},
        ),
        "use_region_smoothing": BoolProperty(
            name="Smoothing per Region",
            default=False,
            description="Smooth each region with its own window instead of the global Smoothing",
        ),
    }
    for r in facs.REGION_NAMES:
        out[f"smoothing_{r}"] = IntProperty(
            name=r.capitalize(),
            default=0,
            min=0,
            max=15,
            description=f"Moving-average window of the {r} sliders in frames (0: off)",
        )
    return out


CaptureSettings = type(
    "NFS_PG_capture_settings",
    (bpy.types.PropertyGroup,),
    {"__annotations__": _annotations(), "__doc__": "Capture import: calibration, regions, smoothing"},
)

classes = (CaptureSettings,)


def register() -> None:
    setattr(bpy.types.Scene, CAPTURE_PROP, PointerProperty(type=CaptureSettings))


def unregister() -> None:
    if hasattr(bpy.types.Scene, CAPTURE_PROP):
        delattr(bpy.types.Scene, CAPTURE_PROP)
