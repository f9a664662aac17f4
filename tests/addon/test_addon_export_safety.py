"""Export writes the file named (its extension picks the format) and a failed export leaves the
scene exactly as it was: shape-key animation, action, current frame, frame range, selection."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np
import pytest
from addon_helpers import baked_and_animated

from blender_addon.core import animation, export, shape_keys, sliders

# ---- item 4: the file named, in the format its extension says ----


def test_glb_name_with_the_panel_on_fbx_writes_that_glb_and_leaves_the_fbx_alone(loaded, tmp_path):
    baked_and_animated()
    assert bpy.context.scene.nfs_settings.export_format == "FBX"
    unrelated = tmp_path / "x.fbx"
    unrelated.write_bytes(b"the artist's own FBX")
    assert bpy.ops.face_skinning.export(filepath=str(tmp_path / "x.glb")) == {"FINISHED"}
    assert (tmp_path / "x.glb").read_bytes()[:4] == b"glTF"  # a real glTF binary
    assert unrelated.read_bytes() == b"the artist's own FBX"


def test_fbx_name_with_the_panel_on_glb_writes_fbx(loaded, tmp_path):
    baked_and_animated()
    bpy.context.scene.nfs_settings.export_format = "GLB"
    assert bpy.ops.face_skinning.export(filepath=str(tmp_path / "head.fbx")) == {"FINISHED"}
    assert (tmp_path / "head.fbx").read_bytes()[:18] == b"Kaydara FBX Binary"
    assert not (tmp_path / "head.glb").exists()


def test_a_folder_path_is_refused_without_writing_a_sibling(loaded, tmp_path):
    obj = baked_and_animated()
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(RuntimeError, match="is a folder"):
        bpy.ops.face_skinning.export(filepath=str(folder))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"] and not any(folder.iterdir())
    assert animation.fcurve_collection(obj.data.shape_keys, create=False) is None  # refused before baking


def test_the_default_relative_path_of_an_unsaved_file_is_refused(loaded, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the old code wrote face.fbx
    baked_and_animated()
    assert bpy.data.filepath == "" and bpy.context.scene.nfs_settings.export_path == "//face.fbx"
    with pytest.raises(RuntimeError, match="not saved yet.*Fix: save the .blend file first"):
        bpy.ops.face_skinning.export()
    assert list(tmp_path.iterdir()) == []
    # once saved, // is the .blend's folder
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "scene.blend"))
    assert bpy.ops.face_skinning.export() == {"FINISHED"}
    assert (tmp_path / "face.fbx").is_file()


# ---- item 16: a failed export changes nothing ----


def _shape_key_state(obj) -> dict:
    """Everything of the Key's animation a bake can touch, as plain values."""
    key = obj.data.shape_keys
    ad = key.animation_data
    action = ad.action if ad else None
    curves = {}
    fcurves = animation.fcurve_collection(key, create=False) if action else None
    for fc in fcurves or ():
        n = len(fc.keyframe_points)
        arrays = []
        for prop, width in (("co", 2), ("handle_left", 2), ("handle_right", 2), ("interpolation", 1)):
            a = np.empty(n * width, dtype=np.float32 if width == 2 else np.int32)
            fc.keyframe_points.foreach_get(prop, a)
            arrays.append(a.tolist())
        curves[fc.data_path] = arrays
    return {
        "animation_data": ad is not None,
        "action": action.name if action else None,
        "actions": sorted(a.name for a in bpy.data.actions),
        "curves": curves,
    }


class _FailingExporters:
    """Stands in for ``bpy.ops.export_scene``: moves the frame like the glTF sampler, then fails
    with a multi-line traceback like a Python exporter does."""

    def __init__(self, scene):
        self.scene = scene

    def _fail(self, **_kwargs):
        self.scene.frame_set(9)
        raise RuntimeError(
            "Error: Python: Traceback (most recent call last):\n"
            '  File "exporter.py", line 85, in save\n'
            '    file = open(path, "wb")\n'
            "PermissionError: [Errno 13] Permission denied: '/locked/x'\n"
            "Location: ops.py:109\n"
        )

    fbx = gltf = _fail


@pytest.mark.parametrize("fmt", ["FBX", "GLB"])
@pytest.mark.parametrize("failure", ["unwritable target", "exporter raises"])
@pytest.mark.parametrize("before", ["no shape-key action", "artist's action", "baked before"])
def test_a_failed_export_leaves_the_scene_as_it_was(loaded, tmp_path, monkeypatch, fmt, failure, before):
    obj = baked_and_animated()
    other = bpy.data.objects.new("Other", None)
    bpy.context.scene.collection.objects.link(other)
    other.select_set(True)
    if before != "no shape-key action":
        mine = obj.shape_key_add(name="MyKey", from_mix=False)  # the artist's own animated key
        mine.value = 0.2
        mine.keyframe_insert("value", frame=2)
    if before == "baked before":
        assert bpy.ops.face_skinning.bake_for_export() == {"FINISHED"}
        # the sliders change after that bake: a new bake would rewrite every curve
        w = np.full((2, 53), 0.3)
        sliders.key_sliders(obj, np.array([1.0, 20.0]), w)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 3, 30
    scene.frame_set(4)
    state_before = _shape_key_state(obj)
    selected = sorted(o.name for o in bpy.context.selected_objects)
    suffix = ".fbx" if fmt == "FBX" else ".glb"
    if failure == "unwritable target":
        if not pathlib.Path("/proc").is_dir():
            pytest.skip("needs /proc: a folder where no file can be created, even by root")
        target = f"/proc/nfs-export-test{suffix}"
    else:
        monkeypatch.setattr(bpy.ops, "export_scene", _FailingExporters(scene))
        target = str(tmp_path / f"x{suffix}")
    with pytest.raises(RuntimeError) as info:
        bpy.ops.face_skinning.export(filepath=target)
    assert _shape_key_state(obj) == state_before
    assert (scene.frame_current, scene.frame_start, scene.frame_end) == (4, 3, 30)
    message = str(info.value).strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert "failed (" in message and "scene is unchanged" in message and "Fix:" in message
    if failure == "exporter raises":
        assert "PermissionError: [Errno 13] Permission denied" in message
    assert sorted(o.name for o in bpy.context.selected_objects) == selected
    assert bpy.context.view_layer.objects.active == obj
    if before != "baked before":
        assert animation.find_fcurve(obj.data.shape_keys, shape_keys.key_data_path("jawOpen")) is None


def test_export_success_still_keeps_the_bake_and_the_frame(loaded, tmp_path):
    obj = baked_and_animated()
    scene = bpy.context.scene
    scene.frame_set(4)
    assert bpy.ops.face_skinning.export(filepath=str(tmp_path / "ok.glb")) == {"FINISHED"}
    assert scene.frame_current == 4
    assert export.owned_naming(obj) == ("ICT", "")
    fc = animation.find_fcurve(obj.data.shape_keys, shape_keys.key_data_path("jawOpen"))
    assert fc is not None and len(fc.keyframe_points) == 9
