"""The pieces of scripts/render_closeups.py and scripts/export_realdev_neutrals.py that need no
Blender: the OBJ the old commit bakes on keeps the vertex order, ARKit's one-sided names sum ICT's
halves, and faces with sealed eyes get taller close-ups than faces whose eyes were found."""

from __future__ import annotations

import importlib.util
import pathlib
from types import SimpleNamespace

import numpy as np

from model.facs import ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exported_obj_keeps_vertex_order_and_faces(tmp_path):
    rng = np.random.default_rng(0)
    v = rng.normal(size=(40, 3))
    t = rng.integers(0, 40, size=(30, 3))
    t = t[(t[:, 0] != t[:, 1]) & (t[:, 1] != t[:, 2]) & (t[:, 0] != t[:, 2])]
    path = tmp_path / "m.obj"
    _script("export_realdev_neutrals").write_obj(path, v, t)
    m = read_mesh(path, check=False)
    np.testing.assert_allclose(m.vertices, v, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(m.triangles(), t)


def test_pick_sums_left_and_right_for_one_sided_names():
    rc = _script("render_closeups")
    deltas = np.random.default_rng(1).normal(size=(len(ICT_NAMES), 5, 3))
    got = rc._pick(deltas, list(ICT_NAMES), ["neutral", "jawOpen", "browInnerUp"])
    i = ICT_NAMES.index
    np.testing.assert_array_equal(got["neutral"], 0.0)
    np.testing.assert_array_equal(got["jawOpen"], deltas[i("jawOpen")])
    np.testing.assert_allclose(got["browInnerUp"], deltas[i("browInnerUp_L")] + deltas[i("browInnerUp_R")])


def test_nose_tip_estimate_gets_taller_tiles_than_found_eyes():
    rc = _script("render_closeups")
    mid, u = np.array([0.0, 1.0, 0.5]), 2.0
    found = rc._views(SimpleNamespace(mid=mid, eye_distance=u, source="eye openings"), None)
    guess = rc._views(SimpleNamespace(mid=mid, eye_distance=u, source="nose tip (estimate)"), None)
    for (name, _, w_found, _), (_, _, w_guess, _) in zip(found, guess, strict=True):
        assert w_guess > w_found, name
    # the eye tile reaches higher when the eyes were estimated from the nose tip
    assert guess[0][1][1] + guess[0][2] / 2 > found[0][1][1] + found[0][2] / 2
