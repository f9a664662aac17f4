"""mouthClose split into what it does alone and a jawOpen x mouthClose corrective."""

from __future__ import annotations

import numpy as np
import pytest

from model.facs import ICT_NAMES
from model.mouth_close import CLOSE_SHAPE, JAW_SHAPE, mix, split_baked, split_mouth_close

CI, JI = ICT_NAMES.index(CLOSE_SHAPE), ICT_NAMES.index(JAW_SHAPE)
GAP = 0.3  # how far jawOpen drops the lower lip (canonical units)


def _synthetic_mouth(seed: int = 0):
    """A mouth region in the canonical frame (Y up, +Z front) and ICT-like jawOpen / mouthClose.

    Upper lip: a strip from y = 0.01 up, at the front (z ~ 1). Lower lip: from y = -0.01 down.
    Mouth bag: vertices behind the lips (z 0.6 .. 0.9) below the contact line, moving with the
    jaw. jawOpen drops the lower lip and bag by GAP (and back a little); mouthClose undoes that
    exactly on them (ICT: the lower lip 3.8 cm up against 3.5 cm down) and presses the upper lip
    down by 0.005. Returns (vertices (V, 3), deltas (53, V, 3), masks upper / lower / bag)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-0.4, 0.4, 9)
    upper = np.array([(a, 0.01 + b, 1.0 - 0.1 * a * a) for a in x for b in (0.0, 0.05, 0.1)])
    lower = np.array([(a, -0.01 - b, 1.0 - 0.1 * a * a) for a in x for b in (0.0, 0.05, 0.1)])
    bag = np.column_stack(
        [rng.uniform(-0.3, 0.3, 40), rng.uniform(-0.3, -0.02, 40), rng.uniform(0.6, 0.9, 40)]
    )
    v = np.concatenate([upper, lower, bag])
    n_up, n_lo = len(upper), len(lower)
    is_up = np.arange(len(v)) < n_up
    is_lo = (np.arange(len(v)) >= n_up) & (np.arange(len(v)) < n_up + n_lo)
    is_bag = np.arange(len(v)) >= n_up + n_lo
    d = rng.normal(scale=0.01, size=(len(ICT_NAMES), len(v), 3))
    jaw = np.zeros((len(v), 3))
    jaw[~is_up] = (0.0, -GAP, -0.15 * GAP)
    jaw[is_up] = (0.0, -0.02 * GAP, 0.0)
    close = -jaw.copy()
    close[is_up] = (0.0, -0.005, 0.003)
    d[JI], d[CI] = jaw, close
    return v, d.astype(np.float32), is_up, is_lo, is_bag


def test_mouth_close_alone_no_longer_drives_lower_lip_and_bag_through_upper_lip():
    v, d, is_up, is_lo, is_bag = _synthetic_mouth()
    below = ~is_up
    contact = v[is_up, 1].min()  # the upper lip's lowest edge at rest
    # as baked, mouthClose alone lifts the lower lip and the bag far above the upper lip's edge
    assert (v[below, 1] + d[CI, below, 1]).max() > contact + 0.5 * GAP
    split, corr = split_baked(d)
    lifted = v + split[CI]
    upper_edge = lifted[is_up, 1].min()
    assert lifted[below, 1].max() < upper_edge  # nothing below the lips crosses the upper lip
    assert np.abs(split[CI, is_lo | is_bag]).max() < 1e-6  # pure undo is removed entirely
    np.testing.assert_allclose(split[CI, is_up], d[CI, is_up], atol=1e-7)  # the lip press stays


def test_split_keeps_every_other_shape_and_the_closed_jaw_mix():
    v, d, *_ = _synthetic_mouth(1)
    split, corr = split_baked(d)
    others = np.arange(len(ICT_NAMES)) != CI
    np.testing.assert_array_equal(split[others], d[others])
    np.testing.assert_allclose(split[CI] + corr, d[CI], atol=1e-6)
    for close_w in (1.0, 0.4):  # with the jaw fully open: exactly the baked jawOpen + mouthClose
        w = np.zeros(len(ICT_NAMES))
        w[JI], w[CI] = 1.0, close_w
        np.testing.assert_allclose(mix(split, corr, w), d[JI] + close_w * d[CI], atol=1e-6)
    w = np.zeros(len(ICT_NAMES))
    w[CI] = 0.7  # without jawOpen the corrective is off
    np.testing.assert_allclose(mix(split, corr, w), 0.7 * split[CI], atol=1e-6)
    # a half-open jaw fully closed by mouthClose: the lower lip is back at rest (sealed)
    w = np.zeros(len(ICT_NAMES))
    w[JI], w[CI] = 0.5, 1.0
    _, _, is_up, is_lo, _ = _synthetic_mouth(1)
    np.testing.assert_allclose(mix(split, corr, w)[is_lo], 0.0, atol=1e-6)


def test_split_is_per_vertex_and_rotation_invariant():
    rng = np.random.default_rng(3)
    close, jaw = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    alone, corr = split_mouth_close(close, jaw)
    alone_r, corr_r = split_mouth_close(close @ q.T, jaw @ q.T)
    np.testing.assert_allclose(alone_r, alone @ q.T, atol=1e-12)
    np.testing.assert_allclose(corr_r, corr @ q.T, atol=1e-12)
    # the corrective never exceeds the jaw's own motion and only points against it
    assert (np.linalg.norm(corr, axis=1) <= np.linalg.norm(jaw, axis=1) + 1e-12).all()
    assert ((corr * jaw).sum(1) <= 1e-12).all()


def test_split_needs_the_two_shapes():
    with pytest.raises(ValueError, match="mouthClose"):
        split_baked(np.zeros((2, 4, 3)), ("a", "b"))
    with pytest.raises(ValueError, match=r"\(V, 3\)"):
        split_mouth_close(np.zeros((4, 3)), np.zeros((5, 3)))


def test_ict_mouth_close_alone_is_small_and_the_mix_exact(ict_dir):
    """On ICT-FaceKit itself: mouthClose is mostly -jawOpen; alone it keeps only the lips' press."""
    from model.ict import PARTS, load_ict

    m = load_ict(ict_dir)
    e = m.expressions
    split, corr = split_baked(e)
    a, b = PARTS["face"]
    before = np.linalg.norm(e[CI, a:b], axis=1).max()
    after = np.linalg.norm(split[CI, a:b], axis=1).max()
    assert before > 3.5  # cm: the lower lip rises by the whole jaw opening
    assert after < 0.2 * before
    np.testing.assert_allclose(split[CI] + split[JI] + corr, e[CI] + e[JI], atol=1e-4)


