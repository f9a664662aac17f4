"""The add-on passes each triangle's material to the bake: a collar that is the same surface as
the neck skin but another material slot stays still in every shape key (model/clothing.py)."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np

from blender_addon.core import shape_keys, skinning
from blender_addon.core.mesh_io import new_mesh_object
from model.facs import ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]


def demo_head_with_collar(name: str, collar: bool):
    """The demo head (cm, Y up) in metres, Z up, facing -Y; with ``collar`` the faces of its neck
    below 12.5 cm under the chin's level (y < -12.5 cm) use a second material slot."""
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v = m.vertices * 0.01
    blender = np.stack([v[:, 0], -v[:, 2], v[:, 1]], axis=1)
    obj = new_mesh_object(name, blender, m.face_indices, m.face_sizes, bpy.context.scene)
    for slot in ("skin", "shirt"):
        obj.data.materials.append(bpy.data.materials.new(slot))
    polys = np.split(m.face_indices, np.cumsum(m.face_sizes)[:-1])
    low = np.array([m.vertices[p, 1].mean() < -12.5 for p in polys])
    obj.data.polygons.foreach_set("material_index", (low & collar).astype(np.int32))
    obj.data.update()
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj, np.unique(np.concatenate([p for p, lo in zip(polys, low, strict=True) if lo]))


def test_gather_reads_the_material_of_each_triangle(loaded):
    obj, collar = demo_head_with_collar("Head", collar=True)
    geo = skinning.gather(obj)
    assert geo.materials is not None and geo.materials.shape == (len(geo.triangles),)
    # a triangle carries its polygon's material slot
    me = obj.data
    polygon = np.empty(len(me.loop_triangles), dtype=np.int32)
    me.loop_triangles.foreach_get("polygon_index", polygon)
    slot = np.empty(len(me.polygons), dtype=np.int32)
    me.polygons.foreach_get("material_index", slot)
    np.testing.assert_array_equal(geo.materials, slot[polygon])
    assert set(np.unique(geo.materials)) == {0, 1}
    assert np.isin(geo.triangles[geo.materials == 1], collar).all()


def test_bake_holds_the_collar_material_still(loaded):
    deltas = {}
    for collar in (False, True):
        obj, ids = demo_head_with_collar(f"Head{int(collar)}", collar)
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
        deltas[collar] = shape_keys.read_key_deltas(obj, list(ICT_NAMES))
        obj.select_set(False)
    # one material: the network moves the neck there; with the shirt slot nothing moves it
    assert np.abs(deltas[False][:, ids]).max() > 0
    assert np.all(deltas[True][:, ids] == 0.0)
    # the face keeps its motion
    jaw = ICT_NAMES.index("jawOpen")
    assert np.abs(deltas[True][jaw]).max() > 0
