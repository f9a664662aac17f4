"""``Object.nfs_visemes``: one slider (0..1, keyframable) per viseme key; ``Scene.nfs_viseme_recipes``:
the artist's recipe table as JSON (empty: the built-in table of model/visemes.py)."""

from __future__ import annotations

import bpy
from bpy.props import PointerProperty, StringProperty

from ..core._model_import import submodule
from ..core.visemes import RECIPES_PROP, VISEME_PROP
from .sliders import weight_annotations

_NAMES = submodule("visemes").VISEME_NAMES


VisemeSliders = type(
    "NFS_PG_viseme_sliders",
    (bpy.types.PropertyGroup,),
    {
        "__annotations__": weight_annotations(_NAMES, lambda n: f"Weight of the viseme key viseme_{n}"),
        "__doc__": "The viseme sliders of one object",
    },
)

classes = (VisemeSliders,)


def register() -> None:
    setattr(bpy.types.Object, VISEME_PROP, PointerProperty(type=VisemeSliders, name="Visemes"))
    setattr(
        bpy.types.Scene,
        RECIPES_PROP,
        StringProperty(
            name="Viseme Recipes",
            description="The loaded viseme recipe table (JSON); empty: the built-in table",
            options={"HIDDEN"},
        ),
    )


def unregister() -> None:
    for owner, prop in ((bpy.types.Object, VISEME_PROP), (bpy.types.Scene, RECIPES_PROP)):
        if hasattr(owner, prop):
            delattr(owner, prop)
