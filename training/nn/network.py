"""The face-skinning network: target trunk (identity code, skinning, decoder basis) and
expression encoder.

Data flow (Cha et al. 2025, our implementation)::

    target neutral --DiffusionNet--> f[v] --+--> skin[v] = softmax(W f[v])          (V, K)
                                            +--> z_id = MLP(sum_v m_v g(f[v]) / sum m) (D,)
    (source neutral, frame) --ExpressionEncoder--> z_exp       (53 ICT FACS weights)
    z_local[v] = mask(skin[v]) * z_exp                          (elementwise, 53 FACS dims)
    delta[v]   = sum_i z_local[v, i] * basis[v, i, :]           basis = MLP([f[v], z_id, skin[v]])

The decoder is linear in ``z_local`` because ICT-FaceKit expressions are linear blendshapes;
baking shape ``i`` is decoding the one-hot code ``e_i``. The expression encoder
(:mod:`training.nn.encoder`: its own analysis basis of the source, pooled by mass-weighted normal
equations) has its own parameters and losses, so the trunk and the encoder train side by side
(one per core). The same normal equations built on the network's own bake of the source give
the analysis-by-synthesis encoder (``method="fit"``); ``"joint"`` uses both bases.
``mask`` is a function of the skinning weights alone, so repainting a vertex's skin weights
changes which FACS units move it.
All positions and deltas are in the canonical frame (Y up, +Z forward, unit scale).
"""

from __future__ import annotations

import torch
from torch import nn

from model.runtime.config import NetConfig

from .diffusion import DiffusionNet, MeshTensors, heat_kernel_signature
from .encoder import NUM_FACS, ExpressionEncoder, normal_equations, solve_codes

__all__ = ["FaceSkinningNet", "NetConfig"]


