"""FACS Sliders panel: 53 sliders grouped by region, _L/_R side by side."""

from __future__ import annotations

import bpy

from ..core._model_import import facs
from ..core.sliders import SLIDER_PROP
from ._base import SidebarPanel


def _rows(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Pair ``X_L`` with ``X_R`` on one row; unpaired names get their own row."""
    rows, seen = [], set()
    for n in names:
        if n in seen:
            continue
        if n.endswith("_L") and n[:-2] + "_R" in names:
            rows.append((n, n[:-2] + "_R"))
            seen.update(rows[-1])
        else:
            rows.append((n,))
            seen.add(n)
    return rows


class FACE_SKINNING_PT_sliders(SidebarPanel, bpy.types.Panel):
    bl_idname = "FACE_SKINNING_PT_sliders"
    bl_label = "FACS Sliders"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        obj = context.active_object
        if obj is None:
            layout.label(text="Select an object", icon="INFO")
            return
        row = layout.row(align=True)
        row.operator("face_skinning.reset_sliders", text="Reset")
        row.operator("face_skinning.mirror_sliders", text="Mirror L/R")
        row.operator("face_skinning.key_sliders", text="Key All", icon="KEY_HLT")
        props = getattr(obj, SLIDER_PROP)
        for group, names in facs.FACS_GROUPS.items():
            box = layout.box()
            box.label(text=group.capitalize())
            col = box.column(align=True)
            for pair in _rows(names):
                r = col.row(align=True)
                for n in pair:
                    r.prop(props, n, slider=True)


classes = (FACE_SKINNING_PT_sliders,)
