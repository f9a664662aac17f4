"""ARKit capture import: Live Link Face CSV and Face Cap TXT parsing, timing, keys on the sliders."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import make_face

from blender_addon.core import animation, capture_import
from blender_addon.core.errors import CaptureFormatError
from model.facs import ARKIT_NAMES, ICT_NAMES

LL_ROT = ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
          "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]  # fmt: skip


def _timecode(i: int, fps: int, start=(17, 59, 59)) -> str:
    total_frames = (start[0] * 3600 + start[1] * 60 + start[2]) * fps + i
    secs, ff = divmod(total_frames, fps)
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}:{ff:02d}.000"


def write_csv(path, weights: np.ndarray, fps: int = 60, extra_cols=(), drop_last_fields=0):
    """Live Link Face CSV: PascalCase ARKit columns in a shuffled order, rotations appended."""
    order = np.random.default_rng(0).permutation(len(ARKIT_NAMES))
    header = ["Timecode", "BlendShapeCount"] + [ARKIT_NAMES[j][0].upper() + ARKIT_NAMES[j][1:] for j in order]
    header += LL_ROT + list(extra_cols)
    lines = [",".join(header)]
    for i, row in enumerate(weights):
        vals = [f"{v:.6f}" for v in row[order]] + ["0.1"] * (len(LL_ROT) + len(extra_cols))
        lines.append(",".join([_timecode(i, fps), "61", *vals]))
    if drop_last_fields:
        lines[-1] = ",".join(lines[-1].split(",")[:-drop_last_fields])
    path.write_text("\n".join(lines) + "\n")
    return path


def ramp(n: int) -> np.ndarray:
    """(n, 52) weights: jawOpen ramps 0->1, eyeBlinkLeft = 0.5, browInnerUp = 0.25."""
    w = np.zeros((n, len(ARKIT_NAMES)))
    w[:, ARKIT_NAMES.index("jawOpen")] = np.linspace(0, 1, n)
    w[:, ARKIT_NAMES.index("eyeBlinkLeft")] = 0.5
    w[:, ARKIT_NAMES.index("browInnerUp")] = 0.25
    return w


def test_live_link_60fps_times_and_columns(tmp_path):
    cap = capture_import.read_capture(write_csv(tmp_path / "a.csv", ramp(121), fps=60))
    assert cap.source_fps == 60
    np.testing.assert_allclose(cap.times, np.arange(121) / 60, atol=1e-9)  # crosses 18:00:00 cleanly
    assert cap.arkit.shape == (121, 52)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("jawOpen")], np.linspace(0, 1, 121), atol=1e-6)
    ict = cap.ict()
    np.testing.assert_allclose(ict[:, ICT_NAMES.index("browInnerUp_L")], 0.25, atol=1e-6)
    np.testing.assert_allclose(ict[:, ICT_NAMES.index("browInnerUp_R")], 0.25, atol=1e-6)
    np.testing.assert_allclose(ict[:, ICT_NAMES.index("eyeBlink_L")], 0.5, atol=1e-6)


def test_resampling_to_scene_rate(tmp_path):
    cap = capture_import.read_capture(write_csv(tmp_path / "a.csv", ramp(121), fps=60))
    frames, values = capture_import.to_scene_frames(cap.times, cap.ict(), 24.0, 10)
    assert frames[0] == 10 and frames[-1] == 10 + 48  # 2 s at 24 fps
    np.testing.assert_allclose(values[:, ICT_NAMES.index("jawOpen")], np.arange(49) / 48, atol=1e-5)


def test_face_cap_txt(tmp_path):
    names = ["eyeBlink_L", "eyeBlink_R", "jawOpen", "browInnerUp", "tongueOut"]
    lines = ["info,1.0,facecap", "bs," + ",".join(names)]
    for i in range(5):
        head = ["0.0"] * 10  # head position/rotation + eye rotations: ignored
        lines.append(",".join(["k", str(i * 100), *head, "0.1", "0.2", f"{i / 4:.3f}", "0.3", "0.0"]))
    p = tmp_path / "take.txt"
    p.write_text("\n".join(lines) + "\n")
    cap = capture_import.read_capture(p)
    np.testing.assert_allclose(cap.times, np.arange(5) * 0.1)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("jawOpen")], np.arange(5) / 4, atol=1e-6)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("eyeBlinkRight")], 0.2, atol=1e-6)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("browInnerUp")], 0.3, atol=1e-6)


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("empty", "empty"),
        ("header_only", "no data rows"),
        ("truncated", "truncated"),
        ("unknown_column", "not ARKit blendshapes: Banana"),
        ("no_timecode", "no 'Timecode' column"),
        ("bad_timecode", "timecode"),
        ("bad_value", "non-numeric"),
        ("binary", "not a text file"),
    ],
)
def test_bad_captures_raise_clear_errors(tmp_path, kind, match):
    p = tmp_path / "bad.csv"
    if kind == "empty":
        p.write_text("")
    elif kind == "header_only":
        p.write_text(write_csv(tmp_path / "x.csv", ramp(3)).read_text().splitlines()[0] + "\n")
    elif kind == "truncated":
        write_csv(p, ramp(10), drop_last_fields=20)
    elif kind == "unknown_column":
        write_csv(p, ramp(3), extra_cols=["Banana"])
    elif kind == "no_timecode":
        p.write_text("Time,JawOpen\n0,0.5\n")
    elif kind == "bad_timecode":
        p.write_text("Timecode,JawOpen\nnoon,0.5\n")
    elif kind == "bad_value":
        p.write_text("Timecode,JawOpen\n00:00:00:01.000,lots\n")
    elif kind == "binary":
        p.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(CaptureFormatError, match=match) as info:
        capture_import.read_capture(p)
    assert "Fix:" in str(info.value)


def test_import_operator_keys_the_right_values_at_the_right_frames(addon, tmp_path):
    obj = make_face()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    scene.frame_start = 5
    obj.location = (0, 0, 0)
    obj.keyframe_insert("location", frame=1)  # the artist's own animation in the same action
    path = write_csv(tmp_path / "take.csv", ramp(121), fps=60)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    fc = animation.find_fcurve(obj, "nfs_facs.jawOpen")
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    co = co.reshape(-1, 2)
    np.testing.assert_allclose(co[:, 0], np.arange(5, 5 + 61))  # 2 s at 30 fps from frame 5
    np.testing.assert_allclose(co[:, 1], np.linspace(0, 1, 61), atol=1e-5)
    scene.frame_set(35)
    assert obj.nfs_facs.jawOpen == pytest.approx(0.5, abs=1e-5)
    assert obj.nfs_facs.browInnerUp_R == pytest.approx(0.25, abs=1e-5)
    assert obj.nfs_facs.eyeBlink_L == pytest.approx(0.5, abs=1e-5)
    assert obj.nfs_facs.eyeBlink_R == pytest.approx(0.0, abs=1e-6)
    # the artist's location curve is still there and untouched
    loc = animation.find_fcurve(obj, "location", 0)
    assert loc is not None and len(loc.keyframe_points) == 1

    # re-import of a shorter take replaces keys inside its range only
    path2 = write_csv(tmp_path / "short.csv", ramp(31) * 0, fps=60)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path2)) == {"FINISHED"}
    fc = animation.find_fcurve(obj, "nfs_facs.jawOpen")
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    co = co.reshape(-1, 2)
    assert len(co) == 61
    assert np.all(co[co[:, 0] <= 20, 1] == 0) and co[-1, 1] == pytest.approx(1.0)


def _curve(obj, name):
    fc = animation.find_fcurve(obj, f"nfs_facs.{name}")
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def test_import_smoothing_and_demo_capture(addon, tmp_path):
    from model.demo_capture import write_demo_capture

    obj = make_face()
    path = tmp_path / "demo.csv"
    write_demo_capture(path, seconds=2.0, fps=30.0)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    raw = _curve(obj, "eyeBlink_L")
    assert len(raw) == 48  # 59/30 s at the default 24 fps scene rate, frames 1..48
    bpy.context.scene.nfs_settings.smoothing = 5
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    smooth = _curve(obj, "eyeBlink_L")
    np.testing.assert_array_equal(raw[:, 0], smooth[:, 0])
    assert raw[:, 1].max() > 0.3  # the demo blinks
    assert np.abs(np.diff(smooth[:, 1], 2)).max() < np.abs(np.diff(raw[:, 1], 2)).max()


def test_import_errors_are_reports(addon, tmp_path):
    make_face()
    p = write_csv(tmp_path / "bad.csv", ramp(3), extra_cols=["Banana"])
    with pytest.raises(RuntimeError, match="Banana"):
        bpy.ops.face_skinning.import_arkit(filepath=str(p))
    with pytest.raises(RuntimeError, match="does not exist"):
        bpy.ops.face_skinning.import_arkit(filepath=str(tmp_path / "missing.csv"))


def test_import_undo(addon, tmp_path):
    make_face()
    path = write_csv(tmp_path / "take.csv", ramp(31), fps=60)
    bpy.ops.ed.undo_push(message="before import")
    assert bpy.ops.face_skinning.import_arkit("EXEC_DEFAULT", True, filepath=str(path)) == {"FINISHED"}
    assert animation.find_fcurve(bpy.data.objects["Face"], "nfs_facs.jawOpen") is not None
    bpy.ops.ed.undo()
    assert animation.find_fcurve(bpy.data.objects["Face"], "nfs_facs.jawOpen") is None
