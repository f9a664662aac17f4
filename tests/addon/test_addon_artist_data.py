"""Artist data is never lost or silently wrong (issue 11, items 1, 2, 3, 7, 10, 14).

Re-bakes leak nothing and the file still saves; ownership of our shape keys and ``FS_`` groups is
tracked so that an artist's same-named key, vertex group or attribute is refused, never replaced;
library-linked and non-mesh objects are refused with the fix; a mirrored object (negative scale)
gets the regions of the unmirrored head.
"""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import make_face, vertices
from test_addon_capture import ramp, write_csv

from blender_addon.core import capture_import, model_cache, shape_keys, sliders, vertex_groups
from blender_addon.core.errors import ObjectError
from model.facs import ICT_NAMES


def _save_and_reopen(path) -> None:
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))


def _region_groups() -> list[str]:
    return [vertex_groups.group_name(r) for r in model_cache.get().region_names]


def _id_counts() -> tuple[int, int, int, int]:
    return len(bpy.data.meshes), len(bpy.data.objects), len(bpy.data.shape_keys), len(bpy.data.node_groups)


def _key_co(kb) -> np.ndarray:
    co = np.empty(len(kb.data) * 3, dtype=np.float32)
    kb.data.foreach_get("co", co)
    return co


# --- item 1: re-bake leaks no shape-key data-block and the file saves ---------------------------


def test_rebake_with_painted_weights_and_mask_leaks_nothing_and_saves(loaded, tmp_path):
    obj = make_face()
    head = np.flatnonzero(vertices(obj)[:, 2] > -0.02)
    obj.vertex_groups.new(name="Head").add(head.tolist(), 1.0, "REPLACE")
    bpy.context.scene.nfs_settings.mask_group = "Head"
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    ids_before = (len(bpy.data.meshes), len(bpy.data.objects), len(bpy.data.node_groups))
    for _ in range(2):  # painted weights (the default after predict) and the mask are both read
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert len(bpy.data.shape_keys) == 1  # the Face's own Key only: no orphaned copy
    assert (len(bpy.data.meshes), len(bpy.data.objects), len(bpy.data.node_groups)) == ids_before
    _save_and_reopen(tmp_path / "rebaked.blend")  # raised "invalid 'from' pointer" with a leaked Key
    assert len(bpy.data.shape_keys) == 1
    face = bpy.data.objects["Face"]
    assert face.data.shape_keys.user == face.data
    assert len(face.data.shape_keys.key_blocks) == 55  # 53 + Basis + the mouthClose corrective


def test_read_groups_leaves_no_temporary_data(addon):
    obj = make_face()
    obj.shape_key_add(name="Basis")
    obj.shape_key_add(name="Smile", from_mix=False)
    g = obj.vertex_groups.new(name="G")
    g.add([0, 5, 7], 0.5, "REPLACE")
    counts = _id_counts()
    w = vertex_groups.read_groups(obj, ["G", "Missing"])
    expect = np.zeros((len(obj.data.vertices), 2), dtype=np.float32)
    expect[[0, 5, 7], 0] = 0.5
    np.testing.assert_array_equal(w, expect)
    assert _id_counts() == counts
    assert obj.data.users == 1


# --- item 2: an artist's key with a baked name is a clash, not ours ----------------------------


def test_artist_key_with_a_baked_name_is_refused_not_overwritten(loaded, tmp_path):
    obj = make_face()
    bpy.ops.ed.undo_push(message="before bake")
    assert bpy.ops.face_skinning.bake_shape_keys("EXEC_DEFAULT", True) == {"FINISHED"}
    bpy.ops.ed.undo()
    bpy.ops.ed.redo()
    _save_and_reopen(tmp_path / "baked.blend")
    obj = bpy.data.objects["Face"]
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}  # still ours after undo/redo/reload
    # the artist deletes the baked jawOpen and sculpts their own
    obj.shape_key_remove(obj.data.shape_keys.key_blocks["jawOpen"])
    mine = obj.shape_key_add(name="jawOpen", from_mix=False)
    mine.data[3].co.z += 0.01
    before = _key_co(mine)
    with pytest.raises(RuntimeError, match="jawOpen.*not made by Face Skinning.*prefix"):
        bpy.ops.face_skinning.bake_shape_keys()
    _save_and_reopen(tmp_path / "sculpted.blend")
    obj = bpy.data.objects["Face"]
    with pytest.raises(RuntimeError, match="jawOpen.*not made by Face Skinning.*prefix"):
        bpy.ops.face_skinning.bake_shape_keys()
    key = obj.data.shape_keys
    np.testing.assert_array_equal(_key_co(key.key_blocks["jawOpen"]), before)
    assert key.animation_data.drivers.find(shape_keys.key_data_path("jawOpen")) is None
    assert "jawOpen" not in shape_keys.owned_keys(obj)
    # the fix named in the message works, and the artist's key stays as sculpted
    bpy.context.scene.nfs_settings.key_prefix = "FS."
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    np.testing.assert_array_equal(_key_co(obj.data.shape_keys.key_blocks["jawOpen"]), before)
    assert "jawOpen" not in shape_keys.owned_keys(obj) and "FS.jawOpen" in shape_keys.owned_keys(obj)


