"""Shared by the tests that bake ICT-FaceKit's model part by part (tests/model/test_ict_lashes.py,
tests/model/test_eye_shells.py)."""

from __future__ import annotations

import numpy as np


def held_out_identity() -> np.ndarray:
    """ICT identity weights of the held-out identity of seed 5 over
    ``training.split.TEST_IDENTITY_BASIS`` (``benchmarks/ict_parts.py``'s)."""
    from model.ict import sample_identity
    from training import split

    return sample_identity(np.random.default_rng(5), list(split.TEST_IDENTITY_BASIS))


def held_out_head(ict) -> np.ndarray:
    """(V, 3) float64: ICT-FaceKit's whole model (``ict``: :func:`model.ict.load_ict`) for the
    held-out identity of seed 5 over ``training.split.TEST_IDENTITY_BASIS``, as
    ``benchmarks/ict_parts.py`` draws it."""
    return ict.compose(held_out_identity()).astype(np.float64)


def part_error(ict, head: np.ndarray, ids: np.ndarray, deltas: np.ndarray, part: str = "face") -> float:
    """Relative error (sum |pred - gt| / sum |gt| over the 53 shapes) of ``deltas`` (53, n, 3) on
    the mesh ``ict.submesh(...)`` gave (``ids`` (n,) its ICT vertex ids, ``head`` :func:`held_out_head`)
    against ICT's own shapes of the held-out identity, on the vertices of ICT part ``part``."""
    from model.ict import PARTS

    a, b = PARTS[part]
    rows = np.flatnonzero((ids >= a) & (ids < b))
    identity = held_out_identity()
    truth = np.stack([ict.compose(identity, np.eye(53)[k])[ids[rows]] - head[ids[rows]] for k in range(53)])
    return float(np.linalg.norm(deltas[:, rows] - truth, axis=2).sum() / np.linalg.norm(truth, axis=2).sum())
