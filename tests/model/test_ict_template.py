"""The shipped ICT template (model/data/ict_template.npz) against ICT-FaceKit itself.

Regenerate the committed file after a deliberate change (the regenerate switch)::

    ICT_FACEKIT=/path/to/ICT-FaceKit PYTHONPATH=. python scripts/make_ict_template.py

The ICT tests skip without ICT-FaceKit; the shipped file is read without it.
"""

from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest

from model.classical_rig import register_ict, transfer_expressions
from model.frame import fit_frame
from model.ict import PARTS, load_ict
from model.ict_template import TEMPLATE_PATH, ICTTemplate, load_template
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]
LICENSE = ROOT / "model" / "data" / "ICT_TEMPLATE_LICENSE.txt"


@pytest.fixture(scope="module")
def ict(ict_dir):
    return load_ict(ict_dir)


def test_shipped_template_is_small_complete_and_licensed():
    assert TEMPLATE_PATH.stat().st_size <= 5e6
    tmpl = load_template()
    n = len(tmpl.neutral)
    assert tmpl.expressions.shape == (53, n, 3)
    assert tmpl.face_indices.max() < n and tmpl.face_sizes.sum() == len(tmpl.face_indices)
    for name in ("narrow", "face", "head"):
        m, tris = tmpl.crop(name)
        assert tris.max() < m and len(tris) > 1000
    assert len(tmpl.eyeball_ids()) == 2 * 1570 and len(tmpl.eyeball_triangles()) > 1000
    text = LICENSE.read_text()
    assert "Copyright (c) 2020 USC Institute for Creative Technologies" in text and "MIT" in text


def test_template_cut_from_ict_has_ict_crops_and_eyeballs(ict):
    tmpl = ICTTemplate.from_ict(ict)
    for name in ("narrow", "face", "head"):
        n, tris = ict.crop(name)
        m, mine = tmpl.crop(name)
        assert m == n
        np.testing.assert_array_equal(mine, tris)
    ids, eye_tris = ict.submesh(("eyeball_left", "eyeball_right"))
    np.testing.assert_array_equal(tmpl.eyeball_triangles(), eye_tris)
    np.testing.assert_array_equal(tmpl.neutral[tmpl.eyeball_ids()], ict.neutral[ids])
    np.testing.assert_array_equal(tmpl.expressions[:, tmpl.eyeball_ids()], ict.expressions[:, ids])
    a, b = PARTS["eyeball_left"]
    assert tmpl.eyeballs[0][1] - tmpl.eyeballs[0][0] == b - a


def test_regenerated_template_matches_the_committed_file(ict, tmp_path):
    path = ROOT / "scripts" / "make_ict_template.py"
    spec = importlib.util.spec_from_file_location("make_ict_template", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "t.npz"
    assert script.main(["--ict", str(ict.source), "-o", str(out)]) == 0
    fresh, shipped = load_template(out), load_template()
    np.testing.assert_array_equal(fresh.neutral, shipped.neutral)
    np.testing.assert_array_equal(fresh.face_indices, shipped.face_indices)
    np.testing.assert_array_equal(fresh.face_sizes, shipped.face_sizes)
    assert fresh.eyeballs == shipped.eyeballs
    # float16 deltas: equal to within one float16 step of the largest delta
    scale = np.abs(fresh.expressions).max()
    np.testing.assert_allclose(fresh.expressions, shipped.expressions, atol=1e-3 * scale)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def test_float16_template_changes_the_transferred_shapes_by_under_1e_3(ict):
    """The shipped (float16) template vs ICT at full precision, on the demo head and on a
    held-out ICT identity: same registration, shapes within 1e-3 relative."""
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    rng = np.random.default_rng(7)
    n, tris = ict.crop("face")
    other = ict.compose(identity=rng.normal(0, 1.0, 100))[:n]
    for v, t in ((demo.vertices, demo.triangles()), (other, tris)):
        v = np.asarray(v, np.float64)
        canonical = fit_frame(v, t).to_canonical(v)
        full = register_ict(ict, canonical, t)
        shipped = register_ict(None, canonical, t)
        assert full.crop == shipped.crop
        np.testing.assert_allclose(shipped.deformed, full.deformed, atol=1e-9)
        a = transfer_expressions(ict, full)
        b = transfer_expressions(None, shipped)
        assert _relative(b, a) < 1e-3
