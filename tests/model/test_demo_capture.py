"""The synthetic Live Link Face capture: layout as the app writes it, values round-trip."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from model.demo_capture import (
    DEMO_EVENTS,
    LIVE_LINK_BLENDSHAPES,
    LIVE_LINK_ROTATIONS,
    format_timecode,
    synthesize_capture,
    write_demo_capture,
    write_live_link_csv,
)
from model.facs import ARKIT_NAMES, canonical_arkit_name


def _read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_live_link_columns_are_the_52_arkit_units_once():
    assert len(LIVE_LINK_BLENDSHAPES) == 52
    assert sorted(canonical_arkit_name(n) for n in LIVE_LINK_BLENDSHAPES) == sorted(ARKIT_NAMES)
    assert all(n[0].isupper() for n in LIVE_LINK_BLENDSHAPES)


def test_synthesized_performance_shape_range_and_smoothness():
    w, rot = synthesize_capture(4.0, 30.0)
    assert w.shape == (120, 52) and w.dtype == np.float32
    assert rot.shape == (120, 9) and rot.dtype == np.float32
    assert w.min() >= 0.0 and w.max() <= 1.0
    # every event's units actually move, near their peak
    for ev in DEMO_EVENTS:
        for name, peak in ev.units.items():
            assert w[:, ARKIT_NAMES.index(name)].max() >= 0.9 * min(peak, 1.0), (ev.label, name)
    # smooth: no frame-to-frame jump bigger than a 0.3 s full blink allows
    assert np.abs(np.diff(w, axis=0)).max() < 0.35
    # starts and ends at rest, so a loop does not pop
    assert np.abs(w[0]).max() < 1e-6 and np.abs(w[-1]).max() < 0.05
    untouched = {n for ev in DEMO_EVENTS for n in ev.units}
    rest = [i for i, n in enumerate(ARKIT_NAMES) if n not in untouched]
    assert np.all(w[:, rest] == 0)


@pytest.mark.parametrize(
    ("frame", "fps", "expected"),
    [(0, 30, "12:00:00:00.000"), (29, 30, "12:00:00:29.000"), (30, 30, "12:00:01:00.000"),
     (60 * 30 + 5, 30, "12:01:00:05.000"), (119, 60, "12:00:01:59.000")],
)  # fmt: skip
def test_timecode_format(frame, fps, expected):
    assert format_timecode(frame, fps) == expected


def test_csv_layout_and_round_trip(tmp_path):
    path = tmp_path / "cap.csv"
    weights = write_demo_capture(path, seconds=2.0, fps=30.0)
    header, rows = _read(path)
    assert header == ["Timecode", "BlendShapeCount", *LIVE_LINK_BLENDSHAPES, *LIVE_LINK_ROTATIONS]
    assert len(rows) == 60
    assert all(len(r) == len(header) for r in rows)
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d:\d\d\.\d\d\d", r[0]) for r in rows)
    assert {r[1] for r in rows} == {"61"}
    # timecodes strictly increase
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})
    values = np.array([[float(x) for x in r[2:54]] for r in rows])
    back = np.zeros_like(values)
    for j, name in enumerate(LIVE_LINK_BLENDSHAPES):
        back[:, ARKIT_NAMES.index(canonical_arkit_name(name))] = values[:, j]
    np.testing.assert_allclose(back, weights, atol=1e-6)
    assert back.max() > 0.5  # something was performed, not an all-zero file


def test_writer_reorders_columns(tmp_path):
    w = np.zeros((3, 52), dtype=np.float32)
    w[1, ARKIT_NAMES.index("jawOpen")] = 0.5
    w[2, ARKIT_NAMES.index("eyeBlinkRight")] = 0.25
    write_live_link_csv(tmp_path / "c.csv", w, fps=60.0)
    header, rows = _read(tmp_path / "c.csv")
    assert float(rows[1][header.index("JawOpen")]) == 0.5
    assert float(rows[2][header.index("EyeBlinkRight")]) == 0.25
    assert sum(float(x) for x in rows[1][2:]) == 0.5


def test_writer_rejects_wrong_shapes(tmp_path):
    with pytest.raises(ValueError, match="52"):
        write_live_link_csv(tmp_path / "x.csv", np.zeros((4, 53)))
    with pytest.raises(ValueError, match="rotations"):
        write_live_link_csv(tmp_path / "x.csv", np.zeros((4, 52)), rotations=np.zeros((4, 3)))
