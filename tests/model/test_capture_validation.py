"""Capture parsing (bpy-free part of the add-on): one validation for Live Link CSV and Face Cap TXT,
out-of-range values reported, delimiters detected, timecode gaps closed, memory bounded by rows."""

from __future__ import annotations

import pathlib
import sys

import numpy as np
import pytest

from blender_addon.core import capture_import
from model.errors import CaptureFormatError
from model.facs import ARKIT_NAMES, ICT_NAMES

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared/real-dev next to the checkout (main), or one level up (a worktree under wt/)
REAL_TAKE = next(
    (
        p
        for p in (d / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv" for d in ROOT.parents[:2])
        if p.is_file()
    ),
    ROOT.parent / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv",
)


def live_link(rows: list[tuple[str, float, float]], delimiter: str = ",", decimal: str = ".") -> str:
    """A small Live Link Face CSV: ``rows`` of (timecode, JawOpen, MouthClose)."""

    def num(v: float) -> str:
        return repr(float(v)).replace(".", decimal)

    lines = [delimiter.join(["Timecode", "BlendShapeCount", "JawOpen", "MouthClose", "HeadYaw"])]
    for tc, jaw, close in rows:
        lines.append(delimiter.join([tc.replace(".", decimal), "3", num(jaw), num(close), num(0.1)]))
    return "\n".join(lines) + "\n"


def face_cap(rows: list[tuple[float, float, float]]) -> str:
    """A small Face Cap TXT: ``rows`` of (milliseconds, jawOpen, mouthClose)."""
    lines = ["info,1.0,facecap", "bs,jawOpen,mouthClose"]
    for ms, jaw, close in rows:
        lines.append(",".join(["k", repr(float(ms)), *(["0.0"] * 10), repr(float(jaw)), repr(float(close))]))
    return "\n".join(lines) + "\n"


def tc(seconds: float, fps: int = 30, hours: int = 12) -> str:
    """Live Link timecode of ``seconds`` after ``hours``:00:00 (whole frames at ``fps``)."""
    frames = int(round(seconds * fps))
    s, ff = divmod(frames, fps)
    h, rem = divmod(hours * 3600 + s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{sec:02d}:{ff:02d}.000"


def parse(kind: str, text: str) -> capture_import.Capture:
    return (
        capture_import.parse_live_link_csv(text) if kind == "csv" else capture_import.parse_face_cap_txt(text)
    )


def bad_value_capture(kind: str, bad: float) -> str:
    """Five rows where row 3's jawOpen is ``bad``."""
    jaw = [0.1, 0.2, bad, 0.4, 0.5]
    if kind == "csv":
        return live_link([(tc(i / 30), j, 0.0) for i, j in enumerate(jaw)])
    return face_cap([(i * 1000 / 30, j, 0.0) for i, j in enumerate(jaw)])


# ---- item 11: Face Cap validated exactly like Live Link ----


@pytest.mark.parametrize("kind", ["csv", "txt"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_are_refused_the_same_way_in_both_formats(kind, bad):
    with pytest.raises(CaptureFormatError, match="NaN or infinite") as info:
        parse(kind, bad_value_capture(kind, bad))
    message = str(info.value)
    assert "jawOpen" in message and "Fix:" in message
    # the file line is named the same way: the CSV's data row 3 is line 4, the TXT's key line 5
    assert ("line 4" if kind == "csv" else "line 5") in message


def test_both_formats_share_one_validation_function(monkeypatch):
    calls = []
    real = capture_import.validate_weights

    def spy(values, columns, lines, source):
        calls.append(source)
        return real(values, columns, lines, source)

    monkeypatch.setattr(capture_import, "validate_weights", spy)
    parse("csv", bad_value_capture("csv", 0.3))
    parse("txt", bad_value_capture("txt", 0.3))
    assert len(calls) == 2 and calls[0] != calls[1]


@pytest.mark.parametrize("kind", ["csv", "txt"])
def test_non_finite_time_is_refused(kind):
    text = (
        live_link([(tc(0), 0.1, 0.0), ("nan", 0.2, 0.0)])
        if kind == "csv"
        else face_cap([(0.0, 0.1, 0.0), (float("nan"), 0.2, 0.0)])
    )
    with pytest.raises(CaptureFormatError, match="time") as info:
        parse(kind, text)
    assert "Fix:" in str(info.value)


# ---- item 13: out-of-range values reported, delimiters detected ----


@pytest.mark.parametrize("kind", ["csv", "txt"])
def test_out_of_range_values_are_clipped_and_reported(kind):
    jaw, close = [0.2, 1.3, 0.5, 1.1], [0.0, -0.25, 0.3, 0.0]
    if kind == "csv":
        text = live_link([(tc(i / 30), j, c) for i, (j, c) in enumerate(zip(jaw, close, strict=True))])
    else:
        text = face_cap([(i * 1000 / 30, j, c) for i, (j, c) in enumerate(zip(jaw, close, strict=True))])
    cap = parse(kind, text)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("jawOpen")], [0.2, 1.0, 0.5, 1.0], atol=1e-6)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("mouthClose")], [0.0, 0.0, 0.3, 0.0], atol=1e-6)
    note = " ".join(cap.notes)
    assert "3 values outside 0..1" in note
    assert "jawOpen (2, up to 1.3)" in note and "mouthClose (1, down to -0.25)" in note


