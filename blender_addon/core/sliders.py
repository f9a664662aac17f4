"""FACS sliders (``Object.nfs_facs``, 53 floats 0..1, ICT names) and the drivers they feed.

Every shape key we bake is driven by the sliders with a *simple-expression* driver (the
expression is a variable name or a plain average of two), which Blender evaluates without Python,
so no auto-run-scripts prompt. Clone and capture import write their keyframes on the sliders.
"""

from __future__ import annotations

import numpy as np

from . import animation, mesh_io
from ._model_import import facs
from .shape_keys import key_data_path, owned_keys

SLIDER_PROP = "nfs_facs"  # the Object PointerProperty holding the sliders (properties/sliders.py)
ACTION_GROUP = "FACS sliders"


def slider_path(ict_name: str) -> str:
    """RNA path of one slider on the object (``nfs_facs.jawOpen``)."""
    return f"{SLIDER_PROP}.{ict_name}"


def key_names(naming: str, prefix: str = "") -> list[str]:
    """Shape-key names for a naming scheme: ``"ICT"`` (53) or ``"ARKIT"`` (52), with ``prefix``."""
    base = facs.ICT_NAMES if naming == "ICT" else facs.ARKIT_NAMES
    return [prefix + n for n in base]


def driver_sources(naming: str) -> list[tuple[str, ...]]:
    """For each key of ``naming`` (same order as :func:`key_names`), the ICT sliders that drive it.

    ICT keys: one slider each. ARKit keys: the ICT units averaged into that ARKit unit
    (``facs.ICT_TO_ARKIT``): two for ``browInnerUp``/``cheekPuff``, none for ``tongueOut``.
    """
    if naming == "ICT":
        return [(n,) for n in facs.ICT_NAMES]
    return [tuple(facs.ICT_NAMES[j] for j in np.flatnonzero(row)) for row in facs.ICT_TO_ARKIT]


def get_values(obj) -> np.ndarray:
    """``(53,)`` float32 current slider values (ICT order)."""
    props = getattr(obj, SLIDER_PROP)
    return np.array([getattr(props, n) for n in facs.ICT_NAMES], dtype=np.float32)


def require_slider_target(obj) -> None:
    """Refuse an object that cannot take slider values or keys (not a mesh, or library-linked)."""
    mesh_io.require_mesh_object(obj)
    mesh_io.require_local(obj)


def set_values(obj, values: np.ndarray) -> None:
    """Set the 53 sliders from ``values`` (53,) (clipped to 0..1)."""
    require_slider_target(obj)
    props = getattr(obj, SLIDER_PROP)
    for name, v in zip(facs.ICT_NAMES, np.clip(np.asarray(values, dtype=np.float64), 0, 1), strict=True):
        setattr(props, name, float(v))


def mirror_values(values: np.ndarray) -> np.ndarray:
    """Swap every ``_L``/``_R`` pair of a ``(..., 53)`` ICT weight array (center units unchanged)."""
    perm = []
    for n in facs.ICT_NAMES:
        if n.endswith("_L"):
            perm.append(facs.ict_index(n[:-2] + "_R"))
        elif n.endswith("_R"):
            perm.append(facs.ict_index(n[:-2] + "_L"))
        else:
            perm.append(facs.ict_index(n))
    return np.asarray(values)[..., perm]


def add_drivers(obj, names: list[str], naming: str) -> int:
    """(Re)create the drivers of our shape keys ``names`` (built by :func:`key_names` for
    ``naming``) from ``obj``'s sliders. Only our keys' drivers are touched. Returns the count."""
    key = obj.data.shape_keys
    ours = set(owned_keys(obj))
    sources = driver_sources(naming)
    made = 0
    ad = key.animation_data or key.animation_data_create()
    for name, src in zip(names, sources, strict=True):
        if name not in ours:
            continue
        path = key_data_path(name)
        old = ad.drivers.find(path)
        if old is not None:
            ad.drivers.remove(old)
        if not src:
            continue
        fc = key.key_blocks[name].driver_add("value")
        drv = fc.driver
        drv.type = "SCRIPTED"
        var_names = [chr(ord("a") + i) for i in range(len(src))]
        for var_name, ict in zip(var_names, src, strict=True):
            var = drv.variables.new()
            var.name = var_name
            var.type = "SINGLE_PROP"
            var.targets[0].id_type = "OBJECT"
            var.targets[0].id = obj
            var.targets[0].data_path = slider_path(ict)
        drv.expression = var_names[0] if len(var_names) == 1 else f"({' + '.join(var_names)}) / {len(src)}"
        made += 1
    return made


def key_sliders(obj, frames: np.ndarray, weights: np.ndarray) -> int:
    """Keyframe the sliders: ``frames`` (T,) scene frames, ``weights`` (T, 53) ICT order, clipped
    to 0..1. Keys of each slider inside ``[frames.min(), frames.max()]`` are replaced, others kept.
    Returns the number of keys written."""
    require_slider_target(obj)
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, 1.0)
    frames = np.asarray(frames, dtype=np.float64)
    if weights.shape != (len(frames), facs.NUM_EXPRESSIONS):
        raise ValueError(f"weights {weights.shape} do not match ({len(frames)}, {facs.NUM_EXPRESSIONS})")
    for j, name in enumerate(facs.ICT_NAMES):
        animation.write_keys(obj, slider_path(name), frames, weights[:, j], group=ACTION_GROUP)
    obj.update_tag()
    return weights.size


def key_current(obj, frame: float) -> int:
    """Keyframe all 53 sliders at ``frame`` with their current values. Returns 53."""
    values = get_values(obj)[None, :]
    return key_sliders(obj, np.array([frame], dtype=np.float64), values)
