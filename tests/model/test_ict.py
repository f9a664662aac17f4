"""ICT-FaceKit loader: shapes, names, parsed cache, crops, errors."""

from __future__ import annotations

import json
import os
import pathlib
import time

import numpy as np
import pytest
from mesh_helpers import fake_ict

from model import ict
from model.cache import cache_dir
from model.errors import ICTDataError
from model.facs import ICT_NAMES


@pytest.fixture(scope="module")
def model(ict_dir):
    return ict.load_ict(ict_dir)


def test_shapes_dtypes_names(model):
    assert model.neutral.shape == (26719, 3) and model.neutral.dtype == np.float32
    assert model.identities.shape == (100, 26719, 3) and model.identities.dtype == np.float32
    assert model.expressions.shape == (53, 26719, 3) and model.expressions.dtype == np.float32
    assert model.expression_names == ICT_NAMES
    assert model.face_sizes.shape == (26384,)
    assert int(model.face_sizes.sum()) == model.face_indices.shape[0]
    assert set(np.unique(model.face_sizes)) <= {3, 4}
    tris = model.triangles()
    assert tris.dtype == np.int64 and tris.shape == (int((model.face_sizes - 2).sum()), 3)
    assert tris.min() == 0 and tris.max() == 26718
    mesh = model.mesh  # the model.mesh_io.Mesh view keeps the quads
    assert mesh.vertices.shape == (26719, 3) and np.array_equal(mesh.triangles(), tris)


def test_deltas_are_additive_and_sided(model):
    # Deltas, not full shapes: a neutral-sized offset would be ~10 cm everywhere.
    assert np.abs(model.expressions).max() < 5.0
    assert np.abs(model.identities).max() < 5.0
    blink_l = np.linalg.norm(model.expressions[ICT_NAMES.index("eyeBlink_L")], axis=1)
    # +X is the subject's left: the left blink moves vertices with x > 0.
    assert (model.neutral[:, 0] * blink_l).sum() / blink_l.sum() > 2.0
    # Y up, +Z forward: the nose tip is the frontmost face vertex, above the chin, in front of the ears.
    face = model.neutral[:9409]
    tip = face[face[:, 2].argmax()]
    assert abs(tip[0]) < 0.5 and tip[1] > face[:, 1].min() + 5.0
    assert face[:, 1].max() - face[:, 1].min() > 15.0  # cm-scale face height


def test_compose(model):
    w = np.zeros(53, np.float32)
    w[ICT_NAMES.index("jawOpen")] = 1.0
    c = np.zeros(100, np.float32)
    c[0] = 1.0
    out = model.compose(c, w)
    expected = model.neutral + model.identities[0] + model.expressions[ICT_NAMES.index("jawOpen")]
    np.testing.assert_allclose(out, expected, atol=1e-5)
    np.testing.assert_array_equal(model.compose(), model.neutral)
    with pytest.raises(ValueError):
        model.compose(np.zeros(99))


def test_sample_identity_is_plausible_and_restricted(model):
    rng = np.random.default_rng(0)
    c = ict.sample_identity(rng, basis_indices=[1, 5, 7])
    assert c.shape == (100,) and c.dtype == np.float32
    assert set(np.flatnonzero(c)) <= {1, 5, 7}
    head = model.compose(ict.sample_identity(np.random.default_rng(1)))[:11248]
    rms = np.sqrt(((head - model.neutral[:11248]) ** 2).sum(1).mean())
    assert 0.2 < rms < 2.0  # cm: a visible but not caricatured identity


@pytest.mark.parametrize(
    "name,n,npoly", [("narrow", 6706, 6560), ("face", 9409, 9230), ("head", 11248, 11144)]
)
def test_crops(model, name, n, npoly):
    count, tris = model.crop(name)
    assert count == ict.CROPS[name] == n
    assert tris.max() < n and tris.min() >= 0
    assert np.unique(tris).size == n  # every crop vertex is used by a face
    count, fi, fs = model.crop(name, polygons=True)
    assert fs.shape == (npoly,)  # matches ICT's README polygon ranges
    assert fi.max() < n


def test_parts_table_tiles_the_mesh(model):
    ranges = sorted(ict.PARTS.values())
    assert ranges[0][0] == 0 and ranges[-1][1] == 26719
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    # skin parts may stitch onto earlier skin vertices; detached parts use only their own range
    offsets = np.concatenate([[0], np.cumsum(model.face_sizes)])
    for name, (p0, p1) in ict.PART_POLYGONS.items():
        v0, v1 = ict.PARTS[name]
        idx = model.face_indices[offsets[p0] : offsets[p1]]
        assert idx.max() == v1 - 1, name
        if name in ict.SKIN_PARTS:
            assert idx.min() < ict.PARTS["head_and_neck"][1] or name == "face", name
        else:
            assert idx.min() == v0, name
    vids, tris = model.submesh(["face", "head_and_neck", "eyeball_left", "eyeball_right"])
    assert vids.shape == (11248 + 2 * 1570,)
    assert tris.max() == vids.shape[0] - 1


def test_cache_fast_path(ict_dir):
    ict.load_ict(ict_dir)  # populate
    t = time.perf_counter()
    m = ict.load_ict(ict_dir)
    assert time.perf_counter() - t < 5.0  # generous; parsing takes several seconds
    assert m.source == pathlib.Path(ict_dir) / "FaceXModel"
    assert len(list(cache_dir("ict").glob("ict-*.npz"))) >= 1


def test_cache_invalidated_when_a_file_changes(tmp_path, monkeypatch):
    fx = fake_ict(tmp_path)
    monkeypatch.setattr(ict, "NUM_VERTICES", 4)  # the fake model is one quad
    parsed = []
    real_parse = ict._parse
    monkeypatch.setattr(ict, "_parse", lambda p: parsed.append(p) or real_parse(p))
    a = ict.load_ict(tmp_path)
    ict.load_ict(tmp_path)
    assert len(parsed) == 1, "second load must come from the cache"
    assert np.abs(a.expressions).max() == 0
    jaw = fx / "jawOpen.obj"
    jaw.write_text("v 0 -1 0\nv 1 -1 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n")
    st = jaw.stat()
    os.utime(jaw, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    b = ict.load_ict(tmp_path)
    assert len(parsed) == 2, "a changed file must invalidate the cache"
    assert b.expressions[ICT_NAMES.index("jawOpen"), 0, 1] == -1.0


def test_missing_folder_raises(tmp_path, monkeypatch):
    monkeypatch.delenv("ICT_FACEKIT", raising=False)
    with pytest.raises(ICTDataError, match="ICT_FACEKIT"):
        ict.load_ict()
    with pytest.raises(ICTDataError, match="does not exist.*--ict PATH"):
        ict.load_ict(tmp_path / "nowhere")


def test_incomplete_folder_raises(tmp_path):
    fx = fake_ict(tmp_path)
    (fx / "identity042.obj").unlink()
    (fx / "mouthClose.obj").unlink()
    with pytest.raises(ICTDataError, match=r"incomplete: missing identity042\.obj, mouthClose\.obj"):
        ict.load_ict(tmp_path)


def test_wrong_expression_order_raises(tmp_path, monkeypatch):
    fx = fake_ict(tmp_path)
    names = list(ICT_NAMES)
    names[0], names[1] = names[1], names[0]
    (fx / "vertex_indices.json").write_text(json.dumps({"expressions": names}))
    with pytest.raises(ICTDataError, match="differ from"):
        ict.load_ict(tmp_path)
