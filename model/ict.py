"""ICT-FaceKit (Light) loader: neutral head, 100 identity PCA modes, 53 FACS expression shapes.

The data is read from a folder given explicitly or by the ``ICT_FACEKIT`` environment variable
(the unpacked ICT-FaceKit root, or its ``FaceXModel`` subfolder); nothing is hard-coded. Parsing
the 154 OBJ files takes tens of seconds, so the parsed arrays are cached as an ``.npz`` in
``model.cache.cache_dir("ict")``, keyed by the names, sizes and mtimes of the source files; a
repeated load reads only the cache (well under a second).

Conventions: centimetres, Y up, face toward +Z (ICT's OBJ frame, which is the model frame).
``+X`` is the subject's LEFT (``eyeBlink_L`` moves the lid at ``x > 0``).

Topology (ICT README; vertex ranges are half-open ``[start, stop)``): the first 9409 vertices are
the face skin, the next 1839 the head and neck, then the mouth socket, eye sockets, gums and
tongue, teeth, eyeballs and the eye helper meshes (lacrimal fluid, blend, occlusion, lashes).
Every part is a prefix-closed block, so the crops of :data:`CROPS` are vertex prefixes.

Identity modes: ``identityNNN.obj`` are the neutral plus one PCA mode scaled to one standard
deviation; ICT's own example code samples each coefficient from ``N(0, 1)``. Measured on the
face+head crop: mode 0 moves vertices by 0.47 cm RMS (1.5 cm max), mode 99 by ~0.007 cm; a full
``N(0, 1)`` draw over the 100 modes moves the head by ~0.7 cm RMS (~2.7 cm max) on a
25 x 34 x 22 cm head, which gives realistic, varied adult heads. ``scale=2`` (1.3 cm RMS) is
still plausible but exaggerated; ``scale>=3`` gives caricatures. :func:`sample_identity` draws
such coefficients.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from dataclasses import dataclass, field

import numpy as np

from .cache import entry_path, load_entry, save_entry
from .errors import ICTDataError
from .facs import ICT_NAMES

NUM_VERTICES = 26719
NUM_POLYGONS = 26384
NUM_IDENTITIES = 100
IDENTITY_SCALE = 1.0  # std of a plausible identity coefficient (the modes are 1-sigma PCA modes)

# Vertex-prefix crops: a crop keeps vertices [0:n] and the faces whose vertices all lie in it.
CROPS: dict[str, int] = {"narrow": 6706, "face": 9409, "head": 11248}

# ICT README geometry table: part -> half-open vertex range [start, stop). "left" is the subject's
# left (+X). The skin parts (SKIN_PARTS) form one connected surface: polygons of head_and_neck,
# mouth_socket and the eye sockets also use face vertices along their seams, so a submesh of one
# of them alone loses its seam row; the other parts are detached meshes using only their range.
PARTS: dict[str, tuple[int, int]] = {
    "face": (0, 9409),
    "head_and_neck": (9409, 11248),
    "mouth_socket": (11248, 13294),
    "eye_socket_left": (13294, 13678),
    "eye_socket_right": (13678, 14062),
    "gums_and_tongue": (14062, 17039),
    "teeth": (17039, 21451),
    "eyeball_left": (21451, 23021),
    "eyeball_right": (23021, 24591),
    "lacrimal_fluid_left": (24591, 24795),
    "lacrimal_fluid_right": (24795, 24999),
    "eye_blend_left": (24999, 25023),
    "eye_blend_right": (25023, 25047),
    "eye_occlusion_left": (25047, 25199),
    "eye_occlusion_right": (25199, 25351),
    "eyelashes_left": (25351, 26035),
    "eyelashes_right": (26035, 26719),
}
SKIN_PARTS: tuple[str, ...] = ("face", "head_and_neck", "mouth_socket", "eye_socket_left", "eye_socket_right")
# Same table, half-open polygon ranges (faces in file order).
PART_POLYGONS: dict[str, tuple[int, int]] = {
    "face": (0, 9230),
    "head_and_neck": (9230, 11144),
    "mouth_socket": (11144, 13226),
    "eye_socket_left": (13226, 13630),
    "eye_socket_right": (13630, 14034),
    "gums_and_tongue": (14034, 17006),
    "teeth": (17006, 21496),
    "eyeball_left": (21496, 23094),
    "eyeball_right": (23094, 24692),
    "lacrimal_fluid_left": (24692, 24855),
    "lacrimal_fluid_right": (24855, 25018),
    "eye_blend_left": (25018, 25033),
    "eye_blend_right": (25033, 25048),
    "eye_occlusion_left": (25048, 25176),
    "eye_occlusion_right": (25176, 25304),
    "eyelashes_left": (25304, 25844),
    "eyelashes_right": (25844, 26384),
}

_FIX = (
    "set ICT_FACEKIT to the unpacked ICT-FaceKit folder (e.g. ICT_FACEKIT=$(../shared/ICT-FaceKit/unpack)) "
    "or pass --ict PATH"
)
_CACHE_VERSION = 1


@dataclass(eq=False)  # arrays: identity comparison, not element-wise
class ICTModel:
    """The parsed ICT-FaceKit Light model (centimetres, Y up, +Z forward, +X = subject's left).

    Attributes:
        neutral: ``(V, 3)`` float32, the generic neutral head (V = 26719).
        identities: ``(100, V, 3)`` float32 additive identity deltas (``identityNNN - neutral``),
            1-sigma PCA modes (coefficients ~ N(0, 1) are plausible heads).
        expressions: ``(53, V, 3)`` float32 additive expression deltas in :data:`ICT_NAMES` order.
        expression_names: the 53 names (== ``model.facs.ICT_NAMES``).
        face_indices: ``(N,)`` int64 flattened polygon vertex indices (0-based, file order).
        face_sizes: ``(F,)`` int64 polygon sizes (mostly quads, 548 triangles; F = 26384).
        source: the ``FaceXModel`` folder it was read from.
    """

    neutral: np.ndarray
    identities: np.ndarray
    expressions: np.ndarray
    expression_names: tuple[str, ...]
    face_indices: np.ndarray
    face_sizes: np.ndarray
    source: pathlib.Path | None = None
    _tri_cache: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def num_vertices(self) -> int:
        return int(self.neutral.shape[0])

    def polygons(self) -> list[np.ndarray]:
        """The polygons as a list of int64 index arrays (file order)."""
        offsets = np.cumsum(self.face_sizes)[:-1]
        return np.split(self.face_indices, offsets)

    def triangles(self) -> np.ndarray:
        """``(T, 3)`` int64 fan triangulation of all polygons (T = 52220), in polygon order."""
        if self._tri_cache is None:
            self._tri_cache = _fan_triangulate(self.face_indices, self.face_sizes)
        return self._tri_cache

    @property
    def mesh(self):
        """The neutral as a :class:`model.mesh_io.Mesh` (float64 vertices, the quads kept)."""
        from .mesh_io import Mesh

        return Mesh(
            vertices=self.neutral.astype(np.float64),
            face_indices=self.face_indices.copy(),
            face_sizes=self.face_sizes.copy(),
        )

    def compose(self, identity: np.ndarray | None = None, expression: np.ndarray | None = None) -> np.ndarray:
        """Vertices of a head: ``neutral + identity @ identities + expression @ expressions``.

        Args:
            identity: ``(100,)`` identity coefficients (1-sigma units) or None (generic head).
            expression: ``(53,)`` expression weights in ICT order (usually in [0, 1]) or None.
        Returns:
            ``(V, 3)`` float32 vertices in centimetres.
        """
        out = self.neutral.astype(np.float32, copy=True)
        if identity is not None:
            c = np.asarray(identity, dtype=np.float32).reshape(-1)
            if c.shape[0] != self.identities.shape[0]:
                raise ValueError(f"expected {self.identities.shape[0]} identity coefficients, got {c.shape}")
            out += np.tensordot(c, self.identities, axes=1)
        if expression is not None:
            w = np.asarray(expression, dtype=np.float32).reshape(-1)
            if w.shape[0] != self.expressions.shape[0]:
                raise ValueError(f"expected {self.expressions.shape[0]} expression weights, got {w.shape}")
            out += np.tensordot(w, self.expressions, axes=1)
        return out

    def crop(self, name: str, polygons: bool = False):
        """A vertex-prefix crop of :data:`CROPS` (``"narrow"``, ``"face"``, ``"head"``).

        Returns:
            ``(n, triangles)`` with ``triangles (T, 3)`` int64 indexing the first ``n`` vertices, or
            with ``polygons=True`` ``(n, face_indices (N,), face_sizes (F,))`` (the quads kept).
            Faces are those whose vertices all lie in ``[0, n)``.
        """
        if name not in CROPS:
            raise KeyError(f"unknown crop {name!r}; choose one of {sorted(CROPS)}")
        n = CROPS[name]
        keep = _faces_within(self.face_indices, self.face_sizes, n)
        fi, fs = _select_faces(self.face_indices, self.face_sizes, keep)
        if polygons:
            return n, fi, fs
        return n, _fan_triangulate(fi, fs)

    def submesh(self, parts: tuple[str, ...] | list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and triangles of a union of :data:`PARTS` (e.g. face + eyeballs).

        Returns:
            ``(vertex_ids (n,) int64, triangles (T, 3) int64)``: ``vertex_ids`` are the kept
            original indices in ascending order, ``triangles`` index into ``vertex_ids``.
        """
        unknown = [p for p in parts if p not in PARTS]
        if unknown:
            raise KeyError(f"unknown ICT parts {unknown}; choose from {list(PARTS)}")
        keep_v = np.zeros(self.num_vertices, dtype=bool)
        for p in parts:
            a, b = PARTS[p]
            keep_v[a:b] = True
        tris = self.triangles()
        tris = tris[keep_v[tris].all(axis=1)]
        vertex_ids = np.flatnonzero(keep_v)
        remap = np.full(self.num_vertices, -1, dtype=np.int64)
        remap[vertex_ids] = np.arange(vertex_ids.size)
        return vertex_ids.astype(np.int64), remap[tris]


def sample_identity(
    rng: np.random.Generator,
    basis_indices: np.ndarray | list[int] | None = None,
    scale: float = IDENTITY_SCALE,
) -> np.ndarray:
    """Random plausible identity coefficients ``(100,)`` float32 for :meth:`ICTModel.compose`.

    Args:
        rng: numpy Generator (the only randomness source, for reproducibility).
        basis_indices: modes allowed to be non-zero (e.g. a train/test split of the PCA modes);
            None = all 100.
        scale: standard deviation per mode; 1.0 (the default) matches the 1-sigma PCA modes.
    """
    coeffs = np.zeros(NUM_IDENTITIES, dtype=np.float32)
    idx = np.arange(NUM_IDENTITIES) if basis_indices is None else np.asarray(basis_indices, dtype=np.int64)
    coeffs[idx] = rng.normal(0.0, scale, size=idx.shape[0]).astype(np.float32)
    return coeffs


def resolve_ict_path(path: str | os.PathLike | None = None) -> pathlib.Path:
    """The ``FaceXModel`` folder from ``path`` or ``$ICT_FACEKIT`` (root or FaceXModel itself).

    Raises:
        ICTDataError: neither given, or the folder does not exist.
    """
    if path is None:
        env = os.environ.get("ICT_FACEKIT")
        if not env:
            raise ICTDataError(f"ICT-FaceKit location unknown (no path given, ICT_FACEKIT unset): {_FIX}")
        path = env
    root = pathlib.Path(path).expanduser()
    if not root.is_dir():
        raise ICTDataError(f"ICT-FaceKit folder {str(root)!r} does not exist: {_FIX}")
    face_x = root / "FaceXModel"
    if face_x.is_dir():
        return face_x
    if (root / "generic_neutral_mesh.obj").exists() or (root / "vertex_indices.json").exists():
        return root
    raise ICTDataError(f"ICT-FaceKit folder {str(root)!r} has no FaceXModel subfolder: {_FIX}")


def _source_files(face_x: pathlib.Path) -> list[pathlib.Path]:
    names = ["generic_neutral_mesh.obj", "vertex_indices.json"]
    names += [f"identity{i:03d}.obj" for i in range(NUM_IDENTITIES)]
    names += [f"{n}.obj" for n in ICT_NAMES]
    files = [face_x / n for n in names]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise ICTDataError(f"ICT-FaceKit folder {str(face_x)!r} is incomplete: missing {shown}; {_FIX}")
    return files


def _cache_key(files: list[pathlib.Path]) -> str:
    h = hashlib.sha256(f"ict-cache-v{_CACHE_VERSION}".encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def load_ict(path: str | os.PathLike | None = None, use_cache: bool = True) -> ICTModel:
    """Load ICT-FaceKit Light from ``path`` (or ``$ICT_FACEKIT``), through the parsed cache.

    Args:
        path: the unpacked ICT-FaceKit folder (containing ``FaceXModel``) or ``FaceXModel`` itself.
        use_cache: read/write the ``.npz`` cache in ``cache_dir("ict")``; a stale or unreadable
            entry is re-parsed, never trusted.
    Returns:
        :class:`ICTModel` (float32 arrays, centimetres, Y up, +Z forward).
    Raises:
        ICTDataError: the folder is missing, incomplete or inconsistent (message says the fix).
    """
    face_x = resolve_ict_path(path)
    files = _source_files(face_x)
    key = _cache_key(files)
    cache_file = entry_path("ict", f"ict-{key[:24]}.npz") if use_cache else None
    if cache_file is not None and cache_file.is_file():
        model = _read_cache(cache_file, key)
        if model is not None:
            model.source = face_x
            return model
    model = _parse(face_x)
    if cache_file is not None:
        _write_cache(cache_file, key, model)
    return model


def _read_cache(cache_file: pathlib.Path, key: str) -> ICTModel | None:
    z = load_entry(cache_file)  # None unless signed by this cache and unaltered
    if z is None:
        return None
    try:
        if str(z["key"]) != key:
            return None
        model = ICTModel(
            neutral=z["neutral"],
            identities=z["identities"],
            expressions=z["expressions"],
            expression_names=tuple(str(s) for s in z["expression_names"]),
            face_indices=z["face_indices"],
            face_sizes=z["face_sizes"],
        )
    except (KeyError, ValueError, TypeError):
        return None
    ok = (
        model.neutral.shape == (NUM_VERTICES, 3)
        and model.identities.shape == (NUM_IDENTITIES, NUM_VERTICES, 3)
        and model.expressions.shape == (len(ICT_NAMES), NUM_VERTICES, 3)
        and model.expression_names == ICT_NAMES
        and int(model.face_sizes.sum()) == model.face_indices.shape[0]
    )
    return model if ok else None


def _write_cache(cache_file: pathlib.Path, key: str, model: ICTModel) -> None:
    # atomic and signed; a read-only or full cache disk only costs speed (warned once)
    save_entry(
        cache_file,
        dict(
            key=np.array(key),
            neutral=model.neutral,
            identities=model.identities,
            expressions=model.expressions,
            expression_names=np.array(model.expression_names),
            face_indices=model.face_indices,
            face_sizes=model.face_sizes,
        ),
    )


def _parse(face_x: pathlib.Path) -> ICTModel:
    with open(face_x / "vertex_indices.json", encoding="utf-8") as fh:
        try:
            names = tuple(json.load(fh)["expressions"])
        except (ValueError, KeyError) as exc:
            raise ICTDataError(
                f"{face_x / 'vertex_indices.json'} is unreadable or has no 'expressions' list ({exc}); "
                f"re-unpack ICT-FaceKit: {_FIX}"
            ) from exc
    if names != ICT_NAMES:
        raise ICTDataError(
            f"{face_x / 'vertex_indices.json'} lists expressions {names[:4]}... that differ from "
            "model.facs.ICT_NAMES; this loader expects the ICT-FaceKit Light release (53 ARKit-style "
            f"shapes): {_FIX}"
        )
    neutral_path = face_x / "generic_neutral_mesh.obj"
    neutral, face_indices, face_sizes = _parse_obj(neutral_path, want_faces=True)
    if neutral.shape[0] != NUM_VERTICES:
        raise ICTDataError(f"{neutral_path} has {neutral.shape[0]} vertices, expected {NUM_VERTICES}: {_FIX}")
    neutral32 = neutral.astype(np.float32)

    def deltas(paths: list[pathlib.Path]) -> np.ndarray:
        out = np.empty((len(paths), NUM_VERTICES, 3), dtype=np.float32)
        for i, p in enumerate(paths):
            v, _, _ = _parse_obj(p, want_faces=False)
            if v.shape[0] != NUM_VERTICES:
                raise ICTDataError(f"{p} has {v.shape[0]} vertices, expected {NUM_VERTICES}: {_FIX}")
            out[i] = (v - neutral).astype(np.float32)  # difference in float64, then store
        return out

    identities = deltas([face_x / f"identity{i:03d}.obj" for i in range(NUM_IDENTITIES)])
    expressions = deltas([face_x / f"{n}.obj" for n in ICT_NAMES])
    return ICTModel(
        neutral=neutral32,
        identities=identities,
        expressions=expressions,
        expression_names=ICT_NAMES,
        face_indices=face_indices,
        face_sizes=face_sizes,
        source=face_x,
    )


def _parse_obj(path: pathlib.Path, want_faces: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``v`` lines (and ``f`` lines if asked) of an OBJ; vectorized over the joined text."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ICTDataError(f"cannot read {path} ({exc}): {_FIX}") from exc
    lines = text.splitlines()
    vlines = [ln[2:] for ln in lines if ln.startswith("v ")]
    coords = np.array(" ".join(vlines).split(), dtype=np.float64)
    if coords.size != 3 * len(vlines):
        raise ICTDataError(f"{path} has malformed 'v' lines (expected x y z per line): {_FIX}")
    vertices = coords.reshape(-1, 3)
    if not want_faces:
        return vertices, np.empty(0, np.int64), np.empty(0, np.int64)
    flines = [ln[2:].split() for ln in lines if ln.startswith("f ")]
    sizes = np.fromiter((len(f) for f in flines), dtype=np.int64, count=len(flines))
    tokens = [t.split("/", 1)[0] for f in flines for t in f]
    idx = np.array(tokens, dtype=np.int64)
    idx = np.where(idx < 0, idx + vertices.shape[0], idx - 1)  # OBJ: 1-based, negatives relative
    if idx.size and (idx.min() < 0 or idx.max() >= vertices.shape[0]):
        raise ICTDataError(f"{path} has face indices outside its vertex list: {_FIX}")
    return vertices, idx, sizes


def _fan_triangulate(face_indices: np.ndarray, face_sizes: np.ndarray) -> np.ndarray:
    """``(T, 3)`` int64 fan triangles ``(p0, pk, pk+1)`` of each polygon, vectorized."""
    face_sizes = np.asarray(face_sizes, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(face_sizes)[:-1]]).astype(np.int64)
    ntri = np.maximum(face_sizes - 2, 0)
    owner = np.repeat(np.arange(face_sizes.shape[0]), ntri)
    k = np.arange(owner.shape[0]) - np.repeat(np.cumsum(ntri) - ntri, ntri)  # 0..n-3 within polygon
    base = starts[owner]
    return np.stack(
        [face_indices[base], face_indices[base + k + 1], face_indices[base + k + 2]], axis=1
    ).astype(np.int64)


def _faces_within(face_indices: np.ndarray, face_sizes: np.ndarray, n: int) -> np.ndarray:
    """``(F,)`` bool: polygons whose vertices are all ``< n``."""
    owner = np.repeat(np.arange(face_sizes.shape[0]), face_sizes)
    outside = np.zeros(face_sizes.shape[0], dtype=bool)
    np.logical_or.at(outside, owner, face_indices >= n)
    return ~outside


def _select_faces(
    face_indices: np.ndarray, face_sizes: np.ndarray, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    owner = np.repeat(np.arange(face_sizes.shape[0]), face_sizes)
    return face_indices[keep[owner]], face_sizes[keep]
