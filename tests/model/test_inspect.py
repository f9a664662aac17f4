"""The pre-flight report (model.inspect) and ``python -m model inspect``."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from lip_helpers import weld_lip_line
from mesh_helpers import fill_hole

from model.cli import main
from model.inspect import inspect_mesh
from model.mesh_io import read_mesh, write_obj
from model.topology import boundary_loops

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def demo():
    m = read_mesh(DEMO)
    return m.vertices, m.triangles()


def _holes(v, t):
    """The demo head's holes: {"mouth": loop, "eyes": [loop, loop]} (the neck is the biggest)."""
    loops = boundary_loops(v, t)
    centers = [v[lp].mean(0) for lp in loops]
    eyes = [lp for lp, c in zip(loops, centers, strict=True) if c[1] > 0 and c[2] > 5]
    mouth = [lp for lp, c in zip(loops, centers, strict=True) if -6 < c[1] < 0 and c[2] > 5]
    assert len(eyes) == 2 and len(mouth) == 1
    return {"mouth": mouth[0], "eyes": eyes}


def levels(report, topic):
    return [f.level for f in report.findings if f.topic == topic]


def test_demo_head_report(demo):
    v, t = demo
    r = inspect_mesh(v, t)
    assert r.units == "centimetres"
    assert r.eyes == {"L": "open", "R": "open"}
    assert r.lips == "touching"
    assert set(r.parts["eyeballs"]) == {"L", "R"}
    assert not r.head["has_body"]
    assert r.symmetry_error < 0.02
    assert "problem" not in [f.level for f in r.findings]


def test_closed_eyes_are_flagged(demo):
    v, t = demo
    for loop in _holes(v, t)["eyes"]:
        v, t = fill_hole(v, t, loop)
    r = inspect_mesh(v, t)
    assert r.eyes == {"L": "closed", "R": "closed"}
    assert levels(r, "eyes") == ["problem"]
    assert "cut the eye opening" in next(f.message for f in r.findings if f.topic == "eyes")
    assert r.lips == "touching"  # the mouth was left alone


@pytest.mark.parametrize("seal", [weld_lip_line, fill_hole])
def test_sealed_lips_are_flagged(demo, seal):
    v, t = demo
    v, t = seal(v, t, _holes(v, t)["mouth"])
    r = inspect_mesh(v, t)
    assert r.lips == "sealed"
    assert levels(r, "lips") == ["problem"]
    msg = next(f.message for f in r.findings if f.topic == "lips")
    assert "jawOpen cannot part them" in msg and "cut the lip line" in msg
    assert r.eyes == {"L": "open", "R": "open"}


def test_units_and_axes_do_not_change_the_findings(demo):
    v, t = demo
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # to Blender axes: Z up, face to -Y
    r = inspect_mesh(0.01 * v @ rot.T + 3.0, t, up="Z", forward="-Y")
    assert r.units == "metres"
    assert r.eyes == {"L": "open", "R": "open"} and r.lips == "touching"


def test_ict_head_report(ict_dir):
    from model.ict import load_ict

    ict = load_ict(ict_dir)
    r = inspect_mesh(ict.neutral, ict.triangles())
    counts = r.parts["counts"]
    for part in ("eyeball_L", "eyeball_R", "upper_teeth", "lower_teeth", "tongue", "lashes"):
        assert counts.get(part, 0) > 0, part
    assert r.eyes == {"L": "open", "R": "open"}
    assert r.lips == "touching"  # the lips meet over ICT's mouth bag


def test_cli_inspect(demo, tmp_path, capsys):
    v, t = demo
    v, t = weld_lip_line(v, t, _holes(v, t)["mouth"])
    path = tmp_path / "sealed.obj"
    write_obj(path, v, t)
    assert main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["lips"] == "sealed" and out["eyes"] == {"L": "open", "R": "open"}
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "PROBLEM" in text and "cut the lip line" in text
    assert main(["inspect", str(tmp_path / "missing.obj")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def split_into_islands(v, t, cells: int = 6):
    """Cut the surface along a grid into islands by duplicating vertices (a UV-split import)."""
    cx = v[t].mean(1)
    lo, hi = cx.min(0), cx.max(0)
    cell = np.floor((cx[:, :2] - lo[:2]) / (hi[:2] - lo[:2] + 1e-9) * cells).astype(np.int64)
    cell_id = cell[:, 0] * cells + cell[:, 1]
    verts, tris = [], []
    for c in np.unique(cell_id):
        sel = t[cell_id == c]
        ids, inv = np.unique(sel, return_inverse=True)
        tris.append(inv.reshape(-1, 3) + sum(len(x) for x in verts))
        verts.append(v[ids])
    return np.concatenate(verts), np.concatenate(tris)


def test_seam_split_head_is_warned_but_still_classified(demo):
    v, t = demo
    vs, ts = split_into_islands(v, t)
    r = inspect_mesh(vs, ts)
    seams = [f for f in r.findings if f.topic == "seams"]
    assert len(seams) == 1 and seams[0].level == "warning" and "Merge by Distance" in seams[0].message
    assert "pieces" not in [f.topic for f in r.findings]  # seams are not cuts
    assert set(r.parts["eyeballs"]) == {"L", "R"} and r.eyes == {"L": "open", "R": "open"}
    assert "seams" not in [f.topic for f in inspect_mesh(v, t).findings]


def test_orientation_is_reported_and_wrong_axes_are_a_problem(demo):
    v, t = demo
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # to Blender axes: Z up, face to -Y
    vb = v @ rot.T
    wrong = inspect_mesh(vb, t)  # OBJ axes (Y up) on a Z-up head
    assert levels(wrong, "orientation") == ["problem"]
    assert "auto" in next(f.message for f in wrong.findings if f.topic == "orientation")
    found = inspect_mesh(vb, t, up="auto", forward="auto")
    assert levels(found, "orientation") == ["ok"]
    message = next(f.message for f in found.findings if f.topic == "orientation")
    assert "up Z" in message and "forward -Y" in message and "confidence" in message
    assert levels(inspect_mesh(v, t), "orientation") == ["ok"]


def test_bake_warns_when_the_lips_are_sealed(demo, tmp_path, capsys):
    """Issue 9: a mesh whose lips are one surface gets a warning with the fix (CLI and API), and
    the same mesh with its lip line cut does not."""
    from model.api import FaceModel

    v, t = demo
    fm = FaceModel.load(runtime="numpy")
    assert not any("sealed" in w for w in fm.prepare(v, t).warnings)
    sv, st = weld_lip_line(v, t, _holes(v, t)["mouth"])
    found = [w for w in fm.prepare(sv, st).warnings if "sealed" in w]
    assert len(found) == 1 and "cut the lip line" in found[0]
    path = tmp_path / "sealed.obj"
    write_obj(path, sv, st)
    assert main(["bake", str(path), "-o", str(tmp_path / "rig.npz")]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "lips are sealed" in err
