"""Layers of the network as float32 numpy functions on per-vertex features (V, C).

Each mirrors a torch layer of :mod:`training.nn` (``nn.Linear``, exact-erf ``nn.GELU``,
``nn.LayerNorm``, the DiffusionNet block); weights are held pre-transposed, (C_in, C_out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from .mesh import MeshArrays

_SQRT_HALF = float(np.sqrt(0.5))
_LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x) with the exact normal CDF (torch's default GELU), in the dtype of x; a new
    array (x is left as it is)."""
    # x * (0.5 * (1 + erf(x / sqrt 2))) in one buffer: the same operations in the same order
    y = x * _SQRT_HALF
    erf(y, out=y)
    y += 1.0
    y *= 0.5
    y *= x
    return y


@dataclass
class Linear:
    """y = x @ weight + bias; weight (C_in, C_out), bias (C_out,) or None."""

    weight: np.ndarray
    bias: np.ndarray | None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weight
        if self.bias is not None:
            y += self.bias
        return y


@dataclass
class MLP:
    """Linear layers with GELU between them (torch ``nn.Sequential(Linear, GELU, Linear...)``)."""

    layers: list[Linear]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i + 1 < len(self.layers):
                x = gelu(x)
        return x


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Normalise the last axis to zero mean, unit (biased) variance, then scale and shift."""
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, -1, keepdims=True)
    # centred / sqrt(var + eps) * weight + bias, in place (the same operations in the same order)
    centred /= np.sqrt(var + _LAYER_NORM_EPS)
    centred *= weight
    centred += bias
    return centred


def spectral_diffusion(x: np.ndarray, mesh: MeshArrays, time: np.ndarray) -> np.ndarray:
    """Heat diffusion of each channel of x (V, C) for its own time (C,) in the truncated
    eigenbasis (canonical units squared). Returns (V, C)."""
    coefs = mesh.evecs.T @ (mesh.mass[:, None] * x)  # (k, C)
    coefs *= np.exp(-mesh.evals[:, None] * time[None, :])
    return mesh.evecs @ coefs


def heat_kernel_signature(mesh: MeshArrays, times: tuple[float, ...]) -> np.ndarray:
    """log of the heat kernel signature at ``times``, each normalised by its mass-weighted mean;
    (V, len(times)) float64 (as ``training.nn.diffusion.heat_kernel_signature``; computed in
    float64 because it is cheap and is the network's input)."""
    t = np.asarray(times, dtype=np.float64)
    evals, mass = mesh.evals.astype(np.float64), mesh.mass.astype(np.float64)
    hks = (mesh.evecs.astype(np.float64) ** 2) @ np.exp(-evals[:, None] * t[None, :])
    mean = (mass[:, None] * hks).sum(0) / max(float(mass.sum()), 1e-12)
    return np.log(np.maximum(hks, 1e-12) / np.maximum(mean, 1e-12))


@dataclass
class DiffusionBlock:
    """Diffusion + tangent-basis-invariant gradient features + per-vertex MLP, with a residual."""

    time: np.ndarray  # (C,) exp(log_time)
    grad_re: np.ndarray  # (C, C)
    grad_im: np.ndarray  # (C, C)
    norm_weight: np.ndarray
    norm_bias: np.ndarray
    mlp: MLP

    def __call__(self, x: np.ndarray, mesh: MeshArrays) -> np.ndarray:
        diffused = spectral_diffusion(x, mesh, self.time)
        gx = mesh.grad_x @ diffused
        gy = mesh.grad_y @ diffused
        # one matmul for both complex-linear maps: [gx gy] @ [[re, im], [-im, re]]
        width = x.shape[1]
        both = np.concatenate([gx, gy], axis=1) @ self._complex
        b_re, b_im = both[:, :width], both[:, width:]
        grad_feat = np.tanh(gx * b_re + gy * b_im)
        h = layer_norm(np.concatenate([x, diffused, grad_feat], axis=1), self.norm_weight, self.norm_bias)
        return x + self.mlp(h)

    def __post_init__(self) -> None:
        # b_re = gx re - gy im, b_im = gy re + gx im
        self._complex = np.block([[self.grad_re, self.grad_im], [-self.grad_im, self.grad_re]])


@dataclass
class DiffusionNet:
    """Linear in -> blocks -> linear out; (V, C_in) -> (V, C_out)."""

    inp: Linear
    blocks: list[DiffusionBlock]
    out: Linear

    def __call__(self, x: np.ndarray, mesh: MeshArrays) -> np.ndarray:
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, mesh)
        return self.out(h)
