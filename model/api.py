"""The numpy boundary of the network: everything else (CLI, Blender add-on, demo) uses this.

Typical use::

    fm = FaceModel.load()                       # shipped weights/
    target = fm.prepare(vertices, triangles)    # (V,3) any units/position, Y up, +Z forward
    skin = fm.predict_skin_weights(target)      # (V, K) float32, rows sum to 1
    deltas = fm.bake(target)                    # (53, V, 3) float32, input units and axes
    codes = fm.encode(fm.prepare(src_neutral, src_tris), frames)   # (T, 53) ICT weights

Inputs keep their vertex order and count; every per-vertex output is index-aligned with them.
Internally meshes are moved into the canonical frame (:mod:`model.frame`: Y up, face to +Z,
translation and scale removed) and the network works there; deltas come back through the
inverse rotation and scale (no translation, they are vectors).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import MeshError
from .facs import ICT_NAMES

# frames per forward pass of the expression encoder: bounds memory at (chunk * V * width) floats
_ENCODE_CHUNK = 64
# FaceModel.encode methods: the learned expression encoder, analysis by synthesis with the
# network's bake, or both bases in one joint fit
ENCODE_METHODS = ("learned", "fit", "joint")


@dataclass
class PreparedMesh:
    """A mesh ready for the network: its canonical frame and Laplace/gradient operators.

    vertices: (V, 3) float64 as given (input units/axes); triangles: (T, 3) int64;
    frame: the fitted canonical frame; canonical: (V, 3) float32 vertices in that frame;
    operators: the geometry operators of ``canonical`` (:class:`model.geometry.Operators`).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    frame: Any
    canonical: np.ndarray
    operators: Any
    _tensors: dict = field(default_factory=dict, repr=False)

    @property
    def num_vertices(self) -> int:
        return int(self.vertices.shape[0])

    def tensors(self, device: str = "cpu"):
        """The operators as :class:`model.nn.diffusion.MeshTensors` (built once per device)."""
        if device not in self._tensors:
            from .nn.diffusion import MeshTensors

            ops = self.operators
            self._tensors[device] = MeshTensors.from_numpy(
                self.canonical, ops.normals, ops.mass, ops.evals, ops.evecs, ops.grad_x, ops.grad_y, device
            )
        return self._tensors[device]


