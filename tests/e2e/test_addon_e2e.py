"""End to end: build the zip, install it into Blender (bpy module) as an extension and as a legacy
add-on, and run the artist's workflow through operator ids only.

Each Blender session runs in its own Python process (tests/e2e/_workflow.py) with
BLENDER_USER_RESOURCES, HOME and NFS_CACHE_DIR in temp folders, so nothing touches the user's
Blender configuration and the bpy state of other tests is not shared.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import site
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKFLOW = pathlib.Path(__file__).with_name("_workflow.py")
HEAD = ROOT / "model" / "data" / "demo_head.obj"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("bpy") is None,
    reason="needs bpy (the `blender` extra) to run Blender headless",
)


def _build_addon():
    spec = importlib.util.spec_from_file_location("build_addon", ROOT / "build_addon.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def addon_zip(tmp_path_factory) -> pathlib.Path:
    return _build_addon().build(ROOT, tmp_path_factory.mktemp("dist"))


def _bpy_pythonpath() -> str | None:
    """The folder holding the ``bpy`` this process imported when it is not the venv's own, e.g.
    ``.bpy/4.2`` from ``python -m tests.blender_versions`` (a ``pip install --target`` folder put on
    PYTHONPATH): the workflow must run on the same Blender as the test."""
    spec = importlib.util.find_spec("bpy")
    root = pathlib.Path(spec.origin).resolve().parents[1]
    packages = {pathlib.Path(p).resolve() for p in site.getsitepackages()}
    return None if root in packages else str(root)


def _run(tmp: pathlib.Path, *args: str, timeout: float = 240) -> dict:
    result = tmp / "result.json"
    user = tmp / "blender_user"
    user.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        BLENDER_USER_RESOURCES=str(user),
        HOME=str(tmp),
        XDG_CONFIG_HOME=str(tmp / "xdg"),
        NFS_CACHE_DIR=str(tmp / "nfs_cache"),
    )
    env.pop("NFS_WEIGHTS", None)  # the weights must come from inside the installed zip
    env.pop("PYTHONPATH", None)  # and the code too, not from the checkout (only bpy may be on it)
    if _bpy_pythonpath() is not None:
        env["PYTHONPATH"] = _bpy_pythonpath()
    proc = subprocess.run(
        [sys.executable, str(WORKFLOW), *args, str(result)],
        cwd=str(tmp),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.is_file(), (
        f"workflow crashed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    facts = json.loads(result.read_text())
    assert facts["ok"], facts.get("error", "") + "\n" + proc.stdout[-2000:] + proc.stderr[-2000:]
    return facts


@pytest.fixture(scope="module")
def extension_facts(addon_zip, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("ext")
    return _run(tmp, "extension", str(addon_zip), str(HEAD), str(tmp))


def test_installs_as_extension_from_the_zip(extension_facts):
    f = extension_facts
    # the workflow ran on the Blender this test runs on (python -m tests.blender_versions)
    # resolved: a .bpy folder reached through a symlink is still the same bpy
    assert (
        pathlib.Path(f["bpy_origin"]).resolve()
        == pathlib.Path(importlib.util.find_spec("bpy").origin).resolve()
    )
    assert f["install"] == "FINISHED"
    assert "bl_ext.user_default.neural_face_skinning" in f["enabled_modules"]
    assert f["before_install"]["props"] == [] and f["before_install"]["ops"] == []
    # code, vendored model package and weights all come from the installed extension
    ext_dir = pathlib.Path(f["addon_file"]).parent
    assert "extensions/user_default/neural_face_skinning" in ext_dir.as_posix()
    assert pathlib.Path(f["model_file"]).parent == ext_dir / "model"
    assert str(ext_dir / "model" / "data" / "weights") in f["model_status"]["source"]
    assert set(f["after_install"]["ops"]) >= {
        "load_model", "predict_weights", "bake_shape_keys", "import_arkit", "export",
        "reset_sliders", "mirror_sliders",
    }  # fmt: skip
    assert f["after_install"]["props"] == ["Object.nfs_facs", "Scene.nfs_settings"]


def test_predict_and_bake_through_operators(extension_facts):
    f = extension_facts
    assert f["load_model"] == "FINISHED"
    assert f["predict_weights"] == "FINISHED"
    assert sorted(f["fs_groups"]) == sorted("FS_" + r for r in f["regions"])
    lo, hi = f["weight_row_sums"]
    assert abs(lo - 1) < 1e-3 and abs(hi - 1) < 1e-3, "skinning weights must be a partition of unity"
    assert f["bake_shape_keys"] == "FINISHED"
    assert len(f["shape_keys"]) == 1 + 53 + 1  # + the jawOpen_mouthClose corrective
    assert f["shape_keys"][1:] == [*f["ict_names"], "jawOpen_mouthClose"]


def test_sliders_drive_the_shape_keys(extension_facts):
    f = extension_facts
    assert f["mirror_sliders"] == "FINISHED"
    assert f["after_mirror"] == pytest.approx({"jawOpen": 0.7, "mouthSmile_L": 0.0, "mouthSmile_R": 0.4})
    assert f["slider_motion"] > 0, "the baked keys do not move the mesh at all"
    assert f["slider_error"] < 1e-4 * max(1.0, f["slider_motion"])
    assert f["reset_sliders"] == "FINISHED"
    assert f["after_reset_error"] < 1e-5


def _check_morphs(imported: dict, f: dict, tol: float) -> None:
    assert imported["animated"], "no shape-key animation came back"
    assert len(imported["names"]) == 53
    assert imported["names"] == f["ict_names"]
    expected = np.asarray(f["expected_ict"])[f["sample_capture_frames"]]
    got = np.asarray(imported["values"])
    assert got.shape == expected.shape
    assert expected.max() > 0.5  # the sampled frames do contain expressions
    np.testing.assert_allclose(got, expected, atol=tol)


def test_import_arkit_and_glb_round_trip(extension_facts):
    f = extension_facts
    assert f["import_arkit"] == "FINISHED"
    assert f["export_glb"] == "FINISHED" and f["glb_bytes"] > 10_000
    _check_morphs(f["glb"], f, tol=1e-4)


def test_fbx_export_round_trip(extension_facts):
    f = extension_facts
    assert f["export_fbx"] == "FINISHED" and f["fbx_bytes"] > 10_000
    _check_morphs(f["fbx"], f, tol=1e-4)


@pytest.mark.parametrize("preset", ["DEFAULT", "UNITY", "UNREAL"])
@pytest.mark.parametrize("fmt", ["FBX", "GLTF"])
def test_engine_preset_round_trip(extension_facts, preset, fmt):
    """Each engine preset, re-imported: the 53 named keys, their animation, and the mesh at its
    size (the preset's axes and units convert back on import)."""
    f = extension_facts
    entry = f["presets"][f"{preset}/{fmt}"]
    assert entry["export"] == "FINISHED" and entry["bytes"] > 1_000
    _check_morphs(entry["imported"], f, tol=1e-4)
    if fmt == "FBX":  # (the glTF importer splits vertices at UV seams)
        assert entry["imported"]["vertices"] == f["vertices"]
    np.testing.assert_allclose(entry["imported"]["world_extent"], f["world_extent"], rtol=1e-3)
    if fmt == "GLTF":
        gltf = entry["json"]
        assert gltf["meshes"] == 1
        assert gltf["target_names"] == [f["ict_names"]], "engines need extras.targetNames for key names"
        # Unreal recomputes morph normals, so its preset leaves them out; the others write them
        assert ("NORMAL" in gltf["target_attributes"]) == (preset != "UNREAL")
        assert "POSITION" in gltf["target_attributes"]


def test_disable_reenable_leaves_nothing_stale(extension_facts):
    f = extension_facts
    assert f["after_disable"] == f["before_install"], "classes/properties left behind after disable"
    assert f["after_reenable"] == f["after_install"]


def test_installs_as_legacy_addon(addon_zip, tmp_path):
    f = _run(tmp_path, "legacy", str(addon_zip))
    assert f["install"] == "FINISHED"
    assert f["enabled"]
    assert pathlib.Path(f["addon_file"]).parent.name == "neural_face_skinning"
    assert "load_model" in f["after_enable"]["ops"]
    assert f["load_model"] == "FINISHED"
    assert "neural_face_skinning/model/data/weights" in pathlib.Path(f["model_status"]["source"]).as_posix()
    assert f["after_disable"]["ops"] == [] and f["after_disable"]["props"] == []
