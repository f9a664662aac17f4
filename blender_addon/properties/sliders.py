"""``Object.nfs_facs``: the 53 FACS sliders (0..1, ICT names), keyframable."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import bpy
from bpy.props import FloatProperty, PointerProperty

from ..core._model_import import facs
from ..core.sliders import SLIDER_PROP


def _tag_owner(self, _context) -> None:
    # Setting a Python-defined property does not tag its ID for re-evaluation, so the shape-key
    # drivers reading it would keep their old value until something else changes.
    self.id_data.update_tag()


def weight_annotations(names: Sequence[str], describe: Callable[[str], str]) -> dict:
    """One keyframable 0..1 weight property per name (``describe(name)``: its tooltip) that
    re-evaluates its object's drivers when set; the FACS sliders and the viseme sliders."""
    return {
        name: FloatProperty(
            name=name,
            description=describe(name),
            min=0.0,
            max=1.0,
            default=0.0,
            options={"ANIMATABLE", "LIBRARY_EDITABLE"},
            override={"LIBRARY_OVERRIDABLE"},
            update=_tag_owner,
        )
        for name in names
    }


# Built with type() because the 53 property names come from the FACS table.
FacsSliders = type(
    "NFS_PG_facs_sliders",
    (bpy.types.PropertyGroup,),
    {
        "__annotations__": weight_annotations(
            facs.ICT_NAMES, lambda n: f"Weight of the FACS unit {n} (0 = neutral, 1 = full expression)"
        ),
        "__doc__": "The 53 FACS sliders of one object",
    },
)

classes = (FacsSliders,)


def register() -> None:
    setattr(bpy.types.Object, SLIDER_PROP, PointerProperty(type=FacsSliders, name="FACS Sliders"))


def unregister() -> None:
    if hasattr(bpy.types.Object, SLIDER_PROP):
        delattr(bpy.types.Object, SLIDER_PROP)
