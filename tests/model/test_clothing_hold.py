"""Clothing welded into the skin, told apart only by its material, stays still in every shape
(model/clothing.py, issue 9: collar, shoulders, hair and body never move); a one-material mesh
and eyes in their own materials are baked exactly as before."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from model import clothing
from model.errors import MeshError
from model.facs import ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]
JAW = ICT_NAMES.index("jawOpen")


@pytest.fixture(scope="module")
def head():
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    return m.vertices, m.triangles()


@pytest.fixture(scope="module")
def fm(tmp_path_factory):
    from model.api import FaceModel
    from training.torch_weights import save_random_model

    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


@pytest.fixture(scope="module")
def collar(head):
    """The demo head (Y up, cm; chin at y -8, neck end at y -17.3) with the skin of its neck
    below y -12.5 given a second material: a collar that is the same connected, smooth surface
    as the neck skin, told apart only by its material (as on the Rocketbox avatars)."""
    v, t = head
    materials = (v[t].mean(axis=1)[:, 1] < -12.5).astype(np.int64)
    return materials, np.unique(t[materials == 1])


@pytest.fixture(scope="module")
def baked(fm, head, collar):
    """(deltas with materials, deltas without, the hold, the prepared mesh)."""
    v, t = head
    prep = fm.prepare(v, t, materials=collar[0])
    with_materials = fm.bake(prep)
    hold = fm.clothing(prep)
    prep.materials = None
    return with_materials, fm.bake(prep), hold, prep


def test_welded_collar_material_is_held_still(baked, collar):
    with_materials, without, hold, _ = baked
    ids = collar[1]
    assert hold.face_material == 0 and hold.held == (1,)
    # without its material the network moves the collar (the test can fail) ...
    assert np.linalg.norm(without[JAW, ids], axis=1).max() > 0
    # ... with it no shape moves the collar at all
    assert np.all(with_materials[:, ids] == 0.0)


def test_the_face_is_untouched_and_the_hold_fades_into_the_skin(baked, head, collar):
    with_materials, without, hold, prep = baked
    v, t = head
    w = hold.weights
    # everywhere the hold does not reach, the bake is exactly the one without materials
    far = w == 0.0
    assert far.sum() > 0.8 * len(v)
    np.testing.assert_array_equal(with_materials[:, far], without[:, far])
    # the chin's jawOpen is kept
    assert np.linalg.norm(with_materials[JAW], axis=1).max() == np.linalg.norm(without[JAW], axis=1).max()
    # the skin beside the collar is partly held (a fade, not a step) ...
    skin = np.setdiff1d(np.arange(len(v)), collar[1])
    assert np.any((w[skin] > 0.05) & (w[skin] < 0.95))
    # ... and the weight changes along an edge no faster than the fade's slope allows (smoothstep:
    # 1.5 over FADE eye distances; the core's fade only lowers it): no crease at the seam
    from model.shape_locality import skin_anchors

    anchors = skin_anchors(prep.canonical, prep.triangles_seen, None)
    can = prep.frame.to_canonical(v) / anchors.eye_distance
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    length = np.linalg.norm(can[edges[:, 0]] - can[edges[:, 1]], axis=1)
    jump = np.abs(w[edges[:, 0]] - w[edges[:, 1]])
    assert np.all(jump <= 1.5 * length / clothing.FADE + 1e-9)
    # the held weights scale the deltas, nothing else
    np.testing.assert_allclose(with_materials, without * (1.0 - w)[None, :, None], rtol=1e-5, atol=1e-7)


def test_one_material_mesh_is_unchanged(fm, head):
    v, t = head
    prep = fm.prepare(v, t, materials=np.full(len(t), 3))
    assert not np.any(fm.clothing(prep).weights)
    one = fm.bake(prep)
    prep.materials = None
    np.testing.assert_array_equal(one, fm.bake(prep))


def test_eyes_in_their_own_material_keep_their_treatment(fm, head):
    from model.parts import PART_INDEX, classify_parts

    v, t = head
    labels = classify_parts(v, t).labels
    eyes = np.isin(labels, [PART_INDEX["eyeball_L"], PART_INDEX["eyeball_R"]])
    assert eyes.any()
    materials = np.where(eyes[t].all(axis=1), 2, 0)  # the eyeballs carry their own material
    prep = fm.prepare(v, t, materials=materials)
    hold = fm.clothing(prep)
    assert hold.face_material == 0 and hold.held == ()
    assert hold.shares[2] >= clothing.FACE_SHARE  # the eyes lie in the face core
    with_materials = fm.bake(prep)
    prep.materials = None
    np.testing.assert_array_equal(with_materials, fm.bake(prep))


def test_lashes_sharing_a_held_material_stay_free():
    # a "hair cards" material with a strip at the eyes (lashes) and a ponytail behind the head:
    # the ponytail is held, the lashes are not (they lie in the face core)
    zigzag = np.arange(9) % 2  # two rows of points, so the strips' triangles have area
    lashes = np.stack([np.linspace(-0.8, 0.8, 9), 0.1 + 0.05 * zigzag, np.full(9, 0.1)], axis=1)
    ponytail = np.stack([np.linspace(-0.3, 0.3, 9), -1.0 - 0.5 * zigzag, np.full(9, -3.5)], axis=1)
    face = np.array([[x, y, 0.2] for x in np.linspace(-1, 1, 6) for y in np.linspace(-1.7, 0.8, 6)])
    v = np.concatenate([face, lashes, ponytail])
    face_t = [(i * 6 + j, i * 6 + j + 1, (i + 1) * 6 + j) for i in range(5) for j in range(5)]
    strips = [(o + i, o + i + 1, o + i + 2) for o in (36, 45) for i in range(7)]
    t = np.array(face_t + strips)
    materials = np.array([0] * len(face_t) + [1] * len(strips))
    hold = clothing.clothing_hold(v, t, materials, np.zeros(3), 1.0)
    assert hold.face_material == 0 and hold.held == (1,)
    assert np.all(hold.weights[45:] == 1.0)  # the ponytail
    assert np.all(hold.weights[36:45] == 0.0)  # the lashes
    assert np.all(hold.weights[:36] == 0.0)  # the face, far from the ponytail


def test_no_face_found_holds_nothing():
    v = np.random.default_rng(0).normal(size=(10, 3))
    t = np.array([(0, 1, 2), (3, 4, 5), (6, 7, 8)])
    hold = clothing.clothing_hold(v, t, np.array([0, 1, 1]), None, None)
    assert not np.any(hold.weights) and hold.held == ()


def test_bad_materials_are_refused(fm, head):
    v, t = head
    with pytest.raises(MeshError, match="one material index per triangle"):
        fm.prepare(v, t, materials=np.zeros(len(t) - 1, dtype=np.int64))
    with pytest.raises(MeshError, match="non-negative integer"):
        clothing.check_materials(np.full(3, 0.5), 3)
    with pytest.raises(MeshError, match="non-negative integer"):
        clothing.check_materials(np.array([0, -1, 2]), 3)


def test_obj_usemtl_gives_triangle_materials(tmp_path):
    path = tmp_path / "m.obj"
    path.write_text(
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nusemtl skin\nf 2 4 3 1\n"
        "usemtl cloth\nf 1 2 4\nusemtl skin\nf 1 3 4\n"
    )
    m = read_mesh(path, check=False)
    assert m.material_names == ("", "skin", "cloth")
    np.testing.assert_array_equal(m.face_materials, [0, 1, 2, 1])
    # the quad's two triangles both carry its material
    np.testing.assert_array_equal(m.triangle_materials(), [0, 1, 1, 2, 1])
    assert len(m.triangle_materials()) == len(m.triangles())
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    assert read_mesh(path, check=False).triangle_materials() is None
