"""Cut Lip Line in Blender: the lip line of sealed lips split with bmesh, artist data carried to
the duplicates, undoable, refused on parted lips; then the bake's jawOpen parts the lips."""

from __future__ import annotations

import pathlib
import sys

import bmesh
import bpy
import numpy as np
import pytest
from addon_helpers import vertices

from blender_addon.core.mesh_io import new_mesh_object
from model.facs import ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT / "tests" / "model"))  # the sealed demo head (shared with the model tests)
from lip_helpers import pair_into_quads, seal_lip_slit  # noqa: E402


def _to_blender(v: np.ndarray) -> np.ndarray:
    """Demo head centimetres, Y up, face to +Z -> metres, Z up, face to -Y."""
    v = 0.01 * v
    return np.stack([v[:, 0], -v[:, 2], v[:, 1]], 1)


def _object(v: np.ndarray, t: np.ndarray, name: str = "Face"):
    obj = new_mesh_object(name, _to_blender(v), t.ravel(), np.full(len(t), 3), bpy.context.scene)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def _artist_key(co: np.ndarray) -> np.ndarray:
    """The artist's sculpted key as a smooth function of the rest position (metres)."""
    return co + np.stack([0.2 * co[:, 2], 0.0 * co[:, 0], 0.1 * co[:, 0]], 1)


def _artist_weight(co: np.ndarray) -> np.ndarray:
    return np.clip(0.5 + 10.0 * co[:, 0], 0.0, 1.0)


def _sealed_face_with_artist_data():
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t, _ = seal_lip_slit(m.vertices, m.triangles())
    obj = _object(v, t)
    co = vertices(obj).astype(np.float64)
    obj.shape_key_add(name="Basis", from_mix=False)
    key = obj.shape_key_add(name="artist_sculpt", from_mix=False)
    key.data.foreach_set("co", _artist_key(co).astype(np.float32).ravel())
    group = obj.vertex_groups.new(name="artist_group")
    w = _artist_weight(co)
    for i in range(len(co)):
        group.add([i], float(w[i]), "REPLACE")
    uv = obj.data.uv_layers.new(name="artist_uv")
    loop_vert = np.empty(len(obj.data.loops), dtype=np.int32)
    obj.data.loops.foreach_get("vertex_index", loop_vert)
    uv.data.foreach_set("uv", co[loop_vert][:, [0, 2]].astype(np.float32).ravel())
    obj.data.update()
    return obj


def _boundary_edges(obj) -> int:
    bm = bmesh.new()
    bm.from_mesh(obj.data)
    n = sum(1 for e in bm.edges if e.is_boundary)
    bm.free()
    return n


