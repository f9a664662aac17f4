"""FaceModel.bake method "mixed": the hybrid's upper-face shapes, the network's jaw and mouth."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import MIXED_NETWORK_GROUPS, FaceModel
from model.facs import FACS_GROUPS, ICT_NAMES
from model.mesh_io import read_mesh
from training.torch_weights import save_random_model

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def baked(tmp_path_factory):
    """{method: (53, V, 3)} on the demo head with the shipped template, random weights, and the
    per-shape post-processing that differs between methods (reach, blink) off."""
    fm = FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))
    fm.shape_locality = False
    fm.eyelids = False
    mesh = read_mesh(DEMO)
    prep = fm.prepare(mesh.vertices, mesh.triangles())
    return {m: fm.bake(prep, method=m, constraints=False) for m in ("network", "hybrid", "mixed")}


def test_mixed_takes_jaw_and_mouth_from_the_network_and_the_rest_from_hybrid(baked):
    lower = [ICT_NAMES.index(n) for g in MIXED_NETWORK_GROUPS for n in FACS_GROUPS[g]]
    upper = [i for i in range(len(ICT_NAMES)) if i not in lower]
    assert {"jawOpen", "mouthSmile_L"} <= {ICT_NAMES[i] for i in lower}
    assert {"browInnerUp_L", "eyeWide_R", "noseSneer_L"} <= {ICT_NAMES[i] for i in upper}
    mixed = baked["mixed"]
    assert mixed.dtype == np.float32 and mixed.shape == baked["network"].shape
    np.testing.assert_array_equal(mixed[lower], baked["network"][lower])
    np.testing.assert_array_equal(mixed[upper], baked["hybrid"][upper])
    # the two sources differ, so the test can tell them apart
    assert not np.allclose(baked["network"][upper], baked["hybrid"][upper])
