"""A low-poly lid resting close over its eyeball (a decimated game head's): closed, its wide
triangles' middles cut into the eyeball, which shows through the lid. The lid is brought
forward off it (seen from the front nothing moves), and a lid that clears it is left alone."""

from __future__ import annotations

import numpy as np
import pytest
from test_coarse_lower_lid import decimated_socket
from test_eyelids import BLINKS, EYE

from model.eyelids import blink_deltas, lid_frame
from model.face_landmarks import largest_component_mask
from model.lid_clearance import clear_eyeball
from model.lid_line import smooth_margins
from model.rig_check import check_rig

SHELL = 1.05  # the lids' distance from the eyeball's centre (eyeball radius 1)


def close_socket(shell: float | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`test_coarse_lower_lid.decimated_socket` (its lids on a sphere of radius 1.2 about
    each eyeball's centre), the lids moved onto a sphere of radius ``shell`` (None: as it is)."""
    v, t = decimated_socket()
    if shell is None:
        return v, t
    skin = largest_component_mask(len(v), t)
    v = v.copy()
    for sx in (1.0, -1.0):
        centre = np.array([sx * EYE, 0.0, 0.0])
        off = v - centre
        d = np.linalg.norm(off, axis=1)
        lid = skin & (d < 1.2 + 1e-6)
        v[lid] = centre + off[lid] * (shell / d[lid])[:, None]
    return v, t


def _blinks(v, t, clear: bool) -> tuple[np.ndarray, np.ndarray]:
    """(closed blinks (2, V, 3) as the bake's last lid passes leave them, the same without the
    clearance)."""
    out, plain = [], []
    for side in ("L", "R"):
        frame = lid_frame(v, t, side)
        assert not isinstance(frame, str), frame
        d, reason = blink_deltas(v, t, side, frame)
        assert d is not None, reason
        d = smooth_margins(v, d, frame, t)
        plain.append(d)
        out.append(clear_eyeball(v, d, frame, t) if clear else d)
    return np.stack(out), np.stack(plain)


@pytest.fixture(scope="module")
def close():
    return close_socket(SHELL)


def test_a_close_coarse_lids_chords_cut_into_the_eyeball(close):
    v, t = close
    raw, _ = _blinks(v, t, clear=False)
    report = check_rig(v, t, raw, names=list(BLINKS))
    # the fixture: without the clearance the eyeball shows through most of the closed lid
    assert all(s.eyeball_cover_pct < 50.0 for s in report.shapes)


def test_the_closed_lid_is_brought_off_the_eyeball(close):
    v, t = close
    cleared, plain = _blinks(v, t, clear=True)
    report = check_rig(v, t, cleared, names=list(BLINKS))
    for shape in report.shapes:
        assert shape.eyeball_cover_pct >= 90.0 and shape.eyeball_cover_min_pct >= 90.0, shape
        assert shape.flipped_triangles == 0, shape
    # only forward: seen from the front (the lids' line) nothing moves, and only what the blink moved
    assert np.array_equal(cleared[..., :2], plain[..., :2])
    lifted = np.any(cleared != plain, axis=2)
    assert lifted.any() and not (lifted & ~np.any(plain != 0.0, axis=2)).any()
    assert (cleared[..., 2] >= plain[..., 2]).all()


def test_a_lid_that_clears_the_eyeball_is_left_alone():
    v, t = close_socket(None)  # lids 1.2 radii out: no chord reaches the eyeball
    cleared, plain = _blinks(v, t, clear=True)
    for side in range(2):
        assert np.array_equal(cleared[side], plain[side])


def test_a_blinks_lifts_take_at_least_its_mirror_twins():
    """Two lids decimated differently cut into their eyeballs in different places: each blink's
    lift off the eyeball is raised to its mirror twin's where that is larger (only forward)."""
    from types import SimpleNamespace

    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.mirror_pass import MirrorPartners

    identity = SimpleNamespace(
        vectors_to_canonical=lambda v: np.asarray(v), vectors_from_canonical=lambda v: np.asarray(v)
    )
    # vertices 0 (left lid) and 1 (right lid) are each other's partners; vertex 2 has none
    hits = SimpleNamespace(barycentric=np.ones((3, 1)), corners=np.array([[1], [0], [2]]))
    partners = MirrorPartners(hits, np.array([1.0, 0.0, 0.0]), np.array([True, True, False]), identity)
    prepared = SimpleNamespace(welding=None, frame=identity)
    left, right = ICT_NAMES.index("eyeBlink_L"), ICT_NAMES.index("eyeBlink_R")
    deltas = np.zeros((len(ICT_NAMES), 3, 3), dtype=np.float32)
    deltas[[left, right], :, 1] = -1.0  # the blinks' own motion (down)
    lifts = {
        left: np.array([[0, 0, 0.3], [0, 0, 0], [0, 0, 0.2]]),
        right: np.array([[0, 0, 0.1], [0, 0, 0.1], [0, 0, 0]]),
    }
    out = FaceModel._mirror_lifts(prepared, deltas, lifts, partners)
    # the right lid's vertex 1 takes the left's 0.3 (it had 0.1 more than nothing)
    assert np.allclose(out[right, 1], [0.0, -1.0, 0.2])
    # the left lid's vertex 1 takes the right's 0.1 at vertex 0; vertex 0 keeps its larger own lift
    assert np.allclose(out[left, 1], [0.0, -1.0, 0.1]) and np.allclose(out[left, 0], deltas[left, 0])
    # an unmatched vertex keeps its own
    assert np.allclose(out[[left, right], 2], deltas[[left, right], 2])
    # no lifts: the same array back
    assert FaceModel._mirror_lifts(prepared, deltas, {}, partners) is deltas
