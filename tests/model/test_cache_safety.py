"""Issue 11 items 8 and 17: the disk caches (geometry, ICT, training pool) only ever cost speed.

An unusable cache folder falls back to computing, with one warning per process; an entry whose
contents were altered (valid format, other numbers) is detected by its keyed digest and recomputed.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import types
import warnings

import numpy as np
import pytest
from mesh_helpers import face_patch, fake_ict, nosed_head

import model.cache
from model import geometry, ict
from model.geometry import compute_operators
from training import loop as training

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def unusable_cache(tmp_path, monkeypatch):
    """NFS_CACHE_DIR below a regular file: no folder can be made there, not even by root."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NFS_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(model.cache, "_warned", False, raising=False)  # a fresh process
    return blocker / "cache"


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("NFS_CACHE_DIR", str(root))
    return root


def _fake_pool_sample(calls):
    v, t = face_patch(300, seed=3)
    deltas = np.random.default_rng(0).normal(size=(53, v.shape[0], 3)).astype(np.float32)

    def raw_sample(ict_model, seed, split, max_vertices):
        calls.append(seed)
        return v, t, deltas, np.zeros(v.shape[0], np.int64), {"op": "fake"}

    return raw_sample


# ---------------------------------------------------------------------------------------- item 8


def test_unwritable_cache_computes_and_warns_once(unusable_cache, tmp_path, monkeypatch):
    v, t = face_patch(400, seed=1)
    fresh = compute_operators(v, t, k=8, cache=False)
    monkeypatch.setattr(ict, "NUM_VERTICES", 4)  # the fake ICT model is one quad
    monkeypatch.setattr(training, "_raw_sample", _fake_pool_sample([]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            ops = compute_operators(v, t, k=8)
            np.testing.assert_array_equal(ops.evecs, fresh.evecs)
            assert ict.load_ict(fake_ict(tmp_path / f"ict{_}").parent).neutral.shape == (4, 3)
            item = training.load_pool_item(types.SimpleNamespace(num_vertices=4), 0, k=8)
            assert item.deltas.shape[0] == 53
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert str(unusable_cache) in messages[0] and "NFS_CACHE_DIR" in messages[0]
    assert not unusable_cache.exists()


def test_cli_bake_with_unwritable_cache_succeeds_with_one_warning_line(tmp_path):
    from model.mesh_io import write_obj
    from training.torch_weights import save_random_model

    # a face (the nosed sphere): a height field is no face and would add its own warning line
    v, t = nosed_head()
    write_obj(tmp_path / "face.obj", 10.0 * v, t)
    weights = save_random_model(tmp_path / "weights", seed=0)
    (tmp_path / "a_file").write_text("x")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NFS_CACHE_DIR=str(tmp_path / "a_file" / "cache"))
    cmd = [sys.executable, "-m", "model", "bake", str(tmp_path / "face.obj"), "-o", str(tmp_path / "rig.npz")]
    r = subprocess.run([*cmd, "--weights", str(weights)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "rig.npz")["deltas"].shape == (53, v.shape[0], 3)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "cache" in lines[0], r.stderr


# --------------------------------------------------------------------------------------- item 17


def _tamper(path, name, change):
    """Rewrite one array of an npz entry, keeping every other member (a valid-format entry)."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[name] = change(arrays[name])
    np.savez(path, **arrays)


def test_tampered_geometry_entry_is_recomputed(fresh_cache, monkeypatch):
    v, t = face_patch(400, seed=2)
    good = compute_operators(v, t, k=8)
    path = geometry._cache_path(np.asarray(v, float), np.asarray(t, np.int64), 8)
    _tamper(path, "evecs", lambda a: a * np.float32(2.0))
    _tamper(path, "mass", lambda a: a[::-1].copy())
    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    again = compute_operators(v, t, k=8)
    assert calls == [1], "a tampered entry was trusted"
    np.testing.assert_array_equal(again.evecs, good.evecs)
    np.testing.assert_array_equal(again.mass, good.mass)
    compute_operators(v, t, k=8)
    assert calls == [1], "the recomputed entry must be a valid cache hit"


def test_tampered_ict_entry_is_recomputed(fresh_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(ict, "NUM_VERTICES", 4)
    root = fake_ict(tmp_path / "ict").parent
    good = ict.load_ict(root)
    (entry,) = (fresh_cache / "ict").glob("ict-*.npz")
    _tamper(entry, "neutral", lambda a: a + np.float32(5.0))
    again = ict.load_ict(root)
    np.testing.assert_array_equal(again.neutral, good.neutral)


def test_tampered_pool_entry_is_recomputed(fresh_cache, monkeypatch):
    calls = []
    monkeypatch.setattr(training, "_raw_sample", _fake_pool_sample(calls))
    fake_ict = types.SimpleNamespace(num_vertices=4)
    good = training.load_pool_item(fake_ict, 0, k=8)
    (entry,) = (fresh_cache / "pool").glob("*.npz")
    _tamper(entry, "deltas", lambda a: np.zeros_like(a))
    again = training.load_pool_item(fake_ict, 0, k=8)
    assert calls == [0, 0], "a tampered pool entry was trusted"
    np.testing.assert_array_equal(again.deltas.numpy(), good.deltas.numpy())


def test_an_entry_from_another_cache_is_not_trusted(tmp_path, monkeypatch):
    """The digest is keyed per cache folder: copying an entry (and recomputing any plain hash of
    its contents) does not make it trusted elsewhere."""
    v, t = face_patch(400, seed=4)
    monkeypatch.setenv("NFS_CACHE_DIR", str(tmp_path / "a"))
    compute_operators(v, t, k=8)
    path_a = geometry._cache_path(np.asarray(v, float), np.asarray(t, np.int64), 8)
    monkeypatch.setenv("NFS_CACHE_DIR", str(tmp_path / "b"))
    compute_operators(face_patch(300, seed=5)[0], face_patch(300, seed=5)[1], k=8)  # b has its own key
    path_b = geometry._cache_path(np.asarray(v, float), np.asarray(t, np.int64), 8)
    path_b.write_bytes(path_a.read_bytes())
    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    compute_operators(v, t, k=8)
    assert calls == [1]


def _cold_cache_worker(root: str) -> tuple[str, str]:
    """In a fresh process: compute (and cache) one mesh's operators in a cold shared cache."""
    os.environ["NFS_CACHE_DIR"] = root
    from model.cache import KEY_FILE, array_digest
    from model.geometry import compute_operators as compute

    v, t = face_patch(400, seed=6)
    ops = compute(v, t, k=8)
    return (pathlib.Path(root) / KEY_FILE).read_text(), array_digest(ops.evecs, ops.mass)


def test_parallel_processes_share_one_cache_key_and_valid_entries(tmp_path, monkeypatch):
    """Parallel bakes on a cold cache: every process ends with the same key and the same
    operators, and the entry they leave is a valid hit."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    root = tmp_path / "shared-cache"
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_cold_cache_worker, [str(root)] * 4))
    assert len({key for key, _ in results}) == 1
    assert len({digest for _, digest in results}) == 1
    assert (root / model.cache.KEY_FILE).stat().st_mode & 0o077 == 0, "the key must be owner-only"
    assert [p.name for p in root.rglob("*") if ".tmp" in p.name] == []
    monkeypatch.setenv("NFS_CACHE_DIR", str(root))
    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    v, t = face_patch(400, seed=6)
    compute_operators(v, t, k=8)
    assert calls == []


def test_damaged_key_file_is_replaced_and_the_cache_works_again(fresh_cache, monkeypatch):
    v, t = face_patch(300, seed=7)
    good = compute_operators(v, t, k=8)
    (fresh_cache / model.cache.KEY_FILE).write_text("not a key\n")
    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    np.testing.assert_array_equal(compute_operators(v, t, k=8).evecs, good.evecs)
    np.testing.assert_array_equal(compute_operators(v, t, k=8).evecs, good.evecs)
    assert calls == [1], "recomputed once under the new key, then a hit"
    assert (fresh_cache / model.cache.KEY_FILE).stat().st_mode & 0o077 == 0