def test_arkit_range_mix_is_the_linear_mix_and_fold_gives_back_the_bake():
    """Where mouthClose <= jawOpen (ARKit's range) the split rig is exactly the unsplit linear mix:
    captures and engines that mix the 52 shapes see the same seal; above it the undo stops."""
    from model.mouth_close import corrective_weight, fold

    v, d, is_up, is_lo, is_bag = _synthetic_mouth(2)
    split, corr = split_baked(d)
    np.testing.assert_allclose(fold(split, corr), d, atol=1e-6)
    rng = np.random.default_rng(4)
    for jaw_w, close_w in ((0.3, 0.3), (0.6, 0.2), (1.0, 1.0), (0.45, 0.45)):
        w = rng.uniform(0.0, 0.3, len(ICT_NAMES))
        w[JI], w[CI] = jaw_w, close_w
        np.testing.assert_allclose(mix(split, corr, w), np.tensordot(w, d.astype(np.float64), 1), atol=1e-6)
    # closed lips of a captured frame (mouthClose = jawOpen = 0.3): sealed, lower lip at rest
    w = np.zeros(len(ICT_NAMES))
    w[JI], w[CI] = 0.3, 0.3
    np.testing.assert_allclose(mix(split, corr, w)[is_lo], 0.0, atol=1e-6)
    # mouthClose beyond the jaw: the lower lip stops at rest instead of rising past it
    w[CI] = 0.9
    assert np.abs(mix(split, corr, w)[is_lo]).max() < 1e-6
    assert np.abs(np.tensordot(w, d.astype(np.float64), 1)[is_lo, 1]).max() > 0.5 * GAP
    assert corrective_weight(0.3, 0.9) == pytest.approx(0.3)


