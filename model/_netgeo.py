"""Private stand-ins for model.geometry / model.frame, used only while those modules are not in
the checkout (parallel development). Same contracts, simpler numerics. Delete once they land.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_AXES = {"X": (1, 0, 0), "Y": (0, 1, 0), "Z": (0, 0, 1), "-X": (-1, 0, 0), "-Y": (0, -1, 0), "-Z": (0, 0, -1)}


@dataclass
class Operators:
    mass: np.ndarray
    evals: np.ndarray
    evecs: np.ndarray
    grad_x: sp.csr_matrix
    grad_y: sp.csr_matrix
    frames: np.ndarray
    normals: np.ndarray
    k: int


@dataclass
class CanonicalFrame:
    rotation: np.ndarray
    center: np.ndarray
    scale: float

    def to_canonical(self, points):
        return ((np.asarray(points, np.float64) - self.center) @ self.rotation.T) / self.scale

    def from_canonical(self, points):
        return (np.asarray(points, np.float64) * self.scale) @ self.rotation + self.center

    def vectors_from_canonical(self, v):
        return (np.asarray(v, np.float64) * self.scale) @ self.rotation

    def vectors_to_canonical(self, v):
        return (np.asarray(v, np.float64) @ self.rotation.T) / self.scale


def fit_frame(vertices, triangles, up="Y", forward="Z") -> CanonicalFrame:
    u = np.array(_AXES[up], float)
    f = np.array(_AXES[forward], float)
    rot = np.stack([np.cross(u, f), u, f])
    lo, hi = vertices.min(0), vertices.max(0)
    center = (lo + hi) / 2
    scale = float(np.linalg.norm(hi - lo) / 2) or 1.0
    return CanonicalFrame(rot, center, scale)


def vertex_normals(v, t):
    fn = np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]])
    n = np.zeros_like(v)
    for i in range(3):
        np.add.at(n, t[:, i], fn)
    ln = np.linalg.norm(n, axis=1, keepdims=True)
    return np.where(ln > 0, n / np.maximum(ln, 1e-30), np.array([0.0, 0.0, 1.0]))


def compute_operators(vertices, triangles, k=128, cache=True) -> Operators:
    import robust_laplacian
    from scipy.sparse.linalg import eigsh

    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    nv = len(v)
    L, M = robust_laplacian.mesh_laplacian(v, t)
    mass = np.maximum(M.diagonal(), 1e-8 * max(M.diagonal().max(), 1e-12))
    M = sp.diags(mass)
    k = min(k, nv - 2)
    evals, evecs = eigsh(L + 1e-8 * M, k=k, M=M, sigma=-1e-8)
    normals = vertex_normals(v, t)
    ref = np.where(np.abs(normals[:, :1]) < 0.9, np.array([[1.0, 0, 0]]), np.array([[0, 1.0, 0]]))
    ex = ref - (ref * normals).sum(1, keepdims=True) * normals
    ex /= np.linalg.norm(ex, axis=1, keepdims=True)
    ey = np.cross(normals, ex)
    # per-face gradient of the hat functions, area-averaged onto vertices, projected on frames
    e0, e1, e2 = v[t[:, 2]] - v[t[:, 1]], v[t[:, 0]] - v[t[:, 2]], v[t[:, 1]] - v[t[:, 0]]
    fn = np.cross(e2, -e1)
    a2 = np.linalg.norm(fn, axis=1)
    ok = a2 > 1e-20
    fn = np.where(ok[:, None], fn / np.maximum(a2, 1e-30)[:, None], 0)
    grads = [np.cross(fn, e) / np.maximum(a2, 1e-30)[:, None] for e in (e0, e1, e2)]
    nt = len(t)
    rows = np.repeat(np.arange(nt), 3)
    cols = t.reshape(-1)
    area = a2 / 2
    vsum = np.bincount(t.reshape(-1), np.repeat(area, 3), minlength=nv)
    avg = sp.csr_matrix(
        (
            np.repeat(area, 3) / np.maximum(vsum[t.reshape(-1)], 1e-30),
            (t.reshape(-1), np.repeat(np.arange(nt), 3)),
        ),
        shape=(nv, nt),
    )
    gv = []
    for c in range(3):
        vals = np.stack([g[:, c] for g in grads], 1).reshape(-1)
        gv.append(avg @ sp.csr_matrix((vals, (rows, cols)), shape=(nt, nv)))
    gx = sum(sp.diags(ex[:, c]) @ gv[c] for c in range(3)).tocsr().astype(np.float32)
    gy = sum(sp.diags(ey[:, c]) @ gv[c] for c in range(3)).tocsr().astype(np.float32)
    frames = np.stack([ex, ey, normals], 1).astype(np.float32)
    return Operators(
        mass.astype(np.float32),
        evals.astype(np.float32),
        evecs.astype(np.float32),
        gx,
        gy,
        frames,
        normals.astype(np.float32),
        k,
    )
