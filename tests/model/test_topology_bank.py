"""The compact training data (training.topology_bank): the pack reproduces ICT's arrays, a bank
re-triangulation carries over to other identities exactly, and samples stay on the train split."""

from __future__ import annotations

import numpy as np
import pytest

from model.transfer import closest_points
from training import split
from training import topology_bank as tb


@pytest.fixture(scope="module")
def ict(ict_dir):
    from model.ict import load_ict

    return load_ict(ict_dir)


@pytest.fixture(scope="module")
def pack(ict, tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "ict_pack.npz"
    tb.write_ict_pack(ict, path)
    return tb.load_ict_pack(path)


def test_pack_keeps_train_modes_and_drops_held_out_ones(ict, pack):
    packed, labels = pack
    kept = tb.kept_vertices()
    np.testing.assert_array_equal(packed.neutral[kept], ict.neutral[kept])
    np.testing.assert_array_equal(packed.expressions[:, kept], ict.expressions[:, kept])
    train = list(split.TRAIN_IDENTITY_BASIS)
    # float16 modes: within 1e-3 relative of the largest motion
    err = np.abs(packed.identities[train][:, kept] - ict.identities[train][:, kept]).max()
    assert err < 1e-3 * np.abs(ict.identities[train]).max()
    assert not packed.identities[list(split.TEST_IDENTITY_BASIS)].any()
    from model.regions import ict_region_labels

    np.testing.assert_array_equal(labels[kept], np.asarray(ict_region_labels(ict))[kept])


def test_bank_entry_transfers_to_another_identity_on_its_surface(ict, pack, tmp_path):
    pytest.importorskip("pymeshlab")
    entry = tb.make_entry(ict, "face", True, "decimate", 2500)
    assert 2000 < entry.num_vertices < 3000
    tb.save_bank([entry], tmp_path / "bank.npz")
    (loaded,) = tb.load_bank(tmp_path / "bank.npz")
    assert [len(p.corners) for p in loaded.parts] == [len(p.corners) for p in entry.parts]
    packed, labels = pack
    samples = [tb.bank_sample(packed, labels, [loaded], seed=s) for s in range(12)]
    plain = [s for s in samples if s.meta["warp"] is None]
    assert plain and any(s.meta["warp"] and s.meta["warp"]["kind"] == "caricature" for s in samples)
    sample = plain[0]
    sim = sample.meta["similarity"]
    v = (sample.vertices.astype(np.float64) - sim["translation"]) @ np.asarray(sim["rotation"]) / sim["scale"]
    full = ict.compose(np.asarray(sample.meta["identity"], np.float32)).astype(np.float64)
    n_face, tris = ict.crop("face")
    d = closest_points(full[:n_face], tris, v[: len(loaded.parts[0].corners)]).distance
    assert d.max() < 1e-3  # cm: on this identity's neutral surface
    assert sample.deltas.shape == (53, entry.num_vertices, 3)
    assert np.isfinite(sample.deltas).all() and np.abs(sample.deltas).max() > 0
    assert set(np.unique(sample.labels)) <= set(np.unique(labels))


def test_bank_sample_refuses_test_seeds(pack):
    packed, labels = pack
    with pytest.raises(ValueError, match="seed"):
        tb.bank_sample(packed, labels, [], split.TEST_SEED_START)


def test_dense_entries_are_dense_training_topologies():
    rng = np.random.default_rng(3)
    recipes = tb.draw_dense_entries(rng, 200)
    lo, hi = tb.DENSE_TARGET
    assert all(lo <= target <= hi for *_, target in recipes)
    ops = {op for _, _, op, _ in recipes}
    assert ops == set(tb.DENSE_TOPOLOGIES)  # all three drawn in 200
    assert not ops & set(split.TEST_TOPOLOGIES)  # held-out topologies stay out of training
    # every dense op can add vertices beyond the largest crop (decimation alone cannot)
    assert "decimate" not in ops and lo > max(tb.CROPS.values())


def test_dense_entry_reaches_its_target(ict):
    pytest.importorskip("pymeshlab")
    entry = tb.make_entry(ict, "face", False, "decimate_loop", 20000)
    assert 17000 < entry.num_vertices < 23000
