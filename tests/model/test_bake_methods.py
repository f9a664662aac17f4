"""FaceModel.bake methods "registration" and "hybrid": the numpy contract on the demo head."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import BAKE_METHODS, FaceModel
from model.errors import ICTDataError
from model.facs import ICT_NAMES
from model.ict import load_ict
from model.mesh_io import read_mesh
from training.torch_weights import save_random_model

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def fm(tmp_path_factory) -> FaceModel:
    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


@pytest.fixture(scope="module")
def ict(ict_dir):
    return load_ict(ict_dir)


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO)
    return mesh.vertices, mesh.triangles()


@pytest.mark.parametrize("method", ["registration", "hybrid"])
def test_classical_methods_keep_shape_dtype_and_vertex_order(fm, ict, demo, method):
    v, t = demo
    deltas = fm.bake(fm.prepare(v, t), method=method, ict=ict)
    assert deltas.shape == (53, len(v), 3) and deltas.dtype == np.float32
    assert np.isfinite(deltas).all() and np.abs(deltas).max() > 0
    perm = np.random.default_rng(0).permutation(len(v))
    inv = np.argsort(perm)
    permuted = fm.bake(fm.prepare(v[perm], inv[t]), method=method, ict=ict)
    scale = np.abs(deltas).max()
    np.testing.assert_allclose(permuted, deltas[:, perm], atol=1e-3 * scale)


def test_registration_deltas_follow_input_units_and_axes(fm, ict, demo):
    """The same head in Blender axes (Z up, -Y forward) and in metres: rotated, scaled deltas."""
    v, t = demo
    base = fm.bake(fm.prepare(v, t), method="registration", ict=ict)
    to_blender = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # Y up -> Z up, +Z fwd -> -Y fwd
    other = fm.bake(
        fm.prepare(0.01 * v @ to_blender.T, t, up="Z", forward="-Y"), method="registration", ict=ict
    )
    expected = 0.01 * base @ to_blender.T
    np.testing.assert_allclose(other, expected, atol=1e-3 * np.abs(expected).max())


def test_hybrid_lies_between_network_and_registration(fm, ict, demo, monkeypatch):
    v, t = demo
    prep = fm.prepare(v, t)
    # the blend itself: the post-processes after it (eyeball rigid fits, the geometric blink, the
    # smoothing's tears read from the shapes) are not blends of their inputs
    for flag in ("shape_locality", "shape_symmetry", "eyelids", "shape_smoothing"):
        monkeypatch.setattr(fm, flag, False)
    net, reg, hyb = (fm.bake(prep, method=m, ict=ict, constraints=False) for m in BAKE_METHODS[:3])
    # per vertex, hybrid = w reg + (1 - w) net with one w in [0, 1] for all shapes and axes
    num = np.einsum("svc,svc->v", hyb - net, reg - net)
    den = np.einsum("svc,svc->v", reg - net, reg - net)
    w = num / np.maximum(den, 1e-20)
    assert w.min() > -1e-4 and w.max() < 1 + 1e-4
    resid = hyb - (w[None, :, None] * reg + (1 - w[None, :, None]) * net)
    assert np.abs(resid).max() < 1e-4 * np.abs(net).max() + 1e-6


def test_unknown_method_and_missing_ict_folder_are_typed_errors(fm, demo, monkeypatch, tmp_path):
    v, t = demo
    prep = fm.prepare(v, t)
    with pytest.raises(ValueError, match="unknown bake method"):
        fm.bake(prep, method="magic")
    with pytest.raises(ICTDataError):
        fm.bake(prep, method="registration", ict=tmp_path / "nowhere")


def test_classical_methods_use_the_shipped_template_without_ict(fm, demo, monkeypatch, tmp_path):
    v, t = demo
    monkeypatch.setenv("ICT_FACEKIT", str(tmp_path / "nowhere"))  # never read at bake time
    for method in ("registration", "hybrid"):
        deltas = fm.bake(fm.prepare(v, t), method=method)
        assert deltas.shape == (53, len(v), 3) and np.isfinite(deltas).all()
        # the blinks move the lids: the template's shapes arrived
        blink = deltas[ICT_NAMES.index("eyeBlink_L")]
        assert np.linalg.norm(blink, axis=1).max() > 0.2  # cm on the demo head
