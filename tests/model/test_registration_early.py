"""The classical registration on a background thread: started while the mesh is prepared
(``FaceModel.prepare(registration=True)``) or later (``FaceModel.start_registration``, Predict
Weights for a mesh prepared before), and the bake's work done while it runs (the network's half
of mixed, the mirror map primed): the same results as the synchronous path, bit for bit, and a
failure surfaces at the bake."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.api import FaceModel
from model.mesh_io import read_mesh
from model.shape_locality import mirror_map, prime_mirror_map, symmetrize
from training.torch_weights import save_random_model

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"
KEY = ("registration", None)


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


@pytest.fixture(scope="module")
def demo():
    mesh = read_mesh(DEMO)
    return mesh.vertices, mesh.triangles()


def _pending(prepared) -> bool:
    return ("pending", KEY) in prepared._tensors


def test_prepare_starts_the_registration_early(fm, demo, monkeypatch):
    import model.api

    seen = []
    original = model.api.FaceModel._register

    def spy(canonical, triangles, ict, pitch=0.0):
        seen.append((canonical, triangles))
        return original(canonical, triangles, ict, pitch)

    monkeypatch.setattr(model.api.FaceModel, "_register", staticmethod(spy))
    early = fm.prepare(*demo, registration=True)
    assert _pending(early) or KEY in early._tensors
    fm.start_registration(early)  # already started by prepare: nothing more
    got = fm._registration_deltas(early, None)
    assert len(seen) == 1
    # it registered exactly what the prepared mesh holds (the frame known before the eigenbasis)
    np.testing.assert_array_equal(seen[0][0], early.canonical)
    np.testing.assert_array_equal(seen[0][1], early.triangles_seen)
    monkeypatch.undo()
    late = fm.prepare(*demo)
    assert not _pending(late) and KEY not in late._tensors  # not asked: nothing started
    want = fm._registration_deltas(late, None)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", ["mixed", "hybrid", "registration"])
def test_a_bake_while_the_registration_runs_equals_the_synchronous_bake(fm, demo, method):
    early = fm.prepare(*demo, registration=True)
    baked = fm.bake(early, method=method)
    assert not _pending(early)
    np.testing.assert_array_equal(baked, fm.bake(fm.prepare(*demo), method=method))


def test_auto_axes_register_the_refined_frame(fm, demo):
    # both axes estimated: the pitch refinement may move the frame, so the registration starts
    # after it (on the prepared mesh returned), never on the first frame
    v = demo[0] @ np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]]).T  # Z up, face to -Y
    early = fm.prepare(v, demo[1], up="auto", forward="auto", registration=True)
    got = fm._registration_deltas(early, None)
    want = FaceModel._register(early.canonical, early.triangles_seen, None, early.face_pitch)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_primed_mirror_map_equals_the_one_found_in_the_bake(fm, demo):
    prepared = fm.prepare(*demo)
    canonical, triangles = prepared.canonical, prepared.triangles_seen
    primed = {}
    prime_mirror_map(canonical, triangles, primed)
    assert {"plane", "hits"} <= set(primed)  # the demo head is symmetric: the closest points too
    found = {}
    mirror_map(canonical, triangles, None, found)
    _assert_same(primed["plane"], found["plane"])
    _assert_same(primed["hits"], found["hits"])
    deltas = np.random.default_rng(0).normal(size=(53, len(canonical), 3)).astype(np.float32) * 1e-3
    again = symmetrize(deltas, canonical, triangles, mirror=primed)
    np.testing.assert_array_equal(again, symmetrize(deltas, canonical, triangles, mirror={}))


def _assert_same(a, b) -> None:
    """Equal nested tuples (the caches' entries, ClosestHits) of arrays and floats, bit for bit."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _assert_same(x, y)
    else:
        np.testing.assert_array_equal(a, b)


def test_an_asymmetric_mesh_is_primed_with_its_plane_only(fm, demo):
    v, t = demo
    prepared = fm.prepare(v, t)
    canonical = np.array(prepared.canonical, copy=True)
    canonical[canonical[:, 0] > 0, 1] += 0.3  # one half moved up: no mirror partners
    cache = {}
    prime_mirror_map(canonical, prepared.triangles_seen, cache)
    assert "plane" in cache and "hits" not in cache


def test_finish_registration_waits_and_keeps_the_result(fm, demo):
    prepared = fm.prepare(*demo, registration=True)
    fm.finish_registration(prepared)
    assert not _pending(prepared) and KEY in prepared._tensors
    want = fm._registration_deltas(fm.prepare(*demo), None)
    for a, b in zip(prepared._tensors[KEY], want, strict=True):
        np.testing.assert_array_equal(a, b)
    fm.finish_registration(fm.prepare(*demo))  # none started: nothing to wait for


def test_a_failure_while_finishing_is_raised_by_the_bake(fm, demo, monkeypatch):
    import model.classical_rig

    def broken(*args, **kwargs):
        raise RuntimeError("registration failed on purpose")

    monkeypatch.setattr(model.classical_rig, "register_ict", broken)
    prepared = fm.prepare(*demo, registration=True)
    fm.finish_registration(prepared)  # the failure is not raised here
    assert not _pending(prepared) and KEY not in prepared._tensors
    with pytest.raises(RuntimeError, match="on purpose"):
        fm.bake(prepared, method="mixed")


# start_registration on a prepared mesh (Predict Weights for a mesh prepared before)


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


# the bake's geometry-only work lined up by prepare (defer_geometry), done while Predict Weights
# waits for the registration (finish_registration)


def _slow_registration(monkeypatch, seconds: float = 1.0) -> None:
    import time

    import model.api

    original = model.api.FaceModel._register

    def slow(canonical, triangles, ict, pitch=0.0):
        time.sleep(seconds)
        return original(canonical, triangles, ict, pitch)

    monkeypatch.setattr(model.api.FaceModel, "_register", staticmethod(slow))


def test_a_prepare_for_no_bake_lines_up_nothing(fm, demo):
    prepared = fm.prepare(*demo)
    assert "geometry_jobs" not in prepared._tensors and not prepared._tensors.get("mirror_map")


def test_finish_does_the_geometry_while_the_registration_runs(fm, demo, monkeypatch):
    _slow_registration(monkeypatch)
    prepared = fm.prepare(*demo, registration=True)
    assert set(prepared._tensors["geometry_jobs"]) == {"mirror", "lids"}
    fm.finish_registration(prepared)
    assert not prepared._tensors["geometry_jobs"]  # both done while it waited
    found = {}
    prime_mirror_map(prepared.canonical, prepared.triangles_seen, found)
    _assert_same(prepared._tensors["mirror_map"]["plane"], found["plane"])
    _assert_same(prepared._tensors["mirror_map"]["hits"], found["hits"])


def test_finish_leaves_the_geometry_when_the_registration_is_done(fm, demo):
    prepared = fm.prepare(*demo, registration=True)
    fm._registration_deltas(prepared, None)  # done: finishing has no idle time to fill
    fm.finish_registration(prepared)
    assert set(prepared._tensors["geometry_jobs"]) == {"mirror", "lids"}
    fm.bake(prepared, method="mixed")
    assert "geometry_jobs" not in prepared._tensors  # the bake found what it needed itself


@pytest.mark.parametrize("method", ["mixed", "hybrid"])
def test_a_bake_after_the_geometry_was_done_equals_one_without(fm, demo, method, monkeypatch):
    _slow_registration(monkeypatch, 0.5)
    done = fm.prepare(*demo, registration=method)
    fm.finish_registration(done)
    assert not done._tensors["geometry_jobs"]
    baked = fm.bake(done, method=method)
    monkeypatch.setattr(FaceModel, "defer_geometry", lambda self, prepared: None)
    plain = fm.prepare(*demo, registration=method)
    assert "geometry_jobs" not in plain._tensors and not plain._tensors.get("mirror_map")
    np.testing.assert_array_equal(baked, fm.bake(plain, method=method))


def test_a_failed_geometry_job_is_found_by_the_bake(fm, demo, monkeypatch):
    import model.shape_locality

    want = fm.bake(fm.prepare(*demo), method="mixed")
    original = model.shape_locality.prime_mirror_map

    def broken(*args, **kwargs):
        raise RuntimeError("mirror map failed on purpose")

    monkeypatch.setattr(model.shape_locality, "prime_mirror_map", broken)
    _slow_registration(monkeypatch, 0.5)
    prepared = fm.prepare(*demo, registration=True)
    monkeypatch.setattr(model.shape_locality, "prime_mirror_map", original)
    fm.finish_registration(prepared)  # the failure is not raised here
    assert not prepared._tensors["geometry_jobs"]
    np.testing.assert_array_equal(fm.bake(prepared, method="mixed"), want)
