"""The closed lids' meeting line (model.lid_line): a closed socket's lid margins end on the
nearest curve that bends one way, reached by turning about the eyeball's axis."""

from __future__ import annotations

import numpy as np
import pytest

from model.lid_line import one_way_fit, smooth_margin, smooth_margins
from model.lid_margin import margin_zigzag


def test_a_line_that_bends_one_way_is_kept():
    x = np.linspace(-1.0, 1.0, 7)
    for y in (0.3 * x**2, -0.2 * x**2 + 0.1 * x, 0.5 * x):
        np.testing.assert_allclose(one_way_fit(x, y), y, atol=1e-9)


def test_a_zig_zag_is_evened_out_where_it_zigs():
    x = np.linspace(0.0, 1.0, 7)
    y = 0.2 * (x - 0.5) ** 2
    y[3] += 0.02  # a bump between two dips: the middle column zigs
    y[2] -= 0.015
    fit = one_way_fit(x, y)
    assert margin_zigzag(np.column_stack([x, y, 0 * x]), 1.0, upper=False) > 1.0
    assert margin_zigzag(np.column_stack([x, fit, 0 * x]), 1.0, upper=False) < 1e-3
    # the least change: the ends, far from the zig, hardly move
    assert abs(fit[0] - y[0]) < 0.01 and abs(fit[-1] - y[-1]) < 0.01


def test_the_margin_turns_about_the_eyeball_axis():
    centre = np.array([0.0, 0.0, 0.0])
    x = np.linspace(-0.5, 0.5, 6)
    rho = np.array([1.0, 1.02, 0.98, 1.01, 0.99, 1.0])
    phi = np.array([0.05, 0.02, 0.08, 0.0, 0.06, 0.04])  # jagged
    pts = np.column_stack([x, rho * np.sin(phi), rho * np.cos(phi)])
    out = smooth_margin(pts, centre)
    np.testing.assert_allclose(out[:, 0], pts[:, 0])
    np.testing.assert_allclose(np.hypot(out[:, 1], out[:, 2]), rho, rtol=1e-12)
    assert (out[:, 2] > 0).all()
    assert margin_zigzag(pts, 1.0) > 1.0 and margin_zigzag(out, 1.0) < 1e-3


def test_only_a_closed_sockets_margins_move():
    from model.eyelids import LidFrame

    rng = np.random.default_rng(0)
    canonical = rng.normal(size=(20, 3)) + np.array([0.0, 0.0, 2.0])
    deltas = 0.05 * rng.normal(size=(20, 3))
    margin = np.arange(6)
    frame = LidFrame(
        np.zeros(3), 1.0, np.linspace(-1, 1, 5), np.zeros(5), np.zeros(5), True, np.zeros(0, np.int64),
        upper_margin=margin, lower_margin=None,
    )  # fmt: skip
    out = smooth_margins(canonical, deltas, frame)
    np.testing.assert_array_equal(out[6:], deltas[6:])
    assert not np.allclose(out[:6], deltas[:6])
    opening = LidFrame(**{**frame.__dict__, "socket": False})
    np.testing.assert_array_equal(smooth_margins(canonical, deltas, opening), deltas)


@pytest.mark.parametrize("name", ["rocketbox_Female_Adult_01.fbx", "rocketbox_Female_Adult_02_ARKit.fbx"])
def test_the_closed_avatar_lids_meet_along_a_smooth_line(name):
    """Rocketbox Adult_01's right lower margin zig-zags 1.6 % at neutral; the shipped bake's
    closed lids met along 2.2 % (the solver keeps each margin vertex's offset from the smooth
    edge, the mirror pass adds the margin's asymmetry); Adult_02 1.4 / 1.5 %. On the smooth
    line: <= 0.1 %, the eyes still covered and no triangle flipped."""
    from realdev_helpers import prepared_realdev_head

    from model.rig_check import THRESHOLDS, check_rig

    fm, prepared, v, t, data = prepared_realdev_head(name, materials=True)
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin)
    report = check_rig(
        v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin, region_names=fm.region_names
    )
    assert THRESHOLDS["lid_zigzag_pct"] == 2.0
    for blink in ("eyeBlink_L", "eyeBlink_R"):
        r = next(s for s in report.shapes if s.name == blink)
        assert r.lid_zigzag_pct is not None and r.lid_zigzag_pct <= 0.1, (blink, r.lid_zigzag_pct)
        assert r.eyeball_cover_pct == 100.0 and r.eyeball_cover_min_pct == 100.0
        assert r.flipped_triangles == 0
    assert not [v for v in report.verdicts if "zig-zag" in v]
