"""The held-out split is disjoint, and evaluation cases are written reproducibly."""

import json

import numpy as np
import pytest

from training import split


def test_identity_bases_partition_the_modes_and_both_vary():
    train, test = set(split.TRAIN_IDENTITY_BASIS), set(split.TEST_IDENTITY_BASIS)
    assert not train & test
    assert train | test == set(range(100))
    assert len(test) == 20
    # both splits contain high-variance (low-index) modes, unlike a contiguous 80-99 block
    assert min(test) < 5 and min(train) == 0


def test_topologies_and_seeds_are_disjoint():
    assert not set(split.topologies("train")) & set(split.topologies("test"))
    for s in ("train", "test"):
        assert sum(split.topologies(s).values()) == pytest.approx(1.0)
    (a, b), (c, d) = split.seed_range("train"), split.seed_range("test")
    assert b <= c and a < b and c < d
    split.check_seed(0, "train")
    split.check_seed(split.TEST_SEED_START, "test")
    with pytest.raises(ValueError):
        split.check_seed(split.TEST_SEED_START, "train")
    with pytest.raises(ValueError):
        split.check_seed(3, "test")
    seeds = {split.eval_case_seed(k, i) for k in split.EVAL_KINDS for i in range(1000)}
    assert len(seeds) == 1000 * len(split.EVAL_KINDS) and all(c <= s < d for s in seeds)


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="split"):
        split.identity_basis("val")


@pytest.mark.ict
def test_eval_cases_roundtrip_and_are_byte_identical(ict_dir, tmp_path):
    pytest.importorskip("pymeshlab")
    from model.ict import load_ict
    from model.mesh_io import read_mesh

    ict = load_ict(ict_dir)
    a, b = tmp_path / "a", tmp_path / "b"
    entries = split.write_eval_cases(ict, a, 2, kind="stylized", max_vertices=3000)
    split.write_eval_cases(ict, b, 2, kind="stylized", max_vertices=3000)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert names == [
        "index.json",
        "stylized_000.npz",
        "stylized_000.obj",
        "stylized_001.npz",
        "stylized_001.obj",
    ]
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    index = json.loads((a / "index.json").read_text())
    assert [c["name"] for c in index["cases"]] == ["stylized_000", "stylized_001"]
    for e in entries:
        mesh = read_mesh(a / e["mesh"])
        with np.load(a / e["ground_truth"]) as z:
            assert z["deltas"].shape == (53, mesh.num_vertices, 3) and z["deltas"].dtype == np.float32
            assert z["labels"].shape == (mesh.num_vertices,)
            meta = json.loads(str(z["meta"]))
            R = z["rotation"]
            np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-9)
        assert meta["split"] == "test" and meta["warp"] is not None
        assert meta["topology"]["op"] in split.TEST_TOPOLOGIES
        assert np.all(np.array(meta["identity"])[list(split.TRAIN_IDENTITY_BASIS)] == 0)
        assert e["num_vertices"] == mesh.num_vertices <= 1.15 * 3000


@pytest.mark.ict
def test_make_eval_command(ict_dir, tmp_path, capsys):
    pytest.importorskip("pymeshlab")
    from cli_helpers import main

    rc = main(["make-eval", "--ict", str(ict_dir), "-o", str(tmp_path), "--cases", "1", "--kind", "unseen",
               "--max-vertices", "2500"])  # fmt: skip
    assert rc == 0
    assert (tmp_path / "unseen_000.obj").is_file() and (tmp_path / "index.json").is_file()
    assert "unseen: 1 cases" in capsys.readouterr().out


@pytest.fixture(scope="module")
def hard_pair(ict_dir):
    pytest.importorskip("pymeshlab")
    from model.ict import load_ict

    ict = load_ict(ict_dir)
    seed = split.eval_case_seed("hard_stylized", 0)
    plain = split.hard_sample(ict, seed, stylized=False)
    return ict, seed, plain, split.hard_sample(ict, seed, stylized=True)


def test_hard_cases_are_decimated_rotated_and_in_some_unit(hard_pair):
    ict, seed, plain, styl = hard_pair
    for s in (plain, styl):
        assert abs(len(s.vertices) / split.HARD_VERTICES - 1) < 0.25
        sim = s.meta["similarity"]
        rot = np.asarray(sim["rotation"])
        angle = np.degrees(np.arccos(np.clip((np.trace(rot) - 1) / 2, -1, 1)))
        assert angle <= split.HARD_ROTATION_DEGREES + 1e-9
        assert any(0.8 - 1e-9 <= sim["scale"] / u <= 1.25 + 1e-9 for u in split.HARD_UNITS)
        assert s.deltas.shape == (53, len(s.vertices), 3)
    # same seed: same topology and similarity, the caricature warp moves the surface
    assert plain.meta["similarity"] == styl.meta["similarity"] and plain.meta["warp"] is None
    assert styl.meta["warp"] is not None
    moved = np.linalg.norm(styl.vertices - plain.vertices, axis=1) / plain.meta["similarity"]["scale"]
    assert moved.max() > 1.0  # more than 1 cm somewhere
    again = split.hard_sample(ict, seed, stylized=True)
    np.testing.assert_array_equal(again.vertices, styl.vertices)
