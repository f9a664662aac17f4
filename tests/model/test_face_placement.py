"""The face is placed where the network learned to find it (:mod:`model.face_placement`).

A crown or tall hat on top of a head moves the canonical frame's centroid up and grows its
radius; the network then read the hat as forehead and the whole face as jaw, and ``jawOpen``
moved the eyes (Nefertiti's bust). The placement moves and scales the frame so the eyes land in
the training range; heads already inside keep their frame exactly.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import FaceModel
from model.face_placement import EYE_DISTANCE_RANGE, MID_RANGE, place_face
from model.facs import ICT_NAMES
from model.frame import fit_frame
from model.mesh_io import read_mesh
from model.regions import REGION_NAMES
from model.rig_check import face_anchors

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _grid_box(lo: np.ndarray, hi: np.ndarray, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """A closed box surface (six n x n grids, outward winding not needed) from ``lo`` to ``hi``."""
    pts, tris = [], []
    g = np.linspace(0.0, 1.0, n)
    size = hi - lo
    ex, ey, ez = (np.diag(size)[i] for i in range(3))
    for origin, a, b in (
        (lo, ey, ex),
        (lo + ez, ex, ey),
        (lo, ez, ey),
        (lo + ex, ey, ez),
        (lo + ey, ez, ex),
        (lo, ex, ez),
    ):
        base = len(pts)
        pts += [origin + i * a + j * b for i in g for j in g]
        for i in range(n - 1):
            for j in range(n - 1):
                k = base + i * n + j
                tris += [[k, k + n, k + 1], [k + 1, k + n, k + n + 1]]
    return np.array(pts), np.array(tris)


@pytest.fixture(scope="module")
def heads():
    """(plain vertices, triangles), (crowned vertices, triangles): the demo head and the same
    head under a box crown as wide as the head and as tall (OBJ axes: Y up, Z forward)."""
    mesh = read_mesh(DEMO)
    v, t = mesh.vertices.astype(np.float64), mesh.triangles()
    lo, hi = v.min(0), v.max(0)
    size = hi - lo
    crown_v, crown_t = _grid_box(
        np.array([lo[0] - 0.05 * size[0], hi[1] - 0.25 * size[1], lo[2]]),
        np.array([hi[0] + 0.05 * size[0], hi[1] + size[1], hi[2]]),
    )
    return (v, t), (np.concatenate([v, crown_v]), np.concatenate([t, crown_t + len(v)]))


def test_a_head_in_the_training_range_keeps_its_frame(heads):
    (v, t), _ = heads
    frame = fit_frame(v, t, up="Y", forward="Z")
    placed, info = place_face(frame, v, t)
    assert placed is frame and not info.moved
    assert info.source == "eye openings"


def test_a_crowned_head_is_moved_into_the_training_range(heads):
    _, (v, t) = heads
    frame = fit_frame(v, t, up="Y", forward="Z")
    placed, info = place_face(frame, v, t)
    assert info.moved
    # the crown put the eyes far below the training range
    assert info.mid_before[1] < MID_RANGE[1][0] - 0.3
    for axis, (lo, hi) in MID_RANGE.items():
        assert lo - 1e-9 <= info.mid_after[axis] <= hi + 1e-9
    assert EYE_DISTANCE_RANGE[0] - 1e-9 <= info.eye_distance_after <= EYE_DISTANCE_RANGE[1] + 1e-9
    # the moved frame really puts the eyes there (found again from scratch), and is a similarity
    again = face_anchors(placed.to_canonical(v), t)
    mid = again.frame.from_canonical(again.mid)
    assert np.allclose(mid[1:], info.mid_after[1:], atol=1e-6)
    assert again.eye_distance * again.frame.scale == pytest.approx(info.eye_distance_after, rel=1e-6)
    p = v[:5]
    assert np.allclose(placed.from_canonical(placed.to_canonical(p)), p)
    assert np.allclose(placed.rotation, frame.rotation)


@pytest.fixture(scope="module")
def model():
    return FaceModel.load()


def _jaw_on_upper_face(model: FaceModel, v: np.ndarray, t: np.ndarray, n_face: int, eye_height: float):
    """(share of jawOpen's peak on the face's vertices above ``eye_height``, upper-lip vertex count)."""
    prepared = model.prepare(v, t, up="Y", forward="Z")
    deltas = model.bake(prepared)[:, :n_face]
    labels = model.predict_skin_weights(prepared)[:n_face].argmax(axis=1)
    motion = np.linalg.norm(deltas[ICT_NAMES.index("jawOpen")], axis=1)
    upper = v[:n_face, 1] > eye_height
    return float(motion[upper].max() / motion.max()), int((labels == REGION_NAMES.index("upper_lip")).sum())


def test_a_crown_does_not_make_jaw_open_move_the_eyes(heads, model):
    (v, t), (cv, ct) = heads
    eye_height = v[:, 1].min() + 0.62 * np.ptp(v[:, 1])  # above the nose bridge
    plain_share, plain_lip = _jaw_on_upper_face(model, v, t, len(v), eye_height)
    share, lip = _jaw_on_upper_face(model, cv, ct, len(v), eye_height)
    assert plain_share < 0.03 and plain_lip > 0
    assert share < 0.10, f"jawOpen moves the eyes and forehead by {share:.0%} of its peak under a crown"
    assert lip > 0, "no upper lip found under a crown"


def test_without_placement_the_crown_breaks_the_rig(heads, model):
    """The failure the placement removes (so the test above can fail)."""
    (v, _), (cv, ct) = heads
    eye_height = v[:, 1].min() + 0.62 * np.ptp(v[:, 1])
    unplaced = FaceModel.load()
    unplaced.face_placement = False
    share, lip = _jaw_on_upper_face(unplaced, cv, ct, len(v), eye_height)
    assert share > 0.15 or lip == 0
