"""model.api.FaceModel: the numpy contract (shapes, dtypes, units, axes, vertex order)."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from mesh_helpers import grid_face

from model.api import FaceModel
from model.errors import MeshError
from model.facs import FACS_GROUPS, ICT_NAMES
from model.regions import REGION_NAMES
from model.weights import shipped_weights_dir
from training.torch_weights import save_random_model

ROOT = pathlib.Path(__file__).resolve().parents[2]


def shipped_is_trained() -> bool:
    cfg = json.loads((shipped_weights_dir() / "config.json").read_text())
    return not cfg["metadata"].get("random_init", False)


@pytest.fixture(scope="module")
def fm(tmp_path_factory) -> FaceModel:
    return FaceModel.load(save_random_model(tmp_path_factory.mktemp("w") / "random", seed=0))


@pytest.fixture(scope="module")
def face():
    return grid_face(25)


def test_contract_shapes_and_dtypes(fm, face):
    v, t = face
    assert fm.region_names == REGION_NAMES
    assert fm.expression_names == ICT_NAMES
    assert isinstance(fm.name, str) and isinstance(fm.version, str)
    prep = fm.prepare(v, t)
    skin = fm.predict_skin_weights(prep)
    assert skin.shape == (len(v), len(REGION_NAMES)) and skin.dtype == np.float32
    np.testing.assert_allclose(skin.sum(1), 1.0, atol=1e-5)
    deltas = fm.bake(prep)
    assert deltas.shape == (53, len(v), 3) and deltas.dtype == np.float32
    frames = v[None] + 0.01 * np.random.default_rng(0).normal(size=(5, len(v), 3))
    codes = fm.encode(prep, frames)
    assert codes.shape == (5, 53) and codes.dtype == np.float32
    assert codes.min() >= 0.0 and codes.max() <= 1.0  # valid FACS weights
    assert fm.encode(prep, frames[0]).shape == (1, 53)


def test_vertex_order_invariance(fm, face):
    """Permuting the input vertices permutes every per-vertex output the same way."""
    v, t = face
    perm = np.random.default_rng(0).permutation(len(v))
    inv = np.argsort(perm)
    a, b = fm.prepare(v, t), fm.prepare(v[perm], inv[t])
    da, db = fm.bake(a), fm.bake(b)
    scale = np.abs(da).max()
    np.testing.assert_allclose(db, da[:, perm], atol=1e-4 * scale)
    np.testing.assert_allclose(fm.predict_skin_weights(b), fm.predict_skin_weights(a)[perm], atol=1e-4)
    frames = v[None] + 0.02 * np.random.default_rng(1).normal(size=(2, len(v), 3))
    ca = fm.encode(a, frames)
    # codes live in [0, 1]; the iterative box solver stops within ~1e-3 of its optimum
    np.testing.assert_allclose(fm.encode(b, frames[:, perm]), ca, atol=5e-3)


def test_units_position_and_axes(fm, face):
    """Scale and translation of the input carry over to the deltas; other axis conventions
    rotate them back into the input's axes."""
    v, t = face
    base = fm.bake(fm.prepare(v, t))
    moved = fm.bake(fm.prepare(100.0 * v + np.array([5.0, -300.0, 42.0]), t))
    np.testing.assert_allclose(moved, 100.0 * base, rtol=1e-3, atol=1e-3 * np.abs(100 * base).max())
    # Blender convention: Z up, face looking to -Y; (x, y, z)_obj -> (x, -z, y)_blender
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])
    blender = fm.bake(fm.prepare(v @ rot.T, t, up="Z", forward="-Y"))
    np.testing.assert_allclose(blender, base @ rot.T, atol=1e-4 * np.abs(base).max())


