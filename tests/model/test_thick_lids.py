"""A thick lid (a game avatar's: the margin rests on the eyeball, the lid's front bulges far in
front of it) closes as one piece: its front turns with its margin, no crease folds in above."""

from __future__ import annotations

import numpy as np
import pytest
from test_eyelids import EYE, coarse_socket

from model.eyelids import blink_deltas, lid_frame
from model.lid_follow import LID_FOLLOW, follow_lids
from model.rig_check import THRESHOLDS, check_rig

FRONT = 1.5  # the lids' front ring lies this far from the eyeball's centre (eyeball radius 1)


def thick_socket() -> tuple[np.ndarray, np.ndarray]:
    """:func:`test_eyelids.coarse_socket` with the ring of the lids' front (the second ring
    around each opening) pushed out from the eyeball's centre to :data:`FRONT` radii: the
    margin at 1.2, the front 0.3 further out, like the Rocketbox avatars' upper lids."""
    v, t = coarse_socket()
    v = v.copy()
    k = 9 + 7  # margin vertices per eye; the front rings follow the two margins
    for i, side in enumerate((1.0, -1.0)):
        ring = np.arange(2 * k + i * k, 2 * k + (i + 1) * k)
        centre = np.array([side * EYE, 0.0, 0.0])
        off = v[ring] - centre
        v[ring] = centre + off * (FRONT / np.linalg.norm(off, axis=1))[:, None]
    return v, t


@pytest.fixture(scope="module")
def thick():
    return thick_socket()


def _turn(v, frame, d, idx):
    """Turn (degrees, up > 0) of vertices ``idx`` about the eyeball's X axis."""
    c = frame.centre

    def phi(p):
        return np.arctan2(p[:, 1] - c[1], p[:, 2] - c[2])

    return np.degrees(phi(v[idx] + d[idx]) - phi(v[idx]))


def _upper_front(v, frame):
    """The upper half of the front ring of the left eye, middle across the eye."""
    ring = np.arange(2 * 16, 3 * 16)
    up = ring[(v[ring, 1] > 0.1) & (np.abs(v[ring, 0] - frame.centre[0]) < 0.75)]
    assert len(up) >= 3
    return up


def test_fixture_is_thick(thick):
    v, _ = thick
    front = np.linalg.norm(v[32:48] - [EYE, 0.0, 0.0], axis=1)
    margin = np.linalg.norm(v[:16] - [EYE, 0.0, 0.0], axis=1)
    assert np.allclose(front, FRONT) and np.allclose(margin, 1.2, atol=0.01)


def test_blink_turns_the_lid_front_with_its_margin(thick):
    """The old falloff started at the margin's distance: the front (0.3 radius further out)
    turned ~30 % less than the margin and the lid sheared into a crease above it."""
    v, t = thick
    frame = lid_frame(v, t, "L")
    assert not isinstance(frame, str) and frame.socket
    d, reason = blink_deltas(v, t, "L")
    assert d is not None, reason
    margin = frame.upper_margin
    mid = margin[np.abs(v[margin, 0] - frame.centre[0]) < 0.5]
    lid = float(np.mean(_turn(v, frame, d, mid)))
    front = _turn(v, frame, d, _upper_front(v, frame))
    assert lid < -10.0
    assert front.max() <= 0.9 * lid, (front, lid)  # both negative: the front turns >= 90 % as far
    report = check_rig(v, t, np.stack([d, blink_deltas(v, t, "R")[0]]), names=["eyeBlink_L", "eyeBlink_R"])
    for shape in report.shapes:
        assert shape.eyeball_cover_pct >= 90.0 and shape.eyeball_cover_min_pct >= 90.0, shape
        assert shape.flipped_triangles == 0, shape
        assert shape.lid_zigzag_pct <= THRESHOLDS["lid_zigzag_pct"], shape


def test_look_down_turns_the_lid_front_to_the_target(thick):
    """eyeLookDown's upper lid follows the eye: its front as well as its margin."""
    v, t = thick
    frame = lid_frame(v, t, "L")
    out = follow_lids(v, t, np.zeros((1, len(v), 3), dtype=np.float32), ["eyeLookDown_L"])[0]
    target = LID_FOLLOW["eyeLookDown"][0]
    front = _turn(v, frame, out.astype(np.float64), _upper_front(v, frame))
    assert front.max() <= 0.9 * target, (front, target)
