"""model.memo.memoize: a kept result is the function's own, by the bytes of the arguments, and no
caller can change what another one gets."""

from __future__ import annotations

import numpy as np
import pytest

from model.face_landmarks import boundary_loops, components
from model.memo import clear_all, memoize
from model.mesh_io import validate


def _counting():
    calls = []

    @memoize
    def labels(n: int, triangles: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, list[np.ndarray]]:
        calls.append(1)
        return np.arange(n) * scale, [triangles[:, 0].copy()]

    return labels, calls


def test_same_bytes_hit_other_bytes_miss() -> None:
    labels, calls = _counting()
    t = np.array([[0, 1, 2], [2, 1, 3]])
    a = labels(4, t)
    b = labels(4, t.copy())  # another array, the same bytes: kept
    assert len(calls) == 1
    np.testing.assert_array_equal(a[0], b[0])
    labels(4, t.astype(np.int32))  # other dtype: computed
    labels(4, t[::-1])  # other values
    labels(4, t, scale=1)  # an int where a float was: computed (the type is in the key)
    labels(4, t, scale=2.0)
    assert len(calls) == 5


def test_results_are_copies() -> None:
    labels, calls = _counting()
    t = np.array([[0, 1, 2], [2, 1, 3]])
    first = labels(3, t)
    first[0][:] = -1  # a caller changing its result in place
    first[1][0][:] = -1
    again = labels(3, t)
    assert len(calls) == 1
    np.testing.assert_array_equal(again[0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(again[1][0], [0, 2])


def test_unhashable_arguments_are_computed_and_clear_all_forgets() -> None:
    labels, calls = _counting()
    t = np.array([[0, 1, 2]])
    labels(3, t, scale=np.float64(2.0))
    labels(3, t, scale=np.float64(2.0))
    assert len(calls) == 1
    clear_all()
    labels(3, t, scale=np.float64(2.0))
    assert len(calls) == 2

    @memoize
    def size(x) -> int:
        calls.append(1)
        return len(x)

    size({"a": 1})
    size({"a": 1})  # a dict: no key, computed each time
    assert len(calls) == 4


def test_a_raising_call_raises_again() -> None:
    v = np.zeros((3, 3))
    t = np.array([[0, 1, 2]])
    for _ in range(2):
        with pytest.raises(Exception, match="single triangle"):
            validate(v, t)


def test_kept_mesh_functions_match_fresh_ones() -> None:
    rng = np.random.default_rng(0)
    t = rng.integers(0, 200, size=(300, 3))
    clear_all()
    fresh = components(200, t), boundary_loops(t)
    kept = components(200, t.copy()), boundary_loops(t.copy())
    np.testing.assert_array_equal(fresh[0], kept[0])
    assert len(fresh[1]) == len(kept[1])
    for a, b in zip(fresh[1], kept[1], strict=True):
        np.testing.assert_array_equal(a, b)
    kept[0][:] = 7  # changing a kept result changes nothing the next caller sees
    np.testing.assert_array_equal(components(200, t), fresh[0])
