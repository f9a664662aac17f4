"""Vertices joined by a sub-millimetre edge move together (model.short_edges)."""

from __future__ import annotations

import numpy as np

from model.short_edges import SHORT_EDGE, move_together, short_edge_clusters


def folded_strip():
    """Two rows of a strip 0.2 apart, and a third row 0.1 * SHORT_EDGE behind the second: a lip
    edge folded over a sliver (Rocketbox Adult_01's upper lip). (V, 3), (T, 3), the fold's rows."""
    x = np.linspace(0.0, 1.0, 6)
    rows = [np.stack([x, np.zeros(6), np.zeros(6)], 1), np.stack([x, np.full(6, 0.2), np.zeros(6)], 1)]
    rows.append(rows[1] + [0.0, 0.0, -0.1 * SHORT_EDGE])
    v = np.vstack(rows)
    t = []
    for r in range(2):
        for i in range(5):
            a, b, c, d = r * 6 + i, r * 6 + i + 1, (r + 1) * 6 + i, (r + 1) * 6 + i + 1
            t += [[a, b, d], [a, d, c]]
    return v, np.array(t, dtype=np.int64), np.arange(6, 12), np.arange(12, 18)


def test_a_sliver_fold_moves_as_one():
    v, t, outer, inner = folded_strip()
    labels = short_edge_clusters(v, t)
    assert all(labels[outer[i]] == labels[inner[i]] for i in range(6))
    assert len(np.unique(labels[outer])) == 6  # the 0.2 edges along the row are not short
    deltas = np.zeros((2, len(v), 3))
    deltas[0, :, 0] = 1.0
    deltas[0, inner, 0] = 0.7  # the network moved the fold's inner row less (Adult_01: 0.174 vs 0.237)
    deltas[1, :, 1] = 0.5  # a shape without a jump stays as it is
    out = move_together(deltas, v, t)
    np.testing.assert_allclose(out[0, outer], out[0, inner])
    assert 0.7 < out[0, inner, 0].min() and out[0, outer, 0].max() < 1.0
    np.testing.assert_array_equal(out[0, :6], deltas[0, :6])  # the first row is no cluster
    np.testing.assert_allclose(out[1], deltas[1])


def test_a_mesh_without_short_edges_is_left_alone():
    v, t, _, inner = folded_strip()
    v = v.copy()
    v[inner, 2] = -0.05  # the fold opened to 20 SHORT_EDGE
    deltas = np.random.default_rng(0).normal(size=(3, len(v), 3))
    assert move_together(deltas, v, t) is deltas


def test_a_kept_cache_skips_the_laplacian_and_changes_nothing(monkeypatch):
    import model.geometry as geometry

    calls = []
    real = geometry.laplacian

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(geometry, "laplacian", counting)
    v, t, _, inner = folded_strip()
    deltas = np.random.default_rng(1).normal(size=(3, len(v), 3))
    cache: dict = {}
    first = move_together(deltas, v, t, cache=cache)
    again = move_together(deltas * 2.0, v, t, cache=cache)  # other shapes, the same mesh
    assert len(calls) == 1
    np.testing.assert_array_equal(first, move_together(deltas, v, t))
    np.testing.assert_array_equal(again, move_together(deltas * 2.0, v, t))
    assert not np.array_equal(first[:, inner], deltas[:, inner])  # the fold moved together
