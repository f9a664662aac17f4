"""Bake Visemes: viseme keys = Basis + the recipe's mix of the baked FACS deltas, driven by their
own sliders; re-run replaces, an artist's key is refused, undo, JSON recipes load/save."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest
from addon_helpers import make_face, vertices

from blender_addon.core import shape_keys, sliders
from model import visemes
from model.facs import ICT_NAMES, ict_to_arkit_shapes


def _baked(name: str = "Head"):
    obj = make_face(name)
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    return obj


def _co(obj, name: str) -> np.ndarray:
    kb = obj.data.shape_keys.key_blocks[name]
    out = np.empty(len(kb.data) * 3, dtype=np.float32)
    kb.data.foreach_get("co", out)
    return out.reshape(-1, 3).astype(np.float64)


def _viseme_keys(obj) -> list[str]:
    return [kb.name for kb in obj.data.shape_keys.key_blocks if kb.name.startswith("viseme_")]


def test_viseme_keys_are_the_recipe_mix_of_the_facs_deltas(loaded):
    obj = _baked()
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    assert _viseme_keys(obj) == [f"viseme_{n}" for n in visemes.VISEME_NAMES]
    basis = _co(obj, "Basis")
    deltas = np.stack([_co(obj, n) - basis for n in ICT_NAMES])  # (53, V, 3)
    w = visemes.recipe_matrix()
    for i, name in enumerate(visemes.VISEME_NAMES):
        expect = basis + np.tensordot(w[i], deltas, axes=1)
        np.testing.assert_allclose(_co(obj, f"viseme_{name}"), expect, atol=2e-6)
    assert np.abs(_co(obj, "viseme_aa") - basis).max() > 1e-4  # a real mouth shape, not the neutral
    np.testing.assert_allclose(_co(obj, "viseme_sil"), basis, atol=1e-7)
    # each viseme key follows its own slider (simple-expression driver)
    rest = vertices(obj)
    obj.nfs_visemes.aa = 0.5
    np.testing.assert_allclose(
        vertices(obj, evaluated=True) - rest, 0.5 * (_co(obj, "viseme_aa") - basis), atol=2e-6
    )
    fc = obj.data.shape_keys.animation_data.drivers.find(shape_keys.key_data_path("viseme_aa"))
    assert fc.driver.is_simple_expression and fc.driver.variables[0].targets[0].data_path == "nfs_visemes.aa"


def test_rerun_replaces_and_facs_rebake_keeps_the_visemes(loaded):
    obj = _baked()
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    count = len(obj.data.shape_keys.key_blocks)
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    assert len(obj.data.shape_keys.key_blocks) == count == 1 + 53 + 1 + 15  # + the corrective
    assert len(obj.data.shape_keys.animation_data.drivers) == 53 + 1 + 15
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}  # the FACS bake replaces only its keys
    assert len(_viseme_keys(obj)) == 15 and len(obj.data.shape_keys.key_blocks) == count
    assert len(shape_keys.owned_keys(obj, "visemes")) == 15
    assert len(shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP)) == 54  # + the mouthClose corrective
    assert sliders.drivers_have_gains(obj)


def test_artist_key_named_like_a_viseme_is_refused(loaded):
    obj = _baked()
    artist = obj.shape_key_add(name="viseme_aa", from_mix=False)
    artist.data[0].co = (1.0, 2.0, 3.0)
    with pytest.raises(RuntimeError, match="viseme_aa.*not made by Face Skinning.*prefix"):
        bpy.ops.face_skinning.bake_visemes()
    assert _viseme_keys(obj) == ["viseme_aa"]  # nothing written, the artist's key untouched
    assert tuple(obj.data.shape_keys.key_blocks["viseme_aa"].data[0].co) == (1.0, 2.0, 3.0)


def test_bake_visemes_needs_baked_facs_keys(addon):
    make_face()
    with pytest.raises(RuntimeError, match="no FACS shape keys.*Bake Shape Keys"):
        bpy.ops.face_skinning.bake_visemes()


def test_bake_visemes_undo(loaded):
    make_face("Head")
    bpy.ops.ed.undo_push(message="before bake")
    assert bpy.ops.face_skinning.bake_shape_keys("EXEC_DEFAULT", True) == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_visemes("EXEC_DEFAULT", True) == {"FINISHED"}
    assert len(_viseme_keys(bpy.data.objects["Head"])) == 15
    bpy.ops.ed.undo()
    obj = bpy.data.objects["Head"]
    assert _viseme_keys(obj) == []
    assert len(shape_keys.owned_keys(obj)) == 54  # 53 + the mouthClose corrective
    bpy.ops.ed.redo()
    assert len(_viseme_keys(bpy.data.objects["Head"])) == 15


def test_recipes_save_edit_load_and_bad_files(loaded, tmp_path):
    obj = _baked()
    path = tmp_path / "recipes.json"
    assert bpy.ops.face_skinning.save_viseme_recipes(filepath=str(path)) == {"FINISHED"}
    data = json.loads(path.read_text())
    assert data["format"] == visemes.FORMAT and set(data["visemes"]) == set(visemes.VISEME_NAMES)
    data["visemes"]["aa"] = {"jawOpen": 1.0, "mouthSmile_L": 0.5}
    path.write_text(json.dumps(data))
    assert bpy.ops.face_skinning.load_viseme_recipes(filepath=str(path)) == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    basis = _co(obj, "Basis")
    expect = _co(obj, "jawOpen") + 0.5 * (_co(obj, "mouthSmile_L") - basis)
    np.testing.assert_allclose(_co(obj, "viseme_aa"), expect, atol=2e-6)
    # a bad file is refused with the problem named; the loaded table stays in use
    data["visemes"]["oh"] = {"tongueOut": 1.0}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(RuntimeError, match="'tongueOut' is not an ICT FACS unit"):
        bpy.ops.face_skinning.load_viseme_recipes(filepath=str(bad))
    assert json.loads(bpy.context.scene.nfs_viseme_recipes)["visemes"]["aa"] == {
        "jawOpen": 1.0,
        "mouthSmile_L": 0.5,
    }
    assert bpy.ops.face_skinning.reset_viseme_recipes() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    w = visemes.recipe_matrix()[visemes.VISEME_NAMES.index("aa")]
    deltas = np.stack([_co(obj, n) - basis for n in ICT_NAMES])
    np.testing.assert_allclose(_co(obj, "viseme_aa"), basis + np.tensordot(w, deltas, axes=1), atol=2e-6)


def test_arkit_named_keys_give_the_same_visemes(addon):
    obj = make_face()
    rng = np.random.default_rng(0)
    ict = rng.normal(0, 1e-3, (53, len(obj.data.vertices), 3))
    names = sliders.key_names("ARKIT")
    shape_keys.write_keys(obj, names, ict_to_arkit_shapes(ict))
    obj.data.shape_keys[shape_keys.NAMING_PROP] = "ARKIT"
    sliders.add_drivers(obj, names, "ARKIT")
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    basis = _co(obj, "Basis")
    w = visemes.recipe_matrix()
    for i, name in enumerate(visemes.VISEME_NAMES):  # the built-in recipes are symmetric: exact
        np.testing.assert_allclose(
            _co(obj, f"viseme_{name}") - basis, np.tensordot(w[i], ict, axes=1), atol=2e-6
        )


def test_check_rig_reads_the_facs_keys_not_the_visemes(loaded):
    from blender_addon.core import rig_check

    obj = _baked()
    before = rig_check.check_object(obj)
    assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
    after = rig_check.check_object(obj)
    assert [s.name for s in after.shapes] == [s.name for s in before.shapes] == list(ICT_NAMES)
    assert after.verdicts == before.verdicts
