"""``np.unique(rows, axis=0)`` for small integer rows (edges, cells), several times faster.

numpy sorts rows as structured records (field by field); packing each row of a few bounded
integers into one int64 key whose order is the rows' lexicographic order gives the same unique
rows, inverse and counts from a plain 1-D sort. Used on the hot paths of mesh preparation and
analysis (edges of a 100k-vertex mesh: ~600k rows).
"""

from __future__ import annotations

import numpy as np


def unique_rows(
    rows: np.ndarray, return_inverse: bool = False, return_counts: bool = False
) -> np.ndarray | tuple[np.ndarray, ...]:
    """Exactly ``np.unique(rows, axis=0, return_inverse=..., return_counts=...)`` for a 2-D
    integer array ``rows`` (N, C): the unique rows in lexicographic order (U, C), then the (N,)
    int64 index of each row's unique row, then the (U,) int64 count of each unique row (each
    only when asked). Falls back to numpy's own when the packed key could overflow int64."""
    a = np.asarray(rows)
    if a.ndim != 2 or a.dtype.kind not in "iu" or a.shape[0] == 0 or a.shape[1] == 0:
        return np.unique(a, axis=0, return_inverse=return_inverse, return_counts=return_counts)
    lo = a.min(axis=0).astype(np.int64)
    span = a.max(axis=0).astype(np.int64) - lo + 1
    if int(np.prod([int(s) for s in span], dtype=object)) >= 2**63:
        return np.unique(a, axis=0, return_inverse=return_inverse, return_counts=return_counts)
    key = np.zeros(a.shape[0], dtype=np.int64)
    for j in range(a.shape[1]):  # key = ((c0 * s1 + c1) * s2 + c2) ...: lexicographic order
        key *= span[j]
        key += a[:, j].astype(np.int64) - lo[j]
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    out = [a[first]]
    if return_inverse:
        out.append(inverse.reshape(-1).astype(np.int64, copy=False))
    if return_counts:
        out.append(counts.astype(np.int64, copy=False))
    return out[0] if len(out) == 1 else tuple(out)
