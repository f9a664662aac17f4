"""Predict region weights and bake FACS shape keys on a Blender mesh with the loaded network.

The network sees the mesh in world space (object transform applied) with Blender's axes (or the
axes set in the panel); its world-space deltas are mapped back to object space. An optional mask
vertex group restricts everything to the masked vertices (a head that is part of a full-body
mesh): the network runs on the masked sub-mesh only, and the baked deltas are scaled by the mask
weight, so unmasked vertices never move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import analysis, corrective_keys, gains, mesh_io, model_cache, shape_keys, sliders, vertex_groups
from ._model_import import facs
from .errors import MeshError, ObjectError

Progress = Callable[[float], None]


def _noop(_: float) -> None:
    pass


@dataclass
class FaceGeometry:
    """The part of a mesh object the network works on.

    ``vertices``: (S, 3) float64 world-space rest positions of the S selected vertices;
    ``triangles``: (T, 3) int64 indices into them; ``index``: (S,) int64 indices of the selected
    vertices in the object's mesh; ``mask``: (S,) float32 mask weights (1 without a mask);
    ``num_vertices``: V of the whole mesh; ``matrix``: (4, 4) object-to-world; ``materials``:
    (T,) int64 material slot of each triangle (None when unknown).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    index: np.ndarray
    mask: np.ndarray
    num_vertices: int
    matrix: np.ndarray
    materials: np.ndarray | None = None


def gather(obj, mask_group: str = "") -> FaceGeometry:
    """Rest geometry of ``obj`` (world space), restricted to ``mask_group`` when given."""
    # the material of each triangle: clothing welded into the skin is held still by it
    world, tris, materials = mesh_io.read_rest_geometry(obj)
    n = len(world)
    if not mask_group:
        matrix = mesh_io.world_matrix(obj)
        return FaceGeometry(world, tris, np.arange(n), np.ones(n, np.float32), n, matrix, materials)
    if mask_group not in obj.vertex_groups:
        raise ObjectError(
            f"The mask vertex group '{mask_group}' does not exist on '{obj.name}': pick an existing "
            "group in the Skinning panel, or clear the mask field."
        )
    w = vertex_groups.read_groups(obj, [mask_group])[:, 0]
    inside = w > 0
    keep = inside[tris].all(axis=1)
    if not keep.any():
        raise MeshError(
            f"The mask group '{mask_group}' covers no whole face of '{obj.name}': paint the face "
            "region into it (weight > 0), or clear the mask."
        )
    index = np.flatnonzero(inside)
    remap = np.full(n, -1, dtype=np.int64)
    remap[index] = np.arange(len(index))
    matrix = mesh_io.world_matrix(obj)
    return FaceGeometry(world[index], remap[tris[keep]], index, w[index], n, matrix, materials[keep])


def region_groups() -> list[str]:
    """``FS_`` vertex-group names of the loaded model's regions, in region order."""
    return [vertex_groups.group_name(r) for r in model_cache.get().region_names]


def predict_weights(
    obj,
    *,
    mask_group: str = "",
    up: str = "Z",
    forward: str = "-Y",
    progress: Progress = _noop,
    method: str = "mixed",  # model.api.DEFAULT_BAKE_METHOD (imported lazily: no model at register)
) -> list[str]:
    """Predict region skinning weights and write them as ``FS_<region>`` vertex groups.

    The add-on's previous groups are replaced; the artist's groups are untouched, and a group or
    mesh attribute of the artist with a region group's name is refused before anything changes.
    Vertices outside the mask get no ``FS_`` weight. Returns the group names written.
    ``method``: the bake method the next Bake will use; one that needs the classical
    registration starts it in the background here (:meth:`model.api.FaceModel.start_registration`).
    """
    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    fm = model_cache.get()
    names = region_groups()
    vertex_groups.check_names_free(obj, names)
    geo = gather(obj, mask_group or analysis.head_mask(obj))
    progress(0.1)
    # a method that needs the registration starts it while the mesh is prepared (during the
    # eigenbasis, on the other core), or here for a mesh prepared before: it runs while the
    # network predicts (FaceModel.needs_registration: mixed only where eye openings pin it)
    prepared = model_cache.prepare(
        geo.vertices, geo.triangles, up, forward, geo.materials, method, name=obj.name
    )
    if fm.needs_registration(prepared, method):
        fm.start_registration(prepared)  # does nothing when already started or done
    progress(0.5)
    w = fm.predict_skin_weights(prepared)
    # no thread of ours may outlive this call: bpy below, then Blender itself (not thread-safe)
    fm.finish_registration(prepared)
    progress(0.8)
    full = np.zeros((geo.num_vertices, w.shape[1]), dtype=np.float32)
    full[geo.index] = w
    vertex_groups.replace_owned_groups(obj, names, full)
    progress(1.0)
    return names


