"""Small meshes built in code, shared by the model tests (no data files)."""

from __future__ import annotations

import numpy as np


def grid_face(n: int = 25, bump: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy height field over [-1, 1]^2 (Y up, looking to +Z), (n*n, 3) and triangles."""
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    z = 0.6 * np.exp(-(x**2 + y**2)) + bump * np.exp(-8 * ((x - 0.1) ** 2 + (y + 0.1) ** 2))
    v = np.stack([x, y, z], -1).reshape(-1, 3)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return v, t.astype(np.int64)
