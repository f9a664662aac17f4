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


def test_a_hairline_slit_is_no_open_mouth():
    """A mouth hole pins the template's lips; a slit of lips cut apart (or touching) does not."""
    from model.method_blend import mouth_open

    t = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
    loop = np.arange(40)
    hole = np.stack([2.5 * np.cos(t), 0.9 * np.sin(t), np.zeros_like(t)], 1)  # 5 cm wide, open
    slit = hole * np.array([1.0, 0.004, 1.0])  # the same width, 0.07 mm high
    assert mouth_open(hole, loop)
    assert not mouth_open(slit, loop)
    assert not mouth_open(np.zeros((40, 3)), loop)  # degenerate: no width
