"""Symmetry on mirror-built meshes without real-dev data: the symmetry plane is refitted until it
stops bringing the mirrored vertices closer (:func:`model.mirror_match.mirror_plane`), a mesh
built mirrored is told from a scan or remesh (:func:`model.mirror_pass.is_mirror_built`), and the
bake's last pass symmetrizes its whole shapes, the blink too
(:func:`model.mirror_pass.symmetrize_pairs`)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from model.facs import ICT_NAMES, ict_index
from model.frame import CanonicalFrame
from model.mirror_match import mirror_plane
from model.mirror_pass import MirrorPartners, is_mirror_built, symmetrize_pairs
from model.transfer import ClosestHits


def _sphere_points(rng: np.random.Generator, n: int) -> np.ndarray:
    p = rng.normal(size=(n, 3))
    return p / np.linalg.norm(p, axis=1, keepdims=True)


def mirror_built_head(shift: float = 0.04):
    """(vertices (V, 3), triangles (T, 3), number of face vertices): a closed "face" whose
    vertices are exact mirror twins across ``x = shift`` (its first vertices), and a "hair"
    shell sampled at random, not mirrored (a separate piece, twice as many vertices), so that a
    reflected hair vertex's nearest vertex lies by its reflection and pulls the plane fitted to
    midpoints towards where it was reflected. Canonical-like units (radius ~1)."""
    rng = np.random.default_rng(0)
    half = _sphere_points(rng, 600)
    half[:, 0] = np.abs(half[:, 0]) + 0.02
    face = np.vstack([half, half * [-1.0, 1.0, 1.0]]) * [0.8, 1.0, 0.9]
    hair = _sphere_points(rng, 1200) * [0.85, 1.05, 0.95] + [0.0, 0.1, -0.1]
    v = np.vstack([face, hair]) + [shift, 0.0, 0.0]
    t = np.vstack([ConvexHull(face).simplices, ConvexHull(hair).simplices + len(face)])
    return v, t, len(face)


def test_the_plane_is_refitted_to_the_mirror_built_face():
    v, t, n_face = mirror_built_head(shift=0.04)
    normal, offset, reflection, dist = mirror_plane(v, t, 0.05)
    assert abs(abs(normal[0]) - 1.0) < 1e-9
    assert offset * np.sign(normal[0]) == pytest.approx(0.04, abs=1e-9)
    # every face vertex finds its twin across the refitted plane
    assert dist[:n_face].max() < 1e-9
    np.testing.assert_allclose(reflection @ reflection, np.eye(3), atol=1e-12)
    # the two refits of before stopped short of it: the face's twins 13 mm apart on a head
    _, first_offset, _, first_dist = mirror_plane(v, t, 0.05, more_refits=0)
    assert abs(first_offset - 0.04) > 0.01
    assert np.mean(first_dist[:n_face] < 0.002) < 0.1


def test_a_mirror_built_mesh_is_told_from_a_scan():
    v, t, n_face = mirror_built_head(shift=0.0)
    face, face_t = v[:n_face], t[np.all(t < n_face, axis=1)]
    assert is_mirror_built(mirror_plane(face, face_t, 0.05)[3])
    # the same surface sampled without twins (a scan, a remesh): each vertex moved ~0.5 mm
    # along the surface (canonical units: ~0.005)
    rng = np.random.default_rng(1)
    jitter = rng.normal(scale=0.005, size=face.shape)
    jitter -= (jitter * face).sum(axis=1, keepdims=True) * face / (face**2).sum(axis=1, keepdims=True)
    assert not is_mirror_built(mirror_plane(face + jitter, face_t, 0.05)[3])
    assert not is_mirror_built(np.zeros(0))


def _twin_partners(v: np.ndarray) -> MirrorPartners:
    """The exact twin of each vertex of a mesh mirrored across ``x = 0`` as the partners."""
    from scipy.spatial import cKDTree

    dist, twin = cKDTree(v).query(v * [-1.0, 1.0, 1.0])
    corners = np.repeat(twin[:, None], 3, axis=1)
    bary = np.tile([1.0, 0.0, 0.0], (len(v), 1))
    hits = ClosestHits(np.zeros(len(v), np.int64), bary, dist, v[twin], corners)
    frame = CanonicalFrame(np.eye(3), np.zeros(3), 1.0)
    return MirrorPartners(hits, np.array([1.0, 0.0, 0.0]), dist < 1e-9, frame)


def test_the_whole_pass_makes_every_pair_mirror_images_the_blink_too():
    v, _, n_face = mirror_built_head(shift=0.0)
    face = v[:n_face]
    partners = _twin_partners(face)
    rng = np.random.default_rng(2)
    deltas = rng.normal(scale=0.01, size=(len(ICT_NAMES), len(face), 3)).astype(np.float32)
    editable = np.ones(len(face), bool)
    editable[:10] = False  # a rigid piece keeps its motion

    def mirror_error(d: np.ndarray, name: str) -> float:
        left, right = d[ict_index(name + "_L")], d[ict_index(name + "_R")]
        image = partners.mirrored(left.astype(np.float64))
        return float(np.abs(image - right)[editable & partners.matched[partners.hits.corners[:, 0]]].max())

    whole = symmetrize_pairs(deltas, partners, editable, keep_sided=())
    for name in ("eyeBlink", "mouthSmile", "browDown"):
        assert mirror_error(deltas, name) > 1e-3  # random shapes: far from mirror images
        assert mirror_error(whole, name) < 1e-6
    # unsided shapes and the vertices that may not be edited are left as they were
    np.testing.assert_array_equal(whole[ict_index("jawOpen")], deltas[ict_index("jawOpen")])
    np.testing.assert_array_equal(whole[:, :10], deltas[:, :10])
    # the change-only pass of other meshes keeps the blink as the lid solver made it
    sided = symmetrize_pairs(deltas, partners, editable)
    np.testing.assert_array_equal(sided[ict_index("eyeBlink_L")], deltas[ict_index("eyeBlink_L")])
    assert mirror_error(sided, "mouthSmile") < 1e-6
