"""Parts (model.parts), head region (model.head_region) and the rig constraints of the bake."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.facs import ICT_NAMES
from model.frame import fit_frame
from model.head_region import find_head_region, head_weights
from model.mesh_io import read_mesh
from model.parts import PART_INDEX, classify_parts
from model.rig_constraints import analyze_rig, apply_rig_constraints
from model.topology import components

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    return m.vertices, m.triangles()


@pytest.fixture(scope="module")
def ict(ict_dir):
    from model.ict import load_ict

    return load_ict(ict_dir)


def torso_under(vertices: np.ndarray, height: float = 50.0, rings: int = 26, segments: int = 48):
    """A closed elliptic tube (a torso, shoulders 44 wide) under the lowest point of a head in
    ICT units (cm, Y up), as its own piece: ``(vertices, triangles)`` to append."""
    top = vertices[:, 1].min() - 0.5
    cx, cz = vertices[:, 0].mean(), vertices[:, 2].mean()
    ang = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ys = np.linspace(top, top - height, rings)
    ring = np.stack([22.0 * np.cos(ang) + cx, np.zeros_like(ang), 12.0 * np.sin(ang) + cz], 1)
    pts = [ring + np.array([0.0, y, 0.0]) for y in ys]
    v = np.concatenate(pts + [np.array([[cx, top, cz], [cx, top - height, cz]])])
    tris = []
    for r in range(rings - 1):
        for s in range(segments):
            a, b = r * segments + s, r * segments + (s + 1) % segments
            tris += [(a, a + segments, b), (b, a + segments, b + segments)]
    n_top, n_bot = rings * segments, rings * segments + 1
    last = (rings - 1) * segments
    for s in range(segments):
        tris.append((n_top, s, (s + 1) % segments))
        tris.append((n_bot, last + (s + 1) % segments, last + s))
    return v, np.array(tris, dtype=np.int64)


def with_torso(vertices, triangles):
    tv, tt = torso_under(vertices)
    v = np.concatenate([vertices, tv])
    t = np.concatenate([triangles, tt + vertices.shape[0]])
    return v, t, np.arange(vertices.shape[0], v.shape[0])


# ---- parts -------------------------------------------------------------------------------------
def test_demo_head_eyeballs_found(demo):
    v, t = demo
    parts = classify_parts(v, t)
    assert set(parts.eyeballs) == {"L", "R"}
    left, right = parts.eyeballs["L"], parts.eyeballs["R"]
    assert left.center[0] > 0 > right.center[0]  # +X is the subject's left (ICT convention)
    # the demo head's eyeballs are its loose pieces: every vertex of them, nothing else
    n, piece = components(v, t)
    sizes = np.bincount(piece)
    loose = np.flatnonzero(piece != np.argmax(sizes))
    eyes = np.flatnonzero(parts.mask("eyeball_L") | parts.mask("eyeball_R"))
    np.testing.assert_array_equal(np.sort(eyes), loose)
    assert np.all(parts.labels[piece == np.argmax(sizes)] == PART_INDEX["skin"])
    for e in (left, right):
        dist = np.linalg.norm(v[e.vertices] - e.center, axis=1)
        assert np.all((dist > 0.6 * e.radius) & (dist < 1.25 * e.radius))  # a cornea bulges out
    assert abs(left.radius - right.radius) < 0.05 * left.radius


def test_ict_parts_classified(ict):
    from model.ict import PARTS

    v, t = ict.neutral.astype(np.float64), ict.triangles()
    parts = classify_parts(v, t)

    def share(name, label):
        a, b = PARTS[name]
        return float(np.mean(parts.labels[a:b] == PART_INDEX[label]))

    assert share("face", "skin") == 1.0 and share("head_and_neck", "skin") == 1.0
    assert share("eyeball_left", "eyeball_L") == 1.0 and share("eyeball_right", "eyeball_R") == 1.0
    assert share("eyelashes_left", "lashes") == 1.0 and share("eyelashes_right", "lashes") == 1.0
    a, b = PARTS["teeth"]
    teeth_labels = parts.labels[a:b]
    upper, lower = teeth_labels == PART_INDEX["upper_teeth"], teeth_labels == PART_INDEX["lower_teeth"]
    assert np.all(upper | lower) and upper.sum() > 1000 and lower.sum() > 1000
    # the rows are split at the bite: every upper tooth sits higher than every lower tooth centre
    ty = v[a:b, 1]
    assert ty[upper].mean() > ty[lower].mean() + 1.0
    assert share("gums_and_tongue", "tongue") > 0.1
    # ICT's eyeballs: most of the larger shell (the second half of the range) lies on the
    # sphere found (median within 5 % of the radius), and the pair is mirrored
    for side, name in (("L", "eyeball_left"), ("R", "eyeball_right")):
        a, b = PARTS[name]
        eye = parts.eyeballs[side]
        dist = np.linalg.norm(v[(a + b) // 2 : b] - eye.center, axis=1)
        assert np.median(np.abs(dist - eye.radius)) < 0.05 * eye.radius
    cl, cr = parts.eyeballs["L"].center, parts.eyeballs["R"].center
    assert abs(cl[0] + cr[0]) < 0.05 and abs(cl[1] - cr[1]) < 0.05


def test_ict_identity_head_with_separate_parts_in_any_order(ict):
    """A sampled ICT identity, only skin + teeth + eyeballs, vertices shuffled: same labels."""
    from model.ict import sample_identity

    rng = np.random.default_rng(3)
    verts = ict.compose(sample_identity(rng)).astype(np.float64)
    keep = ("face", "head_and_neck", "mouth_socket", "eye_socket_left", "eye_socket_right", "teeth")
    ids, tris = ict.submesh((*keep, "eyeball_left", "eyeball_right"))
    v = verts[ids]
    perm = rng.permutation(v.shape[0])
    inv = np.argsort(perm)
    parts = classify_parts(v[perm], inv[tris])
    labels = parts.labels[inv]
    from model.ict import PARTS

    eye_l = (ids >= PARTS["eyeball_left"][0]) & (ids < PARTS["eyeball_left"][1])
    teeth = (ids >= PARTS["teeth"][0]) & (ids < PARTS["teeth"][1])
    assert np.all(labels[eye_l] == PART_INDEX["eyeball_L"])
    assert np.all(np.isin(labels[teeth], [PART_INDEX["upper_teeth"], PART_INDEX["lower_teeth"]]))
    assert np.all(labels[ids < PARTS["mouth_socket"][1]] == PART_INDEX["skin"])


def test_seam_split_mesh_is_still_one_piece(demo):
    """Duplicating the vertices of a seam (as an importer splitting UV islands does) keeps the
    skin one piece, and its labels."""
    v, t = demo
    n, piece = components(v, t)
    main = np.argmax(np.bincount(piece))
    tri_main = t[piece[t[:, 0]] == main]
    cut = v[tri_main].mean(1)[:, 0] > 0.0  # split the skin at x = 0
    seam = np.unique(tri_main[cut].ravel())
    seam = seam[np.isin(seam, tri_main[~cut].ravel())]
    dup = np.arange(v.shape[0], v.shape[0] + seam.size)
    remap = np.arange(v.shape[0])
    remap[seam] = dup
    v2 = np.concatenate([v, v[seam]])
    t2 = t.copy()
    rows = np.flatnonzero(piece[t[:, 0]] == main)[cut]
    t2[rows] = remap[t[rows]]
    assert components(v2, t2)[0] == n
    a = classify_parts(v, t).labels
    b = classify_parts(v2, t2).labels
    np.testing.assert_array_equal(b[: v.shape[0]], a)
    np.testing.assert_array_equal(b[v.shape[0] :], a[seam])


# ---- head region ---------------------------------------------------------------------------------
def test_head_alone_is_unchanged(demo, ict):
    for v, t in (demo, (ict.neutral.astype(np.float64), ict.triangles())):
        region = find_head_region(v, t)
        assert not region.has_body
        assert np.all(region.weights == 1.0)


def test_head_on_a_body_is_isolated(demo):
    v, t = demo
    vb, tb, torso = with_torso(v, t)
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # to Blender axes: Z up, face to -Y
    w = head_weights(vb @ rot.T, tb, fit_frame(vb @ rot.T, tb, up="Z", forward="-Y"))
    assert w.dtype == np.float32 and w.shape == (vb.shape[0],)
    assert np.all((w >= 0) & (w <= 1))
    # the whole body below its top ring is exactly still; the face (above the mouth) is fully on
    top = vb[torso, 1].max()
    assert np.all(w[torso][vb[torso, 1] < top - 1.0] == 0.0)
    face = v[:, 1] > -5.0
    assert np.all(w[: v.shape[0]][face] == 1.0)
    # a ramp across the neck, not a cut: weights strictly between 0 and 1 exist, and along an
    # edge the weight changes no faster than a smoothstep over the ramp (0.2 head heights)
    assert np.sum((w > 0.05) & (w < 0.95)) > 20
    region = find_head_region(vb, tb)
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]]])
    length = np.linalg.norm(vb[e[:, 0]] - vb[e[:, 1]], axis=1)
    slope = np.abs(w[e[:, 0]] - w[e[:, 1]]) / length
    assert slope.max() <= 1.5 / (0.2 * region.head_height_input) * 1.01


# ---- rig constraints on ICT's own shapes ---------------------------------------------------------
def _pairwise_ok(rest: np.ndarray, posed: np.ndarray, rel: float) -> bool:
    idx = np.random.default_rng(0).choice(rest.shape[0], size=min(200, rest.shape[0]), replace=False)
    a, b = rest[idx], posed[idx]
    da = np.linalg.norm(a[:, None] - a[None], axis=-1)
    db = np.linalg.norm(b[:, None] - b[None], axis=-1)
    return bool(np.abs(da - db).max() <= rel * da.max())


def test_constraints_on_ict_shapes(ict):
    from model.ict import PARTS

    v, t = ict.neutral.astype(np.float64), ict.triangles()
    analysis = analyze_rig(v, t)
    out = apply_rig_constraints(ict.expressions, v, analysis)
    assert out.shape == ict.expressions.shape and out.dtype == np.float32
    parts = analysis.parts
    upper = parts.mask("upper_teeth")
    # the upper teeth and gums stay still, but for the upper gums' side of the fade across the
    # seam where gums_and_tongue's upper and lower gums meet (model.parts.seam_blend: 457 of
    # 3430 vertices take up to half the jaw's motion at session 18's band, 341 at session 15's
    # narrower one, which folded gum triangles once the lower teeth opened as far as ICT's),
    # which tore there otherwise
    fade = upper & (parts.jaw_blend > 0.0)
    assert np.all(out[:, upper & ~fade] == 0.0)
    assert 0 < fade.sum() < 0.15 * upper.sum() and parts.jaw_blend[upper].max() <= 0.5
    a, b = PARTS["teeth"]
    assert not fade[a:b].any()  # the rows of teeth are pieces of their own: no fade
    skin = parts.mask("skin")
    np.testing.assert_array_equal(out[:, skin], ict.expressions[:, skin])  # a head: skin unchanged
    jaw = ICT_NAMES.index("jawOpen")
    for side in ("L", "R"):
        ids = parts.eyeballs[side].vertices
        for s in range(len(ICT_NAMES)):
            assert _pairwise_ok(v[ids], v[ids] + out[s, ids], 1e-5), (side, ICT_NAMES[s])
    # the lower teeth and gums move rigidly, but for the lower gums' side of the seam's fade
    lower = np.flatnonzero(parts.mask("lower_teeth") & (parts.jaw_blend == 1.0))
    assert lower.size > 0.85 * parts.mask("lower_teeth").sum()  # 2991 of 3341
    for s in range(len(ICT_NAMES)):
        assert _pairwise_ok(v[lower], v[lower] + out[s, lower], 1e-5), ICT_NAMES[s]
    # the jaw-rigid lower teeth follow ICT's own teeth motion in jawOpen (within 20 % RMS)
    a, b = PARTS["teeth"]
    teeth_lower = lower[(lower >= a) & (lower < b)]
    truth = ict.expressions[jaw, teeth_lower]
    err = np.sqrt(((out[jaw, teeth_lower] - truth) ** 2).sum(1).mean() / (truth**2).sum(1).mean())
    assert err < 0.2, err
    # eyeLookUp_L turns the left eyeball's front up, the right eyeball not at all
    s = ICT_NAMES.index("eyeLookUp_L")
    left = parts.eyeballs["L"]
    front = left.vertices[np.argmax(v[left.vertices, 2])]
    assert out[s, front, 1] > 0.2 * left.radius
    assert np.all(out[s, parts.eyeballs["R"].vertices] == 0.0)
    s = ICT_NAMES.index("eyeLookOut_R")
    right = parts.eyeballs["R"]
    front = right.vertices[np.argmax(v[right.vertices, 2])]
    assert out[s, front, 0] < -0.2 * right.radius  # the right eye looks out toward -X


# ---- the bake -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    from model.api import FaceModel
    from training.torch_weights import save_random_model

    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


def test_bake_keeps_the_body_still_and_parts_rigid(fm, demo):
    v, t = demo
    vb, tb, torso = with_torso(v, t)
    prep = fm.prepare(vb, tb)
    deltas = fm.bake(prep)
    raw = fm.bake(prep, constraints=False)
    analysis = prep.rig_analysis()
    assert analysis.head.has_body
    still = analysis.head.weights == 0.0
    assert still[torso].mean() > 0.9
    assert np.all(deltas[:, still] == 0.0)
    # the network sees only the head (a head-sized frame, as it was trained on) ...
    assert prep.subset is not None and not np.isin(np.flatnonzero(still), prep.subset).any()
    assert np.all(raw[:, still] == 0.0) and np.abs(raw).max() > 0
    # ... and every input vertex keeps a row of skin weights summing to 1
    skin = fm.predict_skin_weights(prep)
    assert skin.shape == (vb.shape[0], len(fm.region_names))
    np.testing.assert_allclose(skin.sum(1), 1.0, atol=1e-4)
    for side in ("L", "R"):
        ids = analysis.parts.eyeballs[side].vertices
        for s in range(len(ICT_NAMES)):
            assert _pairwise_ok(vb[ids], vb[ids] + deltas[s, ids], 1e-5)
    # decode is the same linear mix of the constrained shapes (what Blender's keys show)
    codes = np.random.default_rng(1).uniform(0, 1, (3, len(ICT_NAMES))).astype(np.float32)
    np.testing.assert_allclose(fm.decode(prep, codes), np.einsum("ts,svc->tvc", codes, deltas), atol=1e-4)
    # a body as an encode source: frames of every input vertex, read on the head
    assert fm.encode(prep, vb[None] + fm.decode(prep, codes)).shape == (3, len(ICT_NAMES))
    unconstrained = fm.decode(prep, codes, constraints=False)
    np.testing.assert_allclose(unconstrained, np.einsum("ts,svc->tvc", codes, raw), atol=1e-4)


def test_seam_split_body_gets_the_welded_rig_on_every_duplicate(fm, demo):
    """Welding and head isolation compose: a bust split at a midline UV seam gets, on every
    duplicate, the rig of the welded bust, and the torso stays still."""
    v, t = demo
    vb, tb, torso = with_torso(v, t)
    right = vb[tb].mean(axis=1)[:, 0] < vb[:, 0].mean()
    seam = np.intersect1d(np.unique(tb[right]), np.unique(tb[~right]))
    new_index = np.arange(len(vb))
    new_index[seam] = len(vb) + np.arange(len(seam))
    t2 = tb.copy()
    t2[right] = new_index[tb[right]]
    v2, origin = np.concatenate([vb, vb[seam]]), np.concatenate([np.arange(len(vb)), seam])
    welded, split = fm.prepare(vb, tb), fm.prepare(v2, t2)
    assert split.welding is not None and split.subset is not None
    np.testing.assert_allclose(
        fm.predict_skin_weights(split), fm.predict_skin_weights(welded)[origin], atol=1e-5
    )
    baked = fm.bake(split)
    np.testing.assert_allclose(baked, fm.bake(welded)[:, origin], atol=1e-5)
    assert np.all(baked[:, torso] == 0.0) and np.abs(baked).max() > 0
