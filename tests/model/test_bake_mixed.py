"""FaceModel.bake method "mixed": the registration's shapes where its landmarks pinned the
template and the template fits (:mod:`model.method_blend`), the network's elsewhere."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import FaceModel
from model.facs import FACS_GROUPS, ICT_NAMES
from model.mesh_io import read_mesh
from model.method_blend import SEALED_MOUTH_SHAPES, fit_weight
from training.torch_weights import save_random_model

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"
LOWER = [ICT_NAMES.index(n) for g in ("jaw", "mouth") for n in FACS_GROUPS[g]]
UPPER = [i for i in range(len(ICT_NAMES)) if i not in LOWER]


def _bake_all(fm: FaceModel, v: np.ndarray, t: np.ndarray):
    prep = fm.prepare(v, t)
    baked = {m: fm.bake(prep, method=m, constraints=False) for m in ("network", "hybrid", "mixed")}
    return prep, baked


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    """Random weights, and the per-shape post-processing off (reach, blink, and the symmetrize,
    short-edge and smoothing passes, which mix a vertex's shapes with its neighbours' and
    partners')."""
    model = FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))
    model.shape_locality = False
    model.eyelids = False
    model.shape_symmetry = False
    model.short_edges = False
    model.shape_smoothing = False
    return model


@pytest.fixture(scope="module")
def demo_baked(fm):
    mesh = read_mesh(DEMO)
    return _bake_all(fm, mesh.vertices, mesh.triangles())


def test_pinned_face_takes_the_hybrid_s_blend_everywhere(fm, demo_baked):
    """The demo head's eye and mouth openings pin the template: every shape is the hybrid's
    per-vertex blend (the reach mask, which mixed applies to the network's half, is off here)."""
    prep, baked = demo_baked
    _, _, eyes, mouth, _ = fm._registration_deltas(prep, None)
    assert eyes and mouth
    mixed, net, hybrid = baked["mixed"], baked["network"], baked["hybrid"]
    assert mixed.dtype == np.float32 and mixed.shape == net.shape
    np.testing.assert_array_equal(mixed, hybrid)
    assert not np.allclose(net, hybrid)  # the sources differ: the test can tell them apart


def test_reach_applies_to_the_network_s_half_only(fm, demo_baked):
    """With the reach mask on, mixed blends the registration's shapes with the network's
    masked ones: ``w * registration + (1 - w) * reach(network)``."""
    prep, baked = demo_baked
    fm.shape_locality = True
    try:
        mixed = fm.bake(prep, method="mixed", constraints=False)
        reached = fm.bake(prep, method="network", constraints=False)
    finally:
        fm.shape_locality = False
    reg = fm.bake(prep, method="registration", constraints=False)
    _, residual, _, _, _ = fm._registration_deltas(prep, None)
    w = fit_weight(residual)[None, :, None]
    np.testing.assert_allclose(mixed, w * reg + (1 - w) * reached, atol=1e-5 * np.abs(reg).max())
    assert not np.allclose(reached, baked["network"])  # the reach did change the network's shapes


def _sealed(vertices: np.ndarray, triangles: np.ndarray, openings) -> tuple[np.ndarray, np.ndarray]:
    """The demo head with ``openings`` (``eye_left``, ``eye_right``, ``mouth``) closed by a fan
    from each loop's centroid (a bust's sculpted closed eyes, lips modelled as one surface)."""
    from model.openings import find_openings

    loops = find_openings(vertices, triangles)
    assert set(openings) <= set(loops)
    v, extra = vertices, []
    for side in openings:
        loop = loops[side]
        centre = len(v)
        v = np.vstack([v, v[loop].mean(axis=0, keepdims=True)])
        fan = np.stack([loop, np.roll(loop, -1), np.full_like(loop, centre)], axis=1)
        # the fan's winding must match the surface's: a loop edge (a, b) is walked b -> a by
        # the surface's triangle that owns it
        a, b = loop[0], loop[1]
        owned = np.any((triangles == a) & (np.roll(triangles, -1, axis=1) == b))
        extra.append(fan[:, ::-1] if owned else fan)
    return v, np.vstack([triangles, *extra])


