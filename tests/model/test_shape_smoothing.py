"""One heat step of fixed physical time on the baked shapes (model.shape_smoothing)."""

from __future__ import annotations

import numpy as np

from model.rig_check import _laplacian_on_referenced, ripple_number
from model.shape_smoothing import HEAT_TIME, smooth_shapes


def wavy_patch(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A curved 1 x 1 patch (canonical units, about a face's size) as an n x n grid of vertices;
    ``wavy_patch(2 n - 1)`` is ``wavy_patch(n)`` with every triangle split in four."""
    x, y = np.meshgrid(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, n))
    z = 0.1 * np.sin(2.0 * x) * np.cos(1.5 * y)
    v = np.stack([x.ravel(), y.ravel(), z.ravel()], 1)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    return v, np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])


def expression(v: np.ndarray) -> np.ndarray:
    """(V, 3) a smooth displacement with a 3 cm feature (0.3 canonical units on a head)."""
    bump = np.exp(-((v[:, 0] - 0.5) ** 2 + (v[:, 1] - 0.5) ** 2) / (2 * 0.15**2))
    return np.stack([0.02 * bump, 0.01 * bump, 0.05 * bump], 1)


def ripple(v: np.ndarray, t: np.ndarray, d: np.ndarray) -> float:
    L, mass = _laplacian_on_referenced(v, t)
    return ripple_number(L @ d, d, mass, 1.0 / mass, 1.0)


def test_per_vertex_noise_stops_rippling_more_as_the_mesh_gets_denser():
    """The network's error has the same size at every vertex whatever the density, so its ripple
    grew as the square of the density (Nefertiti split in four: mouthShrugUpper 1.6 -> 5.9x ICT's);
    after the heat step it grows far less, and the expression itself is kept."""
    rng = np.random.default_rng(0)
    raw, smoothed = [], []
    for n in (16, 31, 61, 121):  # each the one before split in four
        v, t = wavy_patch(n)
        shape = expression(v)
        noisy = shape + 0.002 * rng.normal(size=shape.shape)  # ~0.2 mm on a head
        out = smooth_shapes(noisy[None], v, t)[0]
        raw.append(ripple(v, t, noisy))
        smoothed.append(ripple(v, t, out.astype(np.float64)))
        kept = smooth_shapes(shape[None], v, t)[0]
        # the expression's feature is kept (a 3 cm bump: changed by under 1 % of its peak)
        assert np.abs(kept - shape).max() < 0.01 * np.abs(shape).max(), n
    # 16x the vertices: the raw noise ripples 16x more, smoothed 6x (the growth stops where the
    # edges are shorter than the heat step's reach, sqrt(HEAT_TIME) ~ 0.5 mm on a head)
    assert raw[-1] > 12.0 * raw[1]
    assert smoothed[-1] / smoothed[1] < 0.5 * raw[-1] / raw[1], (raw, smoothed)
    assert smoothed[-1] < 0.4 * raw[-1]
    # on a mesh as coarse as the network's training meshes the step changes little
    assert smoothed[0] > 0.9 * raw[0]


def test_still_pieces_stay_exactly_still_and_pieces_never_mix():
    v, t = wavy_patch(11)
    other = v + [2.0, 0.0, 0.0]  # a second piece beside the first (an eyeball, the teeth)
    vv, tt = np.vstack([v, other, [[9.0, 9.0, 9.0]]]), np.vstack([t, t + len(v)])
    d = np.zeros((2, len(vv), 3), dtype=np.float32)
    d[0, : len(v)] = np.random.default_rng(1).normal(size=(len(v), 3))  # the first piece moves
    d[1, len(v) : 2 * len(v), 2] = 1.0  # the second piece translates
    d[:, -1] = 5.0  # a vertex in no triangle keeps its delta
    out = smooth_shapes(d, vv, tt, heat_time=1e-3)
    assert out.dtype == np.float32 and out.shape == d.shape
    np.testing.assert_array_equal(out[0, len(v) : -1], 0.0)  # the still piece stays still
    np.testing.assert_allclose(out[1, len(v) : 2 * len(v)], d[1, len(v) : 2 * len(v)], atol=1e-6)
    np.testing.assert_array_equal(out[1, : len(v)], 0.0)
    np.testing.assert_array_equal(out[:, -1], 5.0)
    # a convex combination per vertex: nothing grows
    assert np.abs(out[0]).max() <= np.abs(d[0]).max() + 1e-6
    assert not np.allclose(out[0, : len(v)], d[0, : len(v)])
    assert smooth_shapes(d, vv, tt, heat_time=0.0) is d


def test_the_step_solves_the_implicit_heat_equation():
    """``(M + t L) d' = M d``: the Jacobi sweeps land close to the exact solve."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    v, t = wavy_patch(61)
    d = expression(v) + 0.002 * np.random.default_rng(2).normal(size=(len(v), 3))
    L, mass = _laplacian_on_referenced(v, t)
    exact = np.stack([spsolve((sp.diags(mass) + HEAT_TIME * L).tocsc(), mass * d[:, k]) for k in range(3)], 1)
    out = smooth_shapes(d[None], v, t)[0]
    assert np.abs(out - exact).max() < 0.1 * np.abs(exact - d).max()


def test_the_bake_of_a_dense_mesh_ripples_less_and_keeps_its_shapes():
    """The demo head split in four (18k vertices, denser than any head the network learned on):
    the bake's shapes ripple less with the heat step (median shape 0.64x, rig check's measure)
    and move by under 1 % (L1); the geometric blinks are the lid solver's, as they were."""
    import pathlib

    import pytest
    from test_api import midpoint_subdivide, shipped_is_trained

    from model.api import FaceModel
    from model.eyelids import solved_blink_rows
    from model.mesh_io import read_mesh

    if not shipped_is_trained():
        pytest.skip("the shipped weights are the random placeholder")
    mesh = read_mesh(pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj")
    v, t = midpoint_subdivide(mesh.vertices, mesh.triangles())
    fm = FaceModel.load()
    prepared = fm.prepare(v, t)
    smoothed = fm.bake(prepared)
    blinks = solved_blink_rows(prepared)
    assert len(blinks) == 2
    fm.shape_smoothing = False
    plain = fm.bake(prepared)
    # the lid line and flip repair see the same blinks: the same result (to float rounding)
    np.testing.assert_allclose(smoothed[blinks], plain[blinks], atol=1e-6 * np.abs(plain).max())
    L, mass = _laplacian_on_referenced(v, t)
    ratio = [
        ripple_number(L @ a.astype(np.float64), a.astype(np.float64), mass, 1.0 / mass, 1.0)
        / ripple_number(L @ b.astype(np.float64), b.astype(np.float64), mass, 1.0 / mass, 1.0)
        for i, (a, b) in enumerate(zip(smoothed, plain, strict=True))
        if np.abs(b).max() > 0 and i not in blinks
    ]
    assert np.median(ratio) < 0.8 and max(ratio) < 1.0, (np.median(ratio), max(ratio))
    change = np.linalg.norm(smoothed - plain, axis=-1).sum() / np.linalg.norm(plain, axis=-1).sum()
    assert change < 0.01, change


def test_a_tear_is_kept_sharp():
    """Sealed lips joined along the mouth line: jawOpen moves the lower lip, not the upper one,
    and the step does not average the two across the line (a tear, not noise)."""
    v, t = wavy_patch(21)
    lower = v[:, 1] < 0.5
    d = np.zeros((2, len(v), 3))
    d[0, lower, 1] = -0.2  # the unsided shape parts the two halves by its whole peak
    # a shape with per-vertex noise (2 % of its peak) is still smoothed
    d[1] = expression(v) + 0.001 * np.random.default_rng(3).normal(size=(len(v), 3))
    out = smooth_shapes(d, v, t, heat_time=1e-3)
    np.testing.assert_allclose(out[0], d[0], atol=1e-6)
    assert ripple(v, t, out[1].astype(np.float64)) < 0.7 * ripple(v, t, d[1])


def test_kept_rows_are_returned_as_given():
    """The geometric blinks are kept as the lid solver made them (``keep``); the others smooth."""
    v, t = wavy_patch(21)
    rng = np.random.default_rng(1)
    noisy = np.stack([expression(v) + 0.002 * rng.normal(size=v.shape) for _ in range(3)]).astype(np.float32)
    out = smooth_shapes(noisy, v, t, keep=[1])
    np.testing.assert_array_equal(out[1], noisy[1])
    assert not np.allclose(out[0], noisy[0]) and not np.allclose(out[2], noisy[2])
    np.testing.assert_array_equal(out[[0, 2]], smooth_shapes(noisy, v, t)[[0, 2]])
