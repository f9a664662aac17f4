"""The jawOpen_mouthClose corrective key: baked, driven by min(jawOpen, mouthClose), re-baked in
place, undoable, followed by slider keys, and folded back into mouthClose for ARKit engines."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np
import pytest
from addon_helpers import vertices

from blender_addon.core import corrective_keys, export, gains, shape_keys, sliders
from blender_addon.core.mesh_io import new_mesh_object
from model.facs import ARKIT_NAMES, ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]

CORR = "jawOpen_mouthClose"
JI, CI = ICT_NAMES.index("jawOpen"), ICT_NAMES.index("mouthClose")


def make_face(name: str = "Face"):
    """The bundled demo head (metres, Z up, facing -Y): the shipped model gives it a real
    mouthClose (the random test network's is a few micrometres, with no corrective to speak of)."""
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v = m.vertices * 0.01
    obj = new_mesh_object(
        name, np.stack([v[:, 0], -v[:, 2], v[:, 1]], 1), m.face_indices, m.face_sizes, bpy.context.scene
    )
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def _driver(obj, name: str):
    fc = obj.data.shape_keys.animation_data.drivers.find(shape_keys.key_data_path(name))
    return None if fc is None else fc.driver


def _our_drivers(obj) -> list[str]:
    return [fc.data_path for fc in obj.data.shape_keys.animation_data.drivers]


def _pose(obj, **weights) -> np.ndarray:
    """Evaluated vertices minus rest with the given sliders set (the others at 0)."""
    for name in ICT_NAMES:
        setattr(obj.nfs_facs, name, float(weights.get(name, 0.0)))
    return vertices(obj, evaluated=True) - vertices(obj)


def test_bake_makes_the_corrective_key_driven_by_the_minimum_of_the_sliders(addon):
    obj = make_face()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    key = obj.data.shape_keys
    assert [kb.name for kb in key.key_blocks] == ["Basis", *ICT_NAMES, CORR]
    assert CORR in shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP)
    drv = _driver(obj, CORR)
    assert drv.type == "SCRIPTED" and drv.expression == "min(s0 * u0 * r0, s1 * u1 * r1)"
    assert drv.is_simple_expression  # evaluated without Python: no auto-run prompt
    paths = {v.name: v.targets[0].data_path for v in drv.variables}
    assert paths["s0"] == "nfs_facs.jawOpen" and paths["s1"] == "nfs_facs.mouthClose"
    assert paths["u1"] == gains.unit_gain_path("mouthClose")
    assert all(v.targets[0].id == obj for v in drv.variables)
    d = shape_keys.read_key_deltas(obj, [*ICT_NAMES, CORR]).astype(np.float64)
    jaw, alone, corr = d[JI], d[CI], d[-1]
    assert np.abs(corr).max() > 0.05 * np.abs(alone + corr).max()  # a real part of mouthClose
    # the corrective only ever undoes the jaw, and never more than the jaw moved
    assert ((corr * jaw).sum(1) <= 1e-9).all()
    assert (np.linalg.norm(corr, axis=1) <= np.linalg.norm(jaw, axis=1) + 1e-6).all()
    # the sliders: ARKit's range (mouthClose <= jawOpen) is the linear unsplit mix exactly
    np.testing.assert_allclose(
        _pose(obj, jawOpen=0.6, mouthClose=0.3), 0.6 * jaw + 0.3 * (alone + corr), atol=1e-5
    )
    np.testing.assert_allclose(_pose(obj, jawOpen=0.4, mouthClose=0.4), 0.4 * (jaw + alone + corr), atol=1e-5)
    # beyond it the undo stops at the jaw's opening; alone only the lips' own motion
    np.testing.assert_allclose(
        _pose(obj, jawOpen=0.2, mouthClose=0.9), 0.2 * jaw + 0.9 * alone + 0.2 * corr, atol=1e-5
    )
    np.testing.assert_allclose(_pose(obj, mouthClose=1.0), alone, atol=1e-5)
    # gains act on the corrective as on the keys it corrects
    gains.set_gains(obj, units={"mouthClose": 0.5})
    np.testing.assert_allclose(
        _pose(obj, jawOpen=0.8, mouthClose=1.0), 0.8 * jaw + 0.5 * alone + 0.5 * corr, atol=1e-5
    )


