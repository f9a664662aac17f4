"""The bake's faster paths give the same bits as the plain computations they replace
(session 9 speed work; ``benchmarks/bake_parity.py`` checks whole bakes)."""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla
from mesh_helpers import face_patch, grid_face
from scipy.special import erf

from model import geometry
from model.eyelids import _Flips, _patch_adjacency, _rotate, _unflip
from model.flip_repair import _edges_of, _normal_equations, _normal_equations_sparse, _Topology
from model.runtime import layers
from model.transfer import closest_points


def _free_system(seed: int):
    """A flip repair's inputs on an irregular patch: a random free region and pulls."""
    v, t = face_patch(900, seed=seed)
    rng = np.random.default_rng(seed)
    topo = _Topology(len(v), t)
    seed_mask = np.zeros(len(v), bool)
    seed_mask[rng.choice(len(v), 6, replace=False)] = True
    free = topo.grow(seed_mask, 3)
    pull = np.where(rng.random(len(t)) < 0.3, rng.uniform(0.0, 40.0, len(t)), 0.0)
    original = rng.normal(scale=0.05, size=(len(v), 3))
    tri = topo.triangles_of(free)
    e = _edges_of(t[tri])
    w = 1.0 + np.repeat(pull[tri], 3)
    target = (original[e[:, 0]] - original[e[:, 1]]) / w[:, None]
    ids = np.flatnonzero(free)
    col = np.full(len(v), -1)
    col[ids] = np.arange(ids.size)
    return original, e, w, target, col, ids


def test_flip_repair_direct_assembly_is_scipys_bit_for_bit() -> None:
    for seed in range(4):
        args = _free_system(seed)
        a, rhs = _normal_equations(*args)
        b, rhs_b = _normal_equations_sparse(*args)
        b = b.tocsc()
        b.sort_indices()
        assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
        assert np.array_equal(rhs, rhs_b)
        assert np.array_equal(spla.splu(a).solve(rhs), spla.splu(b).solve(rhs_b))


def test_kept_laplacian_is_a_copy_and_follows_the_mesh() -> None:
    v, t = grid_face(15)
    L1, m1 = geometry.laplacian(v, t)
    L1.data[:] = 0.0  # a caller changing its copy must not change the kept one
    m1[:] = 0.0
    L2, m2 = geometry.laplacian(v, t)
    geometry._LAST_LAPLACIAN.clear()
    L3, m3 = geometry.laplacian(v, t)  # computed afresh
    assert np.array_equal(L2.toarray(), L3.toarray()) and np.array_equal(m2, m3)
    assert np.abs(L3.toarray()).sum() > 0
    moved = v.copy()
    moved[0, 2] += 0.05  # another mesh: not the kept one
    _, m4 = geometry.laplacian(moved, t)
    assert not np.array_equal(m4, m3)


def test_closest_points_match_a_brute_force_search_with_ties() -> None:
    # a regular grid: queries on its vertices and edges lie on several triangles at once
    v, t = grid_face(12, bump=0.0)
    rng = np.random.default_rng(1)
    q = np.concatenate(
        [v[::3], 0.5 * (v[t[::7, 0]] + v[t[::7, 1]]), v[::5] + rng.normal(scale=0.05, size=(29, 3))]
    )
    hits = closest_points(v, t, q)
    from model.transfer import closest_on_triangles

    for i, p in enumerate(q):
        pp = np.repeat(p[None], len(t), axis=0)
        bary = closest_on_triangles(pp, v[t[:, 0]], v[t[:, 1]], v[t[:, 2]])
        pts = np.einsum("nk,nkc->nc", bary, v[t])
        dist = np.linalg.norm(pts - p, axis=1)
        best = int(np.flatnonzero(dist == dist.min())[0])  # the lowest triangle among ties
        assert hits.triangle[i] == best
        assert hits.distance[i] == dist[best]


def _unflip_every_triangle(pts, tris, rho, phi, centre, angle, fixed, iterations=200):
    """The lid unflip as before the speed work: every patch triangle tested every round."""
    moving = np.flatnonzero(angle != 0.0)
    patch, sub, adj = _patch_adjacency(tris, np.isin(tris, moving).any(axis=1))
    p, rho_p, phi_p = pts[patch], rho[patch], phi[patch]
    degree = np.asarray(adj.sum(axis=1)).ravel()
    full, angle = angle, angle[patch]
    frozen = angle == 0.0
    still = np.zeros(len(full), dtype=bool)
    still[fixed] = True
    frozen |= still[patch]
    flipped = _Flips(p, sub)
    for _ in range(iterations):
        bad = flipped(p + _rotate(p, rho_p, phi_p, centre, angle))
        if not bad.any():
            break
        region = np.zeros(len(patch), dtype=bool)
        region[sub[bad].ravel()] = True
        region |= (adj @ region.astype(np.float64)) > 0
        region &= ~frozen & (degree > 0)
        free = (~frozen).astype(np.float64)
        mean = (adj @ (angle * free)) / np.maximum(adj @ free, 1.0)
        angle[region] = 0.5 * angle[region] + 0.5 * mean[region]
    for _ in range(20):
        bad = flipped(p + _rotate(p, rho_p, phi_p, centre, angle))
        if not bad.any():
            break
        for tri in sub[bad]:
            free = tri[~frozen[tri]]
            angle[free] = angle[tri].mean()
    out = full.copy()
    out[patch] = angle
    return out