def test_keys_baked_before_the_ownership_mark_are_still_ours(addon):
    """A file baked by an older version records our keys by name only: they stay ours (replaced by
    the next bake, which marks them), while the artist's keys are still never touched."""
    obj = make_face()
    obj.shape_key_add(name="Basis")
    names = sliders.key_names("ICT")
    d = np.zeros((len(names), len(obj.data.vertices), 3))
    d[:, :, 2] = 1e-3
    shape_keys.write_keys(obj, names, d)
    key = obj.data.shape_keys
    del key[shape_keys.MARKED_PROP]  # what an older version left: names only, no mark
    for kb in key.key_blocks:
        kb.interpolation = "KEY_LINEAR"
    mine = obj.shape_key_add(name="MySmile", from_mix=False)
    assert shape_keys.owned_keys(obj) == names
    shape_keys.write_keys(obj, names, 2 * d)
    assert shape_keys.owned_keys(obj) == names and key[shape_keys.MARKED_PROP]
    np.testing.assert_allclose(shape_keys.read_key_deltas(obj, names)[:, :, 2], 2e-3, atol=1e-6)
    assert mine.interpolation == "KEY_LINEAR" and "MySmile" not in shape_keys.owned_keys(obj)


# --- item 3: an artist's FS_ attribute or vertex group is never deleted ------------------------


def test_artist_attribute_named_like_a_region_group_refuses_predict(loaded):
    obj = make_face()
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    ours_before = vertex_groups.read_groups(obj, _region_groups())
    name = _region_groups()[0]
    obj.vertex_groups.remove(obj.vertex_groups[name])  # the artist drops one of ours
    attr = obj.data.attributes.new(name, "FLOAT", "POINT")
    values = np.linspace(0, 1, len(obj.data.vertices), dtype=np.float32)
    attr.data.foreach_set("value", values)
    groups_before = [g.name for g in obj.vertex_groups]
    with pytest.raises(RuntimeError, match=f"attribute '{name}'.*[Rr]ename") as info:
        bpy.ops.face_skinning.predict_weights()
    assert "Unexpected error" not in str(info.value)
    assert name in obj.data.attributes
    got = np.empty(len(values), dtype=np.float32)
    obj.data.attributes[name].data.foreach_get("value", got)
    np.testing.assert_array_equal(got, values)
    assert [g.name for g in obj.vertex_groups] == groups_before  # no stray FS_ group, none removed
    np.testing.assert_array_equal(vertex_groups.read_groups(obj, _region_groups())[:, 1:], ours_before[:, 1:])


def test_artist_fs_vertex_groups_are_kept_or_refused(loaded, tmp_path):
    obj = make_face()
    own = obj.vertex_groups.new(name="FS_my_tweaks")
    own.add([1, 2], 0.75, "REPLACE")
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}  # re-run replaces its own only
    assert obj.vertex_groups["FS_my_tweaks"].weight(2) == pytest.approx(0.75)
    assert sorted(vertex_groups.owned_groups(obj)) == sorted(_region_groups())
    _save_and_reopen(tmp_path / "predicted.blend")
    obj = bpy.data.objects["Face"]
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}  # still ours after reload
    assert obj.vertex_groups["FS_my_tweaks"].weight(1) == pytest.approx(0.75)
    # a group of the artist with a region group's name (never made by us) is a clash
    other = make_face("Other")
    name = _region_groups()[0]
    theirs = other.vertex_groups.new(name=name)
    theirs.add([4], 0.5, "REPLACE")
    groups_before = [g.name for g in other.vertex_groups]
    with pytest.raises(RuntimeError, match=f"'{name}'.*not made by Face Skinning.*[Rr]ename"):
        bpy.ops.face_skinning.predict_weights()
    assert [g.name for g in other.vertex_groups] == groups_before
    assert other.vertex_groups[name].weight(4) == pytest.approx(0.5)


# --- item 7: library-linked objects are refused by every operator that writes on them ----------


def _linked_face(tmp_path):
    obj = make_face("LibFace")
    lib = tmp_path / "lib.blend"
    bpy.data.libraries.write(str(lib), {obj})
    bpy.data.objects.remove(obj)
    with bpy.data.libraries.load(str(lib), link=True) as (_, dst):
        dst.objects = ["LibFace"]
    linked = dst.objects[0]
    bpy.context.scene.collection.objects.link(linked)
    bpy.context.view_layer.objects.active = linked
    return linked


SLIDER_WRITERS = ["import_arkit", "clone_from_mesh", "reset_sliders", "mirror_sliders", "key_sliders"]