class FaceSkinningNet(nn.Module):
    """See the module docstring. Methods take one mesh's :class:`MeshTensors`."""

    runtime = "torch"

    def __init__(self, config: NetConfig):
        super().__init__()
        self.config = config
        c = config
        k = len(c.region_names)
        n_hks = len(c.hks_times) + 6 * len(c.pos_freqs)
        # target trunk: position, normal, HKS
        self.trunk = DiffusionNet(6 + n_hks, c.width, c.width, c.depth)
        self.skin_head = nn.Sequential(nn.Linear(c.width, c.width), nn.GELU(), nn.Linear(c.width, k))
        self.id_point = nn.Sequential(nn.Linear(c.width, c.pool_dim), nn.GELU())
        self.id_head = nn.Sequential(
            nn.Linear(c.pool_dim, c.pool_dim), nn.GELU(), nn.Linear(c.pool_dim, c.id_dim)
        )
        self.mask_mlp = nn.Sequential(
            nn.Linear(k, c.mask_hidden), nn.GELU(), nn.Linear(c.mask_hidden, NUM_FACS)
        )
        self.basis_mlp = nn.Sequential(
            nn.Linear(c.width + c.id_dim + k, c.dec_hidden),
            nn.GELU(),
            nn.Linear(c.dec_hidden, c.dec_hidden),
            nn.GELU(),
            nn.Linear(c.dec_hidden, NUM_FACS * 3),
        )
        self.encoder = ExpressionEncoder(6 + n_hks, c.enc_width, c.enc_depth, c.enc_hidden, c.delta_scale)

    # ---- target side -------------------------------------------------------------------------
    def geometric_input(self, mesh: MeshTensors) -> torch.Tensor:
        """(V, 6 + S + 6F): canonical position, normal, log-HKS, Fourier features of position."""
        hks = heat_kernel_signature(mesh, self.config.hks_times)
        parts = [mesh.positions, mesh.normals, hks]
        if self.config.pos_freqs:
            f = torch.tensor(self.config.pos_freqs, dtype=mesh.positions.dtype, device=mesh.positions.device)
            ang = (mesh.positions[:, :, None] * f).reshape(mesh.num_vertices, -1)
            parts += [torch.sin(ang), torch.cos(ang)]
        return torch.cat(parts, dim=-1)

    def target_features(self, mesh: MeshTensors) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns per-vertex features (V, C), identity code (D,), skin logits (V, K)."""
        f = self.trunk(self.geometric_input(mesh)[None], mesh)[0]
        logits = self.skin_head(f)
        pooled = (mesh.mass[:, None] * self.id_point(f)).sum(0) / mesh.mass.sum().clamp_min(1e-12)
        return f, self.id_head(pooled), logits

    def localization_mask(self, skin: torch.Tensor) -> torch.Tensor:
        """(V, K) skin weights -> (V, 53) in (0, 1): how much each FACS unit may act there."""
        floor = self.config.mask_floor
        return floor + (1.0 - floor) * torch.sigmoid(self.mask_mlp(skin))

    def basis(self, features: torch.Tensor, z_id: torch.Tensor, skin: torch.Tensor) -> torch.Tensor:
        """Per-vertex displacement basis (V, 53, 3), canonical units."""
        v = features.shape[0]
        h = torch.cat([features, z_id[None].expand(v, -1), skin], dim=-1)
        return self.basis_mlp(h).reshape(v, NUM_FACS, 3) / self.config.delta_scale

    def rig(
        self,
        mesh: MeshTensors,
        skin: torch.Tensor | None = None,
        features: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Everything needed to decode on this target: features, z_id, logits, skin, mask, basis.

        ``skin`` (V, K) replaces the predicted skinning weights (e.g. painted by a user).
        ``features``: a previous :meth:`target_features` result for this mesh (skips the trunk).
        """
        f, z_id, logits = self.target_features(mesh) if features is None else features
        if skin is None:
            skin = torch.softmax(logits, dim=-1)
        mask = self.localization_mask(skin)
        basis = self.basis(f, z_id, skin)
        return {"features": f, "z_id": z_id, "logits": logits, "skin": skin, "mask": mask, "basis": basis}

    @staticmethod
    def decode(rig: dict[str, torch.Tensor], codes: torch.Tensor) -> torch.Tensor:
        """codes (B, 53) -> displacements (B, V, 3): z_local = mask * code, contracted with basis."""
        z_local = rig["mask"][None] * codes[:, None, :]  # (B, V, 53)
        return torch.einsum("bvi,vic->bvc", z_local, rig["basis"])

    @staticmethod
    def bake(rig: dict[str, torch.Tensor]) -> torch.Tensor:
        """Decode every one-hot code at once: (53, V, 3)."""
        return (rig["mask"][..., None] * rig["basis"]).permute(1, 0, 2)

    # ---- source side -------------------------------------------------------------------------
    def encoder_basis(self, source: MeshTensors) -> torch.Tensor:
        """The learned encoder's analysis basis (53, V, 3) of a source neutral."""
        return self.encoder.basis(self.geometric_input(source), source)

    def encoder_features(self, source: MeshTensors) -> tuple[torch.Tensor, ...]:
        """Source neutral -> the learned encoder's normal equations (once per source)."""
        return normal_equations(self.encoder_basis(source), source.mass, self.config.ridge)

    def encode_learned(
        self,
        source: MeshTensors,
        displacement: torch.Tensor,
        features: tuple[torch.Tensor, ...] | None = None,
        box: bool = False,
    ) -> torch.Tensor:
        """Learned encoder: canonical displacements (B, V, 3) of the source -> codes (B, 53)
        estimating the ICT FACS weights (``box`` as in :meth:`encode_with`)."""
        analysis = self.encoder_features(source) if features is None else features
        return self.encode_with(analysis, displacement, box=box)

    def analysis(self, source: MeshTensors) -> tuple[torch.Tensor, ...]:
        """Analysis by synthesis: the normal equations of the network's own bake of the source
        (``method="fit"`` of :meth:`model.api.FaceModel.encode`)."""
        return normal_equations(self.bake(self.rig(source)), source.mass, self.config.ridge)

    def encode_with(
        self, analysis: tuple[torch.Tensor, ...], displacement: torch.Tensor, box: bool = False
    ) -> torch.Tensor:
        """Codes (B, 53) of canonical displacements (B, V, 3) given normal equations
        (:func:`training.nn.encoder.solve_codes`; ``box=True`` uses the configured L1 weight)."""
        c = self.config
        return solve_codes(analysis, displacement, box, c.code_l1, c.code_iterations, c.code_l1_power)

    def encode_expression(
        self, source: MeshTensors, displacement: torch.Tensor, box: bool = False
    ) -> torch.Tensor:
        """Analysis by synthesis (``method="fit"``): source neutral operators + displacements
        (B, V, 3) canonical -> codes (B, 53) (see :meth:`encode_with` for ``box``)."""
        return self.encode_with(self.analysis(source), displacement, box=box)

    # ---- what model.api.FaceModel asks of any net (model.runtime.network.NumpyFaceNet too) ------
    @staticmethod
    def mesh_input(prepared, device: str = "cpu") -> MeshTensors:
        """``prepared``'s (a :class:`model.api.PreparedMesh`) operators as :class:`MeshTensors`
        on ``device``, built once per mesh and device (cached on the prepared mesh)."""
        cache = prepared._tensors
        if device not in cache:
            ops = prepared.operators
            cache[device] = MeshTensors.from_numpy(
                prepared.canonical,
                ops.normals,
                ops.mass,
                ops.evals,
                ops.evecs,
                ops.grad_x,
                ops.grad_y,
                device,
            )
        return cache[device]

    @staticmethod
    def as_input(array, device: str = "cpu") -> torch.Tensor:
        """A float32 numpy array as a tensor on ``device``."""
        return torch.from_numpy(array).to(device)

    @staticmethod
    def inference_context():
        """Inference needs no autograd."""
        return torch.no_grad()

    @staticmethod
    def combine_normal_equations(*analyses):
        """See :func:`training.nn.encoder.combine_normal_equations`."""
        from .encoder import combine_normal_equations

        return combine_normal_equations(*analyses)
