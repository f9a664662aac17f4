"""Analyze panel: Analyze Mesh and the pre-flight report of the active mesh."""

from __future__ import annotations

import textwrap

import bpy

from ..core import analysis
from ._base import SidebarPanel

_ICONS = {"ok": "CHECKMARK", "note": "INFO", "warning": "ERROR", "problem": "CANCEL"}


class FACE_SKINNING_PT_analysis(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_analysis"
    bl_label = "Analyze"

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        if obj is None or obj.type != "MESH":
            layout.label(text="Select the face mesh", icon="INFO")
            return
        layout.operator("face_skinning.analyze_mesh", icon="VIEWZOOM")
        # sealed lips (the bake warns too): the fix is one click away
        layout.operator("face_skinning.cut_lip_line", icon="MOD_EDGESPLIT")
        report = analysis.stored_report(obj)
        if report is None:
            layout.label(text="Not analyzed yet: see what the rig will make of this mesh", icon="INFO")
            return
        n = len(analysis.owned_groups(obj))
        if n:
            layout.label(text=f"{n} FSP_ groups: paint them to correct head and parts", icon="BRUSH_DATA")
        col = layout.column(align=True)
        for level, text in analysis.report_lines(report):
            for i, line in enumerate(textwrap.wrap(text, 48)):
                col.label(text=line, icon=_ICONS.get(level, "DOT") if i == 0 else "BLANK1")


classes = (FACE_SKINNING_PT_analysis,)
