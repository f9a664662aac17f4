"""The focus step on baked shapes (model/shape_focus.py): core kept, tail removed, no step."""

from __future__ import annotations

import numpy as np
import pytest
from mesh_helpers import grid_face

import model.shape_focus as sf


def _shapes(n: int = 61) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid face (V, 3), triangles, and two shapes (2, V, 3): a narrow bump of height 1 in +z on
    a broad tail of 4 % that covers the whole grid (an ICT-like shape), and one that is still."""
    v, t = grid_face(n)
    r2 = v[:, 0] ** 2 + v[:, 1] ** 2
    mag = np.exp(-r2 / 0.05) + 0.04 * np.exp(-r2 / 4.0)
    d = np.zeros((2, len(v), 3))
    d[0, :, 2] = mag
    d[0, :, 0] = 0.3 * mag  # not axis-aligned: directions must survive
    return v, t, d


def _edge_jumps(field: np.ndarray, t: np.ndarray) -> np.ndarray:
    """|field| differences across every triangle edge: (3T,)."""
    m = np.linalg.norm(field, axis=1)
    return np.abs(np.concatenate([m[t[:, 0]] - m[t[:, 1]], m[t[:, 1]] - m[t[:, 2]], m[t[:, 2]] - m[t[:, 0]]]))


def test_zero_thresholds_are_the_identity():
    _, t, d = _shapes()
    np.testing.assert_array_equal(sf.apply_focus(d, t, low=0.0, high=0.0), d)


def test_core_kept_and_tail_removed():
    _, t, d = _shapes()
    out = sf.apply_focus(d, t)
    mag = np.linalg.norm(d[0], axis=1)
    ratio = mag / mag.max()
    core = ratio >= 0.5
    # the core is untouched (the smoothed ratio there stays above HIGH)
    np.testing.assert_allclose(out[0][core], d[0][core], rtol=1e-12)
    # the broad tail (well under LOW of the peak) is gone entirely
    tail = ratio < 0.9 * sf.LOW
    assert tail.sum() > 0.5 * len(ratio)
    assert np.linalg.norm(out[0][tail], axis=1).max() < 1e-3 * mag.max()
    # and the share of the motion (L1) below HIGH of the peak shrinks by most of itself
    low = ratio < sf.HIGH
    before = mag[low].sum() / mag.sum()
    after_mag = np.linalg.norm(out[0], axis=1)
    after = after_mag[low].sum() / after_mag.sum()
    assert before > 0.5 and after < 0.25 * before


def test_masks_scale_only_and_still_shapes_stay_still():
    _, t, d = _shapes()
    masks = sf.focus_masks(d, t)
    assert masks.shape == d.shape[:2]
    assert masks.min() >= 0.0 and masks.max() <= 1.0
    out = sf.apply_focus(d.astype(np.float32), t)
    assert out.dtype == np.float32
    # directions unchanged, nothing grows
    cross = np.linalg.norm(np.cross(out[0], d[0]), axis=1)
    assert cross.max() < 1e-6
    assert (np.linalg.norm(out[0], axis=1) <= np.linalg.norm(d[0], axis=1) + 1e-7).all()
    assert np.abs(out[1]).max() == 0.0 and np.isfinite(out).all()


def test_falloff_has_no_step():
    """The soft dead-zone steepens the field at most ~1 + 1.5 HIGH/(HIGH-LOW) times; a hard
    threshold at the same HIGH jumps by HIGH of the peak across one edge."""
    _, t, d = _shapes()
    base = _edge_jumps(d[0], t).max()
    soft = _edge_jumps(sf.apply_focus(d, t)[0], t).max()
    assert soft <= (1.0 + 1.5 * sf.HIGH / (sf.HIGH - sf.LOW) + 0.1) * base
    hard = _edge_jumps(sf.apply_focus(d, t, low=sf.HIGH, high=sf.HIGH)[0], t).max()
    assert hard > soft  # the measure sees a step where there is one


def test_smoothing_ignores_a_single_vertex_spike():
    """A lone outlier vertex in the tail is not a core: smoothing spreads it below LOW."""
    v, t, d = _shapes()
    far = int(np.argmax(np.linalg.norm(v[:, :2], axis=1)))  # a grid corner, deep in the tail
    d[0, far] = [0.0, 0.0, 0.18]  # just under HIGH on its own
    out = sf.apply_focus(d, t)
    assert np.linalg.norm(out[0, far]) < 0.5 * 0.18
    assert np.linalg.norm(sf.apply_focus(d, t, smooth_steps=0)[0, far]) > 0.5 * 0.18


def test_bad_thresholds_are_refused():
    _, t, d = _shapes()
    with pytest.raises(ValueError, match="low <= high"):
        sf.focus_masks(d, t, low=0.3, high=0.2)


def test_ict_loss_is_small_at_the_shipped_thresholds(ict_dir):
    """The thresholds are set on ICT: they take little of ICT's own motion energy."""
    from model.ict import load_ict

    loss = sf.ict_loss(load_ict(ict_dir))
    assert loss["energy_removed"] < 0.05
    assert sf.ict_loss(load_ict(ict_dir), 0.0, 0.0)["relative_l1"] == 0.0


