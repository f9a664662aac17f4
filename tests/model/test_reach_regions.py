"""The rig check's reach on meshes unlike ICT-FaceKit: sealed eyes (bust scans), the network's
diffuse skin weights, and a game head's mouth bag (issue 9, item 6)."""

from __future__ import annotations

import numpy as np
import pytest
from test_rig_check import eyed_face

from model.facs import ICT_NAMES
from model.regions import REGION_NAMES
from model.rig_check import _LID_ZONE, _SEALED_EYE_DEPTH, _SEALED_EYE_RADIUS, check_rig, face_anchors


def _shape(report, name):
    return next(s for s in report.shapes if s.name == name)


def _one_hot(n: int, region: str) -> np.ndarray:
    w = np.zeros((n, len(REGION_NAMES)))
    w[:, REGION_NAMES.index(region)] = 1.0
    return w


def sealed_face(step: float = 0.1):
    """A bowl-shaped sheet without eye openings and with a nose (its tip 1.2 below the centre),
    the geometry of a bust whose eyes are carved, not open. (V, 3), (T, 3)."""
    xs = np.round(np.arange(-30, 31) * step, 6)
    ys = np.round(np.arange(-75, 41) * step, 6)
    x, y = np.meshgrid(xs, ys)
    z = -0.02 * (x**2 + y**2) + 1.3 * np.exp(-((x / 0.4) ** 2) - ((y + 1.2) / 0.8) ** 2)
    v = np.stack([x, y, z], -1).reshape(-1, 3)
    i = np.arange(x.size).reshape(x.shape)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return v, t.astype(np.int64)


@pytest.fixture(scope="module")
def sealed():
    v, t = sealed_face()
    anchors = face_anchors(v, t)
    assert anchors.source == "nose tip (estimate)" and not anchors.eyes and not anchors.eyeballs
    u = anchors.eye_distance
    centre = anchors.mid + u * np.array([0.5, 0.0, -_SEALED_EYE_DEPTH])  # the left eye (+x)
    dist = np.linalg.norm(anchors.canonical - centre, axis=1)
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    deltas[ICT_NAMES.index("jawOpen"), :, 1] = -1.0 * (v[:, 1] < -4.0)
    zone = _LID_ZONE * _SEALED_EYE_RADIUS * u
    # the carved lids move, fading out before the lid zone ends
    lid = np.clip((zone - dist) / (0.3 * zone), 0.0, 1.0)
    assert (lid > 0.5).sum() > 10
    deltas[ICT_NAMES.index("eyeBlink_L"), :, 1] = -0.2 * lid
    return v, t, deltas, dist, zone


def test_sealed_eye_lid_motion_counts_inside_where_the_anchors_put_the_eye(sealed):
    """The network labels a bust's upper lid ``brow`` (Nefertiti's right eye): a blink that moves
    the carved lids and nothing else counted 100 % outside; the lids are where the face anchors
    put the eye, as for an open eye."""
    v, t, deltas, _, _ = sealed
    report = check_rig(v, t, deltas, skin_weights=_one_hot(len(v), "brow_L"), region_names=REGION_NAMES)
    assert report.info["eye_anchor"] == "nose tip (estimate)"
    assert _shape(report, "eyeBlink_L").reach_outside_pct == pytest.approx(0.0, abs=1e-6)
    assert not any(line.startswith("eyeBlink_L") for line in report.verdicts)


