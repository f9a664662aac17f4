"""Engine presets: every option exists in this Blender's exporters, the operator applies the one
asked for, and a file extension that overrides the Format setting is a WARNING report."""

from __future__ import annotations

import json

import bpy
import pytest
from addon_helpers import baked_and_animated, make_face

from blender_addon.core import export_presets, shape_keys, sliders


def _check_against_operator(op, options: dict) -> None:
    """Each option is a property of ``op`` in this bpy, and enum values are among its items."""
    props = op.get_rna_type().properties
    for name, value in options.items():
        assert name in props, f"{op.idname()} has no option {name!r} in bpy {bpy.app.version_string}"
        prop = props[name]
        if prop.type == "ENUM" and len(prop.enum_items):  # (empty: items computed per call)
            items = {item.identifier for item in prop.enum_items}
            values = value if isinstance(value, set) else {value}
            assert values <= items, f"{name}={value!r} not in {sorted(items)}"


@pytest.mark.parametrize("preset", sorted(export_presets.PRESETS))
def test_preset_options_exist_in_this_blender(addon, preset):
    _check_against_operator(bpy.ops.export_scene.fbx, export_presets.fbx_options(preset))
    for binary in (True, False):
        _check_against_operator(bpy.ops.export_scene.gltf, export_presets.gltf_options(preset, binary))


def test_operator_uses_the_panel_preset_unless_given_one(loaded, tmp_path):
    baked_and_animated()
    bpy.context.scene.nfs_settings.export_preset = "UNREAL"
    panel = tmp_path / "panel.gltf"
    assert bpy.ops.face_skinning.export(filepath=str(panel)) == {"FINISHED"}
    given = tmp_path / "given.gltf"
    assert bpy.ops.face_skinning.export(filepath=str(given), preset="UNITY") == {"FINISHED"}

    def target_attributes(path):
        mesh = next(m for m in json.loads(path.read_text())["meshes"] if m["primitives"][0].get("targets"))
        return {a for t in mesh["primitives"][0]["targets"] for a in t}

    assert "NORMAL" not in target_attributes(panel)  # Unreal: no morph normals
    assert "NORMAL" in target_attributes(given)  # Unity: morph normals


def test_extension_overriding_the_format_is_a_warning(loaded, tmp_path, capfd):
    baked_and_animated()
    assert bpy.context.scene.nfs_settings.export_format == "FBX"
    capfd.readouterr()
    assert bpy.ops.face_skinning.export(filepath=str(tmp_path / "x.glb")) == {"FINISHED"}
    out = capfd.readouterr().out  # Blender prints operator reports in background mode
    assert "Warning: x.glb: written as glTF binary because the file name ends in .glb" in out
    # the format asked for: no warning
    assert bpy.ops.face_skinning.export(filepath=str(tmp_path / "y.fbx")) == {"FINISHED"}
    assert "Warning" not in capfd.readouterr().out


def test_stale_slider_driver_on_an_artist_key_is_dropped_others_kept(loaded):
    obj = make_face()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    key = obj.data.shape_keys
    # what bpy < 4.3 leaves behind: our driver on a key name the artist now owns
    mine = obj.shape_key_add(name="MyJaw", from_mix=False)
    stale = mine.driver_add("value")
    var = stale.driver.variables.new()
    var.targets[0].id = obj
    var.targets[0].data_path = sliders.slider_path("jawOpen")
    artist = obj.shape_key_add(name="MyBrow", from_mix=False)
    own = artist.driver_add("value")
    var = own.driver.variables.new()
    var.targets[0].id = obj
    var.targets[0].data_path = "location.x"  # the artist's driver: not from our sliders
    ours_before = len(key.animation_data.drivers) - 2
    assert shape_keys.drop_stale_drivers(obj) == 1
    paths = {d.data_path for d in key.animation_data.drivers}
    assert shape_keys.key_data_path("MyJaw") not in paths
    assert shape_keys.key_data_path("MyBrow") in paths
    assert len(paths) == ours_before + 1  # every baked key keeps its driver


@pytest.mark.parametrize(("preset", "suffix"), [("UNITY", ".fbx"), ("UNREAL", ".fbx"), ("UNITY", ".gltf")])
def test_arkit_keys_survive_each_engine_preset(loaded, tmp_path, preset, suffix):
    """52 ARKit-named keys baked, exported with an engine preset, re-imported: the 52 names come
    back, animated (the ICT-named case is the e2e test, on the packaged zip)."""
    from model.facs import ARKIT_NAMES

    bpy.context.scene.nfs_settings.naming = "ARKIT"
    obj = baked_and_animated()
    assert [kb.name for kb in obj.data.shape_keys.key_blocks[1:]] == [*ARKIT_NAMES, "jawOpen_mouthClose"]
    path = tmp_path / f"head{suffix}"
    assert bpy.ops.face_skinning.export(filepath=str(path), preset=preset) == {"FINISHED"}
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    if suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path), anim_offset=0.0)
    else:
        bpy.ops.import_scene.gltf(filepath=str(path))
    (mesh,) = [o for o in bpy.data.objects if o.type == "MESH"]
    key = mesh.data.shape_keys
    assert [kb.name for kb in key.key_blocks[1:]] == list(ARKIT_NAMES)
    assert key.animation_data is not None and key.animation_data.action is not None
    bpy.context.scene.frame_set(5)  # jawOpen keyed to 1 at frame 5 (ARKit jawOpen = ICT jawOpen)
    assert key.key_blocks["jawOpen"].value == pytest.approx(1.0, abs=1e-3)
    bpy.context.scene.frame_set(1)
    assert key.key_blocks["jawOpen"].value == pytest.approx(0.0, abs=1e-3)
