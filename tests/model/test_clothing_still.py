"""A separate clothing piece below the face (a shirt collar under the chin) stays still in every
shape, ``jawOpen`` included (issue 9: shoulders and body stay still)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.facs import ICT_NAMES
from model.mesh_io import read_mesh
from model.parts import PART_INDEX

ROOT = pathlib.Path(__file__).resolve().parents[2]


def collar_piece(y0: float, y1: float, cz: float, rx: float, rz: float, rings: int = 6, segments: int = 40):
    """An open elliptic band (a stand-up shirt collar) around the vertical axis through
    ``(0, ., cz)``, from height ``y0`` to ``y1``, radii ``rx`` (left-right) and ``rz`` (depth), in
    the demo head's units (cm, Y up, face toward +Z): ``(vertices (R*S, 3), triangles (T, 3))``."""
    ang = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
    ring = np.stack([rx * np.cos(ang), np.zeros(segments), cz + rz * np.sin(ang)], 1)
    v = np.concatenate([ring + np.array([0.0, y, 0.0]) for y in np.linspace(y0, y1, rings)])
    tris = []
    for r in range(rings - 1):
        for s in range(segments):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            tris += [(a, b, a + segments), (b, b + segments, a + segments)]
    return v, np.array(tris, dtype=np.int64)


@pytest.fixture(scope="module")
def head_with_collar():
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t = m.vertices, m.triangles()
    # the demo head's neck ends at y -17.3 (its chin is at about y -8, its throat front at
    # z 3..5, the back of its neck at z -8.3, its sides at x +-11.2): a band just outside it,
    # from below the neck's end up to 4.5 cm under the chin
    cv, ct = collar_piece(-17.8, -12.5, -1.5, 12.5, 7.5)
    vertices = np.concatenate([v, cv])
    triangles = np.concatenate([t, ct + v.shape[0]])
    return vertices, triangles, np.arange(v.shape[0], vertices.shape[0])


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    from model.api import FaceModel
    from training.torch_weights import save_random_model

    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


def test_collar_piece_is_not_skin(head_with_collar):
    from model.parts import classify_parts

    v, t, collar = head_with_collar
    parts = classify_parts(v, t)
    assert np.all(parts.labels[collar] == PART_INDEX["other"])
    # the head itself is still read as before: its skin and both eyeballs
    head = classify_parts(v[: collar[0]], t[t.max(axis=1) < collar[0]])
    np.testing.assert_array_equal(parts.labels[: collar[0]], head.labels)
    assert set(parts.eyeballs) == {"L", "R"}


def test_jaw_open_leaves_the_collar_still(fm, head_with_collar):
    v, t, collar = head_with_collar
    prep = fm.prepare(v, t)
    deltas = fm.bake(prep)
    jaw = ICT_NAMES.index("jawOpen")
    # the chin moves (the constraint is not a blanket zero) ...
    assert np.linalg.norm(deltas[jaw, : collar[0]], axis=1).max() > 0
    # ... and no shape moves the collar at all
    assert np.all(deltas[:, collar] == 0.0)