def test_sealed_eyes_keep_the_network_s_shapes(fm):
    """Without eye openings the registration has nothing to pin the template's eyes on (a
    sealed bust: its brows rippled, its lids slid over the brow): mixed keeps the network's
    shapes, all of them."""
    mesh = read_mesh(DEMO)
    v, t = _sealed(mesh.vertices, mesh.triangles(), ("eye_left", "eye_right"))
    prep, baked = _bake_all(fm, v, t)
    _, _, eyes, mouth, _ = fm._registration_deltas(prep, None)
    assert not eyes and not mouth
    np.testing.assert_array_equal(baked["mixed"], baked["network"])
    assert not np.allclose(baked["network"][UPPER], baked["hybrid"][UPPER])


def test_sealed_lips_keep_the_network_s_lip_parting_shapes(fm):
    """Lips that are one surface (no mouth opening): the template's lips are not pinned, so
    the jaw and the mouth shapes that part the lips stay the network's (on the Rocketbox
    avatars, whose lips touch, the registration's jawOpen stretched the lower lip's inner face
    into a sheet); the upper face and the mouth shapes that move both lips together
    (:data:`model.method_blend.SEALED_MOUTH_SHAPES`) are the blend."""
    mesh = read_mesh(DEMO)
    v, t = _sealed(mesh.vertices, mesh.triangles(), ("mouth",))
    prep, baked = _bake_all(fm, v, t)
    _, _, eyes, mouth, _ = fm._registration_deltas(prep, None)
    assert eyes and not mouth
    together = [ICT_NAMES.index(n) for n in SEALED_MOUTH_SHAPES]
    parting = [i for i in LOWER if i not in together]
    assert ICT_NAMES.index("jawOpen") in parting
    np.testing.assert_array_equal(baked["mixed"][parting], baked["network"][parting])
    np.testing.assert_array_equal(baked["mixed"][together], baked["hybrid"][together])
    assert not np.allclose(baked["mixed"][together], baked["network"][together])
    np.testing.assert_array_equal(baked["mixed"][UPPER], baked["hybrid"][UPPER])


def test_open_eyes_pin_the_registration(fm, demo_baked):
    prep, _ = demo_baked
    _, _, eyes, mouth, _ = fm._registration_deltas(prep, None)
    assert eyes and mouth


def test_a_bake_does_not_depend_on_the_method_baked_before():
    """The solved blinks blend in the incoming ones, so they are kept per incoming blink: the
    network's bake after a mixed bake of the same prepared mesh equals a fresh one (it took
    mixed's lids, 0.35 of an eye-distance unit apart on the demo head, shipped weights)."""
    fm = FaceModel.load()
    mesh = read_mesh(DEMO)
    fresh = fm.prepare(mesh.vertices, mesh.triangles())
    want = fm.bake(fresh, method="network")
    reused = fm.prepare(mesh.vertices, mesh.triangles())
    mixed = fm.bake(reused, method="mixed")
    assert not np.allclose(mixed, want)
    np.testing.assert_array_equal(fm.bake(reused, method="network"), want)
    np.testing.assert_array_equal(fm.bake(reused, method="mixed"), mixed)  # and back


def test_mixed_skips_the_registration_without_eye_openings(fm):
    """Nothing can pin the template without eye openings: mixed bakes the network's rig without
    paying the registration (a bust, a scan, a stylized head with sculpted eyes)."""
    mesh = read_mesh(DEMO)
    v, t = _sealed(mesh.vertices, mesh.triangles(), ("eye_left", "eye_right"))
    prep = fm.prepare(v, t, registration="mixed")  # as Predict Weights prepares for the bake
    assert not any(isinstance(k, tuple) and k[0] == "pending" for k in prep._tensors)
    assert not fm.needs_registration(prep, "mixed")
    assert fm.needs_registration(prep, "hybrid") and not fm.needs_registration(prep, "network")
    mixed = fm.bake(prep, method="mixed", constraints=False)
    assert not any(isinstance(k, tuple) and k[0] == "registration" for k in prep._tensors)
    np.testing.assert_array_equal(mixed, fm.bake(prep, method="network", constraints=False))
    open_eyes = fm.prepare(mesh.vertices, mesh.triangles(), registration="mixed")
    assert fm.needs_registration(open_eyes, "mixed")
    assert ("pending", ("registration", None)) in open_eyes._tensors  # started while prepared
    fm.finish_registration(open_eyes)
