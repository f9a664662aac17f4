"""Eye anchors from skin weights are used only when they look like a pair of eyes.

On a sealed-eye bust the network's eye regions can land on a cheek and a brow; the reach mask,
the static area and the rig check's zones all hang on the eye midpoint and distance, so a wrong
pair slid Nefertiti's whole face in ``jawOpen``. :func:`model.rig_check._plausible_eyes` rejects
such a pair and the anchors fall back to the nose-tip estimate.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.face_landmarks import largest_component_mask
from model.frame import fit_frame
from model.mesh_io import read_mesh
from model.regions import REGION_NAMES
from model.rig_check import EYE_REGIONS, _anchors, _nose_tip_anchor, _plausible_eyes, find_eye_openings

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO)
    t = mesh.triangles()
    canon = fit_frame(mesh.vertices, t, up="Y", forward="Z").to_canonical(mesh.vertices)
    skin = largest_component_mask(len(canon), t)
    eyes = find_eye_openings(canon, t, skin)
    assert set(eyes) == {"L", "R"}
    return canon, skin, {s: e.center for s, e in eyes.items()}


def _skin_weights(canon: np.ndarray, centres: dict, radius: float) -> np.ndarray:
    """One-hot (V, K) weights: an eye region within ``radius`` of each centre, the nose elsewhere."""
    names = list(REGION_NAMES)
    w = np.zeros((len(canon), len(names)))
    w[:, names.index("nose")] = 1.0
    for side, centre in centres.items():
        near = np.linalg.norm(canon - centre, axis=1) < radius
        w[near] = 0.0
        w[near, names.index(EYE_REGIONS[side][2])] = 1.0
    return w


def test_eye_pair_on_the_eyes_is_used(demo):
    canon, skin, true = demo
    u = float(np.linalg.norm(true["L"] - true["R"]))
    w = _skin_weights(canon, true, 0.2 * u)
    mid, found_u, source = _anchors(canon, {}, {}, w, REGION_NAMES, skin)
    assert source == "skin weights"
    assert abs(found_u / u - 1.0) < 0.15
    assert np.linalg.norm(mid - (true["L"] + true["R"]) / 2) < 0.15 * u


def test_eye_pair_on_cheek_and_brow_falls_back_to_the_nose_tip(demo):
    canon, skin, true = demo
    u = float(np.linalg.norm(true["L"] - true["R"]))
    # Nefertiti's case: one "eye" on the cheek further out, the other on the brow
    wrong = {"L": true["L"] + u * np.array([0.4, -0.45, 0.0]), "R": true["R"] + u * np.array([0.1, 0.3, 0.0])}
    w = _skin_weights(canon, wrong, 0.2 * u)
    mid, found_u, source = _anchors(canon, {}, {}, w, REGION_NAMES, skin)
    assert source == "nose tip (estimate)"
    nose_mid, nose_u = _nose_tip_anchor(canon, skin)
    assert found_u == pytest.approx(nose_u)
    assert np.allclose(mid, nose_mid)


@pytest.mark.parametrize(
    "left, right, ok",
    [
        ((0.5, 0.0, 0.0), (-0.5, 0.0, 0.0), True),
        ((0.5, 0.25, 0.0), (-0.5, 0.0, 0.0), False),  # not level
        ((0.7, 0.0, 0.0), (-0.3, 0.0, 0.0), False),  # off the symmetry plane
        ((-0.5, 0.0, 0.0), (0.5, 0.0, 0.0), False),  # sides swapped
    ],
)
def test_plausible_eyes_shape_rules(left, right, ok):
    assert _plausible_eyes({"L": np.array(left), "R": np.array(right)}, (None, None)) is ok


def test_plausible_eyes_must_agree_with_the_nose_tip_estimate():
    pair = {"L": np.array([0.5, 0.0, 0.0]), "R": np.array([-0.5, 0.0, 0.0])}
    assert _plausible_eyes(pair, (np.zeros(3), 1.1))
    assert not _plausible_eyes(pair, (np.zeros(3), 0.5))  # eye distance twice the estimate
    assert not _plausible_eyes(pair, (np.array([0.0, -0.8, 0.0]), 1.0))  # midpoint far from it
