"""Export for engines that drive only the 52 ARKit names: mouthClose folded back, no corrective.

A baked rig carries ``mouthClose`` as what it does alone plus the corrective key
``jawOpen_mouthClose`` driven by ``min(jawOpen, mouthClose)`` (:mod:`corrective_keys`). FBX and
glTF carry no drivers, and an ARKit engine (Live Link, ARKit face tracking, a 52-name retargeter)
never sets a key it does not know: with the split shapes it would leave every captured closed
mouth open by the jaw's opening. Folding writes ``mouthClose = alone + corrective`` (the unsplit
ICT / ARKit shape) and leaves the corrective out; for weights in ARKit's range (mouthClose <=
jawOpen) the engine's linear mix is then exactly what Blender shows.

The artist's object is never modified: the exporter gets a temporary copy (object, mesh, shape
keys and, when animated, the shape-key action) that takes the object's and mesh's names for the
duration of the export (engines bind animation by name); the copy is deleted and the names put
back afterwards, on failure too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import bpy

from . import corrective_keys, shape_keys

MOUTH_CLOSE_MODES = ("FOLD", "CORRECTIVE")
MOUTH_CLOSE_ITEMS = [
    (
        "FOLD",
        "Fold Into mouthClose",
        "For engines that drive the 52 ARKit names only: mouthClose exported as the unsplit ARKit "
        "shape, no corrective key (closed lips seal in the engine; mouthClose alone above jawOpen "
        "lifts the lower lip as ARKit's own shape does)",
    ),
    (
        "CORRECTIVE",
        "Keep Corrective",
        "mouthClose exported as what it does alone, plus the jawOpen_mouthClose key with its baked "
        "animation; the engine must drive that key live with min(jawOpen, mouthClose) itself",
    ),
]


def _temporary_name(name: str, taken) -> str:
    i = 0
    while f"{name}.nfs_export{i}" in taken:
        i += 1
    return f"{name}.nfs_export{i}"


@contextlib.contextmanager
def folded_copy(obj) -> Iterator[object]:
    """Yield the object to export: ``obj`` itself when it has no corrective key, else a temporary
    folded copy named like ``obj`` (see the module docstring), linked in ``obj``'s collections."""
    if not corrective_keys.has_corrective(obj):
        yield obj
        return
    key = obj.data.shape_keys
    prefix = str(key.get(shape_keys.PREFIX_PROP, ""))
    corrective = corrective_keys.key_name(prefix)
    close = corrective_keys.close_name(prefix)
    obj_name, mesh_name = obj.name, obj.data.name
    mesh = obj.data.copy()  # its shape keys (a Key) and their drivers come along
    copy = obj.copy()
    copy.data = mesh
    action = None
    try:
        for collection in obj.users_collection:
            collection.objects.link(copy)
        fold_key = mesh.shape_keys
        if close in fold_key.key_blocks:
            shape_keys.set_key_deltas(copy, [close], corrective_keys.read_folded(copy, [close]))
        ad = fold_key.animation_data
        if ad is not None and ad.action is not None:
            # the copy shares the artist's action: give it its own before the corrective's
            # F-curves go
            action = ad.action.copy()
            ad.action = action
        shape_keys.remove_keys(copy, [corrective])  # with its driver and F-curves
        mesh.update()
        obj.name = _temporary_name(obj_name, bpy.data.objects)
        obj.data.name = _temporary_name(mesh_name, bpy.data.meshes)
        copy.name, mesh.name = obj_name, mesh_name
        yield copy
    finally:
        bpy.data.objects.remove(copy)
        bpy.data.meshes.remove(mesh)  # its shape keys go with it
        if action is not None and action.users == 0:
            bpy.data.actions.remove(action)
        obj.name, obj.data.name = obj_name, mesh_name
