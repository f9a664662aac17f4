"""Export target resolution (bpy-free): the file named is the file written, in its extension's format."""

from __future__ import annotations

import pytest

from blender_addon.core.export_path import resolve_export_target
from model.errors import FaceSkinningError


@pytest.mark.parametrize(
    ("name", "panel", "fmt"),
    [("x.glb", "FBX", "GLB"), ("x.GLB", "FBX", "GLB"), ("x.gltf", "GLB", "GLTF"), ("x.fbx", "GLB", "FBX"),
     ("x.fbx", "FBX", "FBX"), ("x.glb", "GLB", "GLB")],
)  # fmt: skip
def test_the_extension_given_picks_the_format(tmp_path, name, panel, fmt):
    target = resolve_export_target(str(tmp_path / name), panel)
    assert target.path == tmp_path / name and target.fmt == fmt
    if fmt == panel:
        assert target.note is None
    else:
        assert name[1:].lower() in target.note and "format setting" in target.note


@pytest.mark.parametrize(("panel", "suffix"), [("FBX", ".fbx"), ("GLB", ".glb"), ("GLTF", ".gltf")])
def test_a_name_without_extension_gets_the_panel_format(tmp_path, panel, suffix):
    target = resolve_export_target(str(tmp_path / "head"), panel)
    assert target.path == tmp_path / f"head{suffix}" and target.fmt == panel
    assert target.path.name in target.note


def test_an_unknown_extension_is_refused_not_replaced(tmp_path):
    with pytest.raises(FaceSkinningError, match=r"\.obj.*Fix: name it \.fbx, \.glb or \.gltf"):
        resolve_export_target(str(tmp_path / "head.obj"), "FBX")


@pytest.mark.parametrize("trailing", ["", "/"])
def test_a_folder_is_refused(tmp_path, trailing):
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(FaceSkinningError, match="is a folder.*Fix: add a file name"):
        resolve_export_target(str(folder) + trailing, "FBX")
    with pytest.raises(FaceSkinningError, match="is a folder"):
        resolve_export_target(str(tmp_path / "not-yet") + "/", "FBX")  # a folder name, even if missing


def test_relative_paths_in_an_unsaved_file_are_refused_with_the_fix():
    with pytest.raises(FaceSkinningError, match="not saved yet.*Fix: save the .blend file first"):
        resolve_export_target("//face.fbx", "FBX", blend_filepath="")
    with pytest.raises(FaceSkinningError, match="relative.*Fix: give an absolute path"):
        resolve_export_target("face.fbx", "FBX", blend_filepath="")


def test_a_relative_path_in_a_saved_file_is_next_to_the_blend(tmp_path):
    (tmp_path / "out").mkdir()
    target = resolve_export_target("//out/face.glb", "FBX", blend_filepath=str(tmp_path / "scene.blend"))
    assert target.path == tmp_path / "out" / "face.glb" and target.fmt == "GLB"


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(FaceSkinningError, match="does not exist"):
        resolve_export_target(str(tmp_path / "missing" / "x.fbx"), "FBX")


def test_empty_path_is_refused():
    with pytest.raises(FaceSkinningError, match="No export file path"):
        resolve_export_target("", "FBX")
