"""Bake-time repair of triangles that flip at weight 1.0 (model/flip_repair.py)."""

from __future__ import annotations

import numpy as np

from model.facs import ICT_NAMES, ict_index
from model.flip_repair import repair_flips


def _grid(n: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """A flat (n x n) grid in the x-y plane, spacing 0.1, normals +Z."""
    xs = np.arange(n) * 0.1
    x, y = np.meshgrid(xs, xs, indexing="ij")
    v = np.stack([x.ravel(), y.ravel(), np.zeros(n * n)], axis=1)
    i = np.arange(n - 1)[:, None] * n + np.arange(n - 1)[None, :]
    a, b, c, d = i.ravel(), i.ravel() + 1, i.ravel() + n, i.ravel() + n + 1
    return v, np.concatenate([np.stack([a, c, b], 1), np.stack([b, c, d], 1)])


def _flips(v: np.ndarray, t: np.ndarray, d: np.ndarray) -> int:
    n0 = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    p = v + d
    n1 = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    return int((np.einsum("ij,ij->i", n0, n1) < 0).sum())


def _folding_shape(v: np.ndarray) -> np.ndarray:
    """A lip-corner-like fold: a row of vertices pushed in +y past the next row (0.1 away),
    strongest in the middle, on top of a smooth motion of the whole sheet."""
    d = np.zeros_like(v)
    d[:, 2] = 0.05 * np.exp(-((v[:, 0] - 1.0) ** 2 + (v[:, 1] - 1.0) ** 2))  # smooth, no flips
    row = np.isclose(v[:, 1], 1.0) & (np.abs(v[:, 0] - 1.0) < 0.45)
    d[row, 1] += 0.18 * np.cos((v[row, 0] - 1.0) / 0.45 * np.pi / 2)
    return d


def test_folding_shape_is_repaired_locally():
    v, t = _grid()
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    s = ict_index("mouthSmile_L")
    deltas[s] = _folding_shape(v)
    assert _flips(v, t, deltas[s]) > 0  # the case folds before the repair
    out, counts = repair_flips(deltas, v, t)
    assert _flips(v, t, out[s]) == 0
    assert counts == {"mouthSmile_L": (counts["mouthSmile_L"][0], 0)}
    # far from the fold nothing changes; the shape keeps most of its motion
    far = np.abs(v[:, 1] - 1.0) > 0.75
    np.testing.assert_array_equal(out[s][far], deltas[s][far])
    assert np.linalg.norm(out[s]) > 0.5 * np.linalg.norm(deltas[s])
    # shapes without flips are returned exactly
    others = np.ones(len(ICT_NAMES), bool)
    others[s] = False
    np.testing.assert_array_equal(out[others], deltas[others])


def test_fixed_vertices_stay_and_mouth_close_is_judged_on_jaw_open():
    v, t = _grid()
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    jaw, close = ict_index("jawOpen"), ict_index("mouthClose")
    fold = _folding_shape(v)
    # jawOpen alone is smooth; mouthClose alone too, but jawOpen + mouthClose folds
    deltas[jaw, :, 1] = 0.5 * fold[:, 1]
    deltas[close, :, 1] = 0.5 * fold[:, 1]
    assert _flips(v, t, deltas[jaw]) == 0 and _flips(v, t, deltas[close]) == 0
    assert _flips(v, t, deltas[jaw] + deltas[close]) > 0
    fixed = np.zeros(len(v), bool)
    fixed[np.isclose(v[:, 1], 1.0) & np.isclose(v[:, 0], 1.0)] = True  # the fold's peak vertex
    out, counts = repair_flips(deltas, v, t, fixed=fixed)
    assert set(counts) == {"mouthClose"}
    assert _flips(v, t, out[jaw] + out[close]) == 0
    np.testing.assert_array_equal(out[jaw], deltas[jaw])
    np.testing.assert_array_equal(out[:, fixed], deltas[:, fixed])
