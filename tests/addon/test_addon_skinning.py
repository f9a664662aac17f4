"""Predict weights and bake shape keys with the (random) network, on non-ICT and ICT meshes."""

from __future__ import annotations

import math

import bpy
import numpy as np
import pytest
from addon_helpers import bake_method, ict_face, make_face, vertices

from blender_addon.core import model_cache, shape_keys, vertex_groups
from model.facs import ICT_NAMES


def _fs_weights(obj) -> np.ndarray:
    names = [vertex_groups.group_name(r) for r in model_cache.get().region_names]
    return vertex_groups.read_groups(obj, names)


def _deltas(obj, names=ICT_NAMES) -> np.ndarray:
    return shape_keys.read_key_deltas(obj, list(names))


def test_predict_writes_fs_groups_and_keeps_artist_groups(loaded):
    obj = make_face()
    mine = obj.vertex_groups.new(name="MyGroup")
    mine.add([0, 1, 2], 0.25, "REPLACE")
    stale = np.zeros((len(obj.data.vertices), 1), dtype=np.float32)
    stale[3] = 1.0
    vertex_groups.write_groups(obj, ["FS_old_region"], stale)  # ours, from an older model
    artist_fs = obj.vertex_groups.new(name="FS_artist")  # the artist's, despite the prefix
    artist_fs.add([4], 0.5, "REPLACE")
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    regions = model_cache.get().region_names
    fs = vertex_groups.owned_groups(obj)
    assert fs == [f"FS_{r}" for r in regions]  # our stale group is gone, nothing else added
    assert "FS_old_region" not in obj.vertex_groups
    assert mine.name in obj.vertex_groups and obj.vertex_groups["MyGroup"].weight(1) == pytest.approx(0.25)
    assert obj.vertex_groups["FS_artist"].weight(4) == pytest.approx(0.5)
    w = _fs_weights(obj)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-4)  # softmax rows written exactly
    # re-run replaces: same groups, same weights
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert vertex_groups.owned_groups(obj) == fs
    np.testing.assert_allclose(_fs_weights(obj), w, atol=1e-6)


def test_bake_adds_basis_and_53_driven_keys_and_keeps_artist_keys(loaded):
    obj = make_face()
    obj.shape_key_add(name="Basis")
    mine = obj.shape_key_add(name="MyKey", from_mix=False)
    mine.data[5].co.x += 0.02
    fc = mine.driver_add("value")
    fc.driver.expression = "0.5"
    my_before = np.array([d.co[:] for d in mine.data])
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    key = obj.data.shape_keys
    names = [kb.name for kb in key.key_blocks]
    assert names == ["Basis", "MyKey", *ICT_NAMES, "jawOpen_mouthClose"]  # + the mouthClose corrective
    assert len(key.animation_data.drivers) == 55
    d = _deltas(obj)
    assert np.abs(d).max() > 0  # the network moved something
    assert np.all(np.isfinite(d))
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}  # re-run: replaces its own keys
    assert [kb.name for kb in key.key_blocks] == names
    np.testing.assert_allclose(_deltas(obj), d, atol=1e-6)
    np.testing.assert_allclose([dd.co[:] for dd in key.key_blocks["MyKey"].data], my_before)
    assert key.animation_data.drivers.find('key_blocks["MyKey"].value').driver.expression == "0.5"
    # the sliders move the surface by exactly the baked delta
    rest = vertices(obj)
    obj.nfs_facs.jawOpen = 1.0
    moved = vertices(obj, evaluated=True) - rest
    mine_delta = my_before - np.array([v.co[:] for v in key.reference_key.data])
    np.testing.assert_allclose(moved, d[ICT_NAMES.index("jawOpen")] + 0.5 * mine_delta, atol=1e-5)


def test_arkit_naming(loaded):
    obj = make_face()
    bpy.context.scene.nfs_settings.naming = "ARKIT"
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    from model.facs import ARKIT_NAMES

    key = obj.data.shape_keys
    assert [kb.name for kb in key.key_blocks][1:] == [*ARKIT_NAMES, "jawOpen_mouthClose"]
    d = shape_keys.read_key_deltas(obj, ["browInnerUp", "tongueOut"])
    assert np.abs(d[1]).max() == 0.0 and np.abs(d[0]).max() > 0


def test_repainted_weights_change_the_bake(loaded):
    obj = make_face()
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    predicted = _deltas(obj)
    # the artist paints every vertex fully into the first region
    w = np.zeros_like(_fs_weights(obj))
    w[:, 0] = 1.0
    vertex_groups.write_groups(obj, vertex_groups.owned_groups(obj), w)
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    painted = _deltas(obj)
    assert np.abs(painted - predicted).max() > 1e-3 * np.abs(predicted).max()
    # and with the option off, the bake goes back to the predicted weights
    bpy.context.scene.nfs_settings.use_painted = False
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    np.testing.assert_allclose(_deltas(obj), predicted, atol=1e-5)


def test_world_transform_is_respected(loaded):
    """Same face, once with identity transform, once moved, scaled, rotated 90 deg about Z and
    with the forward axis set accordingly: identical object-space shape keys."""
    a = make_face("A")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    da = _deltas(a)
    turn = (0.0, 0.0, math.pi / 2)
    b = make_face("B", location=(3.0, -2.0, 1.0), rotation_euler=turn, scale=(2.5, 2.5, 2.5))
    bpy.context.scene.nfs_settings.forward_axis = "X"  # -Y rotated +90 deg about Z
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    db = _deltas(b)
    np.testing.assert_allclose(db, da, atol=1e-4 * np.abs(da).max() + 1e-7)


