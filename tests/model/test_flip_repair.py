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


def _folded_triangle_vertices(v: np.ndarray, t: np.ndarray, d: np.ndarray) -> np.ndarray:
    n0 = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    p = v + d
    n1 = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    mask = np.zeros(len(v), bool)
    mask[t[np.einsum("ij,ij->i", n0, n1) < 0].ravel()] = True
    return mask


def test_the_fold_is_opened_next_to_it_and_the_motion_kept():
    # about the least change that opens the fold: the folding triangles' vertices and one ring
    # around them are re-solved, everything else keeps the network's motion exactly, and the
    # pushed row keeps most of its motion (the umbrella smoothing used before kept 67 %)
    v, t = _grid()
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    s = ict_index("mouthSmile_L")
    deltas[s] = _folding_shape(v)
    near = _folded_triangle_vertices(v, t, deltas[s])
    near[t[near[t].any(axis=1)].ravel()] = True  # one ring more
    out, _ = repair_flips(deltas, v, t)
    assert _flips(v, t, out[s]) == 0
    moved = np.any(out[s] != deltas[s], axis=1)
    assert moved.any() and not (moved & ~near).any()
    row = np.isclose(v[:, 1], 1.0) & (np.abs(v[:, 0] - 1.0) < 0.45)
    assert out[s][row, 1].sum() > 0.75 * deltas[s][row, 1].sum()


def _slit_grid(n: int = 21) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid of :func:`_grid` cut open along y = 1.0 for 0.5 < x < 1.5 (a mouth): the lower
    side's triangles use duplicates of the slit's vertices. Returns (vertices, triangles, upper
    slit ids, lower slit ids), the slit ids ordered by x."""
    v, t = _grid(n)
    upper = np.flatnonzero(np.isclose(v[:, 1], 1.0) & (v[:, 0] > 0.55) & (v[:, 0] < 1.45))
    upper = upper[np.argsort(v[upper, 0])]
    lower = len(v) + np.arange(upper.size)
    remap = np.arange(len(v))
    centroid_y = v[t, 1].mean(axis=1)
    below = centroid_y < 1.0
    remap_lower = remap.copy()
    remap_lower[upper] = lower
    t = np.where(below[:, None], remap_lower[t], t)
    return np.concatenate([v, v[upper]]), t, upper, lower


def test_a_folding_lip_corner_is_opened_and_the_mouth_still_opens():
    # jawOpen: everything below the slit moves down, most in the middle; near the left corner
    # the lower lip is pushed down past the row below it (the lip rolls under itself)
    v, t, upper, lower = _slit_grid()
    below = v[:, 1] < 1.0 - 1e-9
    below[lower] = True
    fade = np.clip((0.6 - np.abs(v[:, 0] - 1.0)) / 0.6, 0.0, 1.0)  # 0 at and beyond the corners
    jaw = np.zeros_like(v)
    jaw[below, 1] = -0.3 * fade[below] * np.clip((v[below, 1] - 0.2) / 0.8, 0.0, 1.0)
    lip = lower[np.abs(v[lower, 0] - 0.65) < 0.06]  # x = 0.6, 0.7
    jaw[lip, 1] -= 0.25
    deltas = np.zeros((len(ICT_NAMES), len(v), 3))
    s = ict_index("jawOpen")
    deltas[s] = jaw
    assert _flips(v, t, jaw) > 0
    out, counts = repair_flips(deltas, v, t)
    assert counts["jawOpen"][1] == 0 and _flips(v, t, out[s]) == 0
    # the opening in the middle of the mouth is untouched, the lip far from the fold too
    gap = lambda d: (v[upper, 1] + d[upper, 1]) - (v[lower, 1] + d[lower, 1])  # noqa: E731
    middle = np.abs(v[upper, 0] - 1.0) < 0.15  # x = 0.9 .. 1.1
    np.testing.assert_array_equal(gap(out[s])[middle], gap(jaw)[middle])
    far = np.linalg.norm(v - v[lip].mean(axis=0), axis=1) > 0.35
    np.testing.assert_array_equal(out[s][far], jaw[far])
    # the folded lip still moves down (the fold is opened, not the motion removed)
    assert np.all(out[s][lip, 1] < 0.3 * jaw[lip, 1])


def test_topology_walks_match_the_sparse_products():
    """Ring growth and the triangles of a vertex set, walked from the touched rows only, are
    the sparse-product definitions (adjacency and incidence), also with a repeated corner."""
    import scipy.sparse as sp

    from model.flip_repair import _Topology

    v, t = _grid(9)
    t = np.concatenate([t, [[3, 3, 12]]])  # a degenerate triangle, as welding can leave
    topo = _Topology(len(v), t)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adj = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(v), len(v)))
    incidence = sp.csr_matrix((np.ones(t.size), (t.ravel(), np.repeat(np.arange(len(t)), 3))))
    rng = np.random.default_rng(1)
    for _ in range(20):
        mask = rng.random(len(v)) < rng.choice([0.01, 0.05, 0.3])
        rings = int(rng.integers(0, 4))
        expected = mask.copy()
        for _ in range(rings):
            expected = expected | (adj @ expected.astype(float) > 0)
        np.testing.assert_array_equal(topo.grow(mask, rings), expected)
        np.testing.assert_array_equal(
            topo.triangles_of(mask), np.flatnonzero(incidence.T @ mask.astype(float) > 0)
        )


def test_turn_is_the_row_form_bit_for_bit():
    """The column-wise turn test (:class:`model.flip_repair._Turn`) gives the cosines of the
    (K, 3) form it replaced, bit for bit: ``np.einsum`` dot products, ``np.linalg.norm`` lengths,
    on the whole field and on a few triangles' corners, degenerate triangles at 1."""
    from model.flip_repair import _normals, _Turn

    rng = np.random.default_rng(3)
    v, t = _grid(30)
    v = v + rng.normal(scale=0.02, size=v.shape)
    t = np.concatenate([t, [[5, 5, 40]]])  # a degenerate triangle
    n0 = _normals(v, t)
    n0_len = np.linalg.norm(n0, axis=1)
    valid = n0_len > 1e-12 * n0_len.max()
    turn = _Turn(v, t, valid, n0, n0_len)
    for scale in (0.01, 0.1, 1.0):
        d = rng.normal(scale=scale, size=v.shape) * np.exp(rng.normal(scale=2.0, size=v.shape))
        few = np.sort(rng.choice(len(t), 20, replace=False))
        for ids in (np.arange(len(t)), few, np.array([len(t) - 1])):
            p = v + d
            n1 = np.cross(p[t[ids, 1]] - p[t[ids, 0]], p[t[ids, 2]] - p[t[ids, 0]])
            length = np.maximum(n0_len[ids] * np.linalg.norm(n1, axis=1), 1e-300)
            c = np.einsum("ij,ij->i", n0[ids], n1) / length
            np.testing.assert_array_equal(turn(d, ids), np.where(valid[ids], c, 1.0))
