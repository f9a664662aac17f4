"""Operators: robustness on bad topology, permutation equivariance, eigen accuracy, cache safety."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from mesh_helpers import face_patch

from model import geometry
from model.cache import cache_dir
from model.errors import DegenerateMeshError, FaceIndexError, NoFacesError, NonFiniteVerticesError
from model.geometry import compute_operators, vertex_normals


def check_basic(ops, nv, k=None):
    for name in ("mass", "evals", "evecs", "frames", "normals"):
        arr = getattr(ops, name)
        assert arr.dtype == np.float32, name
        assert np.isfinite(arr).all(), name
    for g in (ops.grad_x, ops.grad_y):
        assert sp.issparse(g) and g.shape == (nv, nv) and g.dtype == np.float32
        assert np.isfinite(g.data).all()
    assert ops.mass.shape == (nv,) and (ops.mass > 0).all()
    assert ops.evecs.shape == (nv, ops.k) and ops.evals.shape == (ops.k,)
    assert ops.frames.shape == (nv, 3, 3) and ops.normals.shape == (nv, 3)
    assert (np.diff(ops.evals) >= -1e-5 * max(1.0, float(ops.evals[-1]))).all()
    assert ops.evals.min() >= 0
    np.testing.assert_allclose(np.linalg.norm(ops.normals, axis=1), 1.0, atol=1e-5)
    if k is not None:
        assert ops.k == k


def m_orthonormality_error(ops):
    e = ops.evecs.astype(np.float64)
    gram = e.T @ (ops.mass.astype(np.float64)[:, None] * e)
    return np.abs(gram - np.eye(ops.k)).max()


def subspace_angle_deg(a, b, mass):
    w = np.sqrt(mass)[:, None]
    qa, _ = np.linalg.qr(w * a)
    qb, _ = np.linalg.qr(w * b)
    s = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.degrees(np.arccos(np.clip(s.min(), 0.0, 1.0))))


@pytest.mark.parametrize("n", [800, 2000, 5000])  # dense, Lanczos, approximate (Ritz)
def test_basic_properties(n):
    v, t = face_patch(n)
    ops = compute_operators(v, t, k=64, cache=False)
    check_basic(ops, len(v), k=64)
    assert m_orthonormality_error(ops) < 1e-3
    assert abs(ops.evals[0]) < 1e-4 * ops.evals[1]  # one component: one zero mode
    # first eigenvector of a connected mesh is constant
    assert np.ptp(ops.evecs[:, 0]) < 1e-3 * np.abs(ops.evecs[:, 0]).mean()
    # frames are orthonormal, right-handed, and the third row is the normal
    f = ops.frames.astype(np.float64)
    np.testing.assert_allclose(
        np.einsum("vij,vkj->vik", f, f), np.broadcast_to(np.eye(3), f.shape), atol=1e-5
    )
    np.testing.assert_allclose(np.linalg.det(f), 1.0, atol=1e-5)
    np.testing.assert_allclose(f[:, 2], ops.normals, atol=1e-6)


def test_eigen_accuracy_of_fast_solver_vs_exact():
    """Ritz approximation on a 6k-vertex patch against shift-invert Lanczos on the full mesh."""
    v, t = face_patch(6000, seed=3)
    assert len(v) > geometry.EXACT_MAX_VERTICES
    ops = compute_operators(v, t, k=128, cache=False)
    L, mass = geometry.laplacian(v, t)
    w, phi = geometry._eigs_exact(L, mass, 40)
    rel = np.abs(ops.evals[1:40] - w[1:40]) / w[1:40]
    assert rel.max() < 0.01, rel
    assert (ops.evals[1:40] >= w[1:40] * (1 - 1e-4)).all()  # Ritz values are upper bounds
    assert subspace_angle_deg(ops.evecs[:, :16].astype(np.float64), phi[:, :16], mass) < 1.0
    assert subspace_angle_deg(ops.evecs[:, :32].astype(np.float64), phi[:, :32], mass) < 3.0


def _permuted(v, t, seed):
    perm = np.random.default_rng(seed).permutation(len(v))  # new index i holds old vertex perm[i]
    inv = np.argsort(perm)
    return v[perm], inv[t][np.random.default_rng(seed + 1).permutation(len(t))], perm


@pytest.mark.parametrize("n", [700, 4000])
def test_permutation_equivariance(n):
    v, t = face_patch(n, seed=5)
    a = compute_operators(v, t, k=24, cache=False)
    vp, tp, perm = _permuted(v, t, 7)
    b = compute_operators(vp, tp, k=24, cache=False)
    np.testing.assert_allclose(b.mass, a.mass[perm], rtol=1e-5)
    np.testing.assert_allclose(b.normals, a.normals[perm], atol=1e-5)
    np.testing.assert_allclose(b.frames, a.frames[perm], atol=1e-5)
    np.testing.assert_allclose(b.evals, a.evals, rtol=1e-4, atol=1e-5)
    mass = a.mass.astype(np.float64)
    # compare eigenvector blocks up to sign/rotation: use a gap-separated prefix
    assert (
        subspace_angle_deg(b.evecs[np.argsort(perm), :16].astype(float), a.evecs[:, :16].astype(float), mass)
        < 0.1
    )
    gxa = a.grad_x.toarray()[np.ix_(perm, perm)]
    np.testing.assert_allclose(b.grad_x.toarray(), gxa, atol=1e-4 * np.abs(gxa).max())


def test_gradient_exact_for_linear_function_on_flat_patch():
    v, t = face_patch(900, seed=2, flat=True)
    ops = compute_operators(v, t, k=8, cache=False)
    a, b = 0.7, -1.3
    f = a * v[:, 0] + b * v[:, 1] + 0.5
    gx = ops.grad_x.astype(np.float64) @ f
    gy = ops.grad_y.astype(np.float64) @ f
    g3 = gx[:, None] * ops.frames[:, 0].astype(np.float64) + gy[:, None] * ops.frames[:, 1].astype(np.float64)
    np.testing.assert_allclose(g3, np.broadcast_to([a, b, 0.0], g3.shape), atol=1e-4)


def _two_triangles_strip(offset=(0.0, 0.0, 0.0)):
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0.2]], dtype=float) + offset
    return v, np.array([[0, 1, 2], [1, 3, 2]])


def test_non_manifold_edge_and_bowtie():
    # three triangles on edge (0, 1) plus a bow-tie at vertex 4
    v = np.array(
        [[0, 0, 0], [1, 0, 0], [0.5, 1, 0], [0.5, -1, 0.1], [0.5, 0, 1], [2, 0.5, 1], [2, -0.5, 1],
         [-1, 0.5, 1.5], [-1, -0.5, 1.5]], dtype=float,
    )  # fmt: skip
    t = np.array([[0, 1, 2], [1, 0, 3], [0, 1, 4], [4, 5, 6], [4, 7, 8]])
    ops = compute_operators(v, t, k=128, cache=False)
    check_basic(ops, len(v), k=len(v) - 1)
    assert m_orthonormality_error(ops) < 1e-3


def test_multi_component_zero_modes():
    # 3.3k vertices: the approximate (Ritz) path; doubled below: 4 components
    va, ta = face_patch(1800, seed=1)
    vb, tb = face_patch(1500, seed=2)
    v = np.concatenate([va, vb + [5.0, 0, 0]])
    t = np.concatenate([ta, tb + len(va)])
    comp = np.r_[np.zeros(len(va)), np.ones(len(vb))]
    for vv, tt in ((v, t), (np.concatenate([v, v + [0, 9.0, 0]]), np.concatenate([t, t + len(v)]))):
        ops = compute_operators(vv, tt, k=16, cache=False)
        check_basic(ops, len(vv))
        ncomp = len(vv) // len(v) * 2
        assert (ops.evals[:ncomp] < 1e-4 * ops.evals[ncomp]).all()
        # zero modes are piecewise constant on the components
        labels = np.tile(comp, len(vv) // len(v)) + 2 * np.repeat(np.arange(len(vv) // len(v)), len(v))
        ind = np.stack([(labels == c).astype(float) for c in range(ncomp)], 1)
        assert subspace_angle_deg(ops.evecs[:, :ncomp].astype(float), ind, ops.mass.astype(float)) < 0.5


@pytest.mark.parametrize("base, step", [(40, 2), (60, 7)])  # exact path (~1.7k), Ritz path (~4.8k)
def test_many_components_get_all_zero_modes(base, step):
    """Lanczos alone misses part of a large zero cluster; the per-component solve must not."""
    parts = [face_patch(base + step * i, seed=i) for i in range(30)]
    offsets = np.cumsum([0] + [len(p[0]) for p in parts])
    v = np.concatenate([p[0] + [3.0 * i, 0, 0] for i, p in enumerate(parts)])
    t = np.concatenate([p[1] + o for p, o in zip(parts, offsets, strict=False)])
    ops = compute_operators(v, t, k=48, cache=False)
    assert (len(v) > geometry.EXACT_MAX_VERTICES) == (base == 60)
    check_basic(ops, len(v), k=48)
    assert (ops.evals[:30] < 1e-5).all() and ops.evals[30] > 1e-2
    assert m_orthonormality_error(ops) < 1e-3


def test_duplicate_vertices_and_zero_area_faces():
    v, t = face_patch(400, seed=4)
    # duplicate vertex 50: faces on one side use the copy (a seam, as in UV-split exports)
    v2 = np.concatenate([v, v[50:51]])
    t2 = t.copy()
    side = np.flatnonzero((t == 50).any(axis=1))[::2]
    t2[side] = np.where(t2[side] == 50, len(v), t2[side])
    # zero-area faces: a collinear sliver, a repeated corner, a fully collapsed triangle
    v2 = np.concatenate([v2, [v[0] * 0.5 + v[1] * 0.5]])
    mid = len(v2) - 1
    t2 = np.concatenate([t2, [[0, 1, mid], [3, 3, 4], [7, 7, 7]]])
    ops = compute_operators(v2, t2, k=32, cache=False)
    check_basic(ops, len(v2), k=32)
    assert m_orthonormality_error(ops) < 1e-3


def test_unreferenced_vertices():
    v, t = face_patch(500, seed=6)
    extra = np.array([[3.0, 3.0, 3.0], [0.01, 0.02, 1.5]])
    # unreferenced vertices interleaved at the front and the end
    v2 = np.concatenate([extra[:1], v, extra[1:]])
    t2 = t + 1
    ops = compute_operators(v2, t2, k=16, cache=False)
    ref = compute_operators(v, t, k=16, cache=False)
    check_basic(ops, len(v2), k=16)
    lonely = [0, len(v2) - 1]
    assert (ops.mass[lonely] > 0).all() and (ops.mass[lonely] < 1e-6 * ops.mass[1:-1].mean()).all()
    assert np.abs(ops.evecs[lonely]).max() == 0
    assert ops.grad_x[lonely].nnz == 0 and ops.grad_y[lonely].nnz == 0
    assert ops.grad_x[:, lonely].nnz == 0
    np.testing.assert_allclose(ops.evals, ref.evals, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.mass[1:-1], ref.mass, rtol=1e-6)
    # normals of unreferenced vertices: the nearest referenced vertex's
    nearest = np.argmin(np.linalg.norm(v - extra[1], axis=1))
    np.testing.assert_allclose(ops.normals[-1], ref.normals[nearest], atol=1e-6)


def test_k_is_clamped_for_tiny_meshes():
    v, t = _two_triangles_strip()
    ops = compute_operators(v, t, k=128, cache=False)
    check_basic(ops, 4, k=3)


def test_vertex_normals_orientation():
    v, t = face_patch(300, seed=1, flat=True)
    n = vertex_normals(v, t)
    assert np.allclose(n, [0, 0, 1]) or np.allclose(n, [0, 0, -1])
    np.testing.assert_allclose(vertex_normals(v, t[:, ::-1]), -n)


@pytest.mark.parametrize(
    "vertices, triangles, error",
    [
        (np.zeros((0, 3)), np.array([[0, 1, 2]]), Exception),
        (
            np.array([[0, 0, 0], [1, 0, 0], [0, np.nan, 0]]),
            np.array([[0, 1, 2], [0, 2, 1]]),
            NonFiniteVerticesError,
        ),
        (np.eye(3), np.zeros((0, 3), int), NoFacesError),
        (np.eye(3), np.array([[0, 1, 3], [0, 1, 2]]), FaceIndexError),
        (np.eye(3), np.array([[0, 1, 2]]), DegenerateMeshError),
    ],
)
def test_invalid_inputs(vertices, triangles, error):
    with pytest.raises(error):
        compute_operators(vertices, triangles, k=4)


def test_cache_hit_miss_and_invalidation(monkeypatch):
    v, t = face_patch(600, seed=8)
    first = compute_operators(v, t, k=16)
    entries = set(cache_dir("geometry").glob("*.npz"))
    assert entries

    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    hit = compute_operators(v, t, k=16)
    assert calls == []
    np.testing.assert_array_equal(hit.evecs, first.evecs)
    assert (hit.grad_x != first.grad_x).nnz == 0

    moved = v.copy()
    moved[10] += 0.01
    compute_operators(moved, t, k=16)
    assert calls == [1]
    compute_operators(v, t, k=12)  # different k: a different entry
    assert calls == [1, 1]
    assert len(set(cache_dir("geometry").glob("*.npz")) - entries) == 2


def test_cache_detects_forged_and_corrupt_entries(monkeypatch):
    va, ta = face_patch(500, seed=9)
    vb, tb = face_patch(500, seed=10)
    ops_a = compute_operators(va, ta, k=8)
    path_a = geometry._cache_path(np.asarray(va, float), np.asarray(ta, np.int64), 8)
    path_b = geometry._cache_path(np.asarray(vb, float), np.asarray(tb, np.int64), 8)
    assert path_a.exists() and path_a != path_b
    # an entry under B's key with A's content (a key collision or a tampered file)
    path_b.write_bytes(path_a.read_bytes())
    ops_b = compute_operators(vb, tb, k=8)
    fresh_b = compute_operators(vb, tb, k=8, cache=False)
    np.testing.assert_array_equal(ops_b.mass, fresh_b.mass)
    assert not np.array_equal(ops_b.mass, ops_a.mass)
    # the forged entry was replaced by a valid one
    calls = []
    real = geometry._compute
    monkeypatch.setattr(geometry, "_compute", lambda *a: calls.append(1) or real(*a))
    compute_operators(vb, tb, k=8)
    assert calls == []
    # garbage bytes: recomputed, not an exception
    path_a.write_bytes(b"garbage" * 10)
    again = compute_operators(va, ta, k=8)
    assert calls == [1]
    np.testing.assert_array_equal(again.mass, ops_a.mass)


@pytest.mark.ict
def test_ict_head_operators(ict_dir):
    from model.frame import fit_frame
    from model.mesh_io import read_mesh

    mesh = read_mesh(ict_dir / "FaceXModel" / "generic_neutral_mesh.obj")
    t = mesh.triangles()
    v = fit_frame(mesh.vertices, t).to_canonical(mesh.vertices)
    ops = compute_operators(v, t, k=128, cache=False)
    check_basic(ops, mesh.num_vertices, k=128)
    # the ICT head is 56 connected pieces (head, eyes, teeth, gums, lashes, ...): 56 zero modes
    assert (ops.evals[:56] < 1e-5).all() and ops.evals[56] > 0.1
    assert m_orthonormality_error(ops) < 1e-3


def test_ritz_retries_with_less_smoothing_then_falls_back(monkeypatch):
    v, t = face_patch(3500, seed=11)
    calls = []
    real = geometry._ritz_solve

    def flaky(U, L, mass, k):  # reject the first basis, as for an ill-conditioned reduced problem
        calls.append(U.nnz)
        return None if len(calls) == 1 else real(U, L, mass, k)

    monkeypatch.setattr(geometry, "_ritz_solve", flaky)
    ops = compute_operators(v, t, k=16, cache=False)
    assert len(calls) == 2 and calls[1] < calls[0]  # retried with a less smoothed (sparser) basis
    check_basic(ops, len(v), k=16)

    monkeypatch.setattr(geometry, "_ritz_solve", lambda *a: None)
    ops = compute_operators(v, t, k=16, cache=False)  # exact fallback
    L, mass = geometry.laplacian(v, t)
    w, _ = geometry._eigs_exact(L, mass, 16)
    np.testing.assert_allclose(ops.evals, w, rtol=1e-4, atol=1e-6)


def test_eigenbasis_is_the_same_every_time():
    """ARPACK starts from a fixed vector: the same mesh gives the same bits (the bake too; from
    a random start the float64 eigenvectors differed run to run, up to a sign)."""
    v, t = face_patch(2000, seed=4)
    L, mass = geometry.laplacian(v, t)
    assert L.shape[0] > geometry.DENSE_MAX  # shift-invert Lanczos, not the dense solver
    a, b = geometry._eigs_exact(L, mass, 24), geometry._eigs_exact(L, mass, 24)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    ops = [compute_operators(v, t, k=24, cache=False) for _ in range(2)]
    np.testing.assert_array_equal(ops[0].evecs, ops[1].evecs)
