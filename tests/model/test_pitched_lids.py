"""A game avatar modelled nodding (Rocketbox Adult_01 turned 10 degrees in pitch; ../shared/real-dev,
skipped where it is absent): its blinks close the eye as seen from the face's front.

The lid solver looked at the eye along the mesh's forward axis, 10 degrees off the face's: the
lids closed along a line tilted against the eye, and the rig check (on the avatar as it came, the
bake mapped back) found the eyeball showing (cover 97 / 94 %, worst column 67 %) and the margins
zig-zagging (4.8 / 3.6 %). The lids now work upright with the face's pitch
(:func:`model.eyelids.eye_turn`)."""

from __future__ import annotations

import numpy as np
from realdev_helpers import load_realdev_mesh

from model.rig_check import THRESHOLDS, check_rig

AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def _axis(name: str) -> np.ndarray:
    v = np.zeros(3)
    v[AXIS_INDEX[name.lstrip("-")]] = -1.0 if name.startswith("-") else 1.0
    return v


def _turn(axis: np.ndarray, degrees: float) -> np.ndarray:
    """(3, 3) rotation about the unit ``axis`` by ``degrees`` (Rodrigues)."""
    a = axis / np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def test_a_nodding_avatars_blinks_cover_the_eyeball():
    from model.api import FaceModel

    data = load_realdev_mesh("rocketbox_Female_Adult_01.fbx")
    v = data["vertices"][data["head_ids"]].astype(np.float64)
    t, up, forward = data["head_triangles"], data["up"], data["forward"]
    # pitch: about the side axis through the head's centre (benchmarks/realdev_variants.py)
    turn = _turn(np.cross(_axis(up), _axis(forward)), 10.0)
    centre = 0.5 * (v.min(axis=0) + v.max(axis=0))
    pitched = (v - centre) @ turn.T + centre
    fm = FaceModel.load()
    prepared = fm.prepare(pitched, t, up=up, forward=forward, materials=data.get("head_materials"))
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin, method="mixed")
    # judged on the avatar as it came: the bake's robustness, not the check's
    report = check_rig(
        v, t, deltas @ turn, up=up, forward=forward, skin_weights=skin, region_names=fm.region_names
    )
    shapes = {s.name: s for s in report.shapes}
    for name in ("eyeBlink_L", "eyeBlink_R"):
        s = shapes[name]
        assert s.eyeball_cover_pct >= THRESHOLDS["blink_closure_pct"], (name, s.eyeball_cover_pct)
        assert s.eyeball_cover_min_pct >= THRESHOLDS["blink_closure_pct"], (name, s.eyeball_cover_min_pct)
        assert s.lid_zigzag_pct <= THRESHOLDS["lid_zigzag_pct"], (name, s.lid_zigzag_pct)


class _Alignment:
    def __init__(self, degrees: float):
        self.face_pitch = float(np.radians(degrees))


class _Prepared:
    def __init__(self, degrees: float | None):
        self._tensors = {} if degrees is None else {"face_alignment": _Alignment(degrees)}


def test_eye_turn_stands_a_nodding_face_upright_and_leaves_an_upright_one():
    """A face within LID_PITCH_FREE_DEGREES keeps the mesh's front (None: the lids' frame bit for
    bit); a nodding one is turned by the excess, continuously (no jump at the band's edge)."""
    from model.eyelids import LID_PITCH_FREE_DEGREES, eye_turn

    assert eye_turn(_Prepared(None)) is None
    assert eye_turn(_Prepared(-0.9 * LID_PITCH_FREE_DEGREES)) is None
    for degrees in (-14.3, 12.0):
        turn = eye_turn(_Prepared(degrees))
        excess = np.sign(degrees) * (abs(degrees) - LID_PITCH_FREE_DEGREES)
        # a turn about X by the excess (Y toward Z for positive angles)
        assert np.allclose(turn[0], [1.0, 0.0, 0.0])
        assert np.isclose(np.degrees(np.arctan2(turn[2, 1], turn[1, 1])), excess)
    just_past = eye_turn(_Prepared(LID_PITCH_FREE_DEGREES + 0.01))
    assert np.degrees(np.arccos(np.clip(just_past[1, 1], -1.0, 1.0))) < 0.02
