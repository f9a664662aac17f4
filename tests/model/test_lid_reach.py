"""The rig check's reach for the lid shapes: the lids of a known eye are where the eye is, not
where (possibly wrong) skin weights say."""

from __future__ import annotations

import numpy as np
import pytest
from test_rig_check import EYE_X, blink, eyed_face, with_eyeballs

from model.facs import ICT_NAMES
from model.regions import REGION_NAMES
from model.rig_check import _LID_ZONE, check_rig

BALL_RADIUS, BALL_Z = 0.4, -0.35  # with_eyeballs' spheres


def _shape(report, name):
    return next(s for s in report.shapes if s.name == name)


@pytest.fixture(scope="module")
def eyes():
    """The sheet with two eye openings and eyeballs behind them, and a blink of the left eye
    kept within the lids (the motion fades out before the lid zone ends)."""
    v, t = with_eyeballs(*eyed_face())
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    lid = blink(v, +1)
    centre = np.array([EYE_X, 0.0, BALL_Z])
    dist = np.linalg.norm(v - centre, axis=1)
    lid *= np.clip((_LID_ZONE * BALL_RADIUS - dist) / 0.1, 0.0, 1.0)[:, None]
    assert np.abs(lid).max() > 0.1
    deltas[ICT_NAMES.index("eyeBlink_L")] = lid
    return v, t, deltas, dist


def test_lid_motion_counts_inside_even_where_the_weights_call_it_nose(eyes):
    """Skin weights that label the whole face "nose" (as the network's do on an avatar's right
    lids): the old check counted a blink that moves only the lids as 100 % outside."""
    v, t, deltas, _ = eyes
    weights = np.zeros((len(v), len(REGION_NAMES)))
    weights[:, REGION_NAMES.index("nose")] = 1.0
    report = check_rig(v, t, deltas, skin_weights=weights, region_names=REGION_NAMES)
    assert report.info["eyeballs_found"]
    assert _shape(report, "eyeBlink_L").reach_outside_pct == pytest.approx(0.0, abs=1e-6)
    assert not any(line.startswith("eyeBlink_L") and "outside" in line for line in report.verdicts)