def test_cut_lip_line_keeps_artist_data_and_undoes(addon):
    obj = _sealed_face_with_artist_data()
    nv, nf = len(obj.data.vertices), len(obj.data.polygons)
    borders = _boundary_edges(obj)
    before = vertices(obj).copy()
    assert bpy.types.FACE_SKINNING_OT_cut_lip_line.bl_options >= {"REGISTER", "UNDO"}
    bpy.ops.ed.undo_push(message="before cut")
    assert bpy.ops.face_skinning.cut_lip_line("EXEC_DEFAULT", True) == {"FINISHED"}
    obj = bpy.data.objects["Face"]
    me = obj.data
    added = len(me.vertices) - nv
    assert 10 <= added <= 60  # the inner vertices of the lip line, nothing else
    assert len(me.polygons) == nf  # faces kept
    # a slit with `added` inner vertices: two sides of `added + 1` edges each
    assert _boundary_edges(obj) == borders + 2 * (added + 1)
    co = vertices(obj).astype(np.float64)
    # one vertex of each split pair (the lower lip's, whichever index bmesh gave it) moved a
    # hairline (0.1 mm) down; every other vertex is where it was
    from scipy.spatial import cKDTree

    gap = cKDTree(before).query(co)[0]
    moved = gap > 1e-7
    assert moved.sum() == added and np.all(gap < 5e-4)
    assert np.all(co[moved, 2] < cKDTree(co[~moved]).data[cKDTree(co[~moved]).query(co[moved])[1], 2])
    # shape keys: every key keeps its delta from the basis on the duplicates
    keys = me.shape_keys.key_blocks
    assert [k.name for k in keys] == ["Basis", "artist_sculpt"]
    basis = np.empty(len(me.vertices) * 3, dtype=np.float32)
    sculpt = np.empty_like(basis)
    keys["Basis"].data.foreach_get("co", basis)
    keys["artist_sculpt"].data.foreach_get("co", sculpt)
    basis, sculpt = basis.reshape(-1, 3), sculpt.reshape(-1, 3)
    np.testing.assert_allclose(basis, co, atol=1e-7)
    np.testing.assert_allclose(sculpt - basis, _artist_key(basis) - basis, atol=2e-4)
    # vertex groups and UVs on the duplicates: the originals' values
    group = obj.vertex_groups["artist_group"].index
    w = np.array(
        [next(g.weight for g in me.vertices[i].groups if g.group == group) for i in range(nv, len(co))]
    )
    np.testing.assert_allclose(w, _artist_weight(co[nv:]), atol=1e-2)
    loop_vert = np.empty(len(me.loops), dtype=np.int32)
    me.loops.foreach_get("vertex_index", loop_vert)
    uv = np.empty(len(me.loops) * 2, dtype=np.float32)
    me.uv_layers["artist_uv"].data.foreach_get("uv", uv)
    np.testing.assert_allclose(uv.reshape(-1, 2), co[loop_vert][:, [0, 2]], atol=5e-4)
    # undo: the mesh and its key as they were
    bpy.ops.ed.undo()
    obj = bpy.data.objects["Face"]
    assert len(obj.data.vertices) == nv and len(obj.data.polygons) == nf
    np.testing.assert_array_equal(vertices(obj), before)
    assert [k.name for k in obj.data.shape_keys.key_blocks] == ["Basis", "artist_sculpt"]
    assert _boundary_edges(obj) == borders
    bpy.ops.ed.redo()
    assert len(bpy.data.objects["Face"].data.vertices) == nv + added
    # running it again on the cut mouth: refused, nothing duplicated
    with pytest.raises(RuntimeError, match="not sealed"):
        bpy.ops.face_skinning.cut_lip_line()
    assert len(bpy.data.objects["Face"].data.vertices) == nv + added


def test_parted_lips_are_refused_and_left_alone(addon):
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    obj = _object(m.vertices, m.triangles())
    before = vertices(obj).copy()
    with pytest.raises(RuntimeError, match="not sealed.*nothing was cut"):
        bpy.ops.face_skinning.cut_lip_line()
    assert len(obj.data.vertices) == len(before)
    np.testing.assert_array_equal(vertices(obj), before)


def test_jaw_open_parts_the_lips_after_the_cut(addon):
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t, slit = seal_lip_slit(m.vertices, m.triangles())
    obj = _object(v, t)
    nv = len(obj.data.vertices)
    assert bpy.ops.face_skinning.cut_lip_line() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    co = vertices(obj).astype(np.float64)
    keys = obj.data.shape_keys.key_blocks
    jaw = np.empty(len(co) * 3, dtype=np.float32)
    keys[ICT_NAMES[ICT_NAMES.index("jawOpen")]].data.foreach_get("co", jaw)
    jaw = jaw.reshape(-1, 3)
    # each duplicate and its original (a hairline apart at rest) part by millimetres at jawOpen
    twin = np.linalg.norm(co[nv:, None] - co[None, :nv], axis=2).argmin(1)
    opened = np.linalg.norm(jaw[nv:] - jaw[twin], axis=1)
    assert np.median(opened) > 0.003  # metres


def test_quads_are_cut_along_their_own_edges(addon):
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t, _ = seal_lip_slit(m.vertices, m.triangles())
    indices, sizes = pair_into_quads(t)
    assert (sizes == 4).mean() > 0.8
    obj = new_mesh_object("Face", _to_blender(v), indices, sizes, bpy.context.scene)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    nv, nf = len(obj.data.vertices), len(obj.data.polygons)
    borders = _boundary_edges(obj)
    assert bpy.ops.face_skinning.cut_lip_line() == {"FINISHED"}
    added = len(obj.data.vertices) - nv
    assert added >= 10 and len(obj.data.polygons) == nf
    assert _boundary_edges(obj) == borders + 2 * (added + 1)  # one slit, no quad split
