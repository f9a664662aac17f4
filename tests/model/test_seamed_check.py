"""The rig check on a head whose UVs are mirrored: a seam down the middle of the face (each
vertex on it duplicated, one copy per half, as an importer splits a mesh at its UV seams) is
judged as the same head without the seam. By its triangles' vertices alone the skin was half
the face: the demo head's other eye was not found, its face pitch fitted 3.6 degrees instead of
-1.0, and a sound blink was judged to cover 6 % of its eyeball. The check now welds each piece's
seams first, as the bake does."""

from __future__ import annotations

import pathlib
from dataclasses import asdict

import numpy as np
import pytest
from mesh_helpers import centre_seam

from model.api import FaceModel
from model.face_pitch import fit_pitch
from model.facs import ICT_NAMES
from model.mesh_io import read_mesh
from model.rig_check import check_rig

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_rig():
    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t = mesh.vertices, mesh.triangles()
    fm = FaceModel.load()
    prepared = fm.prepare(v, t, up="Y", forward="Z")
    skin = fm.predict_skin_weights(prepared)
    return v, t, fm.bake(prepared), skin


def test_seam_down_the_middle_is_judged_as_without_it(demo_rig):
    v, t, deltas, skin = demo_rig
    sv, st, copied = centre_seam(v, t)
    assert copied.size > 100  # a real seam, from the forehead to the chin
    plain = check_rig(v, t, deltas, up="Y", forward="Z", skin_weights=skin)
    seamed = check_rig(
        sv, st, np.concatenate([deltas, deltas[:, copied]], axis=1), up="Y", forward="Z",
        skin_weights=np.concatenate([skin, skin[copied]]),
    )  # fmt: skip
    assert seamed.info["eyes_found"] == plain.info["eyes_found"] == ["L", "R"]
    assert abs(seamed.info["face_pitch_degrees"] - plain.info["face_pitch_degrees"]) < 0.1
    assert seamed.verdicts == plain.verdicts

    # judged on the welded mesh (each piece's seams welded): every number as without the seam
    # (with the seam's copies counted twice, the frame and eye anchors turned: Nefertiti's eye
    # pairs came out 5-9 % apart)
    def numbers(report):
        return [{k: x for k, x in asdict(s).items() if k != "seam_gap_pct"} for s in report.shapes]

    assert numbers(seamed) == numbers(plain)
    assert all(s.seam_gap_pct == 0.0 for s in seamed.shapes)  # the bake moves a seam's copies together
    assert np.array_equal(seamed.problem[: len(v)], plain.problem)
    assert np.array_equal(seamed.problem[len(v) :], plain.problem[copied])


def test_face_pitch_is_fitted_on_the_whole_face_across_a_seam(demo_rig):
    v, t, _, _ = demo_rig
    sv, st, _ = centre_seam(v, t)
    a, b = fit_pitch(v, t), fit_pitch(sv, st)
    assert abs(np.degrees(a.pitch - b.pitch)) < 0.1


def test_a_seam_that_opens_is_judged(demo_rig):
    """Judged welded, a rig whose seam copies move apart (a crack) read as its first copies
    alone; the gap is measured, with a verdict and the problem group on its vertices."""
    v, t, deltas, skin = demo_rig
    sv, st, copied = centre_seam(v, t)
    seamed = np.concatenate([deltas, deltas[:, copied]], axis=1)
    weights = np.concatenate([skin, skin[copied]])
    closed = check_rig(sv, st, seamed, up="Y", forward="Z", skin_weights=weights)
    assert all(s.seam_gap_pct == 0.0 for s in closed.shapes)
    # the three copies on the seam that jawOpen moves most pulled sideways by 5 % of its peak
    jaw = ICT_NAMES.index("jawOpen")
    rows = len(v) + np.argsort(np.linalg.norm(deltas[jaw, copied], axis=1))[-3:]
    cracked = seamed.copy()
    cracked[jaw, rows, 0] += 0.05 * np.linalg.norm(deltas[jaw], axis=1).max()
    report = check_rig(sv, st, cracked, up="Y", forward="Z", skin_weights=weights)
    assert report.shapes[jaw].seam_gap_pct == pytest.approx(5.0, abs=0.01)
    assert any(line.startswith("jawOpen: a seam opens by 5.0 %") for line in report.verdicts)
    assert report.problem[rows].min() == 1.0