def test_bake_focus_is_opt_in_and_keeps_each_shapes_core(tmp_path_factory):
    """FaceModel.bake: focus off by default; on, every shape only loses motion, keeps its core
    and moves fewer vertices (demo head, random weights: the contract, not the quality). The
    shape smoothing is off here, as in the other tests of one pass's contract: its heat step
    after the focus spreads a trace of motion (~4e-5 of the peak) over the cut edge."""
    import pathlib

    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from training.torch_weights import save_random_model

    fm = FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))
    assert fm.shape_focus is False
    fm.shape_smoothing = False
    mesh = read_mesh(pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj")
    prep = fm.prepare(mesh.vertices, mesh.triangles())
    off = fm.bake(prep, method="network").astype(np.float64)
    fm.shape_focus = True
    on = fm.bake(prep, method="network").astype(np.float64)
    m_off, m_on = np.linalg.norm(off, axis=2), np.linalg.norm(on, axis=2)
    assert (m_on <= m_off + 1e-6 * m_off.max()).all()
    peak = m_off.max(axis=1, keepdims=True)
    core = m_off >= 0.6 * peak
    np.testing.assert_allclose(on[core], off[core], rtol=1e-4, atol=1e-6 * float(peak.max()))
    assert (m_on > 0.01 * peak).sum() < (m_off > 0.01 * peak).sum()


def test_cli_bake_focus_flag(tmp_path, monkeypatch):
    """``bake --focus`` writes the focused rig: no shape gains motion, fewer vertices move (the
    shape smoothing off, as in the test above)."""
    from model.api import FaceModel
    from model.cli import main

    monkeypatch.setattr(FaceModel, "shape_smoothing", False)
    from model.mesh_io import write_obj
    from training.torch_weights import save_random_model

    v, t = grid_face(21)
    write_obj(tmp_path / "face.obj", 10.0 * v, t)
    w = str(save_random_model(tmp_path / "weights", seed=0))
    rigs = {}
    for flag in ([], ["--focus"]):
        out = tmp_path / f"rig{len(flag)}.npz"
        assert main(["bake", str(tmp_path / "face.obj"), "-o", str(out), "--weights", w, *flag]) == 0
        with np.load(out) as z:
            rigs[len(flag)] = np.linalg.norm(z["deltas"].astype(np.float64), axis=2)
    plain, focused = rigs[0], rigs[1]
    peak = plain.max(axis=1, keepdims=True)
    assert (focused <= plain + 1e-5 * peak).all()
    assert (focused > 0.01 * peak).sum() < (plain > 0.01 * peak).sum()


def test_focus_is_the_bakes_last_stage_and_only_scales_its_motion(tmp_path_factory):
    """Focused after the locality constraints, a later stage gave a vertex its mirror partner's
    motion (the lids' re-symmetrization, the mirror pass) or its neighbours' (the smoothing),
    where the focus had cut the two sides' tails apart: on this grid face, once its anchors read
    a larger eye distance, 14 (shape, vertex) pairs moved up to 0.65 % of the shape's peak more
    than without the focus. The focus is the bake's last stage: every focused delta is the
    plain one times a factor in [0, 1], the shape smoothing on (the default) too."""
    from model.api import FaceModel
    from training.torch_weights import save_random_model

    fm = FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))
    assert fm.shape_smoothing
    v, t = grid_face(21)
    prep = fm.prepare(10.0 * v, t, up="Y", forward="Z")
    plain = fm.bake(prep).astype(np.float64)
    fm.shape_focus = True
    focused = fm.bake(prep).astype(np.float64)
    peak = np.linalg.norm(plain, axis=2).max(axis=1)[:, None]
    # the factor each vertex's plain delta takes: parallel, shorter, never reversed
    along = np.einsum("svc,svc->sv", focused, plain) / np.maximum(
        np.einsum("svc,svc->sv", plain, plain), 1e-30
    )
    assert along.min() >= -1e-6 and along.max() <= 1.0 + 1e-5
    rest = focused - along[..., None] * plain
    assert np.linalg.norm(rest, axis=2).max() <= 1e-5 * peak.max()
    assert (np.linalg.norm(focused, axis=2) > 0.01 * peak).sum() < (
        np.linalg.norm(plain, axis=2) > 0.01 * peak
    ).sum()
