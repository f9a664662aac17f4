"""Classical registration (similarity + non-rigid ICP) and the ICT shape transfer built on it."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.classical_rig import register_ict, skin_mask, transfer_expressions
from model.frame import fit_frame
from model.ict import load_ict
from model.registration import Similarity, umeyama
from training.augment import ict_landmarks, random_rotation, random_warp

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def ict(ict_dir):
    return load_ict(ict_dir)


def test_umeyama_recovers_a_similarity():
    rng = np.random.default_rng(0)
    src = rng.normal(size=(50, 3))
    truth = Similarity(2.5, random_rotation(rng, 40.0), np.array([1.0, -2.0, 0.5]))
    fit = umeyama(src, truth(src))
    assert fit.scale == pytest.approx(2.5, rel=1e-9)
    np.testing.assert_allclose(fit.rotation, truth.rotation, atol=1e-9)
    np.testing.assert_allclose(fit.inverse()(truth(src)), src, atol=1e-9)


def test_skin_mask_drops_small_separate_parts(ict):
    n, t = ict.crop("face")
    from model.ict import PARTS

    eye_ids, eye_t = ict.submesh(("eyeball_left", "eyeball_right"))
    v = np.vstack([ict.neutral[:n], ict.neutral[eye_ids]])
    tris = np.vstack([t, eye_t + n])
    mask = skin_mask(v, tris)
    assert mask[:n][np.unique(t)].all() and not mask[n:].any()
    assert PARTS["eyeball_left"][0] == eye_ids[0]


def _place(points, sim, warp=None):
    p = np.asarray(points, np.float64)
    return sim(warp(p) if warp is not None else p)


def test_similarity_stage_recovers_a_known_similarity(ict):
    n, t = ict.crop("face")
    sim = Similarity(0.013, random_rotation(np.random.default_rng(1), 8.0), np.array([0.3, -1.0, 2.0]))
    target = _place(ict.neutral[:n], sim)
    c = fit_frame(target, t).to_canonical(target)
    reg = register_ict(ict, c, t, nonrigid=False)
    assert reg.crop == "face" and reg.landmarks == 3
    err = np.linalg.norm(reg.deformed[:n] - c, axis=1)
    assert err.max() < 1e-3  # canonical units: the mesh's RMS radius is 1


def test_nonrigid_stage_follows_a_mild_warp(ict):
    """Similarity + stylizing warp of an ICT face: every template vertex lands near where the
    same vertex went (the target *is* the warped template, so correspondence is known)."""
    n, t = ict.crop("face")
    rng = np.random.default_rng(3)
    warp = random_warp(rng, ict_landmarks(ict.neutral), strength=0.5)
    sim = Similarity(0.013, random_rotation(rng, 8.0), np.array([0.3, -1.0, 2.0]))
    target = _place(ict.neutral[:n], sim, warp)
    c = fit_frame(target, t).to_canonical(target)
    rigid = register_ict(ict, c, t, nonrigid=False)
    reg = register_ict(ict, c, t)
    err = np.linalg.norm(reg.deformed[:n] - c, axis=1)
    err_rigid = np.linalg.norm(rigid.deformed[:n] - c, axis=1)
    assert np.median(err) < 0.01 and np.quantile(err, 0.95) < 0.02  # 1 % / 2 % of the radius
    assert np.median(err) < 0.5 * np.median(err_rigid)


def test_transfer_onto_the_ict_head_itself_reproduces_its_deltas(ict):
    n, t = ict.crop("head")
    v = ict.neutral[:n].astype(np.float64)
    frame = fit_frame(v, t)
    reg = register_ict(ict, frame.to_canonical(v), t)
    assert reg.crop == "head"
    deltas = transfer_expressions(ict, reg)
    assert deltas.shape == (53, n, 3) and deltas.dtype == np.float32
    truth = frame.vectors_to_canonical(ict.expressions[:, :n])
    rel = np.linalg.norm(deltas - truth, axis=-1).sum() / np.linalg.norm(truth, axis=-1).sum()
    assert rel < 1e-3


def test_separate_eyeballs_land_on_ict_eyeballs_and_stay_rigid(ict):
    """Eyeballs given as separate parts map onto ICT's eyeballs, which no ICT shape moves, so
    they get no motion at all (mapped onto the lids they would blink with them)."""
    n, t = ict.crop("face")
    eye_ids, eye_t = ict.submesh(("eyeball_left", "eyeball_right"))
    v = np.vstack([ict.neutral[:n], ict.neutral[eye_ids]]).astype(np.float64)
    tris = np.vstack([t, eye_t + n])
    frame = fit_frame(v, tris)
    reg = register_ict(ict, frame.to_canonical(v), tris)
    deltas = transfer_expressions(ict, reg)
    assert np.abs(deltas[:, n:]).max() == 0.0
    assert np.abs(deltas[:, :n]).max() > 0.01  # the skin does move


def test_parts_far_from_the_template_do_not_move(ict):
    """A large plate well below the head (shoulders, a stand) is no part of any ICT crop: its
    vertices get no motion, while the face still does."""
    n, t = ict.crop("head")
    head = ict.neutral[:n].astype(np.float64)
    x, z = np.meshgrid(np.linspace(-20, 20, 10), np.linspace(-15, 15, 10))
    plate = np.stack([x.ravel(), np.full(x.size, head[:, 1].min() - 12.0), z.ravel()], 1)
    i = np.arange(100).reshape(10, 10)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    plate_t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]) + n
    v = np.vstack([head, plate])
    tris = np.vstack([t, plate_t])
    frame = fit_frame(v, tris)
    reg = register_ict(ict, frame.to_canonical(v), tris)
    deltas = transfer_expressions(ict, reg)
    assert np.abs(deltas[:, n:]).max() == 0.0
    truth = frame.vectors_to_canonical(ict.expressions[:, :n])
    rel = np.linalg.norm(deltas[:, :n] - truth, axis=-1).sum() / np.linalg.norm(truth, axis=-1).sum()
    assert rel < 0.1