def prepare_mesh(
    vertices: np.ndarray,
    triangles: np.ndarray,
    k: int,
    up: str = "Y",
    forward: str = "Z",
    cache: bool = True,
) -> PreparedMesh:
    """Validate, fit the canonical frame and compute ``k`` eigenpairs + gradients.

    vertices (V, 3) float in any units/position; triangles (T, 3) int. Raises the typed mesh
    errors of :mod:`model.errors`.
    """
    from .frame import fit_frame
    from .geometry import compute_operators
    from .mesh_io import validate

    vertices = np.asarray(vertices, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    validate(vertices, triangles)
    frame = fit_frame(vertices, triangles, up=up, forward=forward)
    canonical = np.asarray(frame.to_canonical(vertices), dtype=np.float32)
    ops = compute_operators(canonical, triangles, k=k, cache=cache)
    return PreparedMesh(vertices, triangles, frame, canonical, ops)


class FaceModel:
    """The trained network behind a numpy API. Create with :meth:`load`."""

    # bake-time constraints of :mod:`model.shape_locality` (bake, decode, retarget alike)
    shape_locality: bool = True
    shape_symmetry: bool = True

    def __init__(self, net, config: dict, device: str = "cpu"):
        self.net = net
        self.config = config
        self.device = device
        meta = config.get("metadata", {})
        self.name: str = str(meta.get("name", "neural-face-skinning"))
        self.version: str = str(meta.get("version", "0"))
        self.region_names: tuple[str, ...] = tuple(net.config.region_names)
        self.expression_names: tuple[str, ...] = ICT_NAMES
        self.k_eig: int = int(net.config.k_eig)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, device: str = "cpu") -> FaceModel:
        """Load a weights folder (None: the shipped ``weights/``); verifies its sha256.

        Raises :class:`model.errors.WeightsError` for a missing, corrupt or mismatched folder.
        """
        from .weights import load_model

        net, config = load_model(path, device=device)
        return cls(net, config, device)

    # ------------------------------------------------------------------------------------------
    def prepare(
        self, vertices: np.ndarray, triangles: np.ndarray, up: str = "Y", forward: str = "Z"
    ) -> PreparedMesh:
        """Prepare a mesh: (V, 3) vertices in any units/position, (T, 3) triangles; ``up`` and
        ``forward`` name the input's axes ("X", "-Y", ...). Cached on disk by content."""
        return prepare_mesh(vertices, triangles, self.k_eig, up=up, forward=forward)

    def _rig(self, prepared: PreparedMesh, skin_weights: np.ndarray | None):
        import torch

        mesh = prepared.tensors(self.device)
        skin = None
        if skin_weights is not None:
            skin_np = np.asarray(skin_weights, dtype=np.float32)
            if skin_np.shape != (prepared.num_vertices, len(self.region_names)):
                raise MeshError(
                    f"skin_weights has shape {skin_np.shape}, expected ({prepared.num_vertices}, "
                    f"{len(self.region_names)}): one row per vertex, one column per region"
                )
            if not np.all(np.isfinite(skin_np)):
                raise MeshError("skin_weights contain NaN/inf; repaint or reset them to the predicted ones")
            skin = torch.from_numpy(skin_np).to(self.device)
        with torch.no_grad():
            # the trunk is the expensive part: run it once per mesh and model, so predicting
            # the skin and baking (with predicted or repainted skin) share it
            key = ("features", id(self.net), self.device)
            if key not in prepared._tensors:
                prepared._tensors[key] = self.net.target_features(mesh)
            return self.net.rig(mesh, skin=skin, features=prepared._tensors[key])

    def predict_skin_weights(self, prepared: PreparedMesh) -> np.ndarray:
        """(V, K) float32 softmax weights over :attr:`region_names`; rows sum to 1."""
        rig = self._rig(prepared, None)
        return rig["skin"].cpu().numpy().astype(np.float32)

    def bake(self, prepared: PreparedMesh, skin_weights: np.ndarray | None = None) -> np.ndarray:
        """The 53 ICT expression shapes as additive deltas (53, V, 3) float32, in the input's
        units and axes, index-aligned with the input vertices.

        ``skin_weights`` (V, K), e.g. repainted by a user, replace the predicted ones.
        """
        return self._from_canonical(prepared, self._bake_canonical(prepared, skin_weights))

    def _bake_canonical(self, prepared: PreparedMesh, skin_weights: np.ndarray | None) -> np.ndarray:
        from .shape_locality import post_process

        rig = self._rig(prepared, skin_weights)
        deltas, skin = self.net.bake(rig).cpu().numpy(), rig["skin"].cpu().numpy()
        return post_process(
            deltas, prepared.canonical, prepared.triangles, skin, self.shape_locality, self.shape_symmetry
        )

    def decode(
        self, prepared: PreparedMesh, codes: np.ndarray, skin_weights: np.ndarray | None = None
    ) -> np.ndarray:
        """Displacements (T, V, 3) float32 (input units/axes) for FACS codes (T, 53)."""
        codes = np.asarray(codes, dtype=np.float32)
        if codes.ndim != 2 or codes.shape[1] != len(ICT_NAMES):
            raise MeshError(
                f"codes must be (T, 53), got {codes.shape}; pass one row of ICT weights per frame"
            )
        # the decoder is linear in the codes: blend the (constrained) baked shapes
        disp = np.einsum("ti,ivc->tvc", codes, self._bake_canonical(prepared, skin_weights))
        return self._from_canonical(prepared, disp)

    def encode(self, neutral: PreparedMesh, frames: np.ndarray, method: str | None = None) -> np.ndarray:
        """Recover ICT FACS weights of animation frames of ``neutral``'s mesh.

        frames: (T, V, 3) (or (V, 3)) vertex positions in the same units/axes and vertex order
        as the neutral. Returns (T, 53) float32 in [0, 1].

        ``method`` (None: the weights' ``encode_method``): ``"learned"`` the expression encoder
        (:mod:`model.nn.encoder`: its own analysis basis of the source, a sparse fit boxed to the
        valid FACS range [0, 1]); ``"fit"`` analysis by synthesis: the same fit against the
        network's bake of the source; ``"joint"``: one fit by both bases at once.
        """
        import torch

        if method is None:
            method = self.net.config.encode_method
        if method not in ENCODE_METHODS:
            raise ValueError(f"unknown encode method {method!r}; use one of {ENCODE_METHODS}")
        frames = np.asarray(frames, dtype=np.float64)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.ndim != 3 or frames.shape[1:] != (neutral.num_vertices, 3):
            raise MeshError(
                f"frames have shape {frames.shape} but the neutral has {neutral.num_vertices} vertices: "
                "frames must share the neutral's vertex count and order"
            )
        if not np.all(np.isfinite(frames)):
            raise MeshError("some frame vertices are NaN/inf; fix or drop those frames")
        mesh = neutral.tensors(self.device)
        out = []
        with torch.no_grad():
            # the source neutral is analysed once per source and model (kept on the PreparedMesh)
            analysis = self._normal_equations(neutral, mesh, method)
            for start in range(0, frames.shape[0], _ENCODE_CHUNK):
                chunk = frames[start : start + _ENCODE_CHUNK]
                disp = np.asarray(neutral.frame.to_canonical(chunk.reshape(-1, 3)), dtype=np.float32)
                disp_t = torch.from_numpy(disp.reshape(chunk.shape) - neutral.canonical[None]).to(self.device)
                # every method solves the (cached) normal equations of the source's basis: the
                # learned encoder's own, the network's bake ("fit"), or both ("joint")
                codes = self.net.encode_with(analysis, disp_t, box=True)
                out.append(codes.cpu().numpy())
        return np.concatenate(out, 0).astype(np.float32)

    def _normal_equations(self, neutral: PreparedMesh, mesh, method: str):
        """The source's normal equations for ``method``, cached on the PreparedMesh per model."""
        import torch

        from .nn.encoder import combine_normal_equations, normal_equations

        key = (method, id(self.net), self.device, self.shape_locality, self.shape_symmetry)
        if key not in neutral._tensors:
            if method == "learned":
                neutral._tensors[key] = self.net.encoder_features(mesh)
            elif method == "fit":  # analysis by synthesis with the bake as shipped (constrained)
                basis = torch.from_numpy(self._bake_canonical(neutral, None)).to(mesh.mass)
                neutral._tensors[key] = normal_equations(basis, mesh.mass, self.net.config.ridge)
            else:
                parts = [self._normal_equations(neutral, mesh, m) for m in ("learned", "fit")]
                neutral._tensors[key] = combine_normal_equations(*parts)
        return neutral._tensors[key]

    def retarget(self, source_neutral: PreparedMesh, target: PreparedMesh, frames: np.ndarray) -> np.ndarray:
        """Frames of the source (T, Vs, 3) -> target vertex positions (T, Vt, 3), target units."""
        codes = self.encode(source_neutral, frames)
        return target.vertices[None] + self.decode(target, codes)

    @staticmethod
    def _from_canonical(prepared: PreparedMesh, deltas: np.ndarray) -> np.ndarray:
        # the map is linear: take its matrix from the frame once, apply it in float32
        # (millions of 3-vectors at 100k vertices)
        linear = np.asarray(prepared.frame.vectors_from_canonical(np.eye(3)), dtype=np.float32)
        return (np.asarray(deltas, dtype=np.float32).reshape(-1, 3) @ linear).reshape(deltas.shape)