def test_motion_past_the_lids_still_counts_outside(eyes):
    """The zone is the lids only: the same blink that also drags the brow and the cheek of that
    side (beyond 1.4 eyeball radii) is flagged, and the other eye's zone does not count."""
    v, t, deltas, dist = eyes
    weights = np.zeros((len(v), len(REGION_NAMES)))
    weights[:, REGION_NAMES.index("nose")] = 1.0
    spill = deltas.copy()
    far = (dist > 2.0 * _LID_ZONE * BALL_RADIUS) & (dist < 1.6) & (v[:, 0] > 0)
    spill[ICT_NAMES.index("eyeBlink_L"), far, 1] = -0.3
    report = check_rig(v, t, spill, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct > 50.0
    # the left lid shape moving the right eye's lids is outside too
    ball_r = np.linalg.norm(v - [-EYE_X, 0.0, BALL_Z], axis=1)
    other = deltas.copy()
    other[ICT_NAMES.index("eyeBlink_L")] = (
        blink(v, -1) * np.clip((_LID_ZONE * BALL_RADIUS - ball_r) / 0.1, 0, 1)[:, None]
    )
    report = check_rig(v, t, other, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct == pytest.approx(100.0, abs=1e-6)


def test_shapes_that_do_not_act_on_the_lids_keep_the_weights(eyes):
    """jawOpen moving the lids is outside its regions (the zone is only for lid shapes)."""
    v, t, deltas, _ = eyes
    weights = np.zeros((len(v), len(REGION_NAMES)))
    weights[:, REGION_NAMES.index("nose")] = 1.0
    wrong = deltas.copy()
    wrong[ICT_NAMES.index("jawOpen")] = deltas[ICT_NAMES.index("eyeBlink_L")]
    report = check_rig(v, t, wrong, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "jawOpen").reach_outside_pct == pytest.approx(100.0, abs=1e-6)


def test_a_shape_that_barely_moves_gets_no_reach(eyes):
    """The eye shapes on busts with sealed eyes move a thousandth of jawOpen: where those specks
    lie says nothing about the shape (the old check called them 90-98 % outside). Shapes that
    move as little as ICT-FaceKit's smallest (5.9 % of jawOpen) are still measured."""
    v, t, deltas, _ = eyes
    weights = np.zeros((len(v), len(REGION_NAMES)))
    weights[:, REGION_NAMES.index("nose")] = 1.0
    rig = np.zeros_like(deltas)
    rig[ICT_NAMES.index("jawOpen"), :, 1] = -1.0 * (v[:, 1] < -2.0)
    specks = np.zeros((len(v), 3))
    specks[v[:, 1] > 2.0, 1] = 1e-4  # on the forehead, far from the eyes
    rig[ICT_NAMES.index("eyeBlink_L")] = specks
    rig[ICT_NAMES.index("eyeBlink_R")] = specks * 600.0  # 6 % of jawOpen
    report = check_rig(v, t, rig, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct is None
    assert report.info["still_shapes"] == ["eyeBlink_L"]
    assert _shape(report, "eyeBlink_R").reach_outside_pct == pytest.approx(100.0, abs=1e-6)


def test_the_lid_zone_reaches_the_lids_own_margins():
    """A low-poly head's lid margins are the far corners of the few long triangles over the
    eyeball (Rocketbox Adult_02 decimated to 596 vertices: 1.6-2.4 eyeball radii from the
    centre): a blink that moves the lids out to their margins and no further is all inside,
    whatever the weights say; the same blink dragging the skin past the margins is flagged.
    Here the eyeballs are small behind wide openings: the canthi lie 2 radii from the centre."""
    from mesh_helpers import uv_sphere

    v, t = eyed_face()
    sheet_blink = blink(v, +1)
    radius, depth = 0.25, -0.1
    ball, ball_t = uv_sphere()
    parts_v, parts_t, n = [v], [t], len(v)
    for side in (1.0, -1.0):
        parts_v.append(ball * radius + [side * EYE_X, 0.0, depth])
        parts_t.append(ball_t + n)
        n += len(ball)
    v, t = np.vstack(parts_v), np.concatenate(parts_t).astype(np.int64)
    centre = np.array([EYE_X, 0.0, depth])
    dist = np.linalg.norm(v - centre, axis=1)
    canthus = float(np.linalg.norm([0.5, 0.0, -depth]))  # the opening's corners
    assert canthus > 1.9 * radius
    weights = np.zeros((len(v), len(REGION_NAMES)))
    weights[:, REGION_NAMES.index("nose")] = 1.0
    rig = np.zeros((len(ICT_NAMES), len(v), 3))
    lid = np.zeros_like(v)  # the eyeballs stay
    lid[: len(sheet_blink)] = sheet_blink
    lid *= np.clip((canthus - dist) / 0.1, 0.0, 1.0)[:, None]
    rig[ICT_NAMES.index("eyeBlink_L")] = lid
    report = check_rig(v, t, rig, skin_weights=weights, region_names=REGION_NAMES)
    assert report.info["eyeballs_found"] and report.info["eyes_found"] == ["L", "R"]
    # moving the lid skin between 1.4 radii and the margins counted outside before
    assert np.abs(lid[(dist > _LID_ZONE * radius) & (dist < canthus)]).max() > 0.1
    assert _shape(report, "eyeBlink_L").reach_outside_pct == pytest.approx(0.0, abs=1e-6)
    assert not any(line.startswith("eyeBlink_L") and "outside" in line for line in report.verdicts)
    # past the margins (the brow above, the cheek below) is still outside
    spill = rig.copy()
    far = (dist > canthus + 0.05) & (dist < 1.2) & (v[:, 0] > 0)
    spill[ICT_NAMES.index("eyeBlink_L"), far, 1] = -0.3
    report = check_rig(v, t, spill, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct > 50.0
    assert any(line.startswith("eyeBlink_L") and "outside" in line for line in report.verdicts)
