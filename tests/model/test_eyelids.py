"""The geometric eyelid solver closes the eye cleanly (judged by the rig check's own measures)."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.eyelids import apply_eyelids, blink_deltas
from model.face_landmarks import find_eyeballs, largest_component_mask
from model.facs import ICT_NAMES
from model.frame import fit_frame
from model.mesh_io import read_mesh
from model.rig_check import check_rig

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"
BLINKS = ("eyeBlink_L", "eyeBlink_R")


@pytest.fixture(scope="module")
def demo():
    """The demo head in its canonical frame: (canonical (V,3) float64, triangles, input vertices,
    (3,3) matrix taking canonical vectors back to the input axes)."""
    mesh = read_mesh(DEMO)
    v, t = mesh.vertices, mesh.triangles()
    frame = fit_frame(v, t, up="Y", forward="Z")
    canonical = np.asarray(frame.to_canonical(v), dtype=np.float64)
    back = np.asarray(frame.vectors_from_canonical(np.eye(3)))
    return canonical, t, v, back


def _flipped(points: np.ndarray, moved: np.ndarray, t: np.ndarray) -> int:
    n0 = np.cross(points[t[:, 1]] - points[t[:, 0]], points[t[:, 2]] - points[t[:, 0]])
    n1 = np.cross(moved[t[:, 1]] - moved[t[:, 0]], moved[t[:, 2]] - moved[t[:, 0]])
    valid = np.linalg.norm(n0, axis=1) > 0
    return int((valid & ((n0 * n1).sum(axis=1) < 0)).sum())


def test_demo_head_blink_closes_without_flips(demo):
    canonical, t, v, back = demo
    blinks = []
    for side in ("L", "R"):
        d, reason = blink_deltas(canonical, t, side)
        assert d is not None, reason
        assert d.shape == canonical.shape and d.dtype == np.float32
        assert _flipped(canonical, canonical + d, t) == 0
        blinks.append(d @ back)
    report = check_rig(v, t, np.stack(blinks), names=list(BLINKS))
    for shape in report.shapes:
        assert shape.lid_closure_pct >= 90.0, (shape.name, shape.lid_closure_pct)
        assert shape.lid_closure_min_pct >= 90.0, (shape.name, shape.lid_closure_min_pct)
        assert shape.flipped_triangles == 0
    assert not [line for line in report.verdicts if "lid" in line]


def test_demo_head_eyeballs_stay_rigid_and_corners_stay_put(demo):
    from model.face_landmarks import find_eye_openings

    canonical, t, _, _ = demo
    skin = largest_component_mask(len(canonical), t)
    balls = find_eyeballs(canonical, t, skin)
    eyes = find_eye_openings(canonical, t, skin)
    assert set(balls) == {"L", "R"}
    for side in ("L", "R"):
        d, _ = blink_deltas(canonical, t, side)
        assert np.abs(d[balls[side].vertices]).max() == 0.0
        canthi = eyes[side].upper[[0, -1]]
        lid = np.linalg.norm(d, axis=1).max()
        assert np.linalg.norm(d[canthi], axis=1).max() < 0.05 * lid
        # the other eye does not move
        other = eyes["R" if side == "L" else "L"].loop
        assert np.abs(d[other]).max() == 0.0


def test_blinks_mirror_on_a_mirrored_copy(demo):
    canonical, t, _, _ = demo
    mirrored = canonical * np.array([-1.0, 1.0, 1.0])
    t_mirrored = t[:, ::-1].copy()  # keep the outward orientation
    flip = np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    for side, other in (("L", "R"), ("R", "L")):
        d, _ = blink_deltas(canonical, t, side)
        dm, _ = blink_deltas(mirrored, t_mirrored, other)
        err = np.linalg.norm(dm - d * flip, axis=1).sum() / np.linalg.norm(d, axis=1).sum()
        assert err < 0.01, (side, err)


def test_closed_socket_lids_cover_the_eyeball():
    """A closed socket (no opening loop, eyeballs behind the lids), as on game avatars."""
    from test_rig_check import eyed_face, with_eyeballs

    v, t = with_eyeballs(*eyed_face(), socket=True)
    blinks = []
    for side in ("L", "R"):
        d, reason = blink_deltas(v, t, side)
        assert d is not None, reason
        blinks.append(d)
    report = check_rig(v, t, np.stack(blinks), names=list(BLINKS))
    assert report.info["eyes_found"] == []
    for shape in report.shapes:
        assert shape.eyeball_cover_pct >= 90.0 and shape.eyeball_cover_min_pct >= 90.0, shape
        assert shape.flipped_triangles == 0


def test_closed_eyes_keep_the_network_blink_and_say_why():
    """A closed surface with no opening and no eyeball (a scan with closed eyes)."""
    from scipy.spatial import ConvexHull

    rng = np.random.default_rng(0)
    p = rng.normal(size=(400, 3))
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    t = ConvexHull(p).simplices.astype(np.int64)
    d, reason = blink_deltas(p, t, "L")
    assert d is None and "closed" in reason
    network = rng.normal(size=(len(ICT_NAMES), len(p), 3)).astype(np.float32)
    out, notes = apply_eyelids(p, t, network)
    np.testing.assert_array_equal(out, network)
    assert len(notes) == 2 and all("kept" in n for n in notes)


def test_apply_eyelids_replaces_only_the_blinks(demo):
    canonical, t, _, _ = demo
    rng = np.random.default_rng(1)
    network = rng.normal(size=(len(ICT_NAMES), len(canonical), 3)).astype(np.float32)
    out, notes = apply_eyelids(canonical, t, network)
    assert notes == []
    changed = [n for i, n in enumerate(ICT_NAMES) if not np.array_equal(out[i], network[i])]
    assert changed == list(BLINKS)
    np.testing.assert_array_equal(out[ICT_NAMES.index("eyeBlink_L")], blink_deltas(canonical, t, "L")[0])


def test_face_model_bake_and_decode_agree_on_the_blink():
    from model.api import FaceModel

    mesh = read_mesh(DEMO)
    fm = FaceModel.load()
    prep = fm.prepare(mesh.vertices, mesh.triangles())
    deltas = fm.bake(prep)
    codes = np.zeros((2, len(ICT_NAMES)), dtype=np.float32)
    codes[0, ICT_NAMES.index("eyeBlink_L")] = 1.0
    codes[1, ICT_NAMES.index("eyeBlink_R")] = 0.5
    codes[1, ICT_NAMES.index("jawOpen")] = 1.0
    disp = fm.decode(prep, codes)
    expect = np.einsum("ts,svc->tvc", codes, deltas)
    assert np.abs(disp - expect).max() <= 1e-4 * np.abs(expect).max()
    report = check_rig(
        mesh.vertices, mesh.triangles(), deltas[[ICT_NAMES.index(n) for n in BLINKS]], names=BLINKS
    )
    assert all(s.lid_closure_pct >= 90.0 and s.lid_closure_min_pct >= 90.0 for s in report.shapes)
    fm.eyelids = False
    plain = FaceModel.bake(fm, fm.prepare(mesh.vertices, mesh.triangles()))
    assert not np.allclose(plain[ICT_NAMES.index("eyeBlink_L")], deltas[ICT_NAMES.index("eyeBlink_L")])
