"""mouthClose split into what it does alone and a jawOpen x mouthClose corrective."""

from __future__ import annotations

import numpy as np
import pytest

from model.facs import ICT_NAMES
from model.mouth_close import CLOSE_SHAPE, JAW_SHAPE, mix, split_baked, split_mouth_close

CI, JI = ICT_NAMES.index(CLOSE_SHAPE), ICT_NAMES.index(JAW_SHAPE)
GAP = 0.3  # how far jawOpen drops the lower lip (canonical units)


def _synthetic_mouth(seed: int = 0):
    """A mouth region in the canonical frame (Y up, +Z front) and ICT-like jawOpen / mouthClose.

    Upper lip: a strip from y = 0.01 up, at the front (z ~ 1). Lower lip: from y = -0.01 down.
    Mouth bag: vertices behind the lips (z 0.6 .. 0.9) below the contact line, moving with the
    jaw. jawOpen drops the lower lip and bag by GAP (and back a little); mouthClose undoes that
    exactly on them (ICT: the lower lip 3.8 cm up against 3.5 cm down) and presses the upper lip
    down by 0.005. Returns (vertices (V, 3), deltas (53, V, 3), masks upper / lower / bag)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-0.4, 0.4, 9)
    upper = np.array([(a, 0.01 + b, 1.0 - 0.1 * a * a) for a in x for b in (0.0, 0.05, 0.1)])
    lower = np.array([(a, -0.01 - b, 1.0 - 0.1 * a * a) for a in x for b in (0.0, 0.05, 0.1)])
    bag = np.column_stack(
        [rng.uniform(-0.3, 0.3, 40), rng.uniform(-0.3, -0.02, 40), rng.uniform(0.6, 0.9, 40)]
    )
    v = np.concatenate([upper, lower, bag])
    n_up, n_lo = len(upper), len(lower)
    is_up = np.arange(len(v)) < n_up
    is_lo = (np.arange(len(v)) >= n_up) & (np.arange(len(v)) < n_up + n_lo)
    is_bag = np.arange(len(v)) >= n_up + n_lo
    d = rng.normal(scale=0.01, size=(len(ICT_NAMES), len(v), 3))
    jaw = np.zeros((len(v), 3))
    jaw[~is_up] = (0.0, -GAP, -0.15 * GAP)
    jaw[is_up] = (0.0, -0.02 * GAP, 0.0)
    close = -jaw.copy()
    close[is_up] = (0.0, -0.005, 0.003)
    d[JI], d[CI] = jaw, close
    return v, d.astype(np.float32), is_up, is_lo, is_bag


def test_mouth_close_alone_no_longer_drives_lower_lip_and_bag_through_upper_lip():
    v, d, is_up, is_lo, is_bag = _synthetic_mouth()
    below = ~is_up
    contact = v[is_up, 1].min()  # the upper lip's lowest edge at rest
    # as baked, mouthClose alone lifts the lower lip and the bag far above the upper lip's edge
    assert (v[below, 1] + d[CI, below, 1]).max() > contact + 0.5 * GAP
    split, corr = split_baked(d)
    lifted = v + split[CI]
    upper_edge = lifted[is_up, 1].min()
    assert lifted[below, 1].max() < upper_edge  # nothing below the lips crosses the upper lip
    assert np.abs(split[CI, is_lo | is_bag]).max() < 1e-6  # pure undo is removed entirely
    np.testing.assert_allclose(split[CI, is_up], d[CI, is_up], atol=1e-7)  # the lip press stays


def test_split_keeps_every_other_shape_and_the_closed_jaw_mix():
    v, d, *_ = _synthetic_mouth(1)
    split, corr = split_baked(d)
    others = np.arange(len(ICT_NAMES)) != CI
    np.testing.assert_array_equal(split[others], d[others])
    np.testing.assert_allclose(split[CI] + corr, d[CI], atol=1e-6)
    for close_w in (1.0, 0.4):  # with the jaw fully open: exactly the baked jawOpen + mouthClose
        w = np.zeros(len(ICT_NAMES))
        w[JI], w[CI] = 1.0, close_w
        np.testing.assert_allclose(mix(split, corr, w), d[JI] + close_w * d[CI], atol=1e-6)
    w = np.zeros(len(ICT_NAMES))
    w[CI] = 0.7  # without jawOpen the corrective is off
    np.testing.assert_allclose(mix(split, corr, w), 0.7 * split[CI], atol=1e-6)
    # a half-open jaw fully closed by mouthClose: the lower lip is back at rest (sealed)
    w = np.zeros(len(ICT_NAMES))
    w[JI], w[CI] = 0.5, 1.0
    _, _, is_up, is_lo, _ = _synthetic_mouth(1)
    np.testing.assert_allclose(mix(split, corr, w)[is_lo], 0.0, atol=1e-6)


def test_split_is_per_vertex_and_rotation_invariant():
    rng = np.random.default_rng(3)
    close, jaw = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    alone, corr = split_mouth_close(close, jaw)
    alone_r, corr_r = split_mouth_close(close @ q.T, jaw @ q.T)
    np.testing.assert_allclose(alone_r, alone @ q.T, atol=1e-12)
    np.testing.assert_allclose(corr_r, corr @ q.T, atol=1e-12)
    # the corrective never exceeds the jaw's own motion and only points against it
    assert (np.linalg.norm(corr, axis=1) <= np.linalg.norm(jaw, axis=1) + 1e-12).all()
    assert ((corr * jaw).sum(1) <= 1e-12).all()


def test_split_needs_the_two_shapes():
    with pytest.raises(ValueError, match="mouthClose"):
        split_baked(np.zeros((2, 4, 3)), ("a", "b"))
    with pytest.raises(ValueError, match=r"\(V, 3\)"):
        split_mouth_close(np.zeros((4, 3)), np.zeros((5, 3)))


def test_ict_mouth_close_alone_is_small_and_the_mix_exact(ict_dir):
    """On ICT-FaceKit itself: mouthClose is mostly -jawOpen; alone it keeps only the lips' press."""
    from model.ict import PARTS, load_ict

    m = load_ict(ict_dir)
    e = m.expressions
    split, corr = split_baked(e)
    a, b = PARTS["face"]
    before = np.linalg.norm(e[CI, a:b], axis=1).max()
    after = np.linalg.norm(split[CI, a:b], axis=1).max()
    assert before > 3.5  # cm: the lower lip rises by the whole jaw opening
    assert after < 0.2 * before
    np.testing.assert_allclose(split[CI] + split[JI] + corr, e[CI] + e[JI], atol=1e-4)
