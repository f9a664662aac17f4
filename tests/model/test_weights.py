"""Weights folders: round trip, hash verification, clear failures, the shipped files."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from model.errors import WeightsError
from model.weights import CONFIG_FILE, HASH_FILE, WEIGHTS_FILE, file_sha256, shipped_weights_dir
from training.torch_weights import load_model, save_random_model


@pytest.fixture()
def folder(tmp_path):
    return save_random_model(tmp_path / "w", seed=3)


def test_round_trip_is_exact(folder, tmp_path):
    net, config = load_model(folder)
    again = save_random_model(tmp_path / "other", seed=3)
    net2, _ = load_model(again)
    for (k, a), (k2, b) in zip(net.state_dict().items(), net2.state_dict().items(), strict=True):
        assert k == k2 and torch.equal(a, b)
    assert config["sha256"] == file_sha256(folder / WEIGHTS_FILE)
    assert (folder / HASH_FILE).read_text().split()[0] == config["sha256"]
    assert not net.training


def test_seeds_give_different_weights(folder, tmp_path):
    other = save_random_model(tmp_path / "s4", seed=4)
    assert file_sha256(other / WEIGHTS_FILE) != file_sha256(folder / WEIGHTS_FILE)


def test_corrupt_weights_fail_clearly(folder):
    data = bytearray((folder / WEIGHTS_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / WEIGHTS_FILE).write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="corrupt"):
        load_model(folder)


def test_truncated_weights_fail_clearly(folder):
    (folder / WEIGHTS_FILE).write_bytes((folder / WEIGHTS_FILE).read_bytes()[:100])
    with pytest.raises(WeightsError, match="retrain"):
        load_model(folder)


def test_missing_files_fail_clearly(folder, tmp_path):
    with pytest.raises(WeightsError, match="config.json"):
        load_model(tmp_path / "nowhere")
    (folder / WEIGHTS_FILE).unlink()
    with pytest.raises(WeightsError, match="missing"):
        load_model(folder)


def test_hash_file_must_agree(folder):
    (folder / HASH_FILE).write_text("0" * 64 + "  model.pt\n")
    with pytest.raises(WeightsError, match="disagrees"):
        load_model(folder)


def test_architecture_mismatch_fails_clearly(folder):
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    cfg["network"]["width"] = 24  # tensors were saved for width 16; the hash still matches
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))
    with pytest.raises(WeightsError, match="does not match its config"):
        load_model(folder)


def test_bad_json_fails_clearly(folder):
    (folder / CONFIG_FILE).write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_model(folder)


def test_weights_file_is_never_unpickled_as_code(folder):
    """A pickle that would run code is refused (weights_only=True), even with a matching hash."""

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, folder / WEIGHTS_FILE)
    digest = file_sha256(folder / WEIGHTS_FILE)
    cfg = json.loads((folder / CONFIG_FILE).read_text())
    cfg["sha256"] = digest
    (folder / CONFIG_FILE).write_text(json.dumps(cfg))
    (folder / HASH_FILE).write_text(f"{digest}  model.pt\n")
    with pytest.raises(WeightsError):
        load_model(folder)


def test_shipped_weights_load_and_are_small(tmp_path):
    d = shipped_weights_dir()
    net, cfg = load_model(d)
    assert (d / WEIGHTS_FILE).stat().st_size <= 50 * 2**20
    assert (d / HASH_FILE).read_text().split()[0] == cfg["sha256"]
    # hyperparameters live in the config, never in file names
    suffixes = (".pt", ".npz", ".json", ".sha256")
    assert sorted(p.name for p in d.iterdir() if p.suffix in suffixes) == sorted(
        [WEIGHTS_FILE, CONFIG_FILE, HASH_FILE, "model.npz", "model.npz.sha256"]
    )
    copy = tmp_path / "copy"
    shutil.copytree(d, copy)
    assert load_model(copy)[1]["sha256"] == cfg["sha256"]
