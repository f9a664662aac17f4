"""Issue 11 item 12: inputs the network reads badly are said, not silently baked wrong.

A head cut into 40 pieces that still touch (an importer's UV islands, cut loops) is welded and
gets the whole head's rig; pieces that really lie apart are warned about, on the CLI too.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import numpy as np
import pytest

from model.api import FaceModel
from model.input_warnings import fragmentation_warning
from model.mesh_io import Mesh, read_mesh, write_obj
from training.torch_weights import save_random_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def demo():
    m = read_mesh(DEMO)
    return m.vertices, m.triangles()


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


def cut_into_pieces(v: np.ndarray, t: np.ndarray, pieces: int = 40, gap: float = 0.0, seed: int = 0):
    """Every triangle goes to the nearest of ``pieces`` random centres; each piece gets its own
    copies of its vertices, moved ``gap`` (x the head's size) away from the centre of the head.
    Returns (vertices, triangles, original index per vertex)."""
    rng = np.random.default_rng(seed)
    cent = v[t].mean(axis=1)
    centres = cent[rng.choice(len(t), pieces, replace=False)]
    piece = np.argmin(((cent[:, None] - centres[None]) ** 2).sum(-1), axis=1)
    size = np.linalg.norm(v.max(0) - v.min(0))
    out_v, out_t, origin, offset = [], [], [], 0
    for p in range(pieces):
        tp = t[piece == p]
        if len(tp) == 0:
            continue
        ids, local = np.unique(tp, return_inverse=True)
        direction = centres[p] - v.mean(0)
        direction /= max(np.linalg.norm(direction), 1e-12)
        out_v.append(v[ids] + gap * size * direction)
        out_t.append(local.reshape(-1, 3) + offset)
        origin.append(ids)
        offset += len(ids)
    return np.concatenate(out_v), np.concatenate(out_t), np.concatenate(origin)


def test_head_cut_into_40_touching_pieces_gets_the_whole_heads_regions(fm, demo):
    v, t = demo
    v40, t40, origin = cut_into_pieces(v, t)
    whole, cut = fm.prepare(v, t), fm.prepare(v40, t40)
    assert cut.warnings == []
    labels = fm.predict_skin_weights(whole).argmax(1)
    agreement = (fm.predict_skin_weights(cut).argmax(1) == labels[origin]).mean()
    assert agreement > 0.99, agreement


def test_head_in_pieces_lying_apart_is_warned(fm, demo):
    v, t = demo
    v40, t40, _ = cut_into_pieces(v, t, gap=0.02)
    warning = fragmentation_warning(v40, t40)
    assert warning is not None and "separate pieces" in warning and "Merge by Distance" in warning
    assert any("separate pieces" in w for w in fm.prepare(v40, t40).warnings)
    # a head with its eyeballs, teeth and lashes as pieces is not fragmented
    assert fragmentation_warning(v, t) is None


def test_cli_bake_prints_the_warning(demo, tmp_path):
    v, t = demo
    v40, t40, _ = cut_into_pieces(v, t, gap=0.02)
    path = tmp_path / "pieces.obj"
    write_obj(path, v40, Mesh(v40, t40.reshape(-1), np.full(len(t40), 3, dtype=np.int64)))
    weights = save_random_model(tmp_path / "random", seed=0)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "model",
            "bake",
            str(path),
            "-o",
            str(tmp_path / "rig.npz"),
            "--weights",
            str(weights),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert any(line.startswith("warning: ") and "separate pieces" in line for line in r.stderr.splitlines())
