"""The registration's short cuts give what the plain computations give (model.registration,
model.classical_rig): resumed ICP, crop scouting, the cached normal field, the normal matrix
with rejected rows subtracted."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
import scipy.sparse as sp

import model.classical_rig as classical_rig
from model.classical_rig import fit_similarity
from model.frame import fit_frame
from model.geometry import vertex_normals
from model.ict_template import as_template
from model.mesh_io import read_mesh
from model.registration import (
    ICPState,
    Similarity,
    _NormalField,
    _without_rows,
    similarity_icp,
    similarity_icp_steps,
)
from model.transfer import closest_on_triangles, closest_points

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


@pytest.fixture(scope="module")
def demo_canonical():
    mesh = read_mesh(DEMO)
    v, t = mesh.vertices.astype(np.float64), mesh.triangles().astype(np.int64)
    return fit_frame(v, t).to_canonical(v), t


def test_resumed_similarity_icp_equals_one_run(demo_canonical):
    v, t = demo_canonical
    tmpl = classical_rig._crop_template(as_template(None), "face")
    sample = v[::7]
    init = Similarity(60.0, np.eye(3), -60.0 * v.mean(axis=0))
    whole, mean = similarity_icp(sample, tmpl.surface, init, iterations=12)
    state = similarity_icp_steps(sample, tmpl.surface, ICPState(init), 4)
    state = similarity_icp_steps(sample, tmpl.surface, state, 8)
    np.testing.assert_array_equal(state.similarity.rotation, whole.rotation)
    np.testing.assert_array_equal(state.similarity.translation, whole.translation)
    assert state.similarity.scale == whole.scale and state.mean == mean
    # a converged run stays where it stopped
    done = similarity_icp_steps(sample, tmpl.surface, ICPState(whole, mean, True), 5)
    assert done.similarity is whole


def test_scouting_picks_what_the_full_race_picks(demo_canonical, monkeypatch):
    v, t = demo_canonical
    template = as_template(None)
    scouted = fit_similarity(template, v, t)
    monkeypatch.setattr(classical_rig, "_SCOUT_MARGIN", np.inf)  # every crop runs to the end
    full = fit_similarity(template, v, t)
    assert scouted.template.name == full.template.name
    assert scouted.score == full.score
    np.testing.assert_array_equal(scouted.similarity.rotation, full.similarity.rotation)
    np.testing.assert_array_equal(scouted.similarity.translation, full.similarity.translation)


def test_normal_field_matches_vertex_normals(demo_canonical):
    v, t = demo_canonical
    field = _NormalField(t, len(v))
    warped = v + 0.05 * np.sin(3.0 * v[:, [1, 2, 0]])
    np.testing.assert_allclose(field(warped), vertex_normals(warped, t), rtol=0, atol=1e-12)
    # an unreferenced vertex has no normal of its own: the fallback gives vertex_normals' answer
    extra = np.vstack([warped, warped[:1] + 0.01])
    np.testing.assert_array_equal(_NormalField(t, len(extra))(extra), vertex_normals(extra, t))


def test_normal_matrix_without_rejected_rows_equals_the_weighted_product():
    rng = np.random.default_rng(0)
    D = sp.random(300, 40, density=0.1, random_state=1, format="csr")
    other = sp.random(40, 40, density=0.2, random_state=2, format="csr")
    rejected = rng.random(300) < 0.1
    got = _without_rows((D.T @ D + other).tocsr(), D, rejected)
    want = D.T @ sp.diags((~rejected).astype(float)) @ D + other
    np.testing.assert_allclose(got.toarray(), want.toarray(), rtol=0, atol=1e-12)


def test_closest_points_near_a_surface_match_brute_force(demo_canonical):
    """Most queries near a surface of mixed triangle sizes find no centroid in some size bins
    (those bins skip the ball search); a few far queries take the general path."""
    v, t = demo_canonical
    rng = np.random.default_rng(4)
    q = v[rng.choice(len(v), 300, replace=False)] + rng.normal(scale=0.01, size=(300, 3))
    q[:6] *= 1.6  # far outside
    hits = closest_points(v, t, q)
    for chunk in np.array_split(np.arange(len(q)), 15):
        qi = np.repeat(chunk, len(t))
        ti = np.tile(np.arange(len(t)), len(chunk))
        b = closest_on_triangles(q[qi], v[t[ti, 0]], v[t[ti, 1]], v[t[ti, 2]])
        d = np.linalg.norm(np.einsum("nk,nkc->nc", b, v[t[ti]]) - q[qi], axis=1).reshape(len(chunk), -1)
        np.testing.assert_allclose(hits.distance[chunk], d.min(axis=1), rtol=0, atol=1e-12)
        # ties go to the lowest triangle index, as the brute force's argmin does
        np.testing.assert_array_equal(hits.triangle[chunk], np.argmin(d, axis=1))
