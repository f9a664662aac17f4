"""Intensity gains through the drivers, legacy-rig upgrade, capture calibration and region filter."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import make_face, vertices

from blender_addon.core import animation, capture_import, export, shape_keys, sliders
from model.facs import ARKIT_NAMES, ICT_NAMES, UNIT_REGION


def _baked(name: str = "Head"):
    obj = make_face(name)
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    return obj


def _delta(obj, unit: str) -> np.ndarray:
    return shape_keys.read_key_deltas(obj, [unit])[0]


def test_unit_gain_scales_the_unit_exactly(loaded):
    obj = _baked()
    rest = vertices(obj)
    drivers = obj.data.shape_keys.animation_data.drivers
    assert all(d.driver.is_simple_expression and d.driver.is_valid for d in drivers)
    obj.nfs_facs.jawOpen = 0.5
    d1 = vertices(obj, evaluated=True) - rest
    assert np.abs(d1).max() > 1e-4  # the unit moves the mesh, so the factor below means something
    np.testing.assert_allclose(d1, 0.5 * _delta(obj, "jawOpen"), atol=2e-6)
    obj.nfs_gains.jawOpen = 1.7  # above 1: the key's value (0.85) must not be clamped either
    d2 = vertices(obj, evaluated=True) - rest
    np.testing.assert_allclose(d2, 1.7 * d1, atol=2e-6)
    obj.nfs_facs.jawOpen = 1.0
    obj.nfs_gains.jawOpen = 2.5  # a key value of 2.5: over the old slider_max of 1
    np.testing.assert_allclose(vertices(obj, evaluated=True) - rest, 2.5 * _delta(obj, "jawOpen"), atol=5e-6)


def test_region_gain_multiplies_every_unit_of_its_region_only(loaded):
    obj = _baked()
    rest = vertices(obj)
    obj.nfs_facs.mouthSmile_L = 1.0
    obj.nfs_facs.jawOpen = 1.0
    obj.nfs_gains.region_mouth = 0.5
    obj.nfs_gains.mouthSmile_L = 1.5
    expect = 0.75 * _delta(obj, "mouthSmile_L") + 1.0 * _delta(obj, "jawOpen")  # jaw is not mouth
    np.testing.assert_allclose(vertices(obj, evaluated=True) - rest, expect, atol=5e-6)
    obj.nfs_gains.region_jaw = 0.0
    np.testing.assert_allclose(
        vertices(obj, evaluated=True) - rest, 0.75 * _delta(obj, "mouthSmile_L"), atol=5e-6
    )


def test_gains_survive_save_and_reopen(loaded, tmp_path):
    obj = _baked()
    obj.nfs_gains.browDown_L = 0.25
    obj.nfs_gains.region_eyes = 2.0
    obj.nfs_facs.browDown_L = 1.0
    rest = vertices(obj)
    path = tmp_path / "gains.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    obj = bpy.data.objects["Head"]
    assert obj.nfs_gains.browDown_L == pytest.approx(0.25)
    assert obj.nfs_gains.region_eyes == pytest.approx(2.0)
    assert obj.nfs_gains.region_brows == pytest.approx(1.0)
    np.testing.assert_allclose(
        vertices(obj, evaluated=True) - rest, 0.25 * _delta(obj, "browDown_L"), atol=2e-6
    )
    obj.nfs_gains.browDown_L = 0.5  # still live after reopening: no re-import or re-bake needed
    np.testing.assert_allclose(
        vertices(obj, evaluated=True) - rest, 0.5 * _delta(obj, "browDown_L"), atol=2e-6
    )


def _legacy_drivers(obj) -> None:
    """Drivers as baked before the gains existed: expression ``a`` reading the slider only."""
    key = obj.data.shape_keys
    for name in sliders.key_names("ICT"):
        key.animation_data.drivers.remove(key.animation_data.drivers.find(shape_keys.key_data_path(name)))
        kb = key.key_blocks[name]
        kb.slider_max = 1.0
        drv = kb.driver_add("value").driver
        drv.type = "SCRIPTED"
        var = drv.variables.new()
        var.name = "a"
        var.targets[0].id = obj
        var.targets[0].data_path = sliders.slider_path(name)
        drv.expression = "a"


def test_legacy_rig_keeps_working_and_update_drivers_upgrades_it(loaded):
    obj = _baked()
    rest = vertices(obj)
    _legacy_drivers(obj)
    assert not sliders.drivers_have_gains(obj)
    obj.nfs_facs.jawOpen = 0.8
    obj.nfs_gains.jawOpen = 0.5
    # the old rig works as before: the slider alone, the gain not yet read
    np.testing.assert_allclose(vertices(obj, evaluated=True) - rest, 0.8 * _delta(obj, "jawOpen"), atol=2e-6)
    assert bpy.ops.face_skinning.update_drivers() == {"FINISHED"}
    assert sliders.drivers_have_gains(obj)
    drivers = obj.data.shape_keys.animation_data.drivers
    assert len(drivers) == 54 and all(d.driver.is_simple_expression for d in drivers)  # + corrective
    np.testing.assert_allclose(vertices(obj, evaluated=True) - rest, 0.4 * _delta(obj, "jawOpen"), atol=2e-6)


def test_update_drivers_without_baked_keys_is_refused(addon):
    make_face()
    with pytest.raises(RuntimeError, match="no shape keys baked by Face Skinning.*Bake Shape Keys"):
        bpy.ops.face_skinning.update_drivers()


def _fake_arkit(obj):
    names = sliders.key_names("ARKIT")
    d = np.zeros((len(names), len(obj.data.vertices), 3))
    d[:, :, 2] = 1e-3
    shape_keys.write_keys(obj, names, d)
    obj.data.shape_keys[shape_keys.NAMING_PROP] = "ARKIT"
    sliders.add_drivers(obj, names, "ARKIT")


def test_arkit_keys_average_the_gained_halves(addon):
    obj = make_face()
    _fake_arkit(obj)
    obj.nfs_facs.browInnerUp_L = 1.0
    obj.nfs_facs.browInnerUp_R = 0.5
    obj.nfs_gains.browInnerUp_L = 2.0
    obj.nfs_gains.region_brows = 0.5
    ev = obj.data.shape_keys.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
    assert ev["browInnerUp"].value == pytest.approx((1.0 * 2.0 * 0.5 + 0.5 * 1.0 * 0.5) / 2)


def test_export_bake_applies_the_gains(addon):
    obj = make_face()
    names = sliders.key_names("ICT")
    shape_keys.write_keys(obj, names, np.zeros((53, len(obj.data.vertices), 3)))
    sliders.add_drivers(obj, names, "ICT")
    w = np.zeros((2, 53))
    w[1, ICT_NAMES.index("mouthPucker")] = 0.8
    sliders.key_sliders(obj, np.array([1.0, 3.0]), w)
    obj.nfs_gains.mouthPucker = 1.5
    obj.nfs_gains.region_mouth = 0.5
    export.bake_for_export(obj)
    fc = animation.find_fcurve(obj.data.shape_keys, shape_keys.key_data_path("mouthPucker"))
    assert fc.evaluate(3.0) == pytest.approx(0.8 * 1.5 * 0.5, abs=1e-6)


# --------------------------------------------------------------------------------------------
# capture import: calibration, region filter, per-region smoothing


def _write_csv(path, arkit: np.ndarray, fps: int = 30):
    """A Live Link Face CSV of ``arkit`` (T, 52) at ``fps`` (T < fps: frame-numbered timecodes)."""
    lines = [",".join(["Timecode", "BlendShapeCount", *[n[0].upper() + n[1:] for n in ARKIT_NAMES]])]
    for i, row in enumerate(arkit):
        lines.append(",".join([f"10:00:00:{i:02d}.000", "52", *[f"{v:.6f}" for v in row]]))
    path.write_text("\n".join(lines) + "\n")
    return path


def _capture(n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.uniform(0.0, 1.0, (n, len(ARKIT_NAMES))).round(6)


def _keyed(obj, n: int) -> np.ndarray:
    """(n, 53) slider F-curve values at frames 1..n (NaN for a slider without an F-curve)."""
    out = np.full((n, 53), np.nan)
    for j, name in enumerate(ICT_NAMES):
        fc = animation.find_fcurve(obj, sliders.slider_path(name))
        if fc is not None:
            out[:, j] = [fc.evaluate(f) for f in range(1, n + 1)]
    return out


def _import(path) -> set[str]:
    bpy.context.scene.render.fps = 30  # the capture's rate: one capture sample per scene frame
    return bpy.ops.face_skinning.import_arkit("EXEC_DEFAULT", True, filepath=str(path))


def _ict(arkit: np.ndarray) -> np.ndarray:
    from model.facs import arkit_to_ict_weights

    return arkit_to_ict_weights(arkit).astype(np.float64)


def test_calibration_frame_is_subtracted_and_clamped(addon, tmp_path):
    obj = make_face()
    arkit = _capture()
    arkit[7, ARKIT_NAMES.index("jawOpen")] = 1.0  # with rescale, a full jawOpen stays full
    c = bpy.context.scene.nfs_capture
    c.neutral, c.neutral_frame = "FRAME", 4
    assert _import(_write_csv(tmp_path / "take.csv", arkit)) == {"FINISHED"}
    ict = _ict(arkit)
    expect = np.clip(ict - ict[4], 0.0, 1.0)
    assert (ict - ict[4] < -0.05).any()  # the clamp is exercised
    np.testing.assert_allclose(_keyed(obj, len(arkit)), expect, atol=1e-5)
    # changeable afterwards: another neutral, rescaled, replaces the keys on re-import
    c.neutral, c.rescale = "MINIMUM", True
    assert _import(tmp_path / "take.csv") == {"FINISHED"}
    low = ict.min(axis=0)
    np.testing.assert_allclose(_keyed(obj, len(arkit)), (ict - low) / (1 - low), atol=1e-5)
    assert _keyed(obj, len(arkit))[7, ICT_NAMES.index("jawOpen")] == pytest.approx(1.0, abs=1e-5)


def test_calibration_frame_outside_the_capture_is_refused(addon, tmp_path):
    obj = make_face()
    c = bpy.context.scene.nfs_capture
    c.neutral, c.neutral_frame = "FRAME", 12
    with pytest.raises(RuntimeError, match="calibration frame 12 is outside.*12 samples.*Fix"):
        _import(_write_csv(tmp_path / "take.csv", _capture(12)))
    assert animation.find_fcurve(obj, sliders.slider_path("jawOpen")) is None


def test_region_filter_keys_only_those_sliders(addon, tmp_path):
    obj = make_face()
    before = np.full((3, 53), 0.3)
    sliders.key_sliders(obj, np.array([1.0, 6.0, 12.0]), before)
    arkit = _capture()
    bpy.context.scene.nfs_capture.regions = {"MOUTH", "JAW"}
    assert _import(_write_csv(tmp_path / "take.csv", arkit)) == {"FINISHED"}
    got = _keyed(obj, len(arkit))
    chosen = np.array([r in ("mouth", "jaw") for r in UNIT_REGION])
    np.testing.assert_allclose(got[:, chosen], _ict(arkit)[:, chosen], atol=1e-5)
    np.testing.assert_allclose(got[:, ~chosen], 0.3, atol=1e-6)  # the others keep their keys
    fc = animation.find_fcurve(obj, sliders.slider_path("browDown_L"))
    assert [k.co[0] for k in fc.keyframe_points] == [1.0, 6.0, 12.0]
    bpy.context.scene.nfs_capture.regions = set()
    with pytest.raises(RuntimeError, match="No face region is selected.*Fix"):  # nothing to key
        _import(tmp_path / "take.csv")


def test_smoothing_per_region(addon, tmp_path):
    obj = make_face()
    arkit = _capture(20)
    c = bpy.context.scene.nfs_capture
    c.use_region_smoothing = True
    c.smoothing_mouth = 5
    assert _import(_write_csv(tmp_path / "take.csv", arkit)) == {"FINISHED"}
    got, ict = _keyed(obj, len(arkit)), _ict(arkit)
    mouth = np.array([r == "mouth" for r in UNIT_REGION])
    np.testing.assert_allclose(got[:, mouth], capture_import.smooth(ict[:, mouth], 5), atol=1e-5)
    np.testing.assert_allclose(got[:, ~mouth], ict[:, ~mouth], atol=1e-5)
    assert np.abs(got[:, mouth] - ict[:, mouth]).max() > 0.05  # smoothing did something


def test_import_options_windows_units_and_summary():
    o = capture_import.ImportOptions(smoothing=3, region_smoothing={"mouth": 7, "brows": 0})
    w = o.windows()
    assert w[ICT_NAMES.index("mouthPucker")] == 7 and w[ICT_NAMES.index("browDown_L")] == 0
    assert w[ICT_NAMES.index("jawOpen")] == 3 and w[ICT_NAMES.index("eyeBlink_L")] == 3
    assert o.units().all() and capture_import.ImportOptions().describe() == ""
    o = capture_import.ImportOptions(neutral="FRAME", neutral_frame=2, rescale=True, regions=("jaw",))
    assert o.units().sum() == 4
    assert o.describe() == (
        "Capture options: neutral = capture sample 2; rescaled to reach 1; only the jaw sliders keyed"
    )
