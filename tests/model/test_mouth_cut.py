"""Loose teeth, gums and tongue: out of the network's view, and a piece spanning both rows does
not tear at its seam (model.api.loose_mouth_pieces / cut_from_body, model.parts.seam_blend)."""

from __future__ import annotations

import numpy as np
import pytest

from model.facs import ICT_NAMES
from model.parts import PART_INDEX, seam_blend
from model.rig_check import TEAR_STRETCH, THRESHOLDS
from model.rig_constraints import analyze_rig, apply_rig_constraints

SKIN = ["face", "head_and_neck", "mouth_socket", "eye_socket_left", "eye_socket_right"]
EYES = ["eyeball_left", "eyeball_right"]
MOUTH = ["gums_and_tongue", "teeth"]


@pytest.fixture(scope="module")
def ict(ict_dir):
    from model.ict import load_ict

    return load_ict(ict_dir)


def _prepared(v, t, cut_mouth):
    from model.api import prepare_mesh

    seen = {}

    def keep(canonical, triangles, pitch):
        seen["canonical"], seen["triangles"] = canonical, triangles

    prepared = prepare_mesh(
        v, t, 4, cache=False, isolate_head=True, place_face=True, align_face=True,
        on_canonical=keep, cut_mouth=cut_mouth,
    )  # fmt: skip
    return prepared, seen


def test_loose_mouth_pieces_are_out_of_the_networks_view(ict):
    """ICT's head with its eyeballs, teeth and gums: the network sees exactly what it sees of the
    head without the teeth and gums (the same vertices, triangles, frame and placement)."""
    ids_plain, t_plain = ict.submesh(SKIN + EYES)
    ids, t = ict.submesh(SKIN + EYES + MOUTH)
    v = ict.neutral.astype(np.float64)
    plain, seen_plain = _prepared(v[ids_plain], t_plain, cut_mouth=True)
    with_mouth, seen = _prepared(v[ids], t, cut_mouth=True)
    assert plain.subset is None  # nothing to cut: as before
    mouth = np.zeros(len(ids), dtype=bool)
    from model.ict import PARTS

    for name in MOUTH:
        a, b = PARTS[name]
        mouth |= (ids >= a) & (ids < b)
    # the network's vertices are the head's without the mouth pieces, in the same order
    np.testing.assert_array_equal(ids[with_mouth.network_rows(np.arange(len(ids)))], ids_plain)
    np.testing.assert_array_equal(seen["triangles"], seen_plain["triangles"])
    np.testing.assert_allclose(with_mouth.canonical, plain.canonical, atol=1e-6)
    np.testing.assert_allclose(with_mouth.frame.center, plain.frame.center, atol=1e-9)
    assert abs(with_mouth.frame.scale - plain.frame.scale) < 1e-9 * plain.frame.scale
    # per-network-vertex results come back with zero on the mouth pieces
    back = with_mouth.scatter(np.ones(len(with_mouth.canonical)))
    assert np.all(back[mouth] == 0.0) and np.all(back[~mouth] == 1.0)
    # without the cut the teeth move the frame (what the network saw before)
    uncut, _ = _prepared(v[ids], t, cut_mouth=False)
    assert uncut.subset is None and len(uncut.canonical) == len(ids)
    assert np.linalg.norm(uncut.frame.center - plain.frame.center) > 1e-3 * plain.frame.scale


