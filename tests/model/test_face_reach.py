"""The head region keeps the face's reach along the surface (model.head_region.with_face_reach):
a bust's bent-down chin, below the neck's narrowest section, moves with jawOpen."""

from __future__ import annotations

import numpy as np

from model.head_region import (
    FACE_CHIN_DROP,
    FACE_REACH_END,
    FACE_REACH_START,
    FACE_SEED_RADIUS,
    HeadRegion,
    with_face_reach,
)
from tests.model.realdev_helpers import load_realdev_mesh


def _strip(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """A 2 x n strip of triangles along -Y, unit spacing: (2n, 3) vertices, (2(n-1), 3) triangles."""
    y = -np.arange(n, dtype=np.float64)
    zero = np.zeros(n)
    v = np.concatenate([np.stack([zero, y, zero], 1), np.stack([zero + 1.0, y, zero], 1)])
    i = np.arange(n - 1)
    t = np.concatenate([np.stack([i, i + n, i + 1], 1), np.stack([i + 1, i + n, i + n + 1], 1)])
    return v, t


def test_face_reach_raises_weights_near_the_eyes_only() -> None:
    v, t = _strip()
    head = HeadRegion(np.zeros(len(v), np.float32), True, 0.0, -1.0, -2.0, 1.0, 1.0, 0.0)
    eye = 10.0  # eye distance in the strip's units; the "eyes" at the top of the strip
    out = with_face_reach(head, v, t, np.array([0.5, 0.0, 0.0]), eye)
    dist = -v[:, 1] / eye - FACE_SEED_RADIUS  # along the strip from the seeds around the eyes
    assert np.all(out.weights[dist < FACE_REACH_START - 0.1] == 1.0)
    assert np.all(out.weights[dist > FACE_REACH_END + 0.1] == 0.0)
    assert np.all(out.weights >= head.weights)
    # a neck whose narrowest section lies below the chin keeps its ramp (ICT with shoulders)
    neck = HeadRegion(head.weights, True, 0.0, -1.0, -2.0, 1.0, 1.0, -(FACE_CHIN_DROP + 0.1) * eye)
    assert with_face_reach(neck, v, t, np.array([0.5, 0.0, 0.0]), eye) is neck
    # a head without a body keeps its weights
    nobody = HeadRegion(np.ones(len(v), np.float32), False, 0.0, -1.0, -2.0, 1.0, 1.0, 0.0)
    assert with_face_reach(nobody, v, t, np.zeros(3), eye) is nobody


def test_bust_chin_underside_moves_with_jaw_open() -> None:
    """Demosthenes' head is bent onto the chest: the neck ramp held the skin under the chin still
    in jawOpen (a notch at the chin in side view; 2 of 22 vertices under the chin's peak moved
    < 20 % of it). Now none does."""
    from model.api import FaceModel

    data = load_realdev_mesh("demosthenes_bust_scan.obj")  # puts benchmarks/ on the path
    from bust_chin import chin_motion

    v, t = data["vertices"], data["triangles"]
    fm = FaceModel.load()
    prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"])
    mag, peak, _, under = chin_motion(fm, prepared, v)
    assert under.sum() >= 3
    assert np.all(mag[under] >= 0.2 * mag[peak]), np.sort(mag[under] / mag[peak])[:5]
