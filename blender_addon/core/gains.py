"""Intensity gains: a multiplier per FACS unit and per face region (``Object.nfs_gains``).

Gains act through the shape-key drivers (:func:`sliders.add_drivers`): a key driven by ICT unit
``u`` of region ``r`` takes ``slider_u * gain_u * gain_region_r`` (an ARKit key averages that over
its units). Nothing is baked, so changing a gain later changes the result at once, on every frame,
without re-importing or re-baking; 1.0 everywhere is the plain slider value. Gains are not
animatable (export bakes them as constants, :func:`source_factors`).
"""

from __future__ import annotations

import numpy as np

from ._model_import import facs

GAINS_PROP = "nfs_gains"  # the Object PointerProperty holding the gains (properties/gains.py)
REGION_PREFIX = "region_"  # region gain property names: region_brows, region_mouth, ...
GAIN_MAX = 3.0  # per gain; unit x region stays under KEY_VALUE_MAX
KEY_VALUE_MAX = 10.0  # Blender clamps a shape key's value (driven too) to its slider_max, at most 10


def region_prop(region: str) -> str:
    """Property name of a region's gain (``region_mouth``)."""
    return REGION_PREFIX + region


def unit_gain_path(ict_name: str) -> str:
    """RNA path of a unit's gain on the object (``nfs_gains.jawOpen``)."""
    return f"{GAINS_PROP}.{ict_name}"


def region_gain_path(ict_name: str) -> str:
    """RNA path of the gain of the region ``ict_name`` belongs to (``nfs_gains.region_jaw``)."""
    return f"{GAINS_PROP}.{region_prop(facs.UNIT_REGION[facs.ict_index(ict_name)])}"


def unit_gains(obj) -> np.ndarray:
    """``(53,)`` float64 unit gains (ICT order)."""
    g = getattr(obj, GAINS_PROP)
    return np.array([getattr(g, n) for n in facs.ICT_NAMES], dtype=np.float64)


def region_gains(obj) -> dict[str, float]:
    """Region name -> gain."""
    g = getattr(obj, GAINS_PROP)
    return {r: float(getattr(g, region_prop(r))) for r in facs.REGION_NAMES}


def effective_gains(obj) -> np.ndarray:
    """``(53,)`` float64 unit gain x region gain per ICT unit: what the drivers multiply by."""
    regions = region_gains(obj)
    return unit_gains(obj) * np.array([regions[r] for r in facs.UNIT_REGION])


def set_gains(obj, units: dict[str, float] | None = None, regions: dict[str, float] | None = None) -> None:
    """Set unit gains (ICT name -> gain) and region gains (region -> gain), clipped to 0..GAIN_MAX."""
    g = getattr(obj, GAINS_PROP)
    for name, v in (units or {}).items():
        facs.ict_index(name)  # KeyError for an unknown unit
        setattr(g, name, float(np.clip(v, 0.0, GAIN_MAX)))
    for region, v in (regions or {}).items():
        if region not in facs.REGION_NAMES:
            raise ValueError(
                f"unknown face region {region!r}; the regions are {', '.join(facs.REGION_NAMES)}"
            )
        setattr(g, region_prop(region), float(np.clip(v, 0.0, GAIN_MAX)))
    obj.update_tag()
