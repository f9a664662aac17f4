"""Closest-point barycentric transfer: exactness against brute force and on resampled surfaces."""

import numpy as np
import pytest

from model.errors import MeshError
from model.transfer import (
    closest_on_triangles,
    closest_points,
    dominant_vertex,
    nearest_vertices,
    transfer,
)


def _grid_surface(n=30, seed=0):
    """A smooth height field z = f(x, y) over [0, 1]^2, triangulated."""
    x, y = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")
    z = 0.2 * np.sin(3 * x) * np.cos(2 * y)
    v = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    t = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    return v, t


def _brute_force(v, t, q):
    qi = np.repeat(np.arange(len(q)), len(t))
    ti = np.tile(np.arange(len(t)), len(q))
    b = closest_on_triangles(q[qi], v[t[ti, 0]], v[t[ti, 1]], v[t[ti, 2]])
    p = np.einsum("nk,nkc->nc", b, v[t[ti]])
    return np.linalg.norm(p - q[qi], axis=1).reshape(len(q), len(t)).min(axis=1)


def test_closest_points_match_brute_force_on_random_soup():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(200, 3))
    t = rng.integers(0, 200, size=(400, 3))  # overlapping, some degenerate triangles
    t[:5, 1] = t[:5, 0]  # explicitly degenerate ones
    q = rng.normal(size=(600, 3)) * 1.5
    hits = closest_points(v, t, q)
    np.testing.assert_allclose(hits.distance, _brute_force(v, t, q), atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(hits.points - q, axis=1), hits.distance, atol=1e-12)
    np.testing.assert_allclose(hits.barycentric.sum(axis=1), 1.0, atol=1e-12)
    assert (hits.barycentric >= 0).all()
    np.testing.assert_array_equal(hits.corners, t[hits.triangle])


def test_closest_point_on_triangle_beats_dense_sampling():
    rng = np.random.default_rng(2)
    a, b, c = rng.normal(size=(3, 50, 3))
    p = rng.normal(size=(50, 3)) * 2
    bary = closest_on_triangles(p, a, b, c)
    exact = np.linalg.norm(bary[:, :1] * a + bary[:, 1:2] * b + bary[:, 2:] * c - p, axis=1)
    uv = rng.random((4000, 2))
    uv = uv[uv.sum(1) <= 1]
    w = np.c_[1 - uv.sum(1), uv]  # samples inside each triangle
    pts = (
        w[None, :, 0, None] * a[:, None] + w[None, :, 1, None] * b[:, None] + w[None, :, 2, None] * c[:, None]
    )
    sampled = np.linalg.norm(pts - p[:, None], axis=2).min(axis=1)
    assert (exact <= sampled + 1e-12).all()
    assert (sampled - exact).max() < 0.05  # and it is not wildly below either (a real point)


def test_identity_query_is_exact():
    v, t = _grid_surface()
    values = np.random.default_rng(3).normal(size=(4, len(v), 3))
    hits = closest_points(v, t, v)
    assert hits.distance.max() < 1e-12
    np.testing.assert_allclose(transfer(values, hits), values, atol=1e-12)
    np.testing.assert_array_equal(dominant_vertex(hits), np.arange(len(v)))


def test_linear_function_is_exact_on_a_remeshed_surface():
    pml = pytest.importorskip("pymeshlab")
    v, t = _grid_surface(40)
    ms = pml.MeshSet()
    ms.add_mesh(pml.Mesh(vertex_matrix=v, face_matrix=t.astype(np.int32)))
    ms.meshing_isotropic_explicit_remeshing(iterations=3, targetlen=pml.PureValue(0.05))
    q = ms.current_mesh().vertex_matrix()
    assert abs(len(q) - len(v)) > 100  # a genuinely different sampling
    hits = closest_points(v, t, q)
    assert hits.distance.max() < 1e-6  # remeshing reprojects onto the input surface
    A = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]])
    lin = v @ A + np.array([0.1, -0.2])
    # barycentric interpolation of a linear function at the exact foot point is exact
    np.testing.assert_allclose(transfer(lin, hits), hits.points @ A + np.array([0.1, -0.2]), atol=1e-12)
    np.testing.assert_allclose(hits.points, q, atol=1e-6)


def test_offset_points_project_to_the_plane():
    v, t = _grid_surface(10)
    v[:, 2] = 0.0
    rng = np.random.default_rng(4)
    q = np.c_[rng.uniform(0.05, 0.95, size=(300, 2)), rng.uniform(-1, 1, size=300)]
    hits = closest_points(v, t, q)
    np.testing.assert_allclose(hits.distance, np.abs(q[:, 2]), atol=1e-12)
    np.testing.assert_allclose(hits.points[:, :2], q[:, :2], atol=1e-12)


def test_huge_triangle_is_not_missed():
    # small triangles far away and one big triangle whose centroid is far from the query
    v, t = _grid_surface(8)
    big = np.array([[-50.0, -50.0, 5.0], [50.0, -50.0, 5.0], [0.0, 100.0, 5.0]])
    v2 = np.concatenate([v, big])
    t2 = np.concatenate([t, [[len(v), len(v) + 1, len(v) + 2]]])
    q = np.array([[20.0, 20.0, 5.5]])
    hits = closest_points(v2, t2, q)
    assert hits.triangle[0] == len(t)
    assert hits.distance[0] == pytest.approx(0.5)


def test_unreferenced_vertices_are_ignored():
    v, t = _grid_surface(6)
    v2 = np.concatenate([v, [[0.5, 0.5, 10.0]]])  # not used by any triangle
    hits = closest_points(v2, t, np.array([[0.5, 0.5, 9.9]]))
    assert hits.distance[0] > 9.0


def test_nearest_vertices_match_brute_force():
    rng = np.random.default_rng(5)
    v, q = rng.normal(size=(300, 3)), rng.normal(size=(100, 3))
    idx, dist = nearest_vertices(v, q)
    d = np.linalg.norm(q[:, None] - v[None], axis=2)
    np.testing.assert_array_equal(idx, d.argmin(axis=1))
    np.testing.assert_allclose(dist, d.min(axis=1))


def test_bad_inputs_raise_mesh_errors():
    v, t = _grid_surface(4)
    with pytest.raises(MeshError, match="outside"):
        closest_points(v, t + 100, v)
    with pytest.raises(MeshError, match="triangles"):
        closest_points(v, np.zeros((0, 3), np.int64), v)
    with pytest.raises(MeshError, match="NaN"):
        closest_points(v, t, np.full((2, 3), np.nan))
