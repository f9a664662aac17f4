"""Scene builders shared by the add-on tests (a non-ICT face, an ICT crop, vertex readers)."""

from __future__ import annotations

import contextlib

import bpy
import numpy as np

from blender_addon.core.sliders import key_sliders
from model.facs import ICT_NAMES


@contextlib.contextmanager
def bake_method(method: str):
    """The Shape Keys panel's *Method* set to ``method`` (``"MIXED"``, ``"NETWORK"``, ...) inside
    the block, the previous one back after it."""
    settings = bpy.context.scene.nfs_settings
    previous = settings.bake_method
    settings.bake_method = method
    try:
        yield
    finally:
        settings.bake_method = previous


def make_face(name: str = "Face", segments: int = 32, rings: int = 16, **transform):
    """A non-ICT 'face': a UV sphere squashed front-to-back with a bumpy nose, active and selected.

    ``transform``: location / rotation_euler / scale set on the object (left unapplied).
    """
    bpy.ops.mesh.primitive_uv_sphere_add(segments=segments, ring_count=rings, radius=0.1)
    obj = bpy.context.active_object
    obj.name = name
    me = obj.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    co = co.reshape(-1, 3)
    co[:, 1] *= 0.8
    co[:, 1] -= 0.03 * np.exp(-((co[:, 0] / 0.03) ** 2 + (co[:, 2] / 0.03) ** 2)) * (co[:, 1] < 0)
    me.vertices.foreach_set("co", co.ravel())
    me.update()
    for attr, value in transform.items():
        setattr(obj, attr, value)
    bpy.context.view_layer.update()
    return obj


def ict_face(ict_dir, crop: str = "narrow"):
    """An ICT-FaceKit neutral crop as a Blender object: metres, Z up, facing -Y (quads kept)."""
    from blender_addon.core.mesh_io import new_mesh_object
    from model.ict import load_ict

    ict = load_ict(ict_dir)
    n, fi, fs = ict.crop(crop, polygons=True)
    v = np.asarray(ict.neutral[:n], dtype=np.float64) * 0.01
    blender = np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1)  # Y-up/+Z-forward -> Z-up/-Y-forward
    obj = new_mesh_object("ICTFace", blender, fi, fs, bpy.context.scene)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def vertices(obj, evaluated: bool = False) -> np.ndarray:
    """(V, 3) object-space vertex positions (evaluated: shape keys/drivers/modifiers applied)."""
    me = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).data if evaluated else obj.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def baked_and_animated():
    """A face with baked keys and sliders keyed on frames 1, 5, 9 (jawOpen, browInnerUp_L)."""
    obj = make_face("Head")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    w = np.zeros((3, 53))
    w[1, ICT_NAMES.index("jawOpen")] = 1.0
    w[2, ICT_NAMES.index("browInnerUp_L")] = 0.6
    key_sliders(obj, np.array([1.0, 5.0, 9.0]), w)
    return obj
