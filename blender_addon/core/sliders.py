"""FACS sliders (``Object.nfs_facs``, 53 floats 0..1, ICT names) and the drivers they feed.

Every shape key we bake is driven by the sliders with a *simple-expression* driver
(``s0 * u0 * r0``: slider x unit gain x region gain, or the average of two such products for a
split ARKit unit), which Blender evaluates without Python, so no auto-run-scripts prompt. Rigs
baked before the gains existed have drivers without them (``a``): they keep working, ignoring the
gains, until :func:`refresh_drivers` (the Update Drivers operator) rebuilds them. Clone and
capture import write their keyframes on the sliders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from . import animation, drivers, gains, mesh_io
from ._model_import import facs
from .errors import ObjectError
from .shape_keys import DEFAULT_GROUP, NAMING_PROP, PREFIX_PROP, key_data_path, owned_keys

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


def add_slider_driver(obj, name: str, units: Sequence[str], combine: Callable[[list[str]], str]) -> None:
    """(Re)create the driver of shape key ``name`` from ``obj``'s sliders and gains.

    ``units``: the ICT sliders it reads; unit ``k`` gives the variables ``s{k}`` (slider), ``u{k}``
    (unit gain), ``r{k}`` (region gain) and the term ``"s{k} * u{k} * r{k}"``. ``combine`` makes
    the expression from those terms (a simple expression, so no auto-run-scripts prompt). The key's
    ``slider_max`` is raised to :data:`gains.KEY_VALUE_MAX` so a gain above 1 is not clamped.
    """
    variables = {}
    for k, ict in enumerate(units):
        variables[f"s{k}"] = slider_path(ict)
        variables[f"u{k}"] = gains.unit_gain_path(ict)
        variables[f"r{k}"] = gains.region_gain_path(ict)
    obj.data.shape_keys.key_blocks[name].slider_max = gains.KEY_VALUE_MAX
    drivers.set_driver(obj, name, variables, combine([f"s{k} * u{k} * r{k}" for k in range(len(units))]))


def _mean(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else f"({' + '.join(terms)}) / {len(terms)}"


def add_drivers(obj, names: list[str], naming: str) -> int:
    """(Re)create the drivers of our shape keys ``names`` (built by :func:`key_names` for
    ``naming``) from ``obj``'s sliders and gains (:func:`add_slider_driver`; a split ARKit unit
    averages its ICT units). Only our keys' drivers are touched. Returns the count."""
    key = obj.data.shape_keys
    ours = set(owned_keys(obj))
    made = 0
    for name, src in zip(names, driver_sources(naming), strict=True):
        if name not in ours:
            continue
        if not src:
            drivers.remove_driver(key, name)
            continue
        add_slider_driver(obj, name, src, _mean)
        made += 1
    return made


def drivers_have_gains(obj) -> bool:
    """False when one of our keys' drivers predates the gains (reads no gain variable)."""
    key = obj.data.shape_keys
    if key is None or key.animation_data is None:
        return True
    paths = {key_data_path(n) for n in owned_keys(obj, DEFAULT_GROUP)}  # viseme keys read no gains
    for fc in key.animation_data.drivers:
        if fc.data_path in paths and not any(
            v.targets[0].data_path.startswith(gains.GAINS_PROP + ".") for v in fc.driver.variables
        ):
            return False
    return True


def refresh_drivers(obj) -> int:
    """Rebuild the drivers of ``obj``'s baked FACS keys (naming and prefix as recorded by the
    bake), e.g. to give a rig baked before the gains existed its gain-aware drivers. Returns the
    number of drivers made."""
    require_slider_target(obj)
    key = obj.data.shape_keys
    if key is None or not owned_keys(obj, DEFAULT_GROUP):
        raise ObjectError(
            f"'{obj.name}' has no shape keys baked by Face Skinning: run 'Bake Shape Keys' first."
        )
    naming = str(key.get(NAMING_PROP, "ICT"))
    prefix = str(key.get(PREFIX_PROP, ""))
    from . import corrective_keys  # it builds on this module's driver helpers

    return add_drivers(obj, key_names(naming, prefix), naming) + corrective_keys.add_driver(obj)


def key_sliders(obj, frames: np.ndarray, weights: np.ndarray, units: np.ndarray | None = None) -> int:
    """Keyframe the sliders: ``frames`` (T,) scene frames, ``weights`` (T, 53) ICT order, clipped
    to 0..1. Keys of each slider inside ``[frames.min(), frames.max()]`` are replaced, others kept.
    ``units``: optional ``(53,)`` bool, only those sliders are keyed (the others are left as they
    are, keys included). Returns the number of keys written."""
    require_slider_target(obj)
    weights = np.clip(np.asarray(weights, dtype=np.float64), 0.0, 1.0)
    frames = np.asarray(frames, dtype=np.float64)
    if weights.shape != (len(frames), facs.NUM_EXPRESSIONS):
        raise ValueError(f"weights {weights.shape} do not match ({len(frames)}, {facs.NUM_EXPRESSIONS})")
    keep = np.ones(facs.NUM_EXPRESSIONS, bool) if units is None else np.asarray(units, dtype=bool)
    for j, name in enumerate(facs.ICT_NAMES):
        if keep[j]:
            animation.write_keys(obj, slider_path(name), frames, weights[:, j], group=ACTION_GROUP)
    obj.update_tag()
    return int(keep.sum()) * len(frames)


def key_current(obj, frame: float) -> int:
    """Keyframe all 53 sliders at ``frame`` with their current values. Returns 53."""
    values = get_values(obj)[None, :]
    return key_sliders(obj, np.array([frame], dtype=np.float64), values)