def test_gums_spanning_both_rows_do_not_tear(ict):
    """ICT's gums_and_tongue (upper gums, lower gums and tongue in one piece): in jawOpen its
    upper gums stay still, its lower gums and tongue follow the jaw, and no edge across the
    seam stretches to the rig check's tear (each vertex all or nothing: 18.9x)."""
    from model.ict import PARTS

    ids, t = ict.submesh(SKIN + EYES + MOUTH)
    v = ict.neutral[ids].astype(np.float64)
    analysis = analyze_rig(v, t)
    parts = analysis.parts
    assert parts.jaw_blend is not None
    out = apply_rig_constraints(ict.expressions[:, ids], v, analysis)
    k = ICT_NAMES.index("jawOpen")
    a, b = PARTS["gums_and_tongue"]
    piece = (ids >= a) & (ids < b)
    tris = t[piece[t].all(axis=1)]
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    posed = v + out[k]
    rest_len = np.linalg.norm(v[edges[:, 0]] - v[edges[:, 1]], axis=1)
    posed_len = np.linalg.norm(posed[edges[:, 0]] - posed[edges[:, 1]], axis=1)
    assert (posed_len / rest_len).max() < TEAR_STRETCH
    # away from the seam the rows keep their rigid motion: still upper gums, moving tongue
    share = parts.jaw_blend
    upper = piece & (share == 0.0)
    jaw = piece & (share == 1.0)
    assert upper.sum() > 500 and jaw.sum() > 500
    assert np.all(out[:, upper] == 0.0)
    assert np.linalg.norm(out[k, jaw], axis=1).min() > 0.5  # cm: the jaw opens ~4 cm
    # the teeth keep their labels' motion (no fade on a row of its own)
    lower_teeth = parts.labels == PART_INDEX["lower_teeth"]
    assert np.all(share[lower_teeth & ~piece] == 1.0)
    assert np.all(share[(parts.labels == PART_INDEX["upper_teeth"]) & ~piece] == 0.0)


def test_seam_blend_fades_across_the_seam():
    """A strip 0..10 long, one side 0 (x < 5), the other 1: 0.5 at the seam, the sides' own
    values beyond the band, monotone and continuous in between."""
    n = 41
    x = np.linspace(0.0, 10.0, n)
    points = np.concatenate(
        [np.stack([x, np.zeros(n), np.zeros(n)], 1), np.stack([x, np.ones(n), np.zeros(n)], 1)]
    )
    tris = []
    for i in range(n - 1):
        tris += [(i, i + 1, n + i), (i + 1, n + i + 1, n + i)]
    tris = np.array(tris)
    side = (points[:, 0] > 5.0).astype(float)
    ids = np.arange(len(points))
    w = seam_blend(points, tris, ids, side, band=2.0)
    along = w[:n]
    assert np.all(along[x <= 5.0 - 2.0 - 0.25 - 1e-9] == 0.0) and np.all(along[x >= 5.25 + 2.0] == 1.0)
    assert np.all(np.diff(along) >= 0.0)
    assert np.abs(np.diff(along)).max() < 0.3  # a fade, not a step
    assert along[(x > 4.9) & (x < 5.3)].min() == pytest.approx(0.5)
    np.testing.assert_array_equal(w[:n], w[n:])  # the strip's two rows alike


def test_rig_check_leaves_loose_mouth_pieces_out(ict):
    """ICT's own shapes on its head with teeth and gums: the check does not judge the rigid
    mouth pieces as skin (its gums tear by design where upper and lower gums meet, 32x), and no
    lip vertex takes a tooth or the gums as its mirror partner (5 did)."""
    from model.face_landmarks import components
    from model.ict import PARTS
    from model.rig_check import check_rig, face_anchors, mirror_correspondence

    ids, t = ict.submesh(SKIN + EYES + MOUTH)
    v = ict.neutral[ids].astype(np.float64)
    d = ict.expressions[:, ids].astype(np.float64)
    mouth = np.zeros(len(ids), dtype=bool)
    for name in MOUTH:
        a, b = PARTS[name]
        mouth |= (ids >= a) & (ids < b)
    report = check_rig(v, t, d)
    assert report.info["loose_mouth_vertices"] == int(mouth.sum())
    jaw = report.shapes[ICT_NAMES.index("jawOpen")]
    # as skin, the gums' seam read as a tear 0.35 eye distances long (the verdict needs <= 0.15)
    assert jaw.tear is not None and jaw.tear <= THRESHOLDS["tear"]
    assert not [line for line in report.verdicts if "tear" in line]
    anchors = face_anchors(v, t, "Y", "Z", align=True, pitch=None)
    hits, _, _, _ = mirror_correspondence(anchors, t, anchors.frame.vectors_to_canonical(d))
    partner_on_mouth = mouth[hits.corners].any(axis=1)
    assert not partner_on_mouth[~mouth].any()
    comp = components(len(v), t)
    # a mouth piece's partner is a mouth piece (its own, or its mirror tooth)
    assert mouth[hits.corners[mouth]].all()
    assert np.all(comp[hits.corners[mouth, 0]] != comp[np.argmax(np.bincount(comp))])
