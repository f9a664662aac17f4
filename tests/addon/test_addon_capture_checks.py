"""Import ARKit Capture on hostile files: NaN in Face Cap, timecode gaps, the real Live Link take."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np
import pytest
from addon_helpers import make_face

from blender_addon.core import animation, sliders

ROOT = pathlib.Path(__file__).resolve().parents[2]
REAL_TAKE = next(
    (
        p
        for p in (d / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv" for d in ROOT.parents[:2])
        if p.is_file()
    ),
    ROOT.parent / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv",
)


def _keys(obj, name: str) -> np.ndarray:
    fc = animation.find_fcurve(obj, sliders.slider_path(name))
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def test_face_cap_nan_reaches_no_slider(addon, tmp_path):
    obj = make_face()
    lines = ["info,1.0,facecap", "bs,jawOpen,eyeBlink_L"]
    for i, jaw in enumerate(["0.1", "nan", "0.3"]):
        lines.append(",".join(["k", str(i * 33), *(["0.0"] * 10), jaw, "0.2"]))
    path = tmp_path / "take.txt"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RuntimeError, match="NaN or infinite") as info:
        bpy.ops.face_skinning.import_arkit(filepath=str(path))
    assert "line 4" in str(info.value) and "Traceback" not in str(info.value)
    assert animation.fcurve_collection(obj, create=False) is None  # not one slider curve written


def test_timecode_gap_keys_frames_bounded_by_rows(addon, tmp_path):
    obj = make_face()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    rows = ["Timecode,BlendShapeCount,JawOpen"]
    rows += [f"{h:02d}:00:00:00.000,1,{v}" for h, v in ((1, 0.1), (11, 0.5), (21, 0.9))]
    path = tmp_path / "gap.csv"
    path.write_text("\n".join(rows) + "\n")
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    keys = _keys(obj, "jawOpen")
    assert len(keys) <= 3 * 30  # bounded by the rows (was 2,160,001 frames at 30 fps)
    assert keys[0, 1] == pytest.approx(0.1) and keys[-1, 1] == pytest.approx(0.9, abs=1e-6)


@pytest.mark.skipif(not REAL_TAKE.is_file(), reason="real-dev capture not available (../shared/real-dev)")
def test_real_live_link_take_imports_through_the_operator(addon):
    obj = make_face()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    assert bpy.ops.face_skinning.import_arkit(filepath=str(REAL_TAKE)) == {"FINISHED"}
    keys = _keys(obj, "eyeLookIn_L")
    assert len(keys) == 3810  # 126.98 s at 30 fps: no gap closed, every frame keyed
    assert np.isfinite(keys).all() and keys[:, 1].min() >= 0 and keys[:, 1].max() == pytest.approx(1.0)


def test_clipped_values_and_a_semicolon_file_are_reported_by_the_operator(addon, tmp_path, capfd):
    obj = make_face()
    path = tmp_path / "excel.csv"
    path.write_text("Timecode;JawOpen;MouthClose\n00:00:00:00,000;1,5;0,2\n00:00:00:01,000;0,5;-0,1\n")
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    out = capfd.readouterr().out  # Blender prints operator reports in background mode
    assert "Warning: The file uses ';' as delimiter (Live Link Face CSVs use ',')" in out
    assert "Warning: Clipped 2 values outside 0..1" in out and "jawOpen (1, up to 1.5)" in out
    assert "mouthClose (1, down to -0.1)" in out
    assert _keys(obj, "jawOpen")[0, 1] == pytest.approx(1.0)
