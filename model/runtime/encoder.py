"""Normal equations and the boxed code solve of the expression encoder, in numpy.

The numpy twins of :func:`training.nn.encoder.normal_equations`, ``combine_normal_equations`` and
``solve_codes`` (inference only: the boxed solve; see those for the maths). The normal equations
and the solve run in float64 whatever the basis' dtype: they are 53x53 (cheap), and the
shapes' overlaps make them ill-conditioned (condition ~1e4), which turns float32 rounding of the
basis into 1e-4 errors of the codes.
"""

from __future__ import annotations

import numpy as np

Analysis = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def normal_equations(basis: np.ndarray, mass: np.ndarray, ridge: float) -> Analysis:
    """basis (53, V, 3), mass (V,) -> (basis * mass / total mass (53, V, 3), normal matrix
    (53, 53) + ``ridge`` x its mean diagonal, that matrix's inverse, the plain normal matrix)."""
    basis = np.asarray(basis, dtype=np.float64)
    mass = np.asarray(mass, dtype=np.float64)
    w = mass / max(float(mass.sum()), 1e-12)
    weighted = basis * w[None, :, None]
    n = basis.shape[0]
    gram = weighted.reshape(n, -1) @ basis.reshape(n, -1).T
    reg = ridge * max(float(np.diagonal(gram).mean()), 1e-12)
    regularised = gram + reg * np.eye(n, dtype=gram.dtype)
    return weighted, regularised, np.linalg.inv(regularised), gram


def combine_normal_equations(*analyses: Analysis) -> Analysis:
    """The joint fit by several bases of the same source: ``weighted`` becomes (n, 53, V, 3)."""
    weighted = np.stack([a[0] for a in analyses])
    regularised = sum(a[1] for a in analyses)
    return weighted, regularised, np.linalg.inv(regularised), sum(a[3] for a in analyses)


def solve_codes(
    analysis: Analysis,
    displacement: np.ndarray,
    box: bool = False,
    l1: float = 0.0,
    iterations: int = 300,
    l1_power: float = 0.5,
) -> np.ndarray:
    """Codes (B, 53) float64 of canonical displacements (B, V, 3): the ridge least squares
    (``box=False``) or FISTA on [0, 1]^53 with the per-unit L1 cost (``box=True``), exactly as
    :func:`training.nn.encoder.solve_codes`."""
    weighted, regularised, inv, gram = analysis
    n = gram.shape[0]
    disp = np.asarray(displacement, dtype=np.float64).reshape(displacement.shape[0], -1)
    # stacked bases (joint fit): their read-outs add
    read_out = (
        weighted.reshape(-1, n, disp.shape[1]).sum(0) if weighted.ndim == 4 else weighted.reshape(n, -1)
    )
    rhs = disp @ read_out.T
    ridge_solution = rhs @ inv.T
    if not box:
        return ridge_solution
    diag = np.diagonal(gram)
    diag = np.maximum(diag, 1e-12 * max(float(diag.max()), 1e-30))
    scale = np.sqrt(diag)
    g = gram / (scale[:, None] * scale[None, :])
    b = rhs / scale
    cost = diag**l1_power * diag.mean() ** (1.0 - l1_power)
    half_lin = 0.5 * (l1 * cost / scale)
    upper = scale
    step = 1.0 / max(float(np.linalg.eigvalsh(g).max()), 1e-12)
    u = np.clip(ridge_solution, 0.0, 1.0) * scale
    y, t = u, 1.0
    for _ in range(iterations):
        u_next = np.minimum(np.maximum(y - step * (y @ g - b + half_lin), 0.0), upper)
        t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t) ** 0.5)
        y = u_next + ((t - 1.0) / t_next) * (u_next - u)
        u, t = u_next, t_next
    return u / scale
