"""Intensity panel: a gain per face region and per FACS unit, grouped by region like the sliders."""

from __future__ import annotations

import bpy

from ..core import gains, sliders
from ..core._model_import import facs
from ._base import SidebarPanel
from .sliders import _rows


class FACE_SKINNING_PT_gains(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_gains"
    bl_label = "Intensity"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            layout.label(text="Select the face mesh", icon="INFO")
            return
        if not sliders.drivers_have_gains(obj):
            layout.label(text="Drivers predate the gains:", icon="ERROR")
        row = layout.row(align=True)
        row.operator("face_skinning.update_drivers", icon="DRIVER")
        row.operator("face_skinning.reset_gains", text="Reset")
        g = getattr(obj, gains.GAINS_PROP)
        for region, names in facs.FACS_GROUPS.items():
            box = layout.box()
            box.prop(g, gains.region_prop(region), text=f"{region.capitalize()} (region)")
            col = box.column(align=True)
            for pair in _rows(names):
                r = col.row(align=True)
                for n in pair:
                    r.prop(g, n)


class FACE_SKINNING_PT_capture_options(SidebarPanel, bpy.types.Panel):
    """Capture import options (a sub-panel of Clone): calibration, regions, smoothing per region."""

    bl_idname = "FACE_SKINNING_PT_capture_options"
    bl_label = "Capture Import Options"
    bl_parent_id = "FACE_SKINNING_PT_clone"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        c = context.scene.nfs_capture
        col = layout.column()
        col.prop(c, "neutral")
        if c.neutral == "FRAME":
            col.prop(c, "neutral_frame")
        if c.neutral != "NONE":
            col.prop(c, "rescale")
        col.label(text="Regions to key")
        col.prop(c, "regions")
        col.prop(c, "use_region_smoothing")
        if c.use_region_smoothing:
            sub = col.column(align=True)
            for r in facs.REGION_NAMES:
                sub.prop(c, f"smoothing_{r}")


classes = (FACE_SKINNING_PT_gains, FACE_SKINNING_PT_capture_options)