def painted_weights(obj, geo: FaceGeometry) -> np.ndarray | None:
    """``(S, K)`` float32 weights read back from the add-on's ``FS_`` groups (rows renormalized;
    rows the artist painted to zero stay zero), or None when the object has none of the model's
    groups. An artist's own group that merely has a region group's name is not read."""
    names = region_groups()
    ours = set(vertex_groups.owned_groups(obj))
    if not any(n in ours for n in names):
        return None
    w = vertex_groups.read_groups(obj, [n if n in ours else "" for n in names])[geo.index]
    s = w.sum(axis=1, keepdims=True)
    return np.where(s > 0, w / np.where(s > 0, s, 1.0), 0.0).astype(np.float32)


@dataclass
class BakeResult:
    """What :func:`bake_shape_keys` did: key names, whether painted weights were used, drivers."""

    names: list[str]
    used_painted: bool
    drivers: int


def bake_shape_keys(
    obj,
    *,
    naming: str = "ICT",
    prefix: str = "",
    mask_group: str = "",
    use_painted: bool = True,
    up: str = "Z",
    forward: str = "-Y",
    method: str = "mixed",  # model.api.DEFAULT_BAKE_METHOD (imported lazily: no model at register)
    progress: Progress = _noop,
) -> BakeResult:
    """Bake the 53 FACS shapes (ICT names) or 52 (ARKit names) as shape keys driven by the sliders.

    Adds a Basis when missing. When ``use_painted`` and the object has ``FS_`` groups, the bake
    uses those (possibly repainted) weights instead of predicting. The ``FSP_`` groups of Analyze
    Mesh, as the artist left them, replace the automatic parts, and ``FSP_head`` is the mask when
    no mask group is set. Our previous keys are replaced
    in place; the artist's keys are never touched (a name clash is refused).
    ``mouthClose`` is split (:mod:`corrective_keys`): the key holds what it does alone, and one more
    key, ``<prefix>jawOpen_mouthClose``, driven by ``min(jawOpen, mouthClose)``, the rest.
    ``method``: ``"network"``, ``"registration"``, ``"hybrid"`` or ``"mixed"``
    (:meth:`model.api.FaceModel.bake`; all but the network use the ICT template shipped with
    the add-on).
    """
    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    if naming not in ("ICT", "ARKIT"):
        raise ValueError(f"naming must be 'ICT' or 'ARKIT', got {naming!r}")
    names = sliders.key_names(naming, prefix)
    corrective = corrective_keys.key_name(prefix)
    # bpy < 4.3 keeps deleted keys' drivers; ours read the sliders and the gains
    shape_keys.drop_stale_drivers(obj, (sliders.SLIDER_PROP + ".", gains.GAINS_PROP + "."))
    shape_keys.check_names_free(obj, [*names, corrective])
    fm = model_cache.get()
    # the FSP_head group of Analyze Mesh (as the artist corrected it) is the mask unless one is set
    head_mask = "" if mask_group else analysis.head_mask(obj)
    geo = gather(obj, mask_group or head_mask)
    progress(0.1)
    prepared = model_cache.prepare(geo.vertices, geo.triangles, up, forward, geo.materials, name=obj.name)
    progress(0.4)
    skin = painted_weights(obj, geo) if use_painted else None
    # the parts (and head) as corrected in the FSP_ groups, else the automatic ones
    painted = analysis.painted_analysis(
        obj, geo.index, geo.vertices, geo.triangles, prepared, bool(head_mask)
    )
    prepared.set_rig_analysis(painted)
    deltas = fm.bake(prepared, skin_weights=skin, method=method)  # (53, S, 3) world
    split, corrective_delta = corrective_keys.split(deltas)
    deltas = np.concatenate([split, corrective_delta[None]])  # (54, S, 3): the corrective last
    progress(0.8)
    full = mesh_io.deltas_to_local(deltas.astype(np.float64), geo.matrix)
    if geo.index.size != geo.num_vertices or not np.all(geo.mask == 1.0):
        # a mask: its weight scales the deltas, vertices outside it stay still (without one,
        # every vertex at weight 1: skip two copies of 53 x V x 3)
        local = full * geo.mask[None, :, None]
        full = np.zeros((len(deltas), geo.num_vertices, 3), dtype=np.float64)
        full[:, geo.index] = local
    if naming == "ARKIT":
        full = np.concatenate([facs.ict_to_arkit_shapes(full[:-1]), full[-1:]])
    shape_keys.write_keys(obj, [*names, corrective], full)
    key = obj.data.shape_keys
    key[shape_keys.NAMING_PROP] = naming
    key[shape_keys.PREFIX_PROP] = prefix
    made = sliders.add_drivers(obj, names, naming) + corrective_keys.add_driver(obj)
    progress(1.0)
    return BakeResult(names, skin is not None, made)
