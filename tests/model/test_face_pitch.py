"""The face's pitch (:mod:`model.face_pitch`) and what the bake does with it.

The symmetry plane fixes yaw and roll only; a head nodding keeps its plane. The pitch is fitted
to ICT's face; the bake turns out the part beyond :data:`model.face_alignment.PITCH_FREE_DEGREES`
(upright meshes are modelled nodding by up to 19 degrees and bake best as they are), cuts the
neck again in the turned frame, and finds a sealed-eye face's nose tip along the face's pitch.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from realdev_helpers import load_realdev_mesh

from model.face_alignment import PITCH_FREE_DEGREES, align_face
from model.face_pitch import fit_pitch
from model.frame import fit_frame
from model.mesh_io import read_mesh

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _pitched(v: np.ndarray, degrees: float) -> np.ndarray:
    """``v`` (V, 3) turned by ``degrees`` about the x axis through its bounding box centre
    (y toward z: the head nods down)."""
    a = np.radians(degrees)
    r = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(a), -np.sin(a)], [0.0, np.sin(a), np.cos(a)]])
    centre = 0.5 * (v.min(axis=0) + v.max(axis=0))
    return (v - centre) @ r.T + centre


def _pitch_of(v: np.ndarray, t: np.ndarray) -> float:
    canonical = fit_frame(v, t, up="Y", forward="Z", estimate=False).to_canonical(v)
    fit = fit_pitch(canonical, t)
    assert fit is not None
    return float(np.degrees(fit.pitch))


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO)
    return mesh.vertices.astype(np.float64), mesh.triangles()


def test_the_demo_head_stands_as_icts_face(demo):
    assert abs(_pitch_of(*demo)) < 2.0


@pytest.mark.parametrize("degrees", [-10.0, 10.0, 25.0])
def test_the_fit_follows_a_nodding_demo_head(demo, degrees):
    """Pitched by ``degrees``, the fitted pitch is the upright head's less ``degrees`` (the turn
    that stands it up again), to within a degree."""
    v, t = demo
    upright = _pitch_of(v, t)
    assert abs(_pitch_of(_pitched(v, degrees), t) - (upright - degrees)) < 1.0


def test_a_head_within_the_free_pitch_keeps_its_frame(demo):
    v, t = demo
    for degrees in (0.0, 10.0):
        turned = _pitched(v, degrees)
        frame = fit_frame(turned, t, up="Y", forward="Z", estimate=False)
        moved, alignment = align_face(frame, turned, t, pitch=True)
        assert moved is frame and not alignment.applied and alignment.pitch_turned == 0.0


@pytest.mark.parametrize("degrees", [30.0, -32.0])
def test_a_head_nodding_past_the_free_pitch_is_turned_back_to_it(demo, degrees):
    """Nodding 30 degrees, the frame is turned about x alone so the face is left nodding by the
    free band (within 1.5 degrees); the head's symmetry plane stays put."""
    v, t = demo
    turned = _pitched(v, degrees)
    frame = fit_frame(turned, t, up="Y", forward="Z", estimate=False)
    moved, alignment = align_face(frame, turned, t, pitch=True)
    assert alignment.applied and alignment.pitch_turned != 0.0
    turn = moved.rotation @ frame.rotation.T
    assert np.allclose(turn[0], [1.0, 0.0, 0.0], atol=1e-9)  # about x only
    left = float(np.degrees(fit_pitch(moved.to_canonical(turned), t).pitch))
    assert abs(left + np.sign(degrees) * PITCH_FREE_DEGREES) < 1.5, left
    assert abs(np.degrees(alignment.face_pitch) - left) < 1.5


def _sealed_eyes(fm, v, t, up, forward, degrees, axis):
    """(eye midpoint (3,) input units of the upright bust, eye distance) of the bake's sealed-eye
    anchors (placed from the network's skin weights) on the bust turned by ``degrees`` about
    ``axis``, mapped back."""
    a = np.radians(degrees)
    k = np.zeros((3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    k[i, j], k[j, i] = -1.0, 1.0
    r = np.eye(3) + np.sin(a) * k + (1.0 - np.cos(a)) * k @ k
    centre = 0.5 * (v.min(axis=0) + v.max(axis=0))
    turned = (v - centre) @ r.T + centre
    prep = fm.prepare(turned, t, up=up, forward=forward)
    anchors = prep.skin_anchors(prep.network_rows(fm.predict_skin_weights(prep)))
    assert anchors.mid is not None
    mid = prep.frame.from_canonical(anchors.mid[None])[0]
    return (mid - centre) @ r + centre, anchors.eye_distance * prep.frame.scale


def test_a_tilted_bust_keeps_its_sealed_eyes():
    """The Demosthenes bust (sealed eyes, its head bent 19 degrees on the bust) pitched or rolled
    10 degrees: the eyes the bake places from the network's skin weights stay where they are on
    the bust as it comes. Before: pitched, 2.7 eye distances off (the brow taken for the nose
    tip, the neck cut in the tilted frame); rolled, 7 % closer together."""
    from model.api import FaceModel

    data = load_realdev_mesh("demosthenes_bust_scan.obj")
    v, t = np.asarray(data["vertices"], np.float64), data["head_triangles"]
    fm = FaceModel.load()
    mid, u = _sealed_eyes(fm, v, t, data["up"], data["forward"], 0.0, 0)
    # (axis, eye distance ratio allowed): after the fix pitched 0.06 eye distances off and 6 %
    # wider, rolled 0.04 off and 2 % closer
    for axis, ratio in ((0, 0.1), (2, 0.04)):
        mid_t, u_t = _sealed_eyes(fm, v, t, data["up"], data["forward"], 10.0, axis)
        assert np.linalg.norm(mid_t - mid) < 0.2 * u, (axis, np.linalg.norm(mid_t - mid) / u)
        assert abs(u_t / u - 1.0) < ratio, (axis, u_t / u)
