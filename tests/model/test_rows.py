"""model.rows.unique_rows is numpy's np.unique(axis=0), value for value."""

from __future__ import annotations

import numpy as np
import pytest

from model.rows import unique_rows


@pytest.mark.parametrize(
    "rows",
    [
        np.random.default_rng(0).integers(0, 50, size=(5000, 2)),
        np.random.default_rng(1).integers(-7, 7, size=(3000, 3)).astype(np.int32),
        np.random.default_rng(2).integers(0, 2**40, size=(100, 3)),  # packed key overflows: fallback
        np.array([[3, 1], [3, 1], [0, 9]], dtype=np.uint16),
    ],
)
def test_unique_rows_equals_numpy(rows):
    for inverse in (False, True):
        for counts in (False, True):
            want = np.unique(rows, axis=0, return_inverse=inverse, return_counts=counts)
            got = unique_rows(rows, return_inverse=inverse, return_counts=counts)
            want = want if isinstance(want, tuple) else (want,)
            got = got if isinstance(got, tuple) else (got,)
            assert len(got) == len(want)
            np.testing.assert_array_equal(got[0], want[0])
            assert got[0].dtype == want[0].dtype
            for g, w in zip(got[1:], want[1:], strict=True):
                np.testing.assert_array_equal(g, w.reshape(-1))


def test_unique_rows_of_mesh_edges():
    t = np.random.default_rng(3).integers(0, 400, size=(2000, 3))
    e = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    edges, inverse, counts = unique_rows(e, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(edges[inverse], e)  # every row maps back to itself
    assert counts.sum() == len(e) and (np.diff(edges[:, 0]) >= 0).all()