def test_in_range_capture_has_no_notes():
    cap = parse("csv", live_link([(tc(i / 30), 0.1 * i, 0.0) for i in range(5)]))
    assert cap.notes == ()


@pytest.mark.parametrize(("delimiter", "decimal"), [(";", "."), (";", ","), ("\t", ".")])
def test_semicolon_and_tab_delimited_csv_are_read(delimiter, decimal):
    rows = [(tc(i / 30), 0.1 * i, 0.05 * i) for i in range(6)]
    reference = capture_import.parse_live_link_csv(live_link(rows))
    cap = capture_import.parse_live_link_csv(live_link(rows, delimiter, decimal))
    np.testing.assert_array_equal(cap.times, reference.times)
    np.testing.assert_array_equal(cap.arkit, reference.arkit)
    shown = {";": "';'", "\t": "tab"}[delimiter]
    assert any(f"uses {shown} as delimiter" in n and "','" in n for n in cap.notes), cap.notes


def test_read_capture_detects_the_delimiter_from_the_file(tmp_path):
    p = tmp_path / "take.csv"
    p.write_text(live_link([(tc(i / 30), 0.1 * i, 0.0) for i in range(4)], ";"))
    cap = capture_import.read_capture(p)
    np.testing.assert_allclose(cap.arkit[:, ARKIT_NAMES.index("jawOpen")], [0, 0.1, 0.2, 0.3], atol=1e-6)


def test_no_timecode_column_says_what_the_header_holds():
    with pytest.raises(CaptureFormatError, match="no 'Timecode' column") as info:
        capture_import.parse_live_link_csv("Time;JawOpen\n0;0.5\n")
    assert "Time;JawOpen" in str(info.value)


# ---- item 9: timecode gaps and absurd spans ----


def test_timecode_gap_is_closed_with_a_note():
    # 3 rows 10 hours apart used to key 864,001 frames
    rows = [(tc(0, hours=1), 0.1, 0.0), (tc(0, hours=11), 0.5, 0.0), (tc(0, hours=21), 0.9, 0.0)]
    cap = capture_import.parse_live_link_csv(live_link(rows))
    assert cap.times[-1] < 60.0  # not 20 hours
    assert cap.times[-1] <= 2 * capture_import.MAX_GAP_SECONDS
    note = " ".join(cap.notes)
    assert "2 timecode gaps" in note and "10:00:00" in note
    frames, values = capture_import.to_scene_frames(cap.times, cap.ict(), 24.0, 1)
    assert len(frames) <= 3 * capture_import.MAX_GAP_SECONDS * 24 + 1
    want = np.interp((frames - 1) / 24.0, cap.times, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(values[:, ICT_NAMES.index("jawOpen")], want, atol=1e-6)


def test_short_dropouts_keep_their_timing():
    times = [0, 1, 2, 5, 6, 30, 31]  # frames at 30 fps: 0.1 s and 0.8 s dropouts are real time
    cap = capture_import.parse_live_link_csv(live_link([(tc(f / 30), 0.1, 0.0) for f in times]))
    np.testing.assert_allclose(cap.times, np.array(times) / 30, atol=1e-9)
    assert cap.notes == ()


def test_a_huge_last_timestamp_is_bounded_by_rows():
    # Face Cap, last key at 1e6 s: used to exhaust memory; now the span follows the number of rows
    rows = [(i * 1000 / 60, 0.1 * i, 0.0) for i in range(5)] + [(1e9, 0.9, 0.0)]
    cap = capture_import.parse_face_cap_txt(face_cap(rows))
    assert cap.times[-1] < 60.0  # not 1e6 s
    assert cap.times[-1] < 5 / 60 + 2 * capture_import.MAX_GAP_SECONDS
    assert any("gap" in n for n in cap.notes)


def test_to_scene_frames_refuses_a_span_the_rows_do_not_cover():
    # called directly with raw times (no gap closing): refused before allocating 6e7 frames
    times = np.array([0.0, 1e6])
    with pytest.raises(CaptureFormatError, match="gap"):
        capture_import.to_scene_frames(times, np.zeros((2, 53), np.float32), 60.0, 1)


# ---- the real Live Link Face take still imports ----


@pytest.mark.skipif(not REAL_TAKE.is_file(), reason="real-dev capture not available (../shared/real-dev)")
def test_real_live_link_take_imports():
    cap = capture_import.read_capture(REAL_TAKE)
    assert cap.arkit.shape == (3809, 52) and cap.source_fps == 60.0
    assert 126.9 < cap.times[-1] < 127.0  # no gap closed: the take is 127 s long
    assert not any("gap" in n for n in cap.notes)
    assert any("outside 0..1" in n for n in cap.notes)  # the take has values up to 1.053
    frames, values, _ = capture_import.capture_to_frames(REAL_TAKE, 24.0, 1)
    assert len(frames) == int(np.floor(cap.times[-1] * 24 + 1e-6)) + 1
    assert np.isfinite(values).all() and values.min() >= 0 and values.max() <= 1


def test_parsing_imports_no_bpy():
    import subprocess

    code = "import sys, blender_addon.core.capture_import; print('bpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