def _lip_arcs(vertices: np.ndarray, loop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mouth loop cut at its two corners (extreme x) into (upper, lower) vertex arcs."""
    x = vertices[loop, 0]
    a, b = sorted((int(np.argmin(x)), int(np.argmax(x))))
    one, two = loop[a : b + 1], np.concatenate([loop[b:], loop[: a + 1]])
    if vertices[one, 1].mean() > vertices[two, 1].mean():
        return one, two
    return two, one


def _lower_above_upper(vertices: np.ndarray, upper: np.ndarray, lower: np.ndarray) -> float:
    """How far the lower lip's edge rises above the upper lip's edge at the same x (largest, over
    the middle 80 % of the mouth width; <= 0: no crossing). Canonical units."""
    xu, yu = vertices[upper, 0], vertices[upper, 1]
    order = np.argsort(xu)
    lo, hi = xu.min(), xu.max()
    inner = lower[np.abs(vertices[lower, 0] - 0.5 * (lo + hi)) < 0.4 * (hi - lo)]
    return float((vertices[inner, 1] - np.interp(vertices[inner, 0], xu[order], yu[order])).max())


def test_demo_head_mouth_close_alone_stays_below_the_upper_lip():
    """The shipped model's bake of the demo head: mouthClose as baked lifts the lower lip far above
    the upper lip; the split's alone part keeps it below; the split's mix at full jaw is the bake."""
    import pathlib

    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from model.openings import find_openings

    mesh = read_mesh(pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj")
    fm = FaceModel.load()
    prep = fm.prepare(mesh.vertices, mesh.triangles())
    baked = fm.bake(prep)
    split, corr = fm.bake_split(prep)
    np.testing.assert_allclose(split[CI] + corr, baked[CI], atol=1e-6)
    others = np.arange(len(ICT_NAMES)) != CI
    np.testing.assert_array_equal(split[others], baked[others])
    canon = prep.canonical.astype(np.float64)
    to_canon = np.linalg.inv(np.asarray(prep.frame.vectors_from_canonical(np.eye(3)), dtype=np.float64))
    upper, lower = _lip_arcs(canon, find_openings(canon, prep.triangles_seen)["mouth"])
    gap = _lower_above_upper(canon, upper, lower)
    assert gap < 0.0  # the demo head's lips are parted at rest

    def posed(delta):
        return canon + prep.network_rows(delta.astype(np.float64)) @ to_canon

    assert _lower_above_upper(posed(baked[CI]), upper, lower) > 0.1  # as baked: far through
    assert _lower_above_upper(posed(split[CI]), upper, lower) <= 0.0  # alone: never through
    sealed = _lower_above_upper(posed(split[JI] + split[CI] + corr), upper, lower)
    np.testing.assert_allclose(
        sealed, _lower_above_upper(posed(baked[JI] + baked[CI]), upper, lower), atol=1e-5
    )


def test_bake_command_writes_the_linear_shapes_and_the_corrective(tmp_path):
    """``python -m model bake``: ``deltas`` stay the linear shapes (``weights @ deltas``), the
    corrective rides along with its name and the two shapes whose minimum drives it."""
    import pathlib

    from model.api import FaceModel
    from model.cli import main
    from model.mesh_io import read_mesh
    from model.mouth_close import CORRECTIVE_SHAPE

    demo = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"
    out = tmp_path / "rig.npz"
    assert main(["bake", str(demo), "-o", str(out)]) == 0
    rig = np.load(out)
    assert list(rig["corrective_names"]) == [CORRECTIVE_SHAPE]
    assert [list(s) for s in rig["corrective_sources"]] == [[JAW_SHAPE, CLOSE_SHAPE]]
    n = rig["deltas"].shape[1]
    assert rig["corrective_deltas"].shape == (1, n, 3) and rig["corrective_deltas"].dtype == np.float32
    mesh = read_mesh(demo)
    fm = FaceModel.load()
    split, corr = fm.bake_split(fm.prepare(mesh.vertices, mesh.triangles()))
    np.testing.assert_allclose(rig["corrective_deltas"][0], corr, atol=1e-6)
    np.testing.assert_allclose(rig["deltas"][CI] - rig["corrective_deltas"][0], split[CI], atol=1e-6)
    assert np.abs(corr).max() > 0.1 * np.abs(rig["deltas"][CI]).max()  # a real part of mouthClose


def test_render_sheet_rows():
    """scripts/render_mouth_close.py's rows: the split where it must equal the bake, and not alone."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "render_mouth_close.py"
    spec = importlib.util.spec_from_file_location("render_mouth_close", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, d, _, is_lo, _ = _synthetic_mouth(5)
    rows = module.sheet_shapes(d)
    np.testing.assert_allclose(
        rows["after: jawOpen + mouthClose"], rows["before: jawOpen + mouthClose"], atol=1e-6
    )
    np.testing.assert_allclose(rows["after: jawOpen .5 + mouthClose .5"], 0.5 * (d[JI] + d[CI]), atol=1e-6)
    assert (
        np.abs(rows["after: mouthClose alone"][is_lo]).max()
        < 1e-6
        < np.abs(rows["before: mouthClose"][is_lo]).max()
    )
