"""The symmetrize on a mouth whose closed lips meet at a slit: the lower lip's inner row must keep
the jaw's motion (its mirror point can land on the still upper lip's row, a fraction of a mm
away, on a mesh that is not quite mirror-built; averaged with it, the row folded into spikes
inside jawOpen on the Rocketbox avatars)."""

from __future__ import annotations

import numpy as np

import model.shape_locality as sl
from model.facs import ICT_NAMES

JAW = ICT_NAMES.index("jawOpen")
XS = np.linspace(-1.0, 1.0, 21)
ROWS = 10  # rows per lip, 0.1 apart


def _slit_mouth():
    """A flat face sheet (facing -y) with a slit at z ~ 0 between an upper and a lower lip,
    joined at the mouth corners (one piece). The slit sits 0.002 higher on the right (x > 0)
    than on the left, so a right lower-lip slit vertex mirrors into the left upper lip; the right
    half sits 0.015 further back, so the mesh is near-, not exactly, mirror-symmetric (the
    symmetrize's blended rule, as on the Rocketbox avatars).
    Returns (vertices (V, 3), triangles (T, 3), lower (V,) bool: the lower lip, the ids of the
    lower lip's slit row and of the row below it (corners left out))."""
    right = XS > 0
    upper_slit = np.where(right, 0.0, -0.004)
    lower_slit = np.where(right, -0.002, -0.006)
    rows = [upper_slit + 0.1 * k for k in range(ROWS, 0, -1)] + [upper_slit, lower_slit]
    rows += [lower_slit - 0.1 * k for k in range(1, ROWS + 1)]
    n = len(XS)
    grid = np.array([[x, 0.015 * (x > 0), z] for row in rows for x, z in zip(XS, row, strict=True)])
    index = np.arange(len(grid)).reshape(len(rows), n)
    slit_up, slit_low = ROWS, ROWS + 1
    index[slit_low, [0, -1]] = index[slit_up, [0, -1]]  # the mouth corners join the lips
    tris = []
    for r in range(len(rows) - 1):
        if r == slit_up:  # the slit: no triangles across it
            continue
        for c in range(n - 1):
            a, b, cc, d = index[r, c], index[r, c + 1], index[r + 1, c], index[r + 1, c + 1]
            tris += [(a, cc, b), (b, cc, d)]
    used = np.unique(tris)
    remap = np.full(len(grid), -1)
    remap[used] = np.arange(used.size)
    lower = np.zeros(len(grid), bool)
    lower[index[slit_low:].ravel()] = True
    lower[index[slit_up, [0, -1]]] = False
    inner = index[slit_low, 2:-2]
    below = index[slit_low + 1, 2:-2]
    return grid[used], remap[np.array(tris)], lower[used], remap[inner], remap[below]


def _jaw_open(lower: np.ndarray, left_scale: float = 1.0) -> np.ndarray:
    """(53, V, 3) deltas: jawOpen moves the lower lip 0.3 down (the left half times
    ``left_scale``), every other shape still."""
    v, t, *_ = _slit_mouth()
    d = np.zeros((len(ICT_NAMES), len(v), 3))
    d[JAW, lower, 2] = -0.3 * np.where(v[lower, 0] < 0, left_scale, 1.0)
    return d


def test_the_slit_row_mirrors_onto_the_other_lip():
    # the premise: some lower-lip slit vertices find their mirror point on the upper lip
    v, t, lower, inner, _ = _slit_mouth()
    hits, ok, _, share = sl.mirror_map(v, t)
    assert share >= sl.SYMMETRIC_SHARE and ok[inner].any()
    on_upper = ~lower[hits.corners[inner]].any(axis=1)
    assert on_upper.sum() >= 5


def test_lower_lip_slit_row_keeps_the_jaw_motion():
    v, t, lower, inner, below = _slit_mouth()
    d = _jaw_open(lower)
    out = sl.symmetrize(d, v, t)
    # the inner row follows the row it hangs from (both moved 0.3 down): no fold at the slit
    fold = np.abs(out[JAW, inner, 2] - out[JAW, below, 2]).max() / 0.3
    assert fold < 0.05, fold
    assert np.abs(out[JAW, inner, 2] + 0.3).max() < 0.015


def test_a_small_asymmetry_is_still_evened_out():
    # the partner gate is for swapped motions only: a 20 % left/right difference is averaged
    v, t, lower, inner, below = _slit_mouth()
    d = _jaw_open(lower, left_scale=0.8)
    out = sl.symmetrize(d, v, t)
    x = v[:, 0]
    left = lower & (x < -0.15) & (x > -0.85) & (v[:, 2] < -0.15)
    right = lower & (x > 0.15) & (x < 0.85) & (v[:, 2] < -0.15)
    assert abs(out[JAW, left, 2].mean() - out[JAW, right, 2].mean()) < 0.25 * 0.06
