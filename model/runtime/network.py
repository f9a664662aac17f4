"""The face-skinning network's inference in numpy: :class:`NumpyFaceNet`.

Same methods, inputs and outputs as :class:`training.nn.network.FaceSkinningNet` (see its module
docstring for the data flow), on numpy float32 arrays and :class:`MeshArrays`, built from the
torch ``state_dict`` names and arrays of ``model.npz`` (:mod:`model.runtime.weights`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import numpy as np
from scipy.special import expit

from ..errors import WeightsError
from ..facs import NUM_EXPRESSIONS as NUM_FACS
from . import encoder as enc
from .config import NetConfig
from .layers import MLP, DiffusionBlock, DiffusionNet, Linear, gelu, heat_kernel_signature
from .mesh import MeshArrays

Rig = dict[str, np.ndarray]


class _Params:
    """The state_dict arrays, taken by name with their expected shapes; reports leftovers."""

    def __init__(self, arrays: Mapping[str, np.ndarray], dtype: type = np.float32):
        self._arrays = {k: np.asarray(v, dtype=dtype) for k, v in arrays.items()}
        self._used: set[str] = set()

    def take(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in self._arrays:
            raise WeightsError(f"the numpy weights lack {name!r}: export them again from model.pt")
        a = self._arrays[name]
        if a.shape != shape:
            raise WeightsError(
                f"the numpy weights' {name!r} has shape {a.shape}, the config needs {shape}: "
                "export them again from model.pt"
            )
        self._used.add(name)
        return a

    def linear(self, prefix: str, c_in: int, c_out: int, bias: bool = True) -> Linear:
        w = np.ascontiguousarray(self.take(f"{prefix}.weight", (c_out, c_in)).T)
        return Linear(w, self.take(f"{prefix}.bias", (c_out,)) if bias else None)

    def mlp(self, prefix: str, sizes: list[int]) -> MLP:
        # nn.Sequential(Linear, GELU, Linear, ...): the linear layers sit at even indices
        return MLP(
            [
                self.linear(f"{prefix}.{2 * i}", a, b)
                for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False))
            ]
        )

    def diffusion_net(self, prefix: str, c_in: int, c_out: int, width: int, depth: int) -> DiffusionNet:
        blocks = []
        for i in range(depth):
            p = f"{prefix}.blocks.{i}"
            blocks.append(
                DiffusionBlock(
                    time=np.exp(self.take(f"{p}.log_time", (width,))),
                    grad_re=np.ascontiguousarray(self.take(f"{p}.grad_re.weight", (width, width)).T),
                    grad_im=np.ascontiguousarray(self.take(f"{p}.grad_im.weight", (width, width)).T),
                    norm_weight=self.take(f"{p}.norm.weight", (3 * width,)),
                    norm_bias=self.take(f"{p}.norm.bias", (3 * width,)),
                    mlp=self.mlp(f"{p}.mlp", [3 * width, width, width]),
                )
            )
        return DiffusionNet(
            self.linear(f"{prefix}.inp", c_in, width), blocks, self.linear(f"{prefix}.out", width, c_out)
        )

    def check_all_used(self) -> None:
        extra = sorted(set(self._arrays) - self._used)
        if extra:
            raise WeightsError(
                f"the numpy weights have arrays the config does not use ({extra[:5]}): export again"
            )


class NumpyFaceNet:
    """Inference of :class:`training.nn.network.FaceSkinningNet` from its state_dict arrays.

    ``arrays``: name -> array as in the torch ``state_dict``. ``dtype``: float32 (inference) or
    float64 (the parity tests' exact comparison; give it float64 :class:`MeshArrays` too).
    Raises WeightsError when a name is missing or extra, or a shape does not match ``config``.
    """

    runtime = "numpy"

    def __init__(self, config: NetConfig, arrays: Mapping[str, np.ndarray], dtype: type = np.float32):
        self.config = c = config
        self.dtype = np.dtype(dtype)
        self._arrays = dict(arrays)
        self._float64: NumpyFaceNet | None = None
        k = len(c.region_names)
        geo_in = 6 + len(c.hks_times) + 6 * len(c.pos_freqs)
        p = _Params(arrays, dtype)
        self.trunk = p.diffusion_net("trunk", geo_in, c.width, c.width, c.depth)
        self.skin_head = p.mlp("skin_head", [c.width, c.width, k])
        self.id_point = p.mlp("id_point", [c.width, c.pool_dim])
        self.id_head = p.mlp("id_head", [c.pool_dim, c.pool_dim, c.id_dim])
        self.mask_mlp = p.mlp("mask_mlp", [k, c.mask_hidden, NUM_FACS])
        self.basis_mlp = p.mlp(
            "basis_mlp", [c.width + c.id_dim + k, c.dec_hidden, c.dec_hidden, NUM_FACS * 3]
        )
        self.enc_net = p.diffusion_net("encoder.neutral_net", geo_in, c.enc_width, c.enc_width, c.enc_depth)
        self.enc_basis_mlp = p.mlp(
            "encoder.basis_mlp", [c.enc_width, c.enc_hidden, c.enc_hidden, NUM_FACS * 3]
        )
        p.check_all_used()

    # ---- target side -------------------------------------------------------------------------
    def geometric_input(self, mesh: MeshArrays) -> np.ndarray:
        """(V, 6 + S + 6F): canonical position, normal, log-HKS, Fourier features of position."""
        # log-HKS and sines in float64: cheap (V x ~40), and the sines of 32 x position lose
        # digits in float32
        parts = [
            mesh.positions,
            mesh.normals,
            heat_kernel_signature(mesh, self.config.hks_times),
        ]
        if self.config.pos_freqs:
            f = np.asarray(self.config.pos_freqs, dtype=np.float64)
            ang = (mesh.positions.astype(np.float64)[:, :, None] * f).reshape(mesh.num_vertices, -1)
            parts += [np.sin(ang), np.cos(ang)]
        return np.concatenate(parts, axis=1).astype(mesh.positions.dtype, copy=False)

    def target_features(self, mesh: MeshArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-vertex features (V, C), identity code (D,), skin logits (V, K)."""
        f = self.trunk(self.geometric_input(mesh), mesh)
        # id_point is Linear + GELU (the activation ends that torch Sequential)
        pooled = (mesh.mass[:, None] * gelu(self.id_point(f))).sum(0) / max(float(mesh.mass.sum()), 1e-12)
        return f, self.id_head(pooled[None])[0], self.skin_head(f)

    @staticmethod
    def skin_weights(features: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        """(V, K) predicted skin weights (softmax of the logits) from :meth:`target_features`."""
        f, _, logits = features
        e = np.exp(logits - logits.max(1, keepdims=True))
        return np.asarray(e / e.sum(1, keepdims=True), dtype=f.dtype)

    def localization_mask(self, skin: np.ndarray) -> np.ndarray:
        """(V, K) skin weights -> (V, 53) in (0, 1)."""
        floor = float(self.config.mask_floor)
        return floor + (1.0 - floor) * expit(self.mask_mlp(skin))

    def basis(self, features: np.ndarray, z_id: np.ndarray, skin: np.ndarray) -> np.ndarray:
        """Per-vertex displacement basis (V, 53, 3), canonical units."""
        v = features.shape[0]
        h = np.concatenate([features, np.broadcast_to(z_id[None], (v, z_id.shape[0])), skin], axis=1)
        return self.basis_mlp(h).reshape(v, NUM_FACS, 3) / float(self.config.delta_scale)

    def rig(
        self,
        mesh: MeshArrays,
        skin: np.ndarray | None = None,
        features: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> Rig:
        """features, z_id, logits, skin (softmax, or the given (V, K)), mask (V, 53), basis."""
        f, z_id, logits = self.target_features(mesh) if features is None else features
        skin = self.skin_weights((f, z_id, logits)) if skin is None else np.asarray(skin, dtype=f.dtype)
        mask = self.localization_mask(skin)
        basis = self.basis(f, z_id, skin)
        return {"features": f, "z_id": z_id, "logits": logits, "skin": skin, "mask": mask, "basis": basis}

    @staticmethod
    def decode(rig: Rig, codes: np.ndarray) -> np.ndarray:
        """codes (B, 53) -> displacements (B, V, 3)."""
        return np.einsum("bvi,vic->bvc", rig["mask"][None] * codes[:, None, :], rig["basis"])

    @staticmethod
    def bake(rig: Rig) -> np.ndarray:
        """Every one-hot code decoded: (53, V, 3) in the features dtype."""
        return np.ascontiguousarray((rig["mask"][..., None] * rig["basis"]).transpose(1, 0, 2))

    # ---- source side -------------------------------------------------------------------------
    # The source's bases feed 53x53 normal equations whose condition (~1e4, overlapping shapes)
    # turns float32 rounding of a basis into ~1e-4 code errors; a source is analysed once per
    # sequence, so its bases are computed in float64.
    def _source_net(self) -> NumpyFaceNet:
        if self.dtype == np.float64:
            return self
        if self._float64 is None:
            self._float64 = NumpyFaceNet(self.config, self._arrays, np.float64)
        return self._float64

    def encoder_basis(self, source: MeshArrays) -> np.ndarray:
        """The learned encoder's analysis basis (53, V, 3) of a source neutral."""
        g = self.enc_net(self.geometric_input(source), source)
        v = g.shape[0]
        basis = self.enc_basis_mlp(g).reshape(v, NUM_FACS, 3) / float(self.config.delta_scale)
        return np.ascontiguousarray(basis.transpose(1, 0, 2))

    def encoder_features(self, source: MeshArrays) -> enc.Analysis:
        """Source neutral -> the learned encoder's normal equations (float64)."""
        source = source.astype(np.float64)
        return enc.normal_equations(self._source_net().encoder_basis(source), source.mass, self.config.ridge)

    def analysis(self, source: MeshArrays) -> enc.Analysis:
        """Normal equations of the network's own bake of the source (``method="fit"``; float64)."""
        source, net = source.astype(np.float64), self._source_net()
        return enc.normal_equations(net.bake(net.rig(source)), source.mass, self.config.ridge)

    def encode_with(self, analysis: enc.Analysis, displacement: np.ndarray, box: bool = False) -> np.ndarray:
        """Codes (B, 53) of canonical displacements (B, V, 3) given normal equations."""
        c = self.config
        return enc.solve_codes(analysis, displacement, box, c.code_l1, c.code_iterations, c.code_l1_power)

    # ---- what model.api.FaceModel asks of any net (the torch one answers the same) -----------
    @staticmethod
    def mesh_input(prepared, device: str = "cpu") -> MeshArrays:
        """``prepared``'s (a :class:`model.api.PreparedMesh`) operators as :class:`MeshArrays`,
        built once per mesh (cached on the prepared mesh, as the torch net caches its tensors)."""
        cache = prepared._tensors
        if "numpy" not in cache:
            ops = prepared.operators
            cache["numpy"] = MeshArrays.from_numpy(
                prepared.canonical, ops.normals, ops.mass, ops.evals, ops.evecs, ops.grad_x, ops.grad_y
            )
        return cache["numpy"]

    @staticmethod
    def as_input(array: np.ndarray, device: str = "cpu") -> np.ndarray:
        """A float32 numpy array as this net's input (itself)."""
        return array

    @staticmethod
    def inference_context() -> contextlib.AbstractContextManager:
        """Nothing to switch off in numpy (torch: no autograd)."""
        return contextlib.nullcontext()

    @staticmethod
    def combine_normal_equations(*analyses: enc.Analysis) -> enc.Analysis:
        """See :func:`model.runtime.encoder.combine_normal_equations`."""
        return enc.combine_normal_equations(*analyses)