def test_flip_rows_and_unflip_rounds_match_the_whole_mesh_tests() -> None:
    v, t = face_patch(600, seed=3)
    rng = np.random.default_rng(3)
    flips = _Flips(v, t)
    moved = v + rng.normal(scale=0.08, size=v.shape)
    rows = np.sort(rng.choice(len(t), 50, replace=False))
    assert np.array_equal(flips(moved, rows), flips(moved)[rows])
    # a turn about the X axis that folds triangles: the lid unflip re-testing only the
    # triangles around the vertices it turned ends where testing all of them every round does
    centre = np.array([0.0, 0.0, -0.5])
    rel = v - centre
    rho, phi = np.hypot(rel[:, 1], rel[:, 2]), np.arctan2(rel[:, 1], rel[:, 2])
    angle = np.where(np.abs(v[:, 0]) < 0.4, rng.uniform(-1.2, 1.2, len(v)), 0.0)
    fixed = np.zeros(0, np.int64)
    assert _Flips(v, t)(v + _rotate(v, rho, phi, centre, angle)).any()
    for iterations in (3, 200):
        fast = _unflip(v, t, rho, phi, centre, angle.copy(), fixed, iterations)
        slow = _unflip_every_triangle(v, t, rho, phi, centre, angle.copy(), fixed, iterations)
        assert np.array_equal(fast, slow)
    assert not np.array_equal(fast, angle)


def test_gelu_and_layer_norm_in_place_are_the_formulas() -> None:
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(300, 96)) * 3).astype(np.float32)
    keep = x.copy()
    assert np.array_equal(layers.gelu(x), x * (0.5 * (1.0 + erf(x * layers._SQRT_HALF))))
    w, b = rng.normal(size=96).astype(np.float32), rng.normal(size=96).astype(np.float32)
    c = x - x.mean(-1, keepdims=True)
    ref = c / np.sqrt(np.mean(c * c, -1, keepdims=True) + layers._LAYER_NORM_EPS) * w + b
    out = layers.layer_norm(x, w, b)
    assert out.dtype == np.float32 and np.array_equal(out, ref)
    assert np.array_equal(x, keep)  # the input is left as it is


def test_row_threads_give_the_one_thread_bits(monkeypatch) -> None:
    # the trunk's GELU, LayerNorm and gradient features split by rows among threads: each block
    # must come out as the whole array computed on one thread (uneven blocks, 3 threads)
    from model.runtime.mesh import MeshArrays

    rng = np.random.default_rng(3)

    def f32(*shape: int) -> np.ndarray:
        return rng.normal(size=shape).astype(np.float32)

    width = 8
    block = layers.DiffusionBlock(
        time=np.abs(f32(width)),
        grad_re=f32(width, width),
        grad_im=f32(width, width),
        norm_weight=f32(3 * width),
        norm_bias=f32(3 * width),
        mlp=layers.MLP([layers.Linear(f32(3 * width, 16), f32(16)), layers.Linear(f32(16, width), None)]),
    )
    v, t = grid_face(17)
    ops = geometry.compute_operators(v, t, k=16, cache=False)
    mesh = MeshArrays.from_numpy(v, ops.normals, ops.mass, ops.evals, ops.evecs, ops.grad_x, ops.grad_y)
    h = 3 * f32(len(v), width)
    x, w, b = 3 * f32(301, 24), f32(24), f32(24)
    splits = []
    real = layers._by_rows

    def counted(fn, rows: int, elements: int) -> None:
        splits.append(min(layers._ROW_THREADS, rows) if elements >= layers._ROW_SPLIT_MIN else 1)
        real(fn, rows, elements)

    monkeypatch.setattr(layers, "_by_rows", counted)
    monkeypatch.setattr(layers, "_ROW_SPLIT_MIN", 1 << 60)  # everything on this thread
    one = (layers.gelu(x), layers.layer_norm(x, w, b), block(h, mesh))
    assert set(splits) == {1}
    splits.clear()
    monkeypatch.setattr(layers, "_ROW_SPLIT_MIN", 1)
    monkeypatch.setattr(layers, "_ROW_THREADS", 3)
    three = (layers.gelu(x), layers.layer_norm(x, w, b), block(h, mesh))
    assert set(splits) == {3}  # gelu, layer_norm and the block's three row-split stages
    for a, c in zip(one, three, strict=True):
        assert a.dtype == np.float32 and np.array_equal(a, c)


def test_kept_mirror_plane_is_the_computed_one_and_a_copy() -> None:
    # the bake's face alignment and the rig check's ask for the plane of the same bytes: the
    # second gets the first's result (model.memo), equal to a fresh computation, never shared
    from model.memo import clear_all
    from model.mirror_match import mirror_plane

    v, t = grid_face(15)
    v = v + np.array([0.01, 0.0, 0.0])  # off x = 0: the plane is refitted
    clear_all()
    fresh = mirror_plane.__wrapped__(v, t, 0.05)
    first = mirror_plane(v, t, 0.05)
    first[3][:] = -1.0  # a caller changing its copy
    kept = mirror_plane(v.copy(), t.copy(), 0.05)
    for a, b in zip(fresh, kept, strict=True):
        assert np.array_equal(a, b)
    assert (kept[3] >= 0.0).all()
    other = mirror_plane(v, t, 0.05, more_refits=0)  # other arguments: computed for them
    assert np.array_equal(other[3], mirror_plane.__wrapped__(v, t, 0.05, more_refits=0)[3])