def test_non_uniform_scale_maps_deltas_to_object_space(loaded):
    a = make_face("A")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    da = _deltas(a)
    b = make_face("B", scale=(2.0, 1.0, 1.0))
    co = vertices(b)
    co[:, 0] /= 2.0  # same world-space geometry as A
    b.data.vertices.foreach_set("co", co.ravel())
    b.data.update()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    db = _deltas(b)
    np.testing.assert_allclose(db * np.array([2.0, 1.0, 1.0]), da, atol=1e-4 * np.abs(da).max() + 1e-7)


def test_mask_limits_the_effect(loaded):
    obj = make_face()
    co = vertices(obj)
    head = np.flatnonzero(co[:, 2] > -0.02)
    g = obj.vertex_groups.new(name="Head")
    g.add(head.tolist(), 1.0, "REPLACE")
    bpy.context.scene.nfs_settings.mask_group = "Head"
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    outside = np.setdiff1d(np.arange(len(co)), head)
    d = _deltas(obj)
    assert np.abs(d[:, outside]).max() == 0.0
    assert np.abs(d[:, head]).max() > 0.0
    w = _fs_weights(obj)
    assert w[outside].max() == 0.0 and np.allclose(w[head].sum(1), 1.0, atol=1e-4)
    bpy.context.scene.nfs_settings.mask_group = "Nope"
    with pytest.raises(RuntimeError, match="mask vertex group 'Nope' does not exist"):
        bpy.ops.face_skinning.bake_shape_keys()


def test_undo_restores_previous_state(loaded):
    obj = make_face()
    bpy.ops.ed.undo_push(message="before bake")
    assert bpy.ops.face_skinning.bake_shape_keys("EXEC_DEFAULT", True) == {"FINISHED"}
    assert bpy.data.objects["Face"].data.shape_keys is not None
    bpy.ops.ed.undo()
    assert bpy.data.objects["Face"].data.shape_keys is None
    bpy.ops.ed.redo()
    assert len(bpy.data.objects["Face"].data.shape_keys.key_blocks) == 55
    del obj
    bpy.ops.ed.undo_push(message="before predict")
    assert bpy.ops.face_skinning.predict_weights("EXEC_DEFAULT", True) == {"FINISHED"}
    assert len(vertex_groups.owned_groups(bpy.data.objects["Face"])) == len(model_cache.get().region_names)
    bpy.ops.ed.undo()
    assert vertex_groups.owned_groups(bpy.data.objects["Face"]) == []


def test_modifiers_are_kept_and_applied_after_keys(loaded):
    obj = make_face()
    obj.modifiers.new("Subsurf", "SUBSURF")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert len(obj.data.shape_keys.key_blocks) == 55 and len(obj.modifiers) == 1


@pytest.mark.ict
def test_ict_face_predict_and_bake(loaded, ict_dir):
    obj = ict_face(ict_dir)
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert len(obj.data.shape_keys.key_blocks) == 55  # Basis + 53 + the mouthClose corrective
    d = _deltas(obj)
    assert d.shape == (53, len(obj.data.vertices), 3) and np.all(np.isfinite(d))


@pytest.mark.parametrize("method", ["NETWORK", "REGISTRATION", "HYBRID", "MIXED"])
def test_each_bake_method_bakes_53_keys(loaded, method, monkeypatch, tmp_path):
    """The classical methods use the template shipped with the add-on: no ICT-FaceKit needed."""
    monkeypatch.setenv("ICT_FACEKIT", str(tmp_path / "nowhere"))
    obj = make_face()
    with bake_method(method):
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    names = [kb.name for kb in obj.data.shape_keys.key_blocks]
    assert names == ["Basis", *ICT_NAMES, "jawOpen_mouthClose"]
    d = _deltas(obj)
    assert np.all(np.isfinite(d)) and np.abs(d).max() > 0
    if method != "NETWORK":
        with bake_method("NETWORK"):
            assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
        if method == "MIXED":
            # this face has no eye or mouth openings to pin the template: mixed keeps the
            # network's shapes (model.method_blend.trusted_shapes)
            np.testing.assert_array_equal(_deltas(obj), d)
        else:
            # the registration's shapes differ from the network's on the same face
            assert np.abs(_deltas(obj) - d).max() > 1e-4


def test_the_panel_s_default_method_is_the_model_s(loaded):
    """The Shape Keys panel, the add-on's core and ``python -m model bake`` bake the same
    default rig (:data:`model.api.DEFAULT_BAKE_METHOD`)."""
    import inspect

    from blender_addon.core import skinning
    from model.api import DEFAULT_BAKE_METHOD

    rna = bpy.context.scene.nfs_settings.bl_rna.properties["bake_method"]
    assert rna.default.lower() == DEFAULT_BAKE_METHOD
    for fn in (skinning.bake_shape_keys, skinning.predict_weights):
        assert inspect.signature(fn).parameters["method"].default == DEFAULT_BAKE_METHOD
