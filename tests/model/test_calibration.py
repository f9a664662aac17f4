"""Capture calibration math (neutral frame / per-channel minimum) and the region table."""

from __future__ import annotations

import numpy as np
import pytest

from model import calibration, facs


def _weights() -> np.ndarray:
    return np.array([[0.2, 0.5, 0.0], [0.6, 0.4, 1.0], [0.1, 1.0, 0.5]], dtype=np.float32)


def test_frame_neutral_is_subtracted_and_clamped():
    w = _weights()
    out = calibration.calibrate(w, "FRAME", 0)
    np.testing.assert_allclose(out, [[0, 0, 0], [0.4, 0, 1.0], [0, 0.5, 0.5]], atol=1e-7)
    assert out.dtype == np.float32


def test_minimum_neutral_with_rescale_keeps_1_reachable():
    w = _weights()
    out = calibration.calibrate(w, "MINIMUM", rescale=True)
    low = np.array([0.1, 0.4, 0.0])
    np.testing.assert_allclose(out, (w - low) / (1 - low), atol=1e-6)
    assert out[2, 1] == pytest.approx(1.0) and out[1, 2] == pytest.approx(1.0)
    assert out.min() == 0.0


def test_neutral_of_one_leaves_the_channel_at_zero_with_rescale():
    w = np.array([[1.0, 0.2], [1.0, 0.6]])
    out = calibration.subtract_neutral(w, np.array([1.0, 0.2]), rescale=True)
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.0, 0.5]])


def test_none_is_unchanged_and_bad_input_refused():
    w = _weights()
    assert calibration.calibrate(w, "NONE") is w
    with pytest.raises(ValueError, match="calibration frame 3 is outside.*3 samples"):
        calibration.calibrate(w, "FRAME", 3)
    with pytest.raises(ValueError, match="calibration mode"):
        calibration.calibrate(w, "MEAN")
    with pytest.raises(ValueError, match="does not match"):
        calibration.subtract_neutral(w, np.zeros(2))


def test_every_unit_is_in_exactly_one_region():
    assert len(facs.UNIT_REGION) == facs.NUM_EXPRESSIONS
    assert set(facs.REGION_NAMES) == {"brows", "eyes", "cheeks", "nose", "jaw", "mouth"}
    masks = np.stack([facs.region_mask([r]) for r in facs.REGION_NAMES])
    assert (masks.sum(axis=0) == 1).all()
    assert facs.region_mask(["jaw"]).sum() == 4 and facs.region_mask(facs.REGION_NAMES).all()
    with pytest.raises(ValueError, match="unknown face region.*lips"):
        facs.region_mask(["lips"])
