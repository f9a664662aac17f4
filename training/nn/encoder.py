"""The learned expression encoder: (source neutral, frames of it) -> global expression codes.

Data flow (all positions and displacements in the source's canonical frame)::

    neutral --DiffusionNet--> g[v] --MLP--> E[i, v]          (53, V, 3)  the encoder's own basis
    normal equations  N = sum_v m_v E[:, v] . E[:, v]^T / sum m  (+ ridge)   once per source
    frame f:  r_f = sum_v m_v E[:, v] . d_f[v] / sum m        (53,)       d = frame - neutral
              code_f = argmin_w  w^T N w - 2 w^T r_f  (+ at inference: w in [0, 1], L1 weight)

ICT-FaceKit expressions are linear blendshapes whose shapes overlap (jawLeft and mouthLeft move
the same lips): a read-out that ignores the overlaps confuses them, and a plain learned linear
read-out is as ill-conditioned as the shapes (condition number ~1e5 on an ICT head; such
encoders sat at the mean code in our pilots). So the encoder predicts an *analysis basis* E from
the neutral's geometry and pools the frame against it with mass-weighted integrals: the
53x53 normal equations untangle the overlaps exactly. E is trained densely (close to the true
shapes) and through the solve by the FACS-code loss. The mass-weighted sums are the only
operations across vertices besides diffusion, and they are surface integrals, so refining the
mesh does not change the code. It has its own parameters (not the target trunk's).
"""

from __future__ import annotations

import torch
from torch import nn

from model.facs import NUM_EXPRESSIONS as NUM_FACS

from .diffusion import DiffusionNet, MeshTensors


class ExpressionEncoder(nn.Module):
    """See the module docstring. ``geo_in``: width of the geometric per-vertex input."""

    def __init__(
        self, geo_in: int, width: int = 64, depth: int = 4, hidden: int = 128, delta_scale: float = 20.0
    ):
        super().__init__()
        self.delta_scale = delta_scale
        self.neutral_net = DiffusionNet(geo_in, width, width, depth)
        self.basis_mlp = nn.Sequential(
            nn.Linear(width, hidden),
            nn.GELU(),
            nn.Linear(hidden, hidden),
            nn.GELU(),
            nn.Linear(hidden, NUM_FACS * 3),
        )

    def basis(self, geometric_input: torch.Tensor, mesh: MeshTensors) -> torch.Tensor:
        """(V, geo_in) geometric input of the source neutral -> analysis basis (53, V, 3),
        canonical units (trained to approximate the source's own expression shapes)."""
        g = self.neutral_net(geometric_input[None], mesh)[0]
        v = g.shape[0]
        return (self.basis_mlp(g).reshape(v, NUM_FACS, 3) / self.delta_scale).permute(1, 0, 2)


def normal_equations(
    basis: torch.Tensor, mass: torch.Tensor, ridge: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """basis (53, V, 3), mass (V,) -> (basis * mass / total mass, the normal matrix (53, 53)
    with ``ridge`` times its mean diagonal added, that matrix's inverse, and the plain normal
    matrix without ridge)."""
    w = mass / mass.sum().clamp_min(1e-12)
    weighted = basis * w[None, :, None]
    gram = torch.einsum("ivc,jvc->ij", weighted, basis)
    reg = ridge * gram.diagonal().mean().clamp_min(1e-12)
    regularised = gram + reg * torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
    return weighted, regularised, torch.linalg.inv(regularised), gram


def combine_normal_equations(
    *analyses: tuple[torch.Tensor, ...],
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normal equations of a joint fit by several bases of the same source (e.g. the learned
    encoder's and the network's bake): the fit errors add, so independent errors of the bases
    average out. ``weighted`` becomes (n, 53, V, 3)."""
    weighted = torch.stack([a[0] for a in analyses])
    regularised = sum(a[1] for a in analyses)
    return weighted, regularised, torch.linalg.inv(regularised), sum(a[3] for a in analyses)


def solve_codes(
    analysis: tuple[torch.Tensor, ...],
    displacement: torch.Tensor,
    box: bool = False,
    l1: float = 0.0,
    iterations: int = 300,
    l1_power: float = 0.5,
) -> torch.Tensor:
    """Codes (B, 53) of canonical displacements (B, V, 3) given :func:`normal_equations`.

    ``box=False``: the differentiable ridge least squares (unbounded; used in training).
    ``box=True`` (inference): min ||E w - d||_M^2 + l1 sum_i c_i w_i over w in [0, 1]^53, with
    N the plain normal matrix and c_i = N_ii^p mean(N_ii)^(1-p), p = ``l1_power``. p = 0
    penalises every unit alike in absolute terms, which zeroed the small eye units (they
    explain little energy); p = 1 gives every unit the same *weight* threshold, which let them
    soak up the basis' residual errors as false positives; p is chosen on training meshes.
    Solved by accelerated projected gradient (FISTA) in Jacobi-scaled variables
    u_i = sqrt(N_ii) w_i: the shapes' motion energies span ~4 decades, and unscaled projected
    gradient left the small units where the warm start put them.
    """
    weighted, regularised, inv, gram = analysis
    rhs = torch.einsum("...ivc,bvc->bi", weighted, displacement)  # sums over stacked bases
    ridge_solution = rhs @ inv.T
    if not box:
        return ridge_solution
    diag = gram.diagonal().clamp_min(1e-12 * gram.diagonal().max().clamp_min(1e-30))
    scale = diag.sqrt()
    g = gram / (scale[:, None] * scale[None, :])  # unit diagonal
    b = rhs / scale
    cost = diag**l1_power * diag.mean() ** (1.0 - l1_power)
    lin = l1 * cost / scale  # l1 * c_i * w_i = l1 * c_i / sqrt(N_ii) * u_i
    upper = scale  # w <= 1
    step = 1.0 / torch.linalg.eigvalsh(g).max().clamp_min(1e-12)
    u = (ridge_solution.clamp(0.0, 1.0)) * scale  # warm start: the clamped ridge solution
    y, t = u, 1.0
    for _ in range(iterations):
        u_next = torch.minimum(torch.clamp(y - step * (y @ g - b + 0.5 * lin), min=0.0), upper)
        t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t) ** 0.5)
        y = u_next + ((t - 1.0) / t_next) * (u_next - u)
        u, t = u_next, t_next
    return u / scale
