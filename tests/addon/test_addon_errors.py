"""Bad inputs: each one gets a single clear report naming the problem and the fix."""

from __future__ import annotations

import shutil

import bpy
import numpy as np
import pytest
from addon_helpers import make_face

from blender_addon.core import model_cache
from blender_addon.core.mesh_io import new_mesh_object


def _no_traceback(exc: BaseException) -> str:
    msg = str(exc)
    assert "Traceback" not in msg and "Unexpected error" not in msg, msg
    return msg


@pytest.mark.parametrize("op", ["predict_weights", "bake_shape_keys", "bake_for_export", "export"])
def test_no_active_object_or_non_mesh(loaded, op):
    with pytest.raises(RuntimeError, match="Select a mesh object") as info:
        getattr(bpy.ops.face_skinning, op)()
    _no_traceback(info.value)
    bpy.ops.object.empty_add()
    with pytest.raises(RuntimeError, match="Select a mesh object"):
        getattr(bpy.ops.face_skinning, op)()


def test_empty_mesh_and_mesh_without_faces(loaded):
    empty = new_mesh_object("Empty", np.zeros((0, 3)), np.zeros(0, int), np.zeros(0, int), bpy.context.scene)
    bpy.context.view_layer.objects.active = empty
    with pytest.raises(RuntimeError, match="has no vertices") as info:
        bpy.ops.face_skinning.predict_weights()
    _no_traceback(info.value)
    none = np.zeros(0, int)
    cloud = new_mesh_object("Cloud", np.random.rand(50, 3), none, none, bpy.context.scene)
    bpy.context.view_layer.objects.active = cloud
    with pytest.raises(RuntimeError, match="no faces.*Fill") as info:
        bpy.ops.face_skinning.bake_shape_keys()
    _no_traceback(info.value)


def test_linked_duplicates_are_refused(loaded):
    obj = make_face()
    bpy.ops.object.duplicate(linked=True)
    assert bpy.context.active_object.data == obj.data
    with pytest.raises(RuntimeError, match="shared by 2 objects.*Make Single User") as info:
        bpy.ops.face_skinning.bake_shape_keys()
    _no_traceback(info.value)
    assert obj.data.shape_keys is None


def test_library_linked_object_is_refused(loaded, tmp_path):
    obj = make_face("LibFace")
    lib = tmp_path / "lib.blend"
    bpy.data.libraries.write(str(lib), {obj})
    bpy.data.objects.remove(obj)
    with bpy.data.libraries.load(str(lib), link=True) as (src, dst):
        dst.objects = ["LibFace"]
    linked = dst.objects[0]
    assert linked.library is not None
    bpy.context.scene.collection.objects.link(linked)
    bpy.context.view_layer.objects.active = linked
    with pytest.raises(RuntimeError, match="linked from the library.*Make Local") as info:
        bpy.ops.face_skinning.predict_weights()
    _no_traceback(info.value)


def test_missing_weights_folder(addon, tmp_path):
    with pytest.raises(RuntimeError) as info:
        bpy.ops.face_skinning.load_model(filepath=str(tmp_path / "nowhere"))
    msg = _no_traceback(info.value)
    assert "nowhere" in msg
    assert not model_cache.is_loaded()


def test_corrupt_weights_file(addon, weights_dir, tmp_path):
    bad = tmp_path / "bad-weights"
    shutil.copytree(weights_dir, bad)
    # the add-on runs the numpy runtime: model.npz is what it reads and verifies
    data = bytearray((bad / "model.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / "model.npz").write_bytes(bytes(data))
    with pytest.raises(RuntimeError) as info:
        bpy.ops.face_skinning.load_model(filepath=str(bad))
    msg = _no_traceback(info.value)
    assert "sha256" in msg.lower() or "corrupt" in msg.lower(), msg
    truncated = tmp_path / "truncated"
    shutil.copytree(weights_dir, truncated)
    (truncated / "config.json").write_text('{"format": ')
    with pytest.raises(RuntimeError) as info:
        bpy.ops.face_skinning.load_model(filepath=str(truncated))
    _no_traceback(info.value)


def test_bake_for_export_without_keys_or_animation(loaded):
    make_face()
    with pytest.raises(RuntimeError, match="Bake Shape Keys") as info:
        bpy.ops.face_skinning.bake_for_export()
    _no_traceback(info.value)
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    with pytest.raises(RuntimeError, match="no keyframes"):
        bpy.ops.face_skinning.bake_for_export()


def test_clone_without_source_and_same_object(loaded):
    obj = make_face()
    with pytest.raises(RuntimeError, match="No source face"):
        bpy.ops.face_skinning.clone_from_mesh()
    bpy.context.scene.nfs_settings.clone_source = obj
    with pytest.raises(RuntimeError, match="same object") as info:
        bpy.ops.face_skinning.clone_from_mesh()
    _no_traceback(info.value)