@pytest.mark.parametrize("op", SLIDER_WRITERS)
def test_library_linked_object_is_refused_by_slider_writers(loaded, tmp_path, op):
    source = make_face("Source")
    linked = _linked_face(tmp_path)
    assert linked.library is not None
    bpy.context.scene.nfs_settings.clone_source = source
    bpy.context.scene.frame_end = 3
    kwargs = {"filepath": str(write_csv(tmp_path / "cap.csv", ramp(5)))} if op == "import_arkit" else {}
    with pytest.raises(RuntimeError, match="linked from the library.*(Make Local|Library Override)") as info:
        getattr(bpy.ops.face_skinning, op)(**kwargs)
    assert "Unexpected error" not in str(info.value)
    assert linked.animation_data is None
    assert not any(a.users for a in bpy.data.actions)


# --- item 10: a mirrored object gets the regions of the unmirrored head -------------------------


def test_mirrored_object_gets_the_regions_of_the_unmirrored_head(loaded):
    """Scale x = -1 (unapplied) shows the world the mirror image of the head; for this mirror-
    symmetric face that is the same surface, so vertex i of the mirrored object sits where the
    plain head's mirror partner of i sits, and must get that partner's region (the regions are
    read in world space, so left/right follow what the artist sees)."""
    plain = make_face("Plain")
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    w_plain = vertex_groups.read_groups(plain, _region_groups())
    mirrored = make_face("Mirrored", scale=(-1.0, 1.0, 1.0))
    assert np.linalg.det(np.array(mirrored.matrix_world)) < 0
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    w_mirrored = vertex_groups.read_groups(mirrored, _region_groups())
    co = vertices(plain).astype(np.float64)
    reflected = vertices(mirrored).astype(np.float64) * np.array([-1.0, 1.0, 1.0])
    d2 = ((reflected[:, None, :] - co[None, :, :]) ** 2).sum(-1)
    partner = d2.argmin(axis=1)
    assert np.sqrt(d2.min(axis=1)).max() < 1e-6  # the face is mirror-symmetric
    regions_plain = w_plain.argmax(axis=1)[partner]
    assert len(np.unique(regions_plain)) > 1  # the comparison is not trivially one region
    agreement = np.mean(w_mirrored.argmax(axis=1) == regions_plain)
    assert agreement >= 0.95, agreement
    # the baked keys too: the mirrored object's world-space deltas (object deltas mirrored back)
    # are the plain head's at the partner vertex, up to the quads' triangulation, which the
    # mirror changes (inverted normals: 19 % of the largest delta; flipped winding: 1 %)
    for obj in (plain, mirrored):
        bpy.context.view_layer.objects.active = obj
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    d_plain = shape_keys.read_key_deltas(plain, list(ICT_NAMES))
    d_mirrored = shape_keys.read_key_deltas(mirrored, list(ICT_NAMES)) * np.array([-1.0, 1.0, 1.0])
    assert np.abs(d_mirrored - d_plain[:, partner]).max() < 0.05 * np.abs(d_plain).max()


# --- item 14: operators that need a mesh are polled off on a camera or a curve ------------------


@pytest.mark.parametrize("kind", ["camera", "curve"])
@pytest.mark.parametrize("op", SLIDER_WRITERS)
def test_non_mesh_objects_are_polled_off(loaded, kind, op):
    if kind == "camera":
        bpy.ops.object.camera_add()
    else:
        bpy.ops.curve.primitive_bezier_curve_add()
    obj = bpy.context.active_object
    assert obj.type != "MESH"
    operator = getattr(bpy.ops.face_skinning, op)
    assert not operator.poll()
    with pytest.raises(RuntimeError, match="Select a mesh object"):
        operator()
    assert obj.animation_data is None


@pytest.mark.parametrize("kind", ["camera", "curve"])
def test_non_mesh_objects_are_refused_by_the_core(addon, tmp_path, kind):
    if kind == "camera":
        bpy.ops.object.camera_add()
    else:
        bpy.ops.curve.primitive_bezier_curve_add()
    obj = bpy.context.active_object
    path = write_csv(tmp_path / "cap.csv", ramp(5))
    with pytest.raises(ObjectError, match="not a mesh"):
        capture_import.import_capture(obj, path, 24.0, 1)
    with pytest.raises(ObjectError, match="not a mesh"):
        sliders.key_current(obj, 1)
    with pytest.raises(ObjectError, match="not a mesh"):
        sliders.set_values(obj, np.zeros(53))
    assert obj.animation_data is None


@pytest.mark.parametrize("op", ["bake_for_export", "export"])
def test_library_linked_object_is_refused_by_export(loaded, tmp_path, op):
    linked = _linked_face(tmp_path)
    kwargs = {"filepath": str(tmp_path / "out.fbx")} if op == "export" else {}
    with pytest.raises(RuntimeError, match="linked from the library.*Make Local"):
        getattr(bpy.ops.face_skinning, op)(**kwargs)
    assert linked.data.shape_keys is None or linked.data.shape_keys.animation_data is None
    assert not (tmp_path / "out.fbx").exists()
