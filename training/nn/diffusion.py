"""DiffusionNet-style building blocks (Sharp et al. 2022), written for this project.

Every operation is per vertex or goes through the mesh's own operators (mass-weighted spectral
projection, tangent-plane gradients), so the result approximates a function on the *surface* and
does not depend on how finely the surface is sampled. Nothing is pooled or normalised over the
vertices of a mesh here; global pooling happens only (mass-weighted) in the encoders.

Shapes: features are ``(B, V, C)`` float32 (``B`` frames of the same mesh share its operators).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn


@dataclass
class MeshTensors:
    """The operators of one mesh as torch tensors, all in the canonical frame.

    positions, normals: (V, 3) float32; mass: (V,) float32 (lumped vertex area);
    evals: (k,) float32; evecs: (V, k) float32, mass-orthonormal; grad_x, grad_y: sparse (V, V)
    float32 giving the gradient of a vertex function in each vertex's tangent frame.
    """

    positions: torch.Tensor
    normals: torch.Tensor
    mass: torch.Tensor
    evals: torch.Tensor
    evecs: torch.Tensor
    grad_x: torch.Tensor
    grad_y: torch.Tensor

    @property
    def num_vertices(self) -> int:
        return int(self.positions.shape[0])

    def to(self, device: str | torch.device) -> MeshTensors:
        return MeshTensors(**{k: getattr(self, k).to(device) for k in self.__dataclass_fields__})

    @classmethod
    def from_numpy(
        cls,
        positions: np.ndarray,
        normals: np.ndarray,
        mass: np.ndarray,
        evals: np.ndarray,
        evecs: np.ndarray,
        grad_x,
        grad_y,
        device: str | torch.device = "cpu",
    ) -> MeshTensors:
        """Build from numpy arrays and scipy sparse gradient matrices (any sparse format)."""

        def sparse(m) -> torch.Tensor:
            m = m.tocoo()
            idx = torch.from_numpy(np.vstack([m.row, m.col]).astype(np.int64))
            val = torch.from_numpy(np.asarray(m.data, dtype=np.float32))
            return torch.sparse_coo_tensor(idx, val, m.shape, check_invariants=False).coalesce().to(device)

        def dense(a) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(device)

        return cls(
            dense(positions),
            dense(normals),
            dense(mass),
            dense(evals),
            dense(evecs),
            sparse(grad_x),
            sparse(grad_y),
        )


def _flat(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """(B, V, C) -> (V, B*C) so sparse and spectral products run once for all frames."""
    b, v, c = x.shape
    return x.permute(1, 0, 2).reshape(v, b * c), (b, v, c)


def _unflat(x: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    b, v, c = shape
    return x.reshape(v, b, c).permute(1, 0, 2)


def spectral_diffusion(x: torch.Tensor, mesh: MeshTensors, time: torch.Tensor) -> torch.Tensor:
    """Heat diffusion of each channel for its own time in the truncated eigenbasis.

    x: (B, V, C); time: (C,) positive, in canonical units squared. Returns (B, V, C).
    """
    flat, shape = _flat(x)
    coefs = mesh.evecs.T @ (mesh.mass[:, None] * flat)  # (k, B*C)
    decay = torch.exp(-mesh.evals[:, None] * time[None, :])  # (k, C)
    coefs = coefs.reshape(coefs.shape[0], shape[0], shape[2]) * decay[:, None, :]
    return _unflat(mesh.evecs @ coefs.reshape(coefs.shape[0], -1), shape)


def sparse_apply(mat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Sparse (V, V) times every frame's (V, C) features; x: (B, V, C)."""
    flat, shape = _flat(x)
    return _unflat(torch.sparse.mm(mat, flat), shape)


def heat_kernel_signature(mesh: MeshTensors, times: tuple[float, ...]) -> torch.Tensor:
    """log of the heat kernel signature at a few times, each normalised by its mass-weighted mean.

    The normalisation makes the descriptor independent of the mesh's total area and of its
    sampling. Returns (V, len(times)) float32.
    """
    t = torch.tensor(times, dtype=mesh.evals.dtype, device=mesh.evals.device)
    hks = (mesh.evecs**2) @ torch.exp(-mesh.evals[:, None] * t[None, :])  # (V, S)
    mean = (mesh.mass[:, None] * hks).sum(0) / mesh.mass.sum().clamp_min(1e-12)
    return torch.log(hks.clamp_min(1e-12) / mean.clamp_min(1e-12))


class DiffusionBlock(nn.Module):
    """Diffusion + rotation-invariant gradient features + per-vertex MLP, with a residual."""

    def __init__(self, width: int, t_range: tuple[float, float] = (1e-3, 1e-1)):
        super().__init__()
        # spread the initial times over the range so the block starts multi-scale
        init = torch.linspace(math.log(t_range[0]), math.log(t_range[1]), width)
        self.log_time = nn.Parameter(init)
        self.grad_re = nn.Linear(width, width, bias=False)
        self.grad_im = nn.Linear(width, width, bias=False)
        self.norm = nn.LayerNorm(3 * width)
        self.mlp = nn.Sequential(nn.Linear(3 * width, width), nn.GELU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor, mesh: MeshTensors) -> torch.Tensor:
        diffused = spectral_diffusion(x, mesh, torch.exp(self.log_time))
        gx = sparse_apply(mesh.grad_x, diffused)
        gy = sparse_apply(mesh.grad_y, diffused)
        # complex-linear map of the tangent gradient then its dot with the gradient itself:
        # invariant to the choice of tangent basis at each vertex
        b_re = self.grad_re(gx) - self.grad_im(gy)
        b_im = self.grad_re(gy) + self.grad_im(gx)
        grad_feat = torch.tanh(gx * b_re + gy * b_im)
        h = self.norm(torch.cat([x, diffused, grad_feat], dim=-1))
        return x + self.mlp(h)


class DiffusionNet(nn.Module):
    """Linear in -> ``depth`` DiffusionBlocks -> linear out; per-vertex features (B, V, C_out)."""

    def __init__(self, c_in: int, c_out: int, width: int, depth: int):
        super().__init__()
        self.inp = nn.Linear(c_in, width)
        self.blocks = nn.ModuleList([DiffusionBlock(width) for _ in range(depth)])
        self.out = nn.Linear(width, c_out)

    def forward(self, x: torch.Tensor, mesh: MeshTensors) -> torch.Tensor:
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, mesh)
        return self.out(h)
