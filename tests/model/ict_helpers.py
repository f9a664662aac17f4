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