def test_rebake_rewrites_the_corrective_in_place_and_refresh_keeps_one_driver(addon):
    obj = make_face()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    key = obj.data.shape_keys
    names = [kb.name for kb in key.key_blocks]
    drivers = sorted(_our_drivers(obj))
    assert len(drivers) == 54 and drivers.count(shape_keys.key_data_path(CORR)) == 1
    corr = shape_keys.read_key_deltas(obj, [CORR])
    for _ in range(2):
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
        assert [kb.name for kb in key.key_blocks] == names
        assert sorted(_our_drivers(obj)) == drivers
        np.testing.assert_allclose(shape_keys.read_key_deltas(obj, [CORR]), corr, atol=1e-6)
    assert sliders.refresh_drivers(obj) == 54
    assert sorted(_our_drivers(obj)) == drivers
    # ARKit names with a prefix: the old keys and the old corrective go, one new corrective
    s = bpy.context.scene.nfs_settings
    s.naming, s.key_prefix = "ARKIT", "FS."
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert [kb.name for kb in key.key_blocks] == ["Basis", *("FS." + n for n in ARKIT_NAMES), "FS." + CORR]
    assert _driver(obj, "FS." + CORR).expression == corrective_keys.EXPRESSION
    assert len(_our_drivers(obj)) == 52  # 51 ARKit keys (tongueOut has no slider) + the corrective


def test_bake_is_undoable_and_an_artist_key_of_that_name_is_refused(addon):
    obj = make_face()
    bpy.ops.ed.undo_push(message="before bake")
    assert bpy.ops.face_skinning.bake_shape_keys("EXEC_DEFAULT", True) == {"FINISHED"}
    bpy.ops.ed.undo()
    obj = bpy.data.objects["Face"]
    assert obj.data.shape_keys is None
    bpy.ops.ed.redo()
    obj = bpy.data.objects["Face"]
    assert CORR in obj.data.shape_keys.key_blocks and _driver(obj, CORR) is not None
    # the artist deletes our corrective and sculpts one of the same name: never overwritten
    obj.shape_key_remove(obj.data.shape_keys.key_blocks[CORR])
    mine = obj.shape_key_add(name=CORR, from_mix=False)
    mine.data[3].co.z += 0.01
    with pytest.raises(RuntimeError, match=f"{CORR}.*not made by Face Skinning.*prefix"):
        bpy.ops.face_skinning.bake_shape_keys()
    assert mine.data[3].co.z == pytest.approx(obj.data.shape_keys.reference_key.data[3].co.z + 0.01)


def test_slider_keys_drive_the_corrective(addon):
    obj = make_face()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    w = np.zeros((3, 53))
    w[:, JI] = (0.0, 0.7, 0.3)
    w[:, CI] = (0.5, 0.4, 0.9)
    sliders.key_sliders(obj, np.array([1.0, 5.0, 9.0]), w)
    key = obj.data.shape_keys
    for frame, row in zip((1, 5, 9), w, strict=True):
        bpy.context.scene.frame_set(frame)
        ev = key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
        assert ev[CORR].value == pytest.approx(min(row[JI], row[CI]), abs=1e-6)
    # bake for export keys the corrective with what its driver computes
    assert bpy.ops.face_skinning.bake_for_export() == {"FINISHED"}
    from blender_addon.core import animation

    fc = animation.find_fcurve(key, shape_keys.key_data_path(CORR))
    assert [fc.evaluate(f) for f in (1, 5, 9)] == pytest.approx([0.0, 0.4, 0.3], abs=1e-6)


