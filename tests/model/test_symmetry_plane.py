"""The symmetry plane search (model.symmetry_plane) on a head turned off its axes."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.frame import fit_frame
from model.mesh_io import read_mesh
from model.symmetry_plane import plane_normal, search_symmetry_plane

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _turn(yaw: float, roll: float) -> np.ndarray:
    """(3, 3): roll about z, then yaw about y (degrees)."""
    y, r = np.radians(yaw), np.radians(roll)
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return ry @ rz


@pytest.mark.parametrize(
    "yaw,roll", [(10.0, 0.0), (0.0, -10.0), (7.0, 6.0), (30.0, 0.0), (0.0, -30.0), (-25.0, 20.0)]
)
def test_turned_head_plane_found(yaw, roll):
    """The demo head turned by up to 30 degrees: the plane found turns with it to within 0.3
    degrees (the median refits of mirror_match.mirror_plane alone moved ~1 degree per refit;
    until session 20 the search spanned 20 degrees and a turn beyond was left in)."""
    mesh = read_mesh(DEMO)
    v, t = mesh.vertices, mesh.triangles()
    canonical = fit_frame(v, t).to_canonical(v)
    as_is = search_symmetry_plane(canonical)
    r = _turn(yaw, roll)
    turned = search_symmetry_plane(canonical @ r.T)
    expected = r @ as_is.normal
    angle = np.degrees(np.arccos(min(1.0, float(abs(turned.normal @ expected)))))
    assert angle < 0.3, angle
    assert abs(turned.score - as_is.score) < 0.2 * as_is.score


def test_plane_normal_convention():
    """``plane_normal(yaw, roll)`` is +x turned by roll about z, then yaw about y."""
    for yaw, roll in ((0.0, 0.0), (12.0, 0.0), (0.0, 9.0), (-5.0, 4.0)):
        np.testing.assert_allclose(plane_normal(yaw, roll), _turn(yaw, roll) @ [1.0, 0.0, 0.0], atol=1e-12)
