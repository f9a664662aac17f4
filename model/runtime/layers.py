"""Layers of the network as float32 numpy functions on per-vertex features (V, C).

Each mirrors a torch layer of :mod:`training.nn` (``nn.Linear``, exact-erf ``nn.GELU``,
``nn.LayerNorm``, the DiffusionNet block); weights are held pre-transposed, (C_in, C_out).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from .mesh import MeshArrays

_SQRT_HALF = float(np.sqrt(0.5))
_LAYER_NORM_EPS = 1e-5  # torch.nn.LayerNorm's default

# Row-parallel elementwise and per-row work (GELU's erf, LayerNorm, the gradient features' tanh):
# numpy and scipy's ufunc loops release the interpreter lock, and each row's result depends on
# that row alone, so splitting the rows among threads gives the same bits. These were ~0.45 s of
# a 20k-vertex trunk on one core while the second sat idle (BLAS matmuls already use both).
# One core is left to the registration, which runs on a background thread while the trunk does
# (Predict Weights, mixed): on this 2-core machine the split slowed the cold 20k bake (paired
# bake_breakdown, total 4.55 -> 4.86 s, the background registration 1.46 -> 1.71 s) and one
# thread gave 4.47 / 4.21 s against the session start's 4.61 / 4.41
_ROW_THREADS = max(1, min((os.cpu_count() or 1) - 1, 4))
# fewer elements than this are done on the calling thread (a hand-off costs ~0.1 ms)
_ROW_SPLIT_MIN = 1 << 17
_ROW_POOL: ThreadPoolExecutor | None = None


def _by_rows(fn: Callable[[slice], None], rows: int, elements: int) -> None:
    """Call ``fn(rows_slice)`` on consecutive row blocks covering ``range(rows)``, the blocks on
    up to :data:`_ROW_THREADS` threads when ``elements`` is large enough; ``fn`` writes its
    block's result in place and must touch nothing outside its rows."""
    global _ROW_POOL
    parts = min(_ROW_THREADS, rows) if elements >= _ROW_SPLIT_MIN else 1
    if parts <= 1:
        fn(slice(0, rows))
        return
    if _ROW_POOL is None:
        _ROW_POOL = ThreadPoolExecutor(max_workers=_ROW_THREADS - 1, thread_name_prefix="nfs-rows")
    bounds = np.linspace(0, rows, parts + 1).astype(int)
    blocks = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    futures = [_ROW_POOL.submit(fn, block) for block in blocks[1:]]
    fn(blocks[0])
    for future in futures:
        future.result()


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x) with the exact normal CDF (torch's default GELU), in the dtype of x; a new
    array (x is left as it is)."""
    y = np.empty_like(x)
    if x.ndim < 2:
        _gelu_into(x, y)
        return y
    _by_rows(lambda rows: _gelu_into(x[rows], y[rows]), x.shape[0], x.size)
    return y


def _gelu_into(x: np.ndarray, y: np.ndarray) -> None:
    # x * (0.5 * (1 + erf(x / sqrt 2))) in one buffer: the same operations in the same order
    np.multiply(x, _SQRT_HALF, out=y)
    erf(y, out=y)
    y += 1.0
    y *= 0.5
    y *= x


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
    out = np.empty_like(x)
    if x.ndim != 2:
        _layer_norm_into(x, weight, bias, out)
        return out
    _by_rows(lambda rows: _layer_norm_into(x[rows], weight, bias, out[rows]), x.shape[0], x.size)
    return out


def _layer_norm_into(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    mean = x.mean(-1, keepdims=True)
    np.subtract(x, mean, out=out)
    var = np.mean(out * out, -1, keepdims=True)
    # (x - mean) / sqrt(var + eps) * weight + bias, in place (the same operations in the same order)
    out /= np.sqrt(var + _LAYER_NORM_EPS)
    out *= weight
    out += bias


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
        grad_feat = np.empty_like(gx)

        def features(rows: slice) -> None:  # tanh(gx * b_re + gy * b_im), rows on threads
            part = gx[rows] * b_re[rows]
            part += gy[rows] * b_im[rows]
            np.tanh(part, out=grad_feat[rows])

        _by_rows(features, gx.shape[0], gx.size)
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
