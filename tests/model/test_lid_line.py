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


def _noisy_closed_margins(seed: int = 0):
    """A closed eye's margins as a noisy scan's blink leaves them (canonical X, Y): the upper
    margin came down past the lower one over the middle, each point off by scan noise, the
    canthi at the ends."""
    rng = np.random.default_rng(seed)
    # (columns over 1 % of the width apart: each point is its own column, seen from the front)
    xu = np.linspace(0.04, 0.96, 14) + rng.uniform(-0.01, 0.01, 14)
    xl = np.linspace(0.05, 0.95, 12) + rng.uniform(-0.01, 0.01, 12)
    meet = -0.08 * (1.0 - (2.0 * xu - 1.0) ** 2)  # sags a little between the canthi
    upper = np.column_stack([xu, meet - 0.002 + rng.normal(0.0, 0.02, len(xu))])
    lower = np.column_stack(
        [xl, -0.08 * (1.0 - (2.0 * xl - 1.0) ** 2) + 0.002 + rng.normal(0.0, 0.02, len(xl))]
    )
    corners = np.array([[0.0, 0.0], [1.0, 0.0]])
    return upper, lower, corners


def test_an_openings_closed_margins_meet_along_lines_that_bend_one_way():
    """Noise of 2 % of the eye's width on the margins zig-zags the closed lids (the noisy demo
    head: 10 %); the lines keep every column where the upper margin reached the lower one
    closed, hold the canthi, and a least-squares fit alone would have reopened some."""
    from model.lid_line import meeting_lines

    reopened = []
    for seed in range(5):
        upper, lower, corners = _noisy_closed_margins(seed)

        def posed(points: np.ndarray, heights: np.ndarray, corners=corners) -> np.ndarray:
            ends = np.column_stack([corners, np.zeros(2)])
            return np.vstack([ends, np.column_stack([points[:, 0], heights, 0.0 * heights])])

        pu, pl = posed(upper, upper[:, 1]), posed(lower, lower[:, 1])
        assert max(margin_zigzag(pu, 1.0), margin_zigzag(pl, 1.0, upper=False)) > 2.0
        heights = meeting_lines(upper, lower, corners, 1.0)
        assert heights is not None
        up, low = posed(upper, heights[0])[2:], posed(lower, heights[1])[2:]
        assert margin_zigzag(posed(upper, heights[0]), 1.0) < 0.05
        assert margin_zigzag(posed(lower, heights[1]), 1.0, upper=False) < 0.05
        # where the noisy upper margin was at or below the lower one, the lines are too
        grid = np.unique(np.r_[upper[:, 0], lower[:, 0]])
        grid = grid[(grid > 0.02) & (grid < 0.98)]
        order_u, order_l = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
        met = np.interp(grid, upper[order_u, 0], upper[order_u, 1]) <= np.interp(
            grid, lower[order_l, 0], lower[order_l, 1]
        )
        after = np.interp(grid, up[order_u, 0], up[order_u, 1]) - np.interp(
            grid, low[order_l, 0], low[order_l, 1]
        )
        assert met.any() and (after[met] <= 1e-6).all()
        # each margin fitted alone (the canthi held alike)
        weight = np.r_[100.0, 100.0, np.ones(len(upper))], np.r_[100.0, 100.0, np.ones(len(lower))]
        alone_u = one_way_fit(pu[:, 0], pu[:, 1], weight[0])[2:]
        alone_l = one_way_fit(pl[:, 0], pl[:, 1], weight[1])[2:]
        gap = np.interp(grid, upper[order_u, 0], alone_u[order_u]) - np.interp(
            grid, lower[order_l, 0], alone_l[order_l]
        )
        reopened.append(bool((gap[met] > 1e-6).any()))
    assert any(reopened)


