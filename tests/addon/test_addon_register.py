"""Registration: clean register/unregister cycles, no torch at registration, manifest fields."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tomllib

import bpy

import blender_addon

ROOT = pathlib.Path(__file__).resolve().parents[2]
OPERATORS = (
    "load_model", "predict_weights", "bake_shape_keys", "clone_from_mesh", "import_arkit",
    "bake_for_export", "export", "reset_sliders", "mirror_sliders", "key_sliders", "analyze_mesh",
    "update_drivers", "reset_gains", "bake_visemes", "load_viseme_recipes", "save_viseme_recipes",
    "reset_viseme_recipes",
)  # fmt: skip
PANELS = ("model", "analysis", "skinning", "shape_keys", "sliders", "clone", "export", "gains", "visemes")


def _registered() -> bool:
    return hasattr(bpy.types, "FACE_SKINNING_OT_load_model")


def test_register_unregister_twice():
    blender_addon.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    for _ in range(2):
        blender_addon.register()
        assert _registered()
        for op in OPERATORS:
            assert getattr(bpy.ops.face_skinning, op).get_rna_type() is not None
        for p in PANELS:
            panel = getattr(bpy.types, f"FACE_SKINNING_PT_{p}")
            assert panel.bl_category == "Face Skinning" and panel.bl_region_type == "UI"
        assert hasattr(bpy.types.Object, "nfs_facs") and hasattr(bpy.types.Scene, "nfs_settings")
        blender_addon.unregister()
        assert not _registered()
        assert not hasattr(bpy.types.Object, "nfs_facs")
        assert not hasattr(bpy.types.Scene, "nfs_settings")


def test_every_operator_is_undoable(addon):
    for op in OPERATORS:
        rna = getattr(bpy.types, f"FACE_SKINNING_OT_{op}")
        assert rna.bl_options >= {"REGISTER", "UNDO"}, op


def test_sliders_are_53_keyframable_floats(addon):
    from model.facs import ICT_NAMES

    bpy.ops.object.empty_add()
    obj = bpy.context.active_object
    props = obj.nfs_facs.bl_rna.properties
    names = [p.identifier for p in props if p.identifier != "rna_type" and p.identifier != "name"]
    assert names == list(ICT_NAMES)
    for n in names:
        assert props[n].hard_min == 0.0 and props[n].hard_max == 1.0 and props[n].is_animatable
    assert obj.keyframe_insert("nfs_facs.jawOpen", frame=3)


def test_register_without_importing_torch():
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import bpy, blender_addon\n"
        "blender_addon.register()\n"
        "ok = 'torch' not in sys.modules\n"
        "blender_addon.unregister()\n"
        "print('NO_TORCH' if ok else 'TORCH_IMPORTED')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "NO_TORCH" in out.stdout, out.stdout + out.stderr


def test_manifest():
    data = tomllib.loads((ROOT / "blender_addon" / "blender_manifest.toml").read_text())
    assert data["schema_version"] == "1.0.0"
    assert data["id"] == "neural_face_skinning"
    assert data["version"] == "0.1.0"
    assert data["type"] == "add-on"
    assert data["blender_version_min"] == "4.2.0"
    assert data["license"] == ["SPDX:GPL-3.0-or-later"]
    assert "FBX" in data["permissions"]["files"]
    assert blender_addon.bl_info["blender"] >= (4, 2, 0)


def test_model_import_is_in_one_place():
    """Only core/_model_import.py imports the model package directly (packaged vs dev choice)."""
    offenders = []
    for p in (ROOT / "blender_addon").rglob("*.py"):
        if p.name == "_model_import.py":
            continue
        for line in p.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import model", "from model")):
                offenders.append(f"{p.relative_to(ROOT)}: {s}")
    assert offenders == []


def test_capture_parsing_is_bpy_free():
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import blender_addon.core.capture_import as c\n"
        "b = 'BPY' if 'bpy' in sys.modules else 'NO_BPY'\n"
        "t = 'TORCH' if 'torch' in sys.modules else 'NO_TORCH'\n"
        "print(b, t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "NO_BPY NO_TORCH" in out.stdout, out.stdout + out.stderr


def test_packaged_layout_uses_the_vendored_model(tmp_path):
    """As in the extension zip: ``neural_face_skinning/`` with ``model/`` inside, no top-level model."""
    import shutil

    pkg = tmp_path / "neural_face_skinning"
    shutil.copytree(ROOT / "blender_addon", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "model", pkg / "model", ignore=shutil.ignore_patterns("__pycache__"))
    code = (
        f"import sys, os; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import bpy, neural_face_skinning as a\n"
        "from neural_face_skinning.core import _model_import as m\n"
        "a.register()\n"
        "ok = m.model.__name__ == 'neural_face_skinning.model' and 'model' not in sys.modules\n"
        "ok = ok and bpy.ops.face_skinning.load_model.get_rna_type() is not None\n"
        "a.unregister()\n"
        "print('PACKAGED_OK' if ok else 'WRONG_MODEL ' + m.model.__name__)\n"
        "sys.stdout.flush(); os._exit(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=str(tmp_path)
    )
    assert "PACKAGED_OK" in out.stdout, out.stdout + out.stderr
