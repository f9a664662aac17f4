"""The learned expression encoder: (source neutral, frames of it) -> global expression codes.

Data flow (all positions and displacements in the source's canonical frame)::

    neutral --DiffusionNet--> g[v]                       (V, C)      once per source
    a[v]     = Linear(g[v])                              (V, P, 3)   P "analysis fields"
    u[b, v]  = a[v] . (s * d[b, v])                      (B, V, P)   d = frame - neutral
    pooled_b = G * sum_v m_v u[b, v] / sum_v m_v         (B, P)      mass-weighted mean
    code_b   = Linear(pooled_b) + MLP(pooled_b)          (B, 53 + extra)

ICT-FaceKit expressions are linear blendshapes, so the exact inverse on one mesh is linear in the
displacement (a least-squares pseudo-inverse is exactly such a set of fields ``a``). The encoder
learns those fields as a function of the neutral's geometry, which carries over to any topology,
and the MLP head corrects the small nonlinear effects (crops, overlapping units). The mass-
weighted mean is the only operation across vertices besides diffusion: it is an integral over
the surface, so refining the mesh does not change the code. ``G`` (``pool_gain``) keeps a unit
that moves ~1% of the surface at O(1) in the pooled features: without it the fields must grow
to O(100) from their O(1) initialisation and training crawled in a pilot. The first 53 dimensions are
supervised to equal the ICT FACS weights; the extra dimensions are free.
"""

from __future__ import annotations

import torch
from torch import nn

from .diffusion import DiffusionNet, MeshTensors


class ExpressionEncoder(nn.Module):
    """See the module docstring. ``geo_in``: width of the geometric per-vertex input."""

    def __init__(
        self,
        geo_in: int,
        code_dim: int,
        width: int = 64,
        depth: int = 4,
        fields: int = 128,
        delta_scale: float = 20.0,
        pool_gain: float = 100.0,
    ):
        super().__init__()
        self.code_dim = code_dim
        self.fields = fields
        self.delta_scale = delta_scale
        self.pool_gain = pool_gain
        self.neutral_net = DiffusionNet(geo_in, width, width, depth)
        self.analysis = nn.Linear(width, 3 * fields)
        self.linear_head = nn.Linear(fields, code_dim)
        self.mlp_head = nn.Sequential(nn.Linear(fields, fields), nn.GELU(), nn.Linear(fields, code_dim))

    def neutral_features(self, geometric_input: torch.Tensor, mesh: MeshTensors) -> torch.Tensor:
        """(V, geo_in) geometric input of the source neutral -> (V, P, 3) analysis fields."""
        g = self.neutral_net(geometric_input[None], mesh)[0]
        return self.analysis(g).reshape(g.shape[0], self.fields, 3)

    def forward(self, fields: torch.Tensor, mesh: MeshTensors, displacement: torch.Tensor) -> torch.Tensor:
        """fields (V, P, 3) from :meth:`neutral_features`; displacement (B, V, 3) canonical ->
        codes (B, code_dim)."""
        w = self.pool_gain * mesh.mass / mesh.mass.sum().clamp_min(1e-20)
        pooled = torch.einsum("vpc,bvc,v->bp", fields, displacement * self.delta_scale, w)
        return self.linear_head(pooled) + self.mlp_head(pooled)
