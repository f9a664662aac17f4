"""Face-region segmentation of ICT: coverage, sides, mirror symmetry, contiguity, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from model import regions
from model.errors import ICTDataError
from model.facs import ICT_NAMES
from model.regions import REGION_NAMES
from training import regions_derivation

SIDED = [n for n in REGION_NAMES if n.endswith("_L")]
EXPRESSIVE = (
    "forehead", "brow_L", "brow_R", "upper_lid_L", "upper_lid_R", "lower_lid_L", "lower_lid_R", "nose",
    "cheek_L", "cheek_R", "upper_lip", "lower_lip", "mouth_corner_L", "mouth_corner_R", "chin_jaw",
)  # fmt: skip


@pytest.fixture(scope="module")
def ict(ict_dir):
    from model.ict import load_ict

    return load_ict(ict_dir)


@pytest.fixture(scope="module")
def computed(ict):
    return regions_derivation.compute_region_labels(ict)


def test_names():
    assert 15 <= len(REGION_NAMES) <= 25
    assert len(set(REGION_NAMES)) == len(REGION_NAMES)
    for n in SIDED:
        assert n[:-2] + "_R" in REGION_NAMES
    assert regions.mirror_region(REGION_NAMES.index("brow_L")) == REGION_NAMES.index("brow_R")
    assert regions.mirror_region(REGION_NAMES.index("nose")) == REGION_NAMES.index("nose")


def test_committed_table_covers_every_vertex():
    labels = regions.ict_region_labels()
    assert labels.shape == (26719,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() < len(REGION_NAMES)
    assert set(np.unique(labels)) == set(range(len(REGION_NAMES)))  # no empty region
    from model.ict import CROPS

    narrow = set(labels[: CROPS["narrow"]])
    assert {REGION_NAMES.index(n) for n in EXPRESSIVE} <= narrow  # the tightest crop has every muscle group


def test_regeneration_matches_committed_table(ict, computed):
    labels, names, digest = regions.load_region_table()
    assert names == REGION_NAMES
    assert digest == regions.neutral_digest(ict.neutral)
    np.testing.assert_array_equal(computed, labels)
    np.testing.assert_array_equal(regions.ict_region_labels(ict), labels)


def test_segment_command_writes_the_same_table(ict_dir, tmp_path, capsys):
    from cli_helpers import main

    out = tmp_path / "regions.npz"
    orig = regions.TABLE_PATH
    assert main(["segment", "--ict", str(ict_dir), "-o", str(out)]) == 0
    assert "identical to the committed table" in capsys.readouterr().out
    np.testing.assert_array_equal(regions.load_region_table(out)[0], regions.load_region_table(orig)[0])


def test_left_right_mirror_consistent(ict, computed):
    mirror = regions.mirror_map(ict.neutral)
    assert (mirror[:11248] >= 0).mean() > 0.99
    for name in SIDED:
        left = np.flatnonzero((computed == REGION_NAMES.index(name)) & (mirror >= 0))
        assert left.size > 50, name
        assert (ict.neutral[left, 0] > 0).mean() > 0.95, f"{name} is not on the subject's left (+X)"
        partner = computed[mirror[left]]
        agree = (partner == REGION_NAMES.index(name[:-2] + "_R")).mean()
        assert agree > 0.95, f"{name}: only {agree:.2f} of its mirror images are {name[:-2]}_R"


def test_skin_regions_are_single_patches(ict, computed):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, tris = ict.crop("head")
    lab = computed[:n]
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e = e[lab[e[:, 0]] == lab[e[:, 1]]]
    comp = connected_components(
        coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)), directed=False
    )[1]
    for k, name in enumerate(REGION_NAMES):
        members = np.flatnonzero(lab == k)
        if members.size:
            assert np.unique(comp[members]).size == 1, f"{name} is split into several patches"


def _mean_motion(ict, expr: str, region: str, labels) -> float:
    d = np.linalg.norm(ict.expressions[ICT_NAMES.index(expr)], axis=1)
    return float(d[labels == REGION_NAMES.index(region)].mean())


def test_regions_follow_blendshape_influence(ict, computed):
    m = lambda e, r: _mean_motion(ict, e, r, computed)  # noqa: E731
    assert m("eyeBlink_L", "upper_lid_L") > 10 * m("eyeBlink_L", "upper_lid_R")
    assert m("eyeBlink_L", "upper_lid_L") > 2 * m("eyeBlink_L", "lower_lid_L")
    assert m("browDown_L", "brow_L") > 3 * m("browDown_L", "cheek_L")
    assert m("jawOpen", "chin_jaw") > 5 * m("jawOpen", "forehead")
    assert m("jawOpen", "lower_lip") > 3 * m("jawOpen", "upper_lip")
    assert m("mouthSmile_L", "mouth_corner_L") > 5 * m("mouthSmile_L", "mouth_corner_R")
    assert m("noseSneer_L", "nose") > m("noseSneer_L", "chin_jaw")
    for static in ("scalp", "neck"):
        assert max(m(e, static) for e in ICT_NAMES) < 0.3  # cm: static regions barely move


def test_missing_table_without_ict_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(regions, "TABLE_PATH", tmp_path / "none.npz")
    with pytest.raises(ICTDataError, match="python -m training segment"):
        regions.ict_region_labels()
