"""Training: a tiny run lowers the loss, resuming reproduces an uninterrupted run, the code
sampler and schedule behave. Synthetic linear blendshape meshes, so no ICT data is needed."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from mesh_helpers import grid_face

from model.api import prepare_mesh
from model.regions import REGION_NAMES
from training.loop import PoolItem, TrainConfig, lr_at, merge_parts, sample_codes, train, unique_edges
from training.nn.network import FaceSkinningNet

TINY = dict(
    width=16,
    depth=2,
    k_eig=24,
    id_dim=8,
    pool_dim=16,
    mask_hidden=16,
    dec_hidden=32,
    enc_width=16,
    enc_depth=2,
    enc_hidden=32,
)


def synthetic_item(n: int, bump: float) -> PoolItem:
    """A face-like patch whose 53 'expressions' are smooth bumps at fixed surface places."""
    v, t = grid_face(n, bump)
    prep = prepare_mesh(v, t, k=24, cache=False)
    rng = np.random.default_rng(0)  # same shapes on every mesh: they are functions of (x, y)
    centers = rng.uniform(-0.7, 0.7, size=(53, 2))
    dirs = rng.normal(size=(53, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    w = np.exp(
        -((v[None, :, 0] - centers[:, None, 0]) ** 2 + (v[None, :, 1] - centers[:, None, 1]) ** 2) / 0.05
    )
    deltas = 0.05 * w[..., None] * dirs[:, None, :]
    deltas = prep.frame.vectors_to_canonical(deltas.reshape(-1, 3)).reshape(deltas.shape)
    sector = ((np.arctan2(v[:, 1], v[:, 0]) + np.pi) / (2 * np.pi) * len(REGION_NAMES)).astype(np.int64)
    labels = np.clip(sector, 0, len(REGION_NAMES) - 1)
    return PoolItem(
        FaceSkinningNet.mesh_input(prep, "cpu"),
        torch.from_numpy(deltas.astype(np.float32)),
        torch.from_numpy(labels),
        torch.from_numpy(unique_edges(t)),
        {"synthetic": n},
    )


@pytest.fixture(scope="module")
def pool():
    return [synthetic_item(13, 0.1), synthetic_item(17, 0.2), synthetic_item(15, 0.0)]


def _losses(path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def test_tiny_training_lowers_the_loss(pool, tmp_path):
    cfg = TrainConfig(
        steps=150, warmup_steps=5, lr=3e-3, restart_steps=0, batch_codes=4, net=TINY, checkpoint_minutes=100,
        encoder_steps=150, encoder_batch=4,
    )  # fmt: skip
    summary = train(None, cfg, tmp_path, pool=pool, log_every=5, threads=1)
    for part, loss in (("trunk", "bake"), ("encoder", "basis")):
        rows = _losses(tmp_path / part / "loss.csv")
        first = np.mean([float(r["total"]) for r in rows[:2]])
        last = np.mean([float(r["total"]) for r in rows[-2:]])
        assert last < 0.6 * first, (part, first, last)
        assert float(rows[-1][loss]) < 0.6 * float(rows[0][loss]), part
        assert summary[part]["steps_done"] == 150
    assert (tmp_path / "weights" / "model.pt").is_file()
    from model.api import FaceModel

    fm = FaceModel.load(tmp_path / "weights")
    cfgjson = fm.config["metadata"]["training"]
    assert cfgjson["config"]["steps"] == 150 and cfgjson["summary"]["trunk"]["steps_done"] == 150


def test_parts_trained_separately_merge_into_the_same_weights(pool, tmp_path):
    """``--part trunk`` and ``--part encoder`` (the CLI runs them in parallel processes) then a
    merge give exactly the weights of training both parts in one process."""
    cfg = TrainConfig(
        steps=8, warmup_steps=2, batch_codes=4, net=TINY, checkpoint_minutes=100, encoder_steps=6
    )
    train(None, cfg, tmp_path / "together", pool=pool, threads=1)
    train(None, cfg, tmp_path / "apart", pool=pool, threads=1, part="encoder")
    train(None, cfg, tmp_path / "apart", pool=pool, threads=1, part="trunk")
    merge_parts(cfg, tmp_path / "apart")
    a = torch.load(tmp_path / "together" / "weights" / "model.pt", weights_only=True)
    b = torch.load(tmp_path / "apart" / "weights" / "model.pt", weights_only=True)
    assert any(k.startswith("encoder.") for k in a) and any(not k.startswith("encoder.") for k in a)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)


def test_resume_reproduces_an_uninterrupted_run(pool, tmp_path):
    cfg = TrainConfig(
        steps=12, warmup_steps=3, batch_codes=4, net=TINY, checkpoint_minutes=100, encoder_steps=10
    )
    train(None, cfg, tmp_path / "straight", pool=pool, threads=1)
    train(None, cfg, tmp_path / "split", pool=pool, threads=1, stop_after=6)
    train(None, cfg, tmp_path / "split", pool=pool, resume=True, threads=1)
    a = torch.load(tmp_path / "straight" / "weights" / "model.pt", weights_only=True)
    b = torch.load(tmp_path / "split" / "weights" / "model.pt", weights_only=True)
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)
    for part in ("trunk", "encoder"):
        assert len(_losses(tmp_path / "split" / part / "loss.csv")) == len(
            _losses(tmp_path / "straight" / part / "loss.csv")
        )


def test_sample_codes():
    w = sample_codes(np.random.default_rng(0), 10)
    assert w.shape == (10, 53) and w.dtype == np.float32
    assert np.all((w >= 0) & (w <= 1))
    assert np.all((w[:5] > 0).sum(1) == 1) and np.all(w[:5].max(1) >= 0.5)
    assert np.all((w[5:] > 0).sum(1) <= 6)
    np.testing.assert_array_equal(w, sample_codes(np.random.default_rng(0), 10))


def test_lr_schedule():
    cfg = TrainConfig(steps=100, warmup_steps=10, lr=1e-3, lr_final=1e-5, restart_steps=0)
    assert lr_at(0, cfg) == pytest.approx(1e-4)
    assert lr_at(9, cfg) == pytest.approx(1e-3)
    assert lr_at(100, cfg) == pytest.approx(1e-5)
    assert all(lr_at(s, cfg) >= lr_at(s + 1, cfg) for s in range(10, 100))


def test_lr_schedule_with_warm_restart():
    cfg = TrainConfig(steps=150, warmup_steps=10, lr=1e-3, lr_final=1e-5, restart_steps=50, restart_lr=2e-4)
    plain = TrainConfig(steps=100, warmup_steps=10, lr=1e-3, lr_final=1e-5, restart_steps=0)
    # the first cycle is exactly the schedule of a run without restart (so a finished run can
    # be resumed into the restart and match a from-scratch run)
    assert all(lr_at(s, cfg) == lr_at(s, plain) for s in range(100))
    assert lr_at(100, cfg) == pytest.approx(2e-4)
    assert lr_at(150, cfg) == pytest.approx(1e-5)
    assert all(lr_at(s, cfg) >= lr_at(s + 1, cfg) for s in range(100, 150))


def test_unique_edges():
    e = unique_edges(np.array([[0, 1, 2], [2, 1, 3]]))
    assert e.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
