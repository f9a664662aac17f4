"""A tongue welded into the mouth bag (:mod:`model.welded_tongue`): found below the lip slit where
it lags the jaw, and only there; synthetic points in the canonical frame."""

from __future__ import annotations

import numpy as np

from model.parts import PART_INDEX
from model.welded_tongue import find_welded_tongue, has_loose_jaw_parts, with_tongue


def _mouth():
    """Canonical points of a parted mouth and its jawOpen deltas: the lips' middle column
    (upper lip still, lower lip 30 mm down), the bag's roof (still), its floor (down with the
    jaw) and a tongue between them (left behind, as the network leaves a welded one)."""
    pts, move, kind = [], [], []

    def add(xyz, d, k):
        pts.append(xyz)
        move.append([0.0, -d, 0.0])
        kind.append(k)

    for y in np.linspace(-0.16, -0.30, 6):
        add([0.0, y, 0.95], 0.003, "upper_lip")
    for y in np.linspace(-0.33, -0.48, 6):
        add([0.0, y, 0.95], 0.030, "lower_lip")
    for x in np.linspace(-0.2, 0.2, 5):
        for z in np.linspace(0.4, 0.8, 5):
            add([x, -0.20, z], 0.002, "roof")
            add([x, -0.45, z], 0.025, "floor")
            add([x, -0.36, z], 0.002, "tongue")
    add([0.0, -1.0, -0.5], 0.0, "neck")  # far behind and below: never the mouth
    return np.array(pts), np.array(move), np.array(kind)


def test_the_lagging_tongue_below_the_slit_is_found_and_nothing_else():
    c, d, kind = _mouth()
    ids = find_welded_tongue(c, np.ones(len(c), bool), d)
    assert set(kind[ids]) == {"tongue"}
    assert ids.size == (kind == "tongue").sum()


def test_a_tongue_that_follows_the_jaw_is_left_alone():
    c, d, kind = _mouth()
    d[kind == "tongue"] = [0.0, -0.02, 0.0]
    assert find_welded_tongue(c, np.ones(len(c), bool), d).size == 0


def test_a_closed_still_mouth_or_non_skin_gives_nothing():
    c, d, kind = _mouth()
    assert find_welded_tongue(c, np.ones(len(c), bool), np.zeros_like(d)).size == 0
    assert find_welded_tongue(c, kind != "tongue", d).size == 0
    # lips that move alike (no slit: a sealed scan) give nothing
    d2 = np.where((kind == "upper_lip")[:, None], [0.0, -0.03, 0.0], d)
    assert find_welded_tongue(c, np.ones(len(c), bool), d2).size == 0


def test_with_tongue_labels_a_copy():
    from model.parts import Parts
    from model.rig_constraints import RigAnalysis

    analysis = RigAnalysis(frame=None, head=None, parts=Parts(labels=np.zeros(5, dtype=np.int64)))
    out = with_tongue(analysis, np.array([1, 3]))
    assert out.parts.labels.tolist() == [0, PART_INDEX["tongue"], 0, PART_INDEX["tongue"], 0]
    assert analysis.parts.labels.tolist() == [0] * 5
    assert has_loose_jaw_parts(out.parts.labels) and not has_loose_jaw_parts(analysis.parts.labels)


def test_the_tongue_is_measured_in_eye_distances_from_the_eye_line():
    """A face at another scale and height in the canonical frame (a face-only crop fills more of
    it) finds the same tongue when its eyes are given."""
    from model.welded_tongue import REFERENCE_EYES

    c, d, kind = _mouth()
    eye_y, u = REFERENCE_EYES
    expected = find_welded_tongue(c, np.ones(len(c), bool), d)
    assert set(kind[expected]) == {"tongue"}
    for scale, lift in ((0.7, 0.1), (1.4, -0.2)):
        moved = c * scale + [0.0, lift, 0.0]
        eyes = (eye_y * scale + lift, u * scale)
        np.testing.assert_array_equal(find_welded_tongue(moved, np.ones(len(c), bool), d, eyes), expected)
        # measured with the Rocketbox heads' eyes instead, the tongue is not found as it is
        assert not np.array_equal(find_welded_tongue(moved, np.ones(len(c), bool), d), expected)
