"""Bake-time clothing hold: clothing welded into the skin, told apart only by its material, stays
still in every shape (issue 9: clothing, collar, shoulders, hair and body never move).

A separate clothing piece is held still by :mod:`model.rig_constraints`. A shirt collar that is
one connected, smooth surface with the neck skin (Rocketbox avatars) is not a piece, and it lies
on the throat that ICT's ``jawOpen`` really moves, so :mod:`model.static_area` leaves it free.
What tells it apart is the per-triangle material the artist gave it. Material names are
arbitrary (``f002_body``, ``Std_Skin_Head``, ``Material.001``), so the materials are read from
geometry alone:

* **face core** (:func:`face_core`): an ellipsoid in face units (canonical axes: X left-right,
  Y up, Z forward; origin between the eyes, eye distance 1) around the eyes, nose, mouth, chin
  and forehead, fading out over :data:`CORE_FADE` of its radius. Everything an expression
  moves a lot lies in it; a collar, the shoulders, a ponytail and the ears lie outside;
* **face materials**: the material with the most core area (the face skin), and every material
  with :data:`FACE_SHARE` or more of its area in the core (lips, lashes, a mouth bag, a beard):
  never held;
* **held materials**: the others (body, shirt, hair cards). Their vertices are held still,
  except inside the core (weight ``(1 - core)**2``: lashes that share a material with a ponytail
  still follow the lids), and the hold fades into the skin nearby over :data:`FADE` eye distances
  (straight-line distance, ``smoothstep``; a held vertex inside the core holds nothing around
  it), so no crease appears at the seam and the neck inside a collar does not move through it.

A mesh with one material (a scan, most OBJ exports) is unchanged; so is one whose eyes, teeth
and lashes have their own materials but whose skin and clothing share one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import MeshError

# face units: the core ellipsoid's centre and semi-axes. The eyes sit at (+-0.5, 0, 0), the
# mouth near y -1.1, the chin at y -1.8, the hairline near y +1.1; a collar starts at y < -1.9
# beside or behind the neck (Rocketbox 02: ellipsoid radius > 1.45), a ponytail at z < -2.5
CORE_CENTRE = (0.0, -0.35, -0.3)
CORE_AXES = (1.2, 1.55, 1.1)
# ellipsoid radius over which the core fades from 1 (at 1) to 0 (at 1 + CORE_FADE)
CORE_FADE = 0.3
# a material with this share of its area in the core moves with the face (lips, lashes, beard)
FACE_SHARE = 0.25
# eye distances (~2 cm) over which the hold fades into the skin near the held material
FADE = 0.35
# nearest held vertices a weight is taken from (the strongest of them)
SOURCE_NEIGHBOURS = 16


@dataclass
class ClothingHold:
    """What :func:`clothing_hold` found.

    weights: ``(V,)`` float64 in [0, 1], how still each vertex is held (1: a shape never moves
    it); face_material: the face skin's material index (None: no materials or no face);
    held: the held material indices; shares: ``{material: share of its area in the face core}``.
    """

    weights: np.ndarray
    face_material: int | None = None
    held: tuple[int, ...] = ()
    shares: dict = field(default_factory=dict)


def check_materials(materials, num_triangles: int) -> np.ndarray | None:
    """``materials`` as a ``(T,)`` int64 array of per-triangle material indices (None stays
    None); raises :class:`model.errors.MeshError` naming the problem when it does not fit."""
    if materials is None:
        return None
    m = np.asarray(materials)
    if m.ndim != 1 or m.shape[0] != num_triangles:
        raise MeshError(
            f"materials has shape {m.shape}, expected ({num_triangles},): one material index per "
            "triangle, in the order of the triangles (triangulate the per-face indices with the faces)"
        )
    if m.size and (not np.issubdtype(m.dtype, np.integer) or m.min() < 0):
        raise MeshError("materials must be non-negative integer material indices (one per triangle)")
    return m.astype(np.int64)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def face_core(local: np.ndarray) -> np.ndarray:
    """``(V,)`` float64 in [0, 1]: how far face-unit points ``(V, 3)`` lie in the face core (1
    inside the ellipsoid :data:`CORE_CENTRE` / :data:`CORE_AXES`, 0 beyond :data:`CORE_FADE`)."""
    r = np.linalg.norm((np.asarray(local, np.float64) - CORE_CENTRE) / CORE_AXES, axis=1)
    return _smoothstep((1.0 + CORE_FADE - r) / CORE_FADE)


def clothing_hold(
    canonical: np.ndarray,
    triangles: np.ndarray,
    materials: np.ndarray | None,
    mid: np.ndarray | None,
    eye_distance: float | None,
) -> ClothingHold:
    """How still each vertex is held because it carries clothing (or hair, body) material.

    canonical: ``(V, 3)`` all input vertices in the canonical frame; triangles ``(T, 3)``;
    materials ``(T,)`` per-triangle material indices (None: nothing held); ``mid`` (3,) and
    ``eye_distance``: the face anchors in that frame (None: no face found, nothing held).
    """
    v = np.asarray(canonical, np.float64)
    none = ClothingHold(np.zeros(v.shape[0]))
    if materials is None or mid is None or not eye_distance:
        return none
    t = np.asarray(triangles, np.int64)
    m = np.asarray(materials, np.int64)
    labels = np.unique(m)
    if labels.size < 2:
        return none
    local = (v - np.asarray(mid, np.float64)) / eye_distance
    core = face_core(local)
    area = 0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1)
    core_area = area * core[t].mean(axis=1)
    total = np.bincount(m, weights=area, minlength=labels.max() + 1)
    in_core = np.bincount(m, weights=core_area, minlength=labels.max() + 1)
    shares = {int(k): float(in_core[k] / total[k]) if total[k] > 0 else 0.0 for k in labels}
    face = int(labels[np.argmax(in_core[labels])])
    if in_core[face] <= 0.0:
        return ClothingHold(none.weights, None, (), shares)
    held = tuple(int(k) for k in labels if k != face and shares[int(k)] < FACE_SHARE)
    if not held:
        return ClothingHold(none.weights, face, (), shares)
    from scipy.spatial import cKDTree

    # straight-line distance, not along the surface: a collar is often welded to the neck only
    # below the head (or not at all), and the neck skin inside it must not move through it
    sources = np.unique(t[np.isin(m, held)])
    sources = sources[core[sources] < 1.0]  # held material inside the core holds nothing
    if sources.size == 0:
        return ClothingHold(none.weights, face, held, shares)
    # w(v) = (1 - core(v)) * max over nearby sources u of (1 - core(u)) * fade(|v - u|):
    # continuous where a held material crosses the core's edge (lashes on a hair-card material)
    k = min(SOURCE_NEIGHBOURS, sources.size)
    dist, idx = cKDTree(local[sources]).query(local, k=k, distance_upper_bound=FADE)
    dist, idx = dist.reshape(len(v), k), idx.reshape(len(v), k)
    found = idx < sources.size  # beyond FADE: dist inf, idx == sources.size
    strength = np.where(found, 1.0 - core[sources[np.minimum(idx, sources.size - 1)]], 0.0)
    along = np.where(found, _smoothstep(1.0 - dist / FADE), 0.0)
    weights = (along * strength).max(axis=1) * (1.0 - core)
    return ClothingHold(weights, face, held, shares)


def apply_clothing(deltas: np.ndarray, hold: ClothingHold) -> np.ndarray:
    """deltas ``(53, V, 3)`` (any axes) times ``1 - hold.weights``: the held clothing stays
    still, the skin beside it fades in. Same shape and dtype; the input itself when nothing is
    held."""
    if not np.any(hold.weights > 0):
        return deltas
    d = np.asarray(deltas)
    return (d * (1.0 - hold.weights)[None, :, None]).astype(d.dtype)
