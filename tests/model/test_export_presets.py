"""The engine preset table (bpy-free): required options fixed, engine conventions per preset."""

from __future__ import annotations

import pytest

from blender_addon.core import export_presets as ep


@pytest.mark.parametrize("preset", sorted(ep.PRESETS))
def test_every_preset_keeps_the_shape_keys(preset):
    fbx = ep.fbx_options(preset)
    assert fbx["use_mesh_modifiers"] is False and fbx["add_leaf_bones"] is False
    assert fbx["bake_anim"] is True and fbx["bake_anim_simplify_factor"] == 0.0
    for binary, fmt in ((True, "GLB"), (False, "GLTF_SEPARATE")):
        gltf = ep.gltf_options(preset, binary)
        assert gltf["export_format"] == fmt
        assert gltf["export_apply"] is False and gltf["export_morph"] is True


def test_engine_axes_and_units():
    unity, unreal = ep.fbx_options("UNITY"), ep.fbx_options("UNREAL")
    assert (unity["axis_forward"], unity["axis_up"]) == ("-Z", "Y") and unity["bake_space_transform"]
    assert unity["apply_unit_scale"] and unity["apply_scale_options"] == "FBX_SCALE_UNITS"
    assert (unreal["axis_forward"], unreal["axis_up"]) == ("X", "Z")
    assert unreal["apply_scale_options"] == "FBX_SCALE_NONE"  # the file's unit is cm
    assert ep.gltf_options("UNREAL", True)["export_morph_normal"] is False
    assert ep.gltf_options("UNITY", True)["export_morph_normal"] is True


def test_a_preset_cannot_override_a_required_option(monkeypatch):
    bad = ep.ExportPreset("BAD", "Bad", "", fbx={"use_mesh_modifiers": True})
    monkeypatch.setitem(ep.PRESETS, "BAD", bad)
    with pytest.raises(ValueError, match="use_mesh_modifiers"):
        ep.fbx_options("BAD")


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="DEFAULT, UNITY, UNREAL"):
        ep.get_preset("GODOT")
