"""The face anchors of a prepared mesh: the skin component found once in prepare (the face
placement's) serves the bake, and the bake's anchors are found once per mesh and skin weights."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model import rig_check
from model.api import FaceModel
from model.mesh_io import read_mesh
from model.shape_locality import skin_anchors

DEMO_HEAD = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture
def calls(monkeypatch) -> list[dict]:
    """The keyword arguments of every :func:`model.rig_check.face_anchors` call."""
    seen: list[dict] = []
    real = rig_check.face_anchors

    def counted(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(rig_check, "face_anchors", counted)
    return seen


def test_anchors_are_found_once_per_mesh_and_skin_weights(calls):
    fm = FaceModel.load()
    mesh = read_mesh(DEMO_HEAD)
    prep = fm.prepare(mesh.vertices, mesh.triangles(), up="Y", forward="Z")
    # the placement, before skin weights exist, on the skin component prepare keeps
    assert len(calls) == 1 and calls[0]["skin_mask"] is prep.skin_component()
    skin = fm.predict_skin_weights(prep)
    first = fm.bake(prep, skin)
    # the bake's anchors on the network's vertices; on this mirror-symmetric head also the mirror
    # pass's (model.mirror_pass: the rig check's, on the input mesh in the check's frame, once
    # per mesh)
    bake_calls = [c for c in calls[1:] if "frame" not in c]
    assert len(bake_calls) == 1 and bake_calls[0]["skin_mask"] is prep.skin_component()
    assert bake_calls[0]["skin_weights"] is not None  # the bake's anchors use the skin weights
    assert len(calls) - 1 - len(bake_calls) <= 1
    found = len(calls)
    np.testing.assert_array_equal(fm.bake(prep, skin), first)  # a re-bake: nothing found again
    assert len(calls) == found
    other = np.ascontiguousarray(prep.network_rows(skin)[:, ::-1])  # other skin weights: found again
    prep.skin_anchors(other)
    assert len(calls) == found + 1


def test_the_reused_skin_component_gives_the_anchors_found_from_scratch(calls):
    fm = FaceModel.load()
    mesh = read_mesh(DEMO_HEAD)
    prep = fm.prepare(mesh.vertices, mesh.triangles(), up="Y", forward="Z")
    skin = prep.network_rows(fm.predict_skin_weights(prep))  # (S, K): the vertices the network sees
    cached = prep.skin_anchors(skin)
    fresh = skin_anchors(prep.canonical, prep.triangles_seen, skin)  # its own skin component
    assert cached.mid is not None and cached.source == fresh.source
    np.testing.assert_array_equal(cached.skin, fresh.skin)
    np.testing.assert_array_equal(cached.mid, fresh.mid)
    assert cached.eye_distance == fresh.eye_distance
