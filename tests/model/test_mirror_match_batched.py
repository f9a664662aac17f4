"""The mirror partners' lip-slit rival search, batched over vertices (model.mirror_match._Rivals),
against its definition written one vertex at a time: the same rivals, the same closest points
(to the bit), whatever the batch size; and the batched motion mismatch and mean edge length
against their per-vertex formulas."""

from __future__ import annotations

import numpy as np
import pytest

import model.mirror_match as mm
from model.transfer import closest_points
from tests.model.test_mirror_lip_slit import _slit_mouth

RADIUS = 0.15
RINGS = 3
MIN_COS = 0.5


def _mouth(backdrop: bool = False):
    """(v, t, reflection, reflected, hits): the slit mouth of test_mirror_lip_slit (a lip's
    slit row mirrors onto the other lip) with each vertex's plain mirror hit. ``backdrop``:
    two long triangles (one facing each way, 20x the lips' circumradius) 0.05 behind the
    mouth, a second sheet within reach of every vertex (the search bins them apart)."""
    v, t, *_ = _slit_mouth()
    if backdrop:
        big = np.array([[-1.2, 0.05, -1.6], [1.2, 0.05, -1.6], [0.0, 0.05, 1.6]])
        n = len(v)
        v = np.vstack([v, big, big])
        t = np.vstack([t, [[n, n + 1, n + 2], [n + 5, n + 4, n + 3]]])
    reflection = np.diag([-1.0, 1.0, 1.0])
    reflected = v @ reflection
    return v, t, reflection, reflected, closest_points(v, t, reflected)


def _reference(v, t, reflection, reflected, hits, ids):
    """{vertex: (triangle, barycentric, distance)}: per vertex, the closest point within
    RADIUS among all triangles of nonzero area facing like one of its own triangles, mirrored,
    and more than RINGS edge rings from every corner of its hit triangle (ties to the lowest
    triangle index)."""
    reach = mm._ring_reach(len(v), t, RINGS).toarray() != 0
    fn, area2 = mm.face_normals(v, t)
    mirrored = fn @ reflection.T
    out = {}
    for i in ids:
        own = np.flatnonzero((t == i).any(axis=1))
        like = (fn @ mirrored[own].T).max(axis=1, initial=-np.inf) >= MIN_COS
        apart = ~reach[t][:, :, hits.corners[i]].any(axis=(1, 2))
        cand = np.flatnonzero(like & apart & (area2 > 0))
        if cand.size == 0:
            continue
        found = closest_points(v, t[cand], reflected[i : i + 1])
        if found.distance[0] <= RADIUS:
            out[int(i)] = (int(cand[found.triangle[0]]), found.barycentric[0], found.distance[0])
    return out


@pytest.mark.parametrize("chunk, backdrop", [(5, False), (1024, False), (7, True)])
def test_batched_rivals_are_the_per_vertex_rivals(monkeypatch, chunk, backdrop):
    v, t, reflection, reflected, hits = _mouth(backdrop)
    monkeypatch.setattr(mm, "_CHUNK", chunk)
    ids = np.arange(len(v))
    rivals = mm._Rivals(v, t, reflection, RADIUS, mm._ring_reach(len(v), t, RINGS))
    rows, found = rivals.search(ids, reflected, hits, MIN_COS)
    within = found.distance <= RADIUS
    expected = _reference(v, t, reflection, reflected, hits, ids)
    assert len(expected) > 20  # the slit rows have rivals on the other lip
    if backdrop:
        assert len(rivals.bins) > 1
        assert (found.triangle[within] >= len(t) - 2).sum() > 20  # rivals on the long ones
    assert list(rows[within]) == sorted(expected)
    for row, tri, bary, dist, point, corners in zip(rows[within], *(f[within] for f in found), strict=True):
        ref_tri, ref_bary, ref_dist = expected[int(row)]
        assert tri == ref_tri
        assert np.array_equal(bary, ref_bary) and dist == ref_dist
        assert np.array_equal(corners, t[tri])
        # the point is the same barycentric combination; summed in another order by the BLAS the
        # matrix product may use (scipy 1.17 / numpy 1.26.4 here: 1 ulp apart), hence 1e-12
        np.testing.assert_allclose(point, ref_bary @ v[t[tri]], rtol=0.0, atol=1e-12)


