"""``Object.nfs_gains``: intensity gains per FACS unit (ICT names) and per face region
(``region_brows``...), 1.0 = unchanged. Read by the shape-key drivers (core/gains.py)."""

from __future__ import annotations

import bpy
from bpy.props import FloatProperty, PointerProperty

from ..core._model_import import facs
from ..core.gains import GAIN_MAX, GAINS_PROP, region_prop


def _tag_owner(self, _context) -> None:
    # as for the sliders: a Python property change does not re-evaluate the drivers reading it
    self.id_data.update_tag()


def _gain(name: str, description: str) -> FloatProperty:
    return FloatProperty(
        name=name,
        description=description,
        default=1.0,
        min=0.0,
        max=GAIN_MAX,
        soft_max=2.0,
        # not animatable: export bakes the gains as constants (core/export.bake_for_export)
        options={"LIBRARY_EDITABLE"},
        override={"LIBRARY_OVERRIDABLE"},
        update=_tag_owner,
    )


def _annotations() -> dict:
    out = {
        n: _gain(n, f"Intensity of the FACS unit {n}: its key follows slider x this x the region's gain")
        for n in facs.ICT_NAMES
    }
    for r in facs.REGION_NAMES:
        out[region_prop(r)] = _gain(r.capitalize(), f"Intensity of every FACS unit of the {r} region")
    return out


# Built with type() because the property names come from the FACS table.
FacsGains = type(
    "NFS_PG_facs_gains",
    (bpy.types.PropertyGroup,),
    {"__annotations__": _annotations(), "__doc__": "Intensity gains per FACS unit and region of one object"},
)

classes = (FacsGains,)


def register() -> None:
    setattr(bpy.types.Object, GAINS_PROP, PointerProperty(type=FacsGains, name="FACS Gains"))


def unregister() -> None:
    if hasattr(bpy.types.Object, GAINS_PROP):
        delattr(bpy.types.Object, GAINS_PROP)
