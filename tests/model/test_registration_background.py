"""FaceModel.start_registration: the classical registration on a background thread while the
network predicts (the add-on's Predict Weights starts it for the bake methods that need it)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import FaceModel
from model.mesh_io import read_mesh
from training.torch_weights import save_random_model

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO)
    return mesh.vertices, mesh.triangles()


def test_background_registration_gives_the_synchronous_result(fm, demo):
    early = fm.prepare(*demo)
    fm.start_registration(early)
    fm.start_registration(early)  # already running: nothing more
    fm.predict_skin_weights(early)  # the network meanwhile
    late = fm.prepare(*demo)
    got, want = fm._registration_deltas(early, None), fm._registration_deltas(late, None)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not any(isinstance(k, tuple) and k[0] == "pending" for k in early._tensors)
    fm.start_registration(early)  # done: nothing started
    assert not any(isinstance(k, tuple) and k[0] == "pending" for k in early._tensors)
    np.testing.assert_array_equal(fm.bake(early, method="mixed"), fm.bake(late, method="mixed"))


def test_a_background_failure_surfaces_at_the_bake(fm, demo, monkeypatch):
    import model.classical_rig

    def broken(*args, **kwargs):
        raise RuntimeError("registration failed on purpose")

    monkeypatch.setattr(model.classical_rig, "register_ict", broken)
    prep = fm.prepare(*demo)
    fm.start_registration(prep)
    with pytest.raises(RuntimeError, match="on purpose"):
        fm.bake(prep, method="mixed")
    monkeypatch.undo()
    # the failure is not cached: the next bake registers again
    assert fm.bake(prep, method="mixed").shape == (53, len(demo[0]), 3)
