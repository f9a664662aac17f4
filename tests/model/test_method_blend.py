"""model.method_blend: the per-vertex weight of the registration's shapes and which shapes may
take them."""

from __future__ import annotations

import numpy as np
import pytest

from model.facs import FACS_GROUPS
from model.method_blend import (
    HYBRID_DISTANCE,
    LIP_PARTING_MAX,
    SEALED_MOUTH_SHAPES,
    fit_weight,
    lip_parting,
    trusted_groups,
    trusted_shapes,
)


def test_fit_weight_is_one_on_the_template_and_1_over_e_at_the_distance():
    w = fit_weight(np.array([0.0, HYBRID_DISTANCE, 3 * HYBRID_DISTANCE]))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, [1.0, np.exp(-1.0), np.exp(-9.0)], rtol=1e-6)


def test_trusted_groups_follow_the_landmarks():
    assert trusted_groups(False, False) == ()
    assert trusted_groups(False, True) == ()  # a mouth alone does not place the eyes
    assert set(trusted_groups(True, False)) == {"brows", "eyes", "cheeks", "nose"}
    assert set(trusted_groups(True, True)) == {"brows", "eyes", "cheeks", "nose", "jaw", "mouth"}


def test_trusted_shapes_on_lips_that_touch_are_those_that_move_both_lips_together():
    upper = {n for g in ("brows", "eyes", "cheeks", "nose") for n in FACS_GROUPS[g]}
    lower = {n for g in ("jaw", "mouth") for n in FACS_GROUPS[g]}
    assert trusted_shapes(False, False) == () and trusted_shapes(False, True) == ()
    assert set(trusted_shapes(True, True)) == upper | lower
    sealed = set(trusted_shapes(True, False))
    assert sealed == upper | set(SEALED_MOUTH_SHAPES)
    assert {"jawOpen", "mouthClose", "mouthLowerDown_L", "mouthUpperUp_L", "mouthFunnel"}.isdisjoint(sealed)


def test_sealed_mouth_shapes_are_the_template_s_shapes_that_do_not_part_the_lips():
    """The list is what :func:`lip_parting` gives on the shipped ICT template: the mouth shapes
    under :data:`LIP_PARTING_MAX` (smile to pucker), none of the jaw's."""
    from model.facs import ICT_NAMES
    from model.ict_template import load_template

    template = load_template()
    n, tri = template.crop("head")
    parting = lip_parting(template.neutral[:n], template.expressions[:, :n], tri)
    mouth = [ICT_NAMES.index(s) for s in FACS_GROUPS["mouth"]]
    want = tuple(ICT_NAMES[i] for i in mouth if parting[i] < LIP_PARTING_MAX)
    assert set(want) == set(SEALED_MOUTH_SHAPES)
    jaw = [ICT_NAMES.index(s) for s in FACS_GROUPS["jaw"]]
    assert parting[jaw].min() > 2 * LIP_PARTING_MAX - 0.1  # the jaw moves the lower lip alone
    assert parting[ICT_NAMES.index("mouthSmile_L")] < 0.1


def test_lip_parting_needs_a_mouth():
    v = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="no mouth opening"):
        lip_parting(v, np.zeros((1, 3, 3)), np.array([[0, 1, 2]]))


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
