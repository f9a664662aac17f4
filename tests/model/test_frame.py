"""Canonical frame: axis conventions, exact round trips, resolution-independent centre/scale."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.errors import AxisError, NoFacesError
from model.frame import AXES, CanonicalFrame, axis_rotation, fit_frame, surface_moments
from model.mesh_io import fan_triangulate


def sphere_grid(n: int, center=(0.0, 0.0, 0.0), radius=1.0):
    """UV sphere (n x 2n quads, poles as fans) as vertices and triangles."""
    th = np.linspace(0, np.pi, n + 1)[1:-1]
    ph = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False)
    T, P = np.meshgrid(th, ph, indexing="ij")
    pts = np.stack([np.sin(T) * np.cos(P), np.cos(T), np.sin(T) * np.sin(P)], -1).reshape(-1, 3)
    pts = np.concatenate([pts, [[0, 1, 0], [0, -1, 0]]]) * radius + center
    m = 2 * n
    i, j = np.meshgrid(np.arange(n - 2), np.arange(m), indexing="ij")
    a, b = i * m + j, i * m + (j + 1) % m
    quads = np.stack([a, b, b + m, a + m], -1).reshape(-1, 4)
    top, bot = len(pts) - 2, len(pts) - 1
    tris = np.concatenate([
        fan_triangulate(quads.reshape(-1), np.full(len(quads), 4)),
        np.stack([np.full(m, top), (np.arange(m) + 1) % m, np.arange(m)], 1),
        np.stack([np.full(m, bot), (n - 2) * m + np.arange(m), (n - 2) * m + (np.arange(m) + 1) % m], 1),
    ])  # fmt: skip
    return pts, tris.astype(np.int64)


def test_default_is_identity_rotation_and_blender_axes():
    np.testing.assert_array_equal(axis_rotation("Y", "Z"), np.eye(3))
    r = axis_rotation("Z", "-Y")  # Blender: Z up, the face looks toward -Y
    np.testing.assert_allclose(r @ [0, 0, 1], [0, 1, 0])
    np.testing.assert_allclose(r @ [0, -1, 0], [0, 0, 1])
    np.testing.assert_allclose(r @ [1, 0, 0], [1, 0, 0])  # Blender X (subject's left) stays X
    # the same head in OBJ and Blender coordinates lands on the same canonical points
    v, t = sphere_grid(12, center=(1.0, 2.0, 3.0), radius=2.0)
    v[:, 2] += 0.5 * np.clip(v[:, 2] - 3.0, 0, None)  # a "nose" toward +Z (OBJ forward)
    to_blender = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float)  # OBJ (x, y, z) -> (x, -z, y)
    vb = v @ to_blender.T
    a = fit_frame(v, t, up="Y", forward="Z").to_canonical(v)
    b = fit_frame(vb, t, up="Z", forward="-Y").to_canonical(vb)
    np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("up, forward", [(u, f) for u, f in itertools.permutations(AXES, 2)])
def test_all_axis_pairs(up, forward):
    if up.lstrip("-") == forward.lstrip("-"):
        with pytest.raises(AxisError, match="parallel"):
            axis_rotation(up, forward)
        return
    r = axis_rotation(up, forward)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-15)
    assert np.isclose(np.linalg.det(r), 1.0)
    np.testing.assert_allclose(r @ AXES[up], [0, 1, 0])
    np.testing.assert_allclose(r @ AXES[forward], [0, 0, 1])


def test_bad_axis_names():
    with pytest.raises(AxisError, match="unknown up axis"):
        axis_rotation("up", "Z")
    with pytest.raises(AxisError, match="unknown forward axis"):
        axis_rotation("Y", "W")
    with pytest.raises(AxisError, match="parallel"):
        axis_rotation("Y", "Y")
    assert np.array_equal(axis_rotation("+Y", "z"), np.eye(3))


def test_round_trip_points_and_vectors():
    rng = np.random.default_rng(0)
    v, t = sphere_grid(10, center=(5.0, -2.0, 1.0), radius=3.0)
    frame = fit_frame(v, t, up="-X", forward="Z")
    p = rng.normal(size=(7, 11, 3)) * 10
    np.testing.assert_allclose(frame.from_canonical(frame.to_canonical(p)), p, rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame.to_canonical(frame.from_canonical(p)), p, rtol=0, atol=1e-12)
    d = rng.normal(size=(53, 20, 3))
    np.testing.assert_allclose(frame.vectors_from_canonical(frame.vectors_to_canonical(d)), d, atol=1e-12)
    # deltas transform like differences of points (no translation)
    q = rng.normal(size=(20, 3))
    np.testing.assert_allclose(
        frame.vectors_to_canonical(d[0]), frame.to_canonical(q + d[0]) - frame.to_canonical(q), atol=1e-12
    )


def test_center_and_scale_are_surface_statistics():
    v, t = sphere_grid(40, center=(1.0, 2.0, 3.0), radius=2.0)
    c, rms = surface_moments(v, t)
    np.testing.assert_allclose(c, [1, 2, 3], atol=1e-3)
    assert rms == pytest.approx(2.0, rel=2e-3)  # the inscribed polyhedron sits slightly inside
    frame = fit_frame(v, t)
    can = frame.to_canonical(v)
    c2, rms2 = surface_moments(can, t)
    np.testing.assert_allclose(c2, 0, atol=1e-12)
    assert rms2 == pytest.approx(1.0, rel=1e-12)


def test_resolution_independent_and_ignores_unreferenced():
    # a coarse and a fine sphere with very different vertex densities give the same frame
    v1, t1 = sphere_grid(24, center=(0.3, 0.1, 0.0), radius=1.5)
    v2, t2 = sphere_grid(90, center=(0.3, 0.1, 0.0), radius=1.5)
    f1, f2 = fit_frame(v1, t1), fit_frame(v2, t2)
    np.testing.assert_allclose(f1.center, f2.center, atol=1e-3)
    assert f1.scale == pytest.approx(f2.scale, rel=5e-3)
    # far-away unreferenced vertices change nothing
    v3 = np.concatenate([v1, [[100.0, 100.0, 100.0]]])
    f3 = fit_frame(v3, t1)
    np.testing.assert_array_equal(f3.center, f1.center)
    assert f3.scale == f1.scale


def test_fit_frame_validates():
    with pytest.raises(NoFacesError):
        fit_frame(np.eye(3), np.zeros((0, 3), int))
    with pytest.raises(AxisError):
        fit_frame(*sphere_grid(6), up="Z", forward="-Z")


def test_frame_dataclass_is_plain():
    f = CanonicalFrame(rotation=np.eye(3), center=np.zeros(3), scale=2.0)
    np.testing.assert_allclose(f.to_canonical([[2.0, 4.0, 6.0]]), [[1.0, 2.0, 3.0]])
