"""One mesh's operators as numpy arrays, the numpy counterpart of ``training.nn.diffusion.MeshTensors``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class MeshArrays:
    """Operators of one mesh in the canonical frame.

    positions, normals: (V, 3) float32; mass: (V,) float32 (lumped vertex area); evals: (k,)
    float32; evecs: (V, k) float32, mass-orthonormal; grad_x, grad_y: scipy CSR (V, V) float32,
    the gradient of a vertex function in each vertex's tangent frame.
    """

    positions: np.ndarray
    normals: np.ndarray
    mass: np.ndarray
    evals: np.ndarray
    evecs: np.ndarray
    grad_x: sp.csr_matrix
    grad_y: sp.csr_matrix

    @property
    def num_vertices(self) -> int:
        return int(self.positions.shape[0])

    def astype(self, dtype: type) -> MeshArrays:
        """These operators in ``dtype`` (self when they already are)."""
        if self.positions.dtype == dtype:
            return self
        return MeshArrays(*(getattr(self, k).astype(dtype) for k in self.__dataclass_fields__))

    @classmethod
    def from_numpy(
        cls, positions, normals, mass, evals, evecs, grad_x, grad_y, dtype: type = np.float32
    ) -> MeshArrays:
        """Build from arrays and scipy sparse gradient matrices (any format); ``dtype``: float32
        for inference, float64 for exact comparisons."""

        def dense(a) -> np.ndarray:
            return np.ascontiguousarray(a, dtype=dtype)

        def sparse(m) -> sp.csr_matrix:
            m = sp.csr_matrix(m, dtype=dtype)
            m.sum_duplicates()
            return m

        return cls(
            dense(positions),
            dense(normals),
            dense(mass),
            dense(evals),
            dense(evecs),
            sparse(grad_x),
            sparse(grad_y),
        )
