"""FACS sliders drive our shape keys through simple-expression drivers; helpers; clashes refused."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import make_face, vertices

from blender_addon.core import shape_keys, sliders
from model.facs import ARKIT_NAMES, ICT_NAMES


def _fake_bake(obj, naming="ICT", prefix=""):
    """Our keys with known deltas (key i moves every vertex by i+1 mm along object Z)."""
    names = sliders.key_names(naming, prefix)
    d = np.zeros((len(names), len(obj.data.vertices), 3))
    d[:, :, 2] = (np.arange(len(names)) + 1)[:, None] * 1e-3
    shape_keys.write_keys(obj, names, d)
    sliders.add_drivers(obj, names, naming)
    return names


def test_sliders_drive_keys_with_simple_expressions(addon):
    obj = make_face()
    rest = vertices(obj)
    _fake_bake(obj)
    drivers = obj.data.shape_keys.animation_data.drivers
    assert len(drivers) == 53
    assert all(d.driver.is_simple_expression and d.driver.is_valid for d in drivers)
    obj.nfs_facs.jawOpen = 0.5
    obj.nfs_facs.eyeBlink_L = 1.0
    dz = vertices(obj, evaluated=True)[:, 2] - rest[:, 2]
    expect = 0.5 * (ICT_NAMES.index("jawOpen") + 1) * 1e-3 + 1.0 * (ICT_NAMES.index("eyeBlink_L") + 1) * 1e-3
    np.testing.assert_allclose(dz, expect, atol=1e-6)
    obj.nfs_facs.jawOpen = 0.0
    dz = vertices(obj, evaluated=True)[:, 2] - rest[:, 2]
    np.testing.assert_allclose(dz, (ICT_NAMES.index("eyeBlink_L") + 1) * 1e-3, atol=1e-6)


def test_arkit_keys_average_split_units(addon):
    obj = make_face()
    names = _fake_bake(obj, "ARKIT")
    key = obj.data.shape_keys
    assert [kb.name for kb in key.key_blocks][1:] == list(ARKIT_NAMES)
    assert key.animation_data.drivers.find(shape_keys.key_data_path("tongueOut")) is None
    obj.nfs_facs.browInnerUp_L = 1.0
    obj.nfs_facs.browInnerUp_R = 0.5
    obj.nfs_facs.eyeBlink_R = 0.25
    dg = bpy.context.evaluated_depsgraph_get()
    ev = key.evaluated_get(dg).key_blocks
    assert ev["browInnerUp"].value == pytest.approx(0.75)
    assert ev["eyeBlinkRight"].value == pytest.approx(0.25)
    assert ev["eyeBlinkLeft"].value == pytest.approx(0.0)
    assert names == list(ARKIT_NAMES)


def test_animated_sliders_drive_keys_per_frame(addon):
    obj = make_face()
    _fake_bake(obj)
    sliders.key_sliders(obj, np.array([1.0, 11.0]), np.stack([np.zeros(53), np.full(53, 0.8)]))
    key = obj.data.shape_keys
    bpy.context.scene.frame_set(6)
    ev = key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
    assert ev["mouthSmile_L"].value == pytest.approx(0.4, abs=1e-5)
    bpy.context.scene.frame_set(11)
    ev = key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
    assert ev["mouthSmile_L"].value == pytest.approx(0.8, abs=1e-5)


def test_reset_mirror_key_all(addon):
    obj = make_face()
    obj.nfs_facs.mouthSmile_L = 0.7
    obj.nfs_facs.jawOpen = 0.3
    assert bpy.ops.face_skinning.mirror_sliders() == {"FINISHED"}
    assert obj.nfs_facs.mouthSmile_R == pytest.approx(0.7) and obj.nfs_facs.mouthSmile_L == 0.0
    assert obj.nfs_facs.jawOpen == pytest.approx(0.3)
    bpy.context.scene.frame_set(5)
    assert bpy.ops.face_skinning.key_sliders() == {"FINISHED"}
    from blender_addon.core import animation

    fc = animation.find_fcurve(obj, "nfs_facs.mouthSmile_R")
    assert len(fc.keyframe_points) == 1 and tuple(fc.keyframe_points[0].co) == pytest.approx((5.0, 0.7))
    assert bpy.ops.face_skinning.reset_sliders() == {"FINISHED"}
    assert sliders.get_values(obj).max() == 0.0


def test_rewrite_keeps_order_drivers_and_artist_keys(addon):
    obj = make_face()
    obj.shape_key_add(name="Basis")
    mine = obj.shape_key_add(name="MySmirk", from_mix=False)
    mine.data[0].co.z += 0.01
    mine.value = 0.3
    _fake_bake(obj)
    before = [kb.name for kb in obj.data.shape_keys.key_blocks]
    _fake_bake(obj)  # re-run: replaced in place
    assert [kb.name for kb in obj.data.shape_keys.key_blocks] == before
    assert len(obj.data.shape_keys.animation_data.drivers) == 53
    _fake_bake(obj, "ARKIT")  # switching names removes our ICT keys only
    names = [kb.name for kb in obj.data.shape_keys.key_blocks]
    # names shared by both schemes (jawOpen, ...) are updated in place, the others replaced
    assert names[:2] == ["Basis", "MySmirk"] and sorted(names[2:]) == sorted(ARKIT_NAMES)
    assert obj.data.shape_keys.key_blocks["MySmirk"].value == pytest.approx(0.3)
    assert obj.data.shape_keys.key_blocks["MySmirk"].data[0].co.z == pytest.approx(
        obj.data.shape_keys.reference_key.data[0].co.z + 0.01
    )


def test_name_clash_with_artist_key_is_refused(addon):
    obj = make_face()
    obj.shape_key_add(name="Basis")
    obj.shape_key_add(name="jawOpen")
    with pytest.raises(ValueError, match="prefix"):
        _fake_bake(obj)
    names = _fake_bake(obj, prefix="FS.")
    assert names[0] == "FS.browDown_L" and "jawOpen" in obj.data.shape_keys.key_blocks
    assert "jawOpen" not in shape_keys.owned_keys(obj)