def test_batched_mismatch_is_the_per_vertex_formula():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(4, 50, 3))
    f[:, 7] = 0.0  # a still vertex on a still triangle: no motion to compare, mismatch 0
    reflection = np.diag([-1.0, 1.0, 1.0])
    rows = np.array([0, 3, 7, 20, 49])
    corners = rng.integers(0, 50, size=(5, 3))
    corners[2] = 7
    bary = rng.dirichlet(np.ones(3), size=5)
    got = mm._mismatch(f, reflection, 0.0, rows, corners, bary)
    for k, i in enumerate(rows):
        image = np.einsum("k,fkc->fc", bary[k], f[:, corners[k]]) @ reflection.T
        own = f[:, i]
        total = float((own**2).sum() + (image**2).sum())
        expected = float(((own - image) ** 2).sum()) / total if total > 0 else 0.0
        assert got[k] == expected
    assert got[2] == 0.0 and (got[[0, 1, 3, 4]] > 0).all()


def test_mean_edge_is_the_per_vertex_sum():
    v, t, *_ = _mouth()
    rows = np.arange(len(v))
    got = mm._mean_edge(v, t, mm._incidence(len(v), t), rows)
    for i in rows:
        own = np.flatnonzero((t == i).any(axis=1))
        expected = float(np.linalg.norm(v[t[own]] - v[i], axis=2).sum() / max(2 * len(own), 1))
        assert got[i] == expected
    assert (got > 0).all()


@pytest.mark.parametrize("split_flap", [False, True])
def test_facing_hits_are_the_per_vertex_search(split_flap):
    """facing_hits (batched) against its definition per vertex: each hit on surface facing away
    searched again among all triangles of the old hit's group facing like one of the vertex's
    own, mirrored, within the radius (ties to the lowest triangle index). ``split_flap``: the
    flap facing away a group of its own, so its hits find no partner."""
    from model.face_landmarks import components
    from tests.model.test_mirror_partners import folded_sheet

    v, t, n_sheet = folded_sheet()
    reflection = np.diag([-1.0, 1.0, 1.0])
    reflected = v @ reflection
    plain = closest_points(v, t, reflected)
    radius = 0.02
    groups = components(len(v), t)[t[:, 0]]
    if split_flap:
        groups[t.min(axis=1) >= n_sheet] += 7
    hits, ok = mm.facing_hits(v, t, reflected, plain, reflection, MIN_COS, radius, groups)
    fn, area2 = mm.face_normals(v, t)
    mirrored = fn @ reflection.T
    redo = np.flatnonzero(~mm.facing(v, t, plain, reflection, MIN_COS) & (plain.distance <= radius))
    moved = 0
    for i in range(len(v)):
        if i not in redo:
            assert all(np.array_equal(a[i], b[i]) for a, b in zip(hits, plain, strict=True))
            continue
        own = np.flatnonzero((t == i).any(axis=1))
        like = (fn @ mirrored[own].T).max(axis=1, initial=-np.inf) >= MIN_COS
        cand = np.flatnonzero(like & (area2 > 0) & (groups == groups[plain.triangle[i]]))
        found = closest_points(v, t[cand], reflected[i : i + 1]) if cand.size else None
        if found is None or found.distance[0] > radius:
            assert all(np.array_equal(a[i], b[i]) for a, b in zip(hits, plain, strict=True))
            continue
        moved += 1
        assert hits.triangle[i] == cand[found.triangle[0]]
        for a, b in zip(hits[1:], found[1:], strict=True):
            assert np.array_equal(a[i], b[0])
    assert len(redo) > 20
    # the flap's own group: (almost) no partner; one piece: half the hits found theirs in the dent
    assert moved < 0.05 * len(redo) if split_flap else moved > 0.4 * len(redo)
    np.testing.assert_array_equal(ok, mm.facing(v, t, hits, reflection, MIN_COS))