def _reimport(path) -> bpy.types.Object:
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    if path.suffix == ".fbx":
        bpy.ops.import_scene.fbx(filepath=str(path))
    else:
        bpy.ops.import_scene.gltf(filepath=str(path))
    (obj,) = [o for o in bpy.data.objects if o.type == "MESH"]
    return obj


def _ids() -> dict[str, int]:
    return {
        "objects": len(bpy.data.objects),
        "meshes": len(bpy.data.meshes),
        "shape_keys": len(bpy.data.shape_keys),
        "actions": len(bpy.data.actions),
    }


@pytest.mark.parametrize("suffix", [".fbx", ".glb"])
def test_export_folds_the_corrective_into_mouth_close_by_default(addon, tmp_path, suffix):
    """Engines that drive only the ARKit names get the unsplit mouthClose (closed lips seal) and
    no corrective; the object in the scene keeps its split keys, driver and names."""
    obj = make_face("Head")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    w = np.zeros((2, 53))
    w[1, JI] = w[1, CI] = 0.5
    sliders.key_sliders(obj, np.array([1.0, 5.0]), w)
    d = shape_keys.read_key_deltas(obj, ["mouthClose", CORR]).astype(np.float64)
    names_before = [kb.name for kb in obj.data.shape_keys.key_blocks]
    mesh_name = obj.data.name
    export.bake_for_export(obj)  # the shape-key action every export makes, made before counting
    ids = _ids()
    path = tmp_path / f"head{suffix}"
    assert bpy.ops.face_skinning.export(filepath=str(path)) == {"FINISHED"}
    # the scene is as it was: no leftover copy, names and keys and driver unchanged
    assert _ids() == ids
    assert obj.name == "Head" and obj.data.name == mesh_name
    assert [kb.name for kb in obj.data.shape_keys.key_blocks] == names_before
    assert _driver(obj, CORR).expression == corrective_keys.EXPRESSION
    np.testing.assert_allclose(shape_keys.read_key_deltas(obj, ["mouthClose", CORR]), d, atol=1e-7)
    rest = vertices(obj).astype(np.float64)
    got = _reimport(path)
    assert got.name == "Head"
    key = got.data.shape_keys
    names = [kb.name for kb in key.key_blocks][1:]
    assert names == list(ICT_NAMES)  # the 53 names, no corrective
    folded = shape_keys.read_key_deltas(got, ["mouthClose"])[0].astype(np.float64)
    # both importers give back Blender's axes and units; glTF splits vertices at seams: match
    # each imported vertex to the rest vertex it came from
    from scipy.spatial import cKDTree

    dist, src = cKDTree(rest).query(vertices(got).astype(np.float64))
    assert dist.max() < 1e-5
    np.testing.assert_allclose(folded, (d[0] + d[1])[src], atol=1e-5)
    assert np.abs(d[1]).max() > 1e-3  # 1 mm: the fold is tested on a real corrective


def test_export_can_keep_the_corrective(addon, tmp_path):
    obj = make_face("Head")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    w = np.zeros((2, 53))
    w[1, JI], w[1, CI] = 0.5, 0.25
    sliders.key_sliders(obj, np.array([1.0, 5.0]), w)
    path = tmp_path / "head.glb"
    assert bpy.ops.face_skinning.export(filepath=str(path), mouth_close="CORRECTIVE") == {"FINISHED"}
    got = _reimport(path)
    key = got.data.shape_keys
    assert [kb.name for kb in key.key_blocks][1:] == [*ICT_NAMES, CORR]
    bpy.context.scene.frame_set(5)
    ev = key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
    assert ev[CORR].value == pytest.approx(0.25, abs=1e-3)
    with pytest.raises(ValueError, match="mouth_close"):
        export.export(bpy.context, obj, str(tmp_path / "x.glb"), "GLB", mouth_close="BOTH")
