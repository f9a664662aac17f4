"""The face's pitch (:mod:`model.face_pitch`) and what the bake does with it.

The symmetry plane fixes yaw and roll only; a head nodding keeps its plane. The pitch is fitted
to ICT's face; the bake turns out the part beyond the free band
(:data:`model.face_alignment.PITCH_FREE_DOWN_DEGREES` nodding down,
:data:`model.face_alignment.PITCH_FREE_UP_DEGREES` looking up; avatars are modelled nodding down
a few degrees and bake best as they are), cuts the
neck again in the turned frame, and finds a sealed-eye face's nose tip along the face's pitch.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from realdev_helpers import load_realdev_mesh

from model.face_alignment import PITCH_FREE_DOWN_DEGREES, PITCH_FREE_UP_DEGREES, align_face
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
    # nodding down 5 (fitted -6: within the band's 8) and looking up 3 (fitted +2, within 4)
    for degrees in (0.0, 5.0, -3.0):
        turned = _pitched(v, degrees)
        frame = fit_frame(turned, t, up="Y", forward="Z", estimate=False)
        moved, alignment = align_face(frame, turned, t, pitch=True)
        assert moved is frame and not alignment.applied and alignment.pitch_turned == 0.0


@pytest.mark.parametrize("degrees", [30.0, -32.0, 10.0, -7.0])
def test_a_head_nodding_past_the_free_pitch_is_turned_back_to_it(demo, degrees):
    """Nodding 10-30 degrees down or looking up 7-32, the frame is turned about x alone so the
    face is left nodding by the free band's edge on its side (within 1.5 degrees); the head's
    symmetry plane stays put."""
    v, t = demo
    turned = _pitched(v, degrees)
    frame = fit_frame(turned, t, up="Y", forward="Z", estimate=False)
    moved, alignment = align_face(frame, turned, t, pitch=True)
    assert alignment.applied and alignment.pitch_turned != 0.0
    turn = moved.rotation @ frame.rotation.T
    assert np.allclose(turn[0], [1.0, 0.0, 0.0], atol=1e-9)  # about x only
    left = float(np.degrees(fit_pitch(moved.to_canonical(turned), t).pitch))
    # nodding down (degrees > 0) fits a negative pitch: left at the band's lower edge
    edge = -PITCH_FREE_DOWN_DEGREES if degrees > 0 else PITCH_FREE_UP_DEGREES
    assert abs(left - edge) < 1.5, left
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


def _uv_sphere_face(segments: int = 32, rings: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The add-on tests' non-ICT "face" (``tests/addon/addon_helpers.make_face``: Blender's UV
    sphere, Z up, squashed front-to-back with a bump of a nose at -Y), quads split in two."""
    theta = np.pi * np.arange(1, rings) / rings
    phi = 2.0 * np.pi * np.arange(segments) / segments
    sin, cos = np.sin(theta)[:, None], np.cos(theta)[:, None]
    ring = np.stack([sin * np.cos(phi), sin * np.sin(phi), cos * np.ones(segments)], axis=-1).reshape(-1, 3)
    v = 0.1 * np.concatenate([[[0.0, 0.0, 1.0]], ring, [[0.0, 0.0, -1.0]]])
    v[:, 1] *= 0.8
    v[:, 1] -= 0.03 * np.exp(-((v[:, 0] / 0.03) ** 2 + (v[:, 2] / 0.03) ** 2)) * (v[:, 1] < 0)
    at = lambda i, j: 1 + i * segments + j % segments  # noqa: E731
    tris = []
    for j in range(segments):
        tris += [[0, at(0, j), at(0, j + 1)], [len(v) - 1, at(rings - 2, j + 1), at(rings - 2, j)]]
        for i in range(rings - 2):
            tris += [[at(i, j), at(i + 1, j), at(i + 1, j + 1)], [at(i, j), at(i + 1, j + 1), at(i, j + 1)]]
    return v, np.array(tris, np.int64)