def test_sealed_eye_motion_past_the_lids_or_on_the_other_eye_still_counts_outside(sealed):
    v, t, deltas, dist, zone = sealed
    weights = _one_hot(len(v), "brow_L")
    spill = deltas.copy()
    # the same blink dragging the brow above the eye
    far = (dist > 1.5 * zone) & (dist < 3.0 * zone) & (v[:, 1] > 0.5)
    spill[ICT_NAMES.index("eyeBlink_L"), far, 1] = -0.2
    report = check_rig(v, t, spill, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct > 50.0
    # the left blink moving the right eye's lids
    mirrored = deltas.copy()
    mirrored[ICT_NAMES.index("eyeBlink_L")] = deltas[ICT_NAMES.index("eyeBlink_L")][_mirror(v)]
    report = check_rig(v, t, mirrored, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "eyeBlink_L").reach_outside_pct == pytest.approx(100.0, abs=1e-6)


def _mirror(v: np.ndarray) -> np.ndarray:
    key = {tuple(np.round(p[:2], 6)): k for k, p in enumerate(v)}
    return np.array([key[(round(-p[0], 6) + 0.0, round(p[1], 6))] for p in v])


def test_a_diffuse_tail_of_the_skin_weights_is_not_motion_outside():
    """The network's weights on Rocketbox Adult_01: the top region ~0.76, the rest spread thinly
    over the other regions (their sum: median 0.19, 90th percentile 0.43). jawOpen on skin whose
    top region is the jaw counted the tail on the regions it does not act on (0.4 * 12/19 here:
    27 %, a verdict) as outside; against the strongest other region it is inside."""
    v, t = eyed_face()
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    deltas[ICT_NAMES.index("jawOpen"), :, 1] = -0.5 * np.exp(-(v[:, 0] ** 2 + (v[:, 1] + 3.0) ** 2))
    weights = np.full((len(v), len(REGION_NAMES)), 0.4 / (len(REGION_NAMES) - 1))
    weights[:, REGION_NAMES.index("chin_jaw")] = 0.6
    report = check_rig(v, t, deltas, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "jawOpen").reach_outside_pct < 5.0
    assert not any(line.startswith("jawOpen") for line in report.verdicts)


def test_motion_on_skin_the_weights_give_to_another_region_still_counts_outside():
    """A vertex whose strongest region is not the shape's is outside, diffuse tail or not."""
    v, t = eyed_face()
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    deltas[ICT_NAMES.index("jawOpen"), :, 1] = -0.5 * np.exp(-(v[:, 0] ** 2 + (v[:, 1] + 3.0) ** 2))
    weights = np.full((len(v), len(REGION_NAMES)), 0.3 / (len(REGION_NAMES) - 1))
    weights[:, REGION_NAMES.index("forehead")] = 0.7  # the whole sheet is forehead
    report = check_rig(v, t, deltas, skin_weights=weights, region_names=REGION_NAMES)
    # the tail on jawOpen's seven regions (0.11) against the forehead's 0.7: 86 % outside
    assert _shape(report, "jawOpen").reach_outside_pct > 80.0
    assert any(line.startswith("jawOpen") and "outside" in line for line in report.verdicts)


def with_mouth_bag(v: np.ndarray, t: np.ndarray):
    """The eyed sheet (eye distance 2, mouth 2.4 below the eyes) with a bag behind the mouth: a
    small sheet 0.6 behind the surface, as a game head's mouth interior. Returns vertices,
    triangles and the bag's vertex ids."""
    xs, ys = np.linspace(-0.8, 0.8, 9), np.linspace(-2.8, -2.0, 5)
    x, y = np.meshgrid(xs, ys)
    bag = np.stack([x, y, -0.02 * (x**2 + y**2) - 0.6], -1).reshape(-1, 3)
    i = np.arange(x.size).reshape(x.shape) + len(v)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    bag_t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    ids = np.arange(len(v), len(v) + len(bag))
    return np.vstack([v, bag]), np.concatenate([t, bag_t]).astype(np.int64), ids


def test_the_mouth_interior_is_left_out_of_the_reach():
    """jawOpen carries the bag's floor along (a welded tongue, by design); the network labels the
    bag ``nose`` (Rocketbox Adult_01) and ICT's head has no mouth interior to compare with: the
    bag carries 34-43 % of the jaw shapes' motion, all of it counted outside. Visible skin the weights
    give to another region still counts."""
    from model.mouth_interior import mouth_interior

    v0, t0 = eyed_face()
    v, t, bag = with_mouth_bag(v0, t0)
    anchors = face_anchors(v, t, skin_mask=np.ones(len(v), bool))
    inside = mouth_interior(anchors.canonical, t, np.ones(len(v), bool), anchors.mid, anchors.eye_distance)
    assert set(np.flatnonzero(inside)) == set(bag)  # the front sheet is never hidden
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    jaw = ICT_NAMES.index("jawOpen")
    deltas[jaw, : len(v0), 1] = -0.5 * np.exp(-(v0[:, 0] ** 2 + (v0[:, 1] + 3.0) ** 2))
    deltas[jaw, bag, 1] = -0.5
    weights = _one_hot(len(v), "chin_jaw")
    weights[bag] = _one_hot(len(bag), "nose")
    skin = np.ones(len(v), bool)
    report = check_rig(v, t, deltas, skin_mask=skin, skin_weights=weights, region_names=REGION_NAMES)
    assert report.info["mouth_interior_vertices"] == len(bag)
    assert _shape(report, "jawOpen").reach_outside_pct == pytest.approx(0.0, abs=1e-6)
    visible = np.flatnonzero(np.abs(deltas[jaw, : len(v0), 1]) > 0.1)
    weights[visible] = _one_hot(len(visible), "nose")
    report = check_rig(v, t, deltas, skin_mask=skin, skin_weights=weights, region_names=REGION_NAMES)
    assert _shape(report, "jawOpen").reach_outside_pct > 50.0