def midpoint_subdivide(v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split every triangle in 4 at its edge midpoints: the same piecewise-linear surface with
    ~4x the vertices; the original vertices keep their indices (they are the shared points)."""
    e = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    uniq, inv = np.unique(e, axis=0, return_inverse=True)
    mid = len(v) + inv.reshape(3, -1).T  # (T, 3): midpoints of edges 01, 12, 20
    a, b, c = t.T
    ab, bc, ca = mid.T
    tris = np.concatenate([np.stack(x, 1) for x in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))])
    return np.vstack([v, v[uniq].mean(1)]), tris


@pytest.mark.parametrize("weights", ["random", "shipped"])
def test_resolution_robustness(fm, weights):
    """The same surface at two resolutions (the demo head and its midpoint subdivision) gives
    close deltas and skin weights at the shared vertices, and close FACS codes."""
    from model.mesh_io import read_mesh

    if weights == "shipped":
        if not shipped_is_trained():
            pytest.skip("the shipped weights are the random placeholder")
        fm = FaceModel.load()
    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    vc, tc = mesh.vertices, mesh.triangles()
    vf, tf = midpoint_subdivide(vc, tc)
    pc, pf = fm.prepare(vc, tc), fm.prepare(vf, tf)
    bc, bf = fm.bake(pc), fm.bake(pf)[:, : len(vc)]
    rel = np.linalg.norm(bc - bf, axis=-1).sum() / np.linalg.norm(bc, axis=-1).sum()
    assert rel < 0.1, rel
    sc, sf = fm.predict_skin_weights(pc), fm.predict_skin_weights(pf)[: len(vc)]
    assert np.abs(sc - sf).sum(1).mean() < 0.1, np.abs(sc - sf).sum(1).mean()
    # the expression encoder pools surface integrals: the same expressions posed on both
    # resolutions (the fine frame is the subdivided coarse frame) read as close FACS codes
    from training.loop import sample_codes

    w = sample_codes(np.random.default_rng(0), 8)
    # posed by the network's own shapes: the fixed eyeball turns of the rig constraints are a
    # convention, and the random placeholder's encoder reads nothing meaningful from them
    raw = fm.bake(pc, constraints=False, method="network")
    posed_c = vc[None] + np.einsum("ti,ivc->tvc", w, raw.astype(np.float64))
    posed_f = np.stack([midpoint_subdivide(p, tc)[0] for p in posed_c])
    for method in ("learned", "fit", "joint"):
        cc, cf = fm.encode(pc, posed_c, method=method), fm.encode(pf, posed_f, method=method)
        diff = np.abs(cc - cf).sum() / max(np.abs(cc).sum(), 1e-12)
        assert diff < 0.1, (method, diff)


def test_repainted_skin_weights_replace_predicted(fm, face):
    v, t = face
    prep = fm.prepare(v, t)
    skin = fm.predict_skin_weights(prep)
    np.testing.assert_array_equal(fm.bake(prep, skin), fm.bake(prep))
    painted = np.zeros_like(skin)
    painted[:, 3] = 1.0
    assert not np.allclose(fm.bake(prep, painted), fm.bake(prep))
    with pytest.raises(MeshError, match="one row per vertex"):
        fm.bake(prep, skin[:-1])


def test_decode_and_retarget_are_linear_in_codes(fm, face):
    v, t = face
    prep = fm.prepare(v, t)
    baked = fm.bake(prep)
    codes = np.zeros((2, 53), np.float32)
    codes[0, 4] = 1.0
    codes[1, [4, 9]] = [0.5, 0.25]
    out = fm.decode(prep, codes)
    np.testing.assert_allclose(out[0], baked[4], atol=1e-6)
    np.testing.assert_allclose(out[1], 0.5 * baked[4] + 0.25 * baked[9], atol=1e-6)
    posed = fm.retarget(prep, prep, v[None])
    assert posed.shape == (1, len(v), 3)


def test_bad_inputs_raise_typed_errors(fm, face):
    v, t = face
    prep = fm.prepare(v, t)
    with pytest.raises(MeshError, match="vertex count"):
        fm.encode(prep, v[None, :-1])
    with pytest.raises(MeshError, match="NaN"):
        fm.encode(prep, np.full((1, len(v), 3), np.nan))
    with pytest.raises(MeshError):
        fm.prepare(np.full_like(v, np.nan), t)


def test_shipped_weights_localize_expressions(face):
    """Trained weights: giving a jaw vertex the skin weights of a brow vertex stops jawOpen from
    moving it and lets browInnerUp move it (the localization mechanism, on a real head)."""
    if not shipped_is_trained():
        pytest.skip("the shipped weights are the random placeholder")
    from model.mesh_io import read_mesh

    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    fm = FaceModel.load()
    # the network's own mechanism: the bake-time constraints (model/shape_locality.py) would
    # keep brow units off a jaw vertex whatever its painted weights (reach) and average the
    # painted vertex with its unpainted mirror partner (symmetry)
    fm.shape_locality = fm.shape_symmetry = False
    # ... and the flip repair (model/flip_repair.py) smooths the one still vertex back into its
    # moving neighbourhood (its triangles fold), the static area is no part of the mechanism
    fm.static_area = fm.flip_repair = False
    prep = fm.prepare(mesh.vertices, mesh.triangles())
    skin = fm.predict_skin_weights(prep)
    baked = fm.bake(prep, skin, method="network")
    jaw, brow = ICT_NAMES.index("jawOpen"), ICT_NAMES.index("browInnerUp_L")
    motion = np.linalg.norm(baked, axis=-1)  # (53, V)
    v_jaw, v_brow = int(motion[jaw].argmax()), int(motion[brow].argmax())
    painted = skin.copy()
    painted[v_jaw] = skin[v_brow]
    repainted = np.linalg.norm(fm.bake(prep, painted, method="network"), axis=-1)

    def group(m: np.ndarray, name: str) -> float:
        return float(m[[ICT_NAMES.index(n) for n in FACS_GROUPS[name]]].sum())

    # measured with the shipped weights: jawOpen 3.98 -> 1.60, mouth units 5.8 -> 0.73,
    # brow units 0.003 -> 0.17 (demo head units)
    assert repainted[jaw, v_jaw] < 0.5 * motion[jaw, v_jaw]
    assert group(repainted[:, v_jaw], "mouth") < 0.3 * group(motion[:, v_jaw], "mouth")
    assert group(repainted[:, v_jaw], "brows") > 10 * group(motion[:, v_jaw], "brows")