def _fit(v: np.ndarray, t: np.ndarray, up: str, forward: str) -> tuple[float, float]:
    fit = fit_pitch(fit_frame(v, t, up=up, forward=forward, estimate=False).to_canonical(v), t)
    assert fit is not None
    return fit.pitch, fit.score


@pytest.mark.parametrize("mesh", ["demo head", "uv sphere"])
def test_the_fit_is_the_same_whatever_the_triangles_order_winding_numbering_or_mirror(demo, mesh):
    """Blender hands an object's loop triangles in another order run to run, and a mirrored
    object (scale x = -1) wound the other way. The fit samples the surface at random (fixed
    seed), and drawn from the triangles as given the pitch moved with their order: the demo head
    -0.62 / -0.96 / -1.13 degrees, the UV sphere (whose fit hardly depends on its pitch) -6.5 to
    +1.8, and its mirror image at another, so the bake placed the static parts of a mirrored
    object elsewhere than the plain one's, differently each run (the add-on's mirrored-object
    test, 5-23 % of the largest delta at mirror partners). Now the same to the last digits (the
    frame's fit sums over the triangles, an ulp apart in another order); the mirror image of the
    demo head within ICT's own asymmetry (its template face is 0.005 cm off symmetric: 0.005
    degrees)."""
    v, t, up, forward = (*demo, "Y", "Z") if mesh == "demo head" else (*_uv_sphere_face(), "Z", "-Y")
    rng = np.random.default_rng(3)
    first = _fit(v, t, up, forward)
    for roll in (0, 1, 2):
        shuffled = np.roll(t[rng.permutation(len(t))], roll, axis=1)  # same winding, another order
        assert _fit(v, shuffled, up, forward) == pytest.approx(first, abs=1e-12)
        numbering = rng.permutation(len(v))  # the vertices numbered otherwise
        assert _fit(v[numbering], np.argsort(numbering)[t], up, forward) == pytest.approx(first, abs=1e-12)
    mirrored = _fit(v * np.array([-1.0, 1.0, 1.0]), t[rng.permutation(len(t))][:, ::-1], up, forward)
    assert mirrored == pytest.approx(first, abs=1e-12 if mesh == "uv sphere" else np.radians(0.02))


def test_the_fit_holds_under_a_tiny_noise(demo):
    """Noise a million times smaller than the head moves the fitted pitch by hundredths of a
    degree (a fit that flipped between starts or trim sets on it would move by degrees)."""
    v, t = demo
    rng = np.random.default_rng(4)
    pitch = _fit(v, t, "Y", "Z")[0]
    extent = float(np.ptp(v, axis=0).max())
    for _ in range(3):
        noisy = v + rng.normal(0.0, 1e-6 * extent, v.shape)
        assert abs(np.degrees(_fit(noisy, t, "Y", "Z")[0] - pitch)) < 0.1


def test_a_caricature_is_not_read_as_a_steep_nod():
    """Nefertiti warped into a caricature (``benchmarks/realdev_variants.py``'s ``stylize``: eyes
    25 % bigger and further apart, head wider, jaw narrower, nose longer) has a false basin at a
    steep nod: the fit read 30 degrees (her own 4.8) and the static zones placed with it let
    ``jawOpen`` move her ears by 5.8 % of its peak. A start landing past 20 degrees must now fit
    clearly better to win; a real steep nod (Demosthenes, -19 as he comes) still wins."""
    for name, near, tol in (("nefertiti_bust_scan.obj", 4.8, 3.0), ("demosthenes_bust_scan.obj", -18.9, 3.0)):
        data = load_realdev_mesh(name)  # puts benchmarks/ on the path (or skips)
        from realdev_variants import stylize

        v = data["vertices"] if data["head_ids"] is None else data["vertices"][data["head_ids"]]
        v, t = np.asarray(v, np.float64), data["head_triangles"]
        warped = stylize(v, t, data["up"], data["forward"])
        for points in (v, warped):
            frame = fit_frame(points, t, up=data["up"], forward=data["forward"])
            fit = fit_pitch(frame.to_canonical(points), t)
            assert abs(np.degrees(fit.pitch) - near) < tol, (name, np.degrees(fit.pitch))
