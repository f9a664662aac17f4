"""model.method_blend: the per-vertex weight of the registration's shapes and which shapes may
take them."""

from __future__ import annotations

import numpy as np

from model.method_blend import HYBRID_DISTANCE, fit_weight, trusted_groups


def test_fit_weight_is_one_on_the_template_and_1_over_e_at_the_distance():
    w = fit_weight(np.array([0.0, HYBRID_DISTANCE, 3 * HYBRID_DISTANCE]))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, [1.0, np.exp(-1.0), np.exp(-9.0)], rtol=1e-6)


def test_trusted_groups_follow_the_landmarks():
    assert trusted_groups(False, False) == ()
    assert trusted_groups(False, True) == ()  # a mouth alone does not place the eyes
    assert set(trusted_groups(True, False)) == {"brows", "eyes", "cheeks", "nose"}
    assert set(trusted_groups(True, True)) == {"brows", "eyes", "cheeks", "nose", "jaw", "mouth"}