def _scan_noise(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``v`` with scan-like noise, as benchmarks/realdev_variants.py's ``noise 0.15 %``: 0.15 %
    of the bounding box's diagonal along the normals, one offset per surface point."""
    from model.geometry import vertex_normals
    from model.topology import position_ids

    size = float(np.linalg.norm(v.max(0) - v.min(0)))
    ids = position_ids(v)
    normal = np.zeros((int(ids.max()) + 1, 3))
    np.add.at(normal, ids, vertex_normals(v, t))
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-300)
    amount = np.random.default_rng(0).normal(0.0, 0.0015 * size, len(normal))
    return v + (normal * amount[:, None])[ids]


def test_the_noisy_avatars_closed_lids_meet_along_a_smooth_line():
    """Rocketbox Adult_01 with scan-like noise (its margins zig-zag 14 / 8 % of the eye's width
    at neutral): the lid line smoothed the margins of the bake's welded skin, half of them lash
    vertices welded to the lid, and the skin's own edge behind them met along a zig-zag of
    2.2 / 8.0 % (model.lid_line.skin_margins). Now within the check's 2 %, nothing flipped."""
    from realdev_helpers import load_realdev_mesh

    from model.api import FaceModel
    from model.rig_check import THRESHOLDS, check_rig

    data = load_realdev_mesh("rocketbox_Female_Adult_01.fbx")
    v = _scan_noise(np.asarray(data["vertices"][data["head_ids"]], np.float64), data["head_triangles"])
    t, up, forward = data["head_triangles"], data["up"], data["forward"]
    fm = FaceModel.load()
    prep = fm.prepare(v, t, up=up, forward=forward, materials=data["head_materials"])
    skin = fm.predict_skin_weights(prep)
    report = check_rig(
        v, t, fm.bake(prep, skin), up=up, forward=forward, skin_weights=skin, region_names=fm.region_names
    )
    assert min(report.info["lid_zigzag_neutral"].values()) > 2.0  # the noisy margins zig-zag open
    for blink in ("eyeBlink_L", "eyeBlink_R"):
        r = next(s for s in report.shapes if s.name == blink)
        assert r.lid_zigzag_pct is not None and r.lid_zigzag_pct <= THRESHOLDS["lid_zigzag_pct"], blink
        assert r.eyeball_cover_pct is not None and r.eyeball_cover_pct >= 99.0
        assert r.flipped_triangles == 0
    assert not [line for line in report.verdicts if "zig-zag" in line or "flip" in line]


def test_the_noisy_demo_heads_closed_lids_meet_along_a_smooth_line():
    """The demo head with scan-like noise (0.15 % of its size along the normals, one offset per
    surface point, as benchmarks/realdev_variants.py): its open eyes' closed lids met along a
    zig-zag of 10.3 / 7.6 % of the eye's width (the smooth lid line acted on closed sockets
    only). Now within the check's 2 %, still fully closed, nothing flipped, the blink pair
    mirror-symmetric within the check's 5 %."""
    import pathlib

    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from model.rig_check import THRESHOLDS, check_rig

    mesh = read_mesh(pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj")
    v, t = np.asarray(mesh.vertices, dtype=np.float64), mesh.triangles()
    v = _scan_noise(v, t)
    fm = FaceModel.load()
    prep = fm.prepare(v, t, up="Y", forward="Z")
    skin = fm.predict_skin_weights(prep)
    report = check_rig(v, t, fm.bake(prep, skin), skin_weights=skin, region_names=fm.region_names)
    assert report.info["lid_zigzag_neutral"]["L"] > 2.0  # the noisy margins zig-zag open
    for blink in ("eyeBlink_L", "eyeBlink_R"):
        r = next(s for s in report.shapes if s.name == blink)
        assert r.lid_zigzag_pct is not None and r.lid_zigzag_pct <= THRESHOLDS["lid_zigzag_pct"], blink
        assert r.lid_closure_pct == 100.0 and r.lid_closure_min_pct == 100.0
        assert r.flipped_triangles == 0
        assert r.mirror_error_pct <= THRESHOLDS["mirror_error_pct"]
    assert not [line for line in report.verdicts if "eyeBlink" in line]
