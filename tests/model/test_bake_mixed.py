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


def _sealed_eyes(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The demo head with both eye openings closed by a fan from each loop's centroid (a bust's
    sculpted closed eyes: the mesh has no eye holes)."""
    from model.openings import find_openings

    loops = find_openings(vertices, triangles)
    assert {"eye_left", "eye_right"} <= set(loops)
    v, extra = vertices, []
    for side in ("eye_left", "eye_right"):
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


def test_sealed_eyes_take_the_network_s_eye_shapes(tmp_path):
    """Without eye openings the registration has nothing to pin the template's eyes on: mixed
    keeps the network's eye shapes there (and the hybrid's on open eyes, test above)."""
    fm = FaceModel.load(save_random_model(tmp_path / "random", seed=0))
    fm.shape_locality = False
    fm.eyelids = False
    mesh = read_mesh(DEMO)
    v, t = _sealed_eyes(mesh.vertices, mesh.triangles())
    prep = fm.prepare(v, t)
    baked = {m: fm.bake(prep, method=m, constraints=False) for m in ("network", "hybrid", "mixed")}
    _, _, eye_landmarks = fm._registration_deltas(prep, None)
    assert not eye_landmarks
    eyes = [ICT_NAMES.index(n) for n in FACS_GROUPS["eyes"]]
    brows = [ICT_NAMES.index(n) for n in FACS_GROUPS["brows"]]
    np.testing.assert_array_equal(baked["mixed"][eyes], baked["network"][eyes])
    np.testing.assert_array_equal(baked["mixed"][brows], baked["hybrid"][brows])
    assert not np.allclose(baked["network"][eyes], baked["hybrid"][eyes])


def test_open_eyes_pin_the_registration(tmp_path):
    fm = FaceModel.load(save_random_model(tmp_path / "random", seed=0))
    mesh = read_mesh(DEMO)
    _, _, eye_landmarks = fm._registration_deltas(fm.prepare(mesh.vertices, mesh.triangles()), None)
    assert eye_landmarks
