"""Reach and ripple of the shipped rig on the real-dev meshes (../shared/real-dev; skipped where
it is absent), issue 9 item 6: the eye shapes of the sealed-eye busts counted 27-77 % of their
motion outside their regions (the check's lid regions, not the motion, were misplaced: the
carved lids move), Rocketbox Adult_01's jaw and lower-lip shapes 28-38 % (their mouth bag and
the network's diffuse skin weights), and its mouthLeft rippled 7.0x ICT (a sub-millimetre fold
of the upper lip moving apart)."""

from __future__ import annotations

import pytest
from realdev_helpers import prepared_realdev_head

from model.rig_check import THRESHOLDS, check_rig

EYE_SHAPES = ("eyeBlink", "eyeLook", "eyeWide", "eyeSquint")
MOUTH_SHAPES = (
    "jawOpen", "jawForward", "jawLeft", "jawRight", "mouthLowerDown_L", "mouthLowerDown_R",
    "mouthRollLower", "mouthShrugLower",
)  # fmt: skip
RIPPLE_SHAPES = ("mouthLeft", "mouthShrugUpper", "mouthFunnel", "mouthPucker")


def _report(name: str):
    fm, prepared, v, t, data = prepared_realdev_head(name, materials=True)
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin)
    return check_rig(
        v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin, region_names=fm.region_names
    )


@pytest.mark.parametrize("mesh", ["demosthenes_bust_scan.obj", "nefertiti_bust_scan.obj"])
def test_sealed_eye_shapes_stay_on_the_eyes(mesh):
    report = _report(mesh)
    assert not report.info["eyes_found"] and not report.info["eyeballs_found"]
    eye = [s for s in report.shapes if s.name.startswith(EYE_SHAPES) and s.reach_outside_pct is not None]
    assert len(eye) >= 12  # measured, not left out as barely moving
    worst = max(eye, key=lambda s: s.reach_outside_pct)
    assert worst.reach_outside_pct <= THRESHOLDS["reach_outside_pct"], (worst.name, worst.reach_outside_pct)
    assert sum(s.flipped_triangles for s in report.shapes) == 0


def test_rocketbox_adult_01_mouth_reach_and_ripple():
    report = _report("rocketbox_Female_Adult_01.fbx")
    shapes = {s.name: s for s in report.shapes}
    for name in MOUTH_SHAPES:
        assert shapes[name].reach_outside_pct <= THRESHOLDS["reach_outside_pct"], name
    for name in RIPPLE_SHAPES:
        assert shapes[name].ripple_ratio <= THRESHOLDS["ripple_ratio"], name
    assert sum(s.flipped_triangles for s in report.shapes) == 0
    assert max(s.static_leakage_pct or 0.0 for s in report.shapes) <= THRESHOLDS["static_leakage_pct"]
