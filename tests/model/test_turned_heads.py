"""Heads that come turned well off their axes (issue 9: "tried as a new user would"): a scan or
an export turned 20-30 degrees about the given up or forward axis, or nodding.

Before session 20 the symmetry plane was searched within 20 degrees of the given axes and a turn
beyond that was left in: the demo head rolled 20 degrees had 67 rig check verdicts, yawed 30
degrees 79 (blinks 0 %, the jaw moving the skull); Rocketbox 01 nodding up 10 degrees took its
lash strips for its eyeballs (45 verdicts). ``benchmarks/realdev_variants.py --turns=-30,30``.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model.mesh_io import read_mesh

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _turn(axis, degrees: float) -> np.ndarray:
    """(3, 3) rotation by ``degrees`` about the unit vector ``axis`` (right-handed)."""
    from model.orientation import axis_rotation

    t = np.radians(degrees)
    return axis_rotation(np.asarray(axis, np.float64), np.sin(t), np.cos(t))


def _axis(name: str) -> np.ndarray:
    """The unit vector of an axis name ("Y", "-Z", ...)."""
    return (-1.0 if name.startswith("-") else 1.0) * np.eye(3)["XYZ".index(name.lstrip("-"))]


@pytest.mark.parametrize("axis,degrees", [("Z", 30.0), ("Y", -30.0)], ids=["rolled 30", "yawed -30"])
def test_a_head_turned_30_degrees_bakes_as_upright(axis, degrees):
    """The demo head (Y up, +Z forward) rolled or yawed 30 degrees, baked with its axes as given
    and judged as it came (the deltas turned back): every shape passes the rig check."""
    from model.api import FaceModel
    from model.rig_check import check_rig

    mesh = read_mesh(DEMO)
    v, t = mesh.vertices.astype(np.float64), mesh.triangles()
    r = _turn(_axis(axis), degrees)
    centre = v.mean(axis=0)
    fm = FaceModel.load()
    prepared = fm.prepare((v - centre) @ r.T + centre, t)  # Y up, +Z forward: the OBJ axes
    alignment = prepared._tensors["face_alignment"]
    assert alignment.applied and abs(alignment.degrees - abs(degrees)) < 1.0, alignment
    skin = fm.predict_skin_weights(prepared)
    deltas = np.asarray(fm.bake(prepared, skin)) @ r  # back to the head as it came
    report = check_rig(v, t, deltas, skin_weights=skin, region_names=fm.region_names)
    assert not report.verdicts, report.verdicts[:5]


def test_a_nodding_avatars_lash_strips_are_not_its_eyeballs():
    """Rocketbox 01 nodding up 10 degrees: its lash strips are arcs about its eyes that fit a
    sphere of twice the eyeballs' radius (residual 0.03 against the eyeball caps' 0.005); the
    head, taller along y, brought their radius within the eyeballs' range, and their mirrored
    pair, with half the eyeballs' mirror cost, was taken for the eyeballs. The parts are the
    upright avatar's."""
    from realdev_helpers import load_realdev_mesh

    from model.api import FaceModel
    from model.parts import PART_INDEX

    data = load_realdev_mesh("rocketbox_Female_Adult_01.fbx")
    v = data["vertices"][data["head_ids"]].astype(np.float64)
    t, mats, up, forward = data["head_triangles"], data["head_materials"], data["up"], data["forward"]
    # about the side axis, the top of the head going back (benchmarks/realdev_variants.py "pitch -10")
    r = _turn(np.cross(_axis(up), _axis(forward)), -10.0)
    centre = v.mean(axis=0)
    fm = FaceModel.load()
    labels = {}
    for name, verts in (("upright", v), ("nodding", (v - centre) @ r.T + centre)):
        prepared = fm.prepare(verts, t, up=up, forward=forward, materials=mats)
        labels[name] = prepared.rig_analysis().parts.labels
    for part in ("eyeball_L", "eyeball_R", "lashes"):
        upright = labels["upright"] == PART_INDEX[part]
        assert upright.any() and np.array_equal(labels["nodding"] == PART_INDEX[part], upright), part
