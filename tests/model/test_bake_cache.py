"""Work the bake keeps per prepared mesh gives the same shapes as computing it afresh.

The mirror map of the symmetry constraint depends on the geometry only, so it is found once per
:class:`model.api.PreparedMesh` and reused by later bakes; the mirror hits reuse the whole-mesh
closest points where they already lie on a component's mirror partner. Both are speed-ups that
must not change a single value.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model import shape_locality
from model.api import FaceModel, prepare_mesh
from model.face_landmarks import components
from model.mesh_io import read_mesh
from model.rig_check import _mirror_hits, _reflect
from model.transfer import closest_points

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO_HEAD = ROOT / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO_HEAD)
    return mesh.vertices, mesh.triangles()


@pytest.fixture(scope="module")
def fm() -> FaceModel:
    return FaceModel.load(runtime="numpy")


def test_cached_bake_equals_uncached(fm, demo, monkeypatch):
    """A re-bake on the same prepared mesh (mirror map kept) equals the first bake and a bake
    on a freshly prepared copy, to the bit; the mirror plane is found once per prepared mesh."""
    calls = []
    real = shape_locality._mirror_plane

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(shape_locality, "_mirror_plane", counting)
    v, t = demo
    prepared = fm.prepare(v, t)
    skin = fm.predict_skin_weights(prepared)
    first = fm.bake(prepared)
    assert "plane" in prepared._tensors["mirror_map"]  # the geometry part, kept on the mesh
    again = fm.bake(prepared)
    painted = fm.bake(prepared, skin_weights=skin)
    assert len(calls) == 1  # the later bakes used the kept map
    fresh = fm.bake(fm.prepare(v, t))  # a new prepared mesh: everything found again
    assert len(calls) == 2
    assert np.abs(first).max() > 0
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(fresh, first)
    # the painted path runs the decoder on the given weights: equal to within float32 rounding
    np.testing.assert_allclose(painted, first, atol=1e-6 * np.ptp(v, axis=0).max())


def test_mirror_hits_equal_per_component_queries(demo):
    """The reused whole-mesh hits equal querying each component's partner for every member."""
    v, t = demo
    prepared = prepare_mesh(v, t, 128, isolate_head=True)
    c, tris = prepared.canonical.astype(np.float64), prepared.triangles_seen
    comp = components(len(c), tris)
    assert len(np.unique(comp)) > 1  # eyeballs beside the face: the partner matching matters
    normal, offset = np.array([0.995, 0.0998, 0.0]), 0.003
    normal /= np.linalg.norm(normal)
    got = _mirror_hits(c, tris, comp, normal, offset)
    q = _reflect(c, normal, offset)
    first = closest_points(c, tris, q)
    tri_comp = comp[tris[:, 0]]
    for k in np.unique(comp):
        members = np.flatnonzero(comp == k)
        partner = np.argmax(np.bincount(tri_comp[first.triangle[members]]))
        ids = np.flatnonzero(tri_comp == partner)
        ref = closest_points(c, tris[ids], q[members])
        np.testing.assert_array_equal(got.triangle[members], ids[ref.triangle])
        np.testing.assert_array_equal(got.barycentric[members], ref.barycentric)
        np.testing.assert_array_equal(got.distance[members], ref.distance)
        np.testing.assert_array_equal(got.points[members], ref.points)
