"""The ``jawOpen_mouthClose`` corrective shape key and its driver (:mod:`model.mouth_close`).

The bake splits mouthClose: the ``mouthClose`` key holds what it does alone (the lips' press; it
no longer lifts the lower lip through the upper lip), and the corrective key
``<prefix>jawOpen_mouthClose`` holds the rest, driven by ``min(jawOpen, mouthClose)`` of the
sliders (each times its unit and region gains, as the keys' own drivers): a *simple expression*,
evaluated without Python. Where mouthClose <= jawOpen, ARKit's range, the two keys together give
exactly the linear ``jawOpen + mouthClose`` of the unsplit shapes, so cloning, capture keys and
visemes keep their seal; clone and capture import key the sliders and the corrective follows
through its driver.

The corrective is one of our FACS keys (:mod:`shape_keys`, default group): a re-bake rewrites it
in place, never duplicates it, and an artist's key of the same name is refused like any clash.
Readers that mix our keys linearly (the rig check, visemes, engines at export) use
:func:`read_folded`: mouthClose with the corrective folded back in.
"""

from __future__ import annotations

import numpy as np

from . import shape_keys, sliders
from ._model_import import submodule

_mc = submodule("mouth_close")
CORRECTIVE = _mc.CORRECTIVE_SHAPE  # "jawOpen_mouthClose"
SOURCES = _mc.CORRECTIVE_SOURCES  # ("jawOpen", "mouthClose"): ICT slider names, also the key names
# min() of the two driven values: Blender's simple-expression evaluator has min, so no
# auto-run-scripts prompt
EXPRESSION = "min(s0 * u0 * r0, s1 * u1 * r1)"


def _min(terms: list[str]) -> str:
    return f"min({', '.join(terms)})"


def key_name(prefix: str = "") -> str:
    """The corrective key's name for a bake with key-name ``prefix``."""
    return prefix + CORRECTIVE


def close_name(prefix: str = "") -> str:
    """The mouthClose key's name for a bake with key-name ``prefix``."""
    return prefix + _mc.CLOSE_SHAPE


def split(deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(53, V, 3)`` ICT deltas (any units and axes) -> ``(deltas with mouthClose alone,
    corrective (V, 3))`` (:func:`model.mouth_close.split_baked`)."""
    return _mc.split_baked(deltas)


def has_corrective(obj) -> bool:
    """True when ``obj`` carries our corrective key (baked by this add-on, still there)."""
    key = obj.data.shape_keys
    if key is None:
        return False
    prefix = str(key.get(shape_keys.PREFIX_PROP, ""))
    return key_name(prefix) in shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP)


def add_driver(obj) -> int:
    """(Re)create the corrective key's driver from ``obj``'s jawOpen and mouthClose sliders and
    gains; the old driver, if any, is replaced (never duplicated). Returns 1, or 0 without our
    corrective key."""
    if not has_corrective(obj):
        return 0
    name = key_name(str(obj.data.shape_keys.get(shape_keys.PREFIX_PROP, "")))
    sliders.add_slider_driver(obj, name, SOURCES, _min)
    return 1


def values(effective: np.ndarray) -> np.ndarray:
    """``(F,)`` the corrective key's value per frame from ``(F, 53)`` effective slider values
    (slider x gains, ICT order): what its driver computes."""
    from ._model_import import facs

    jaw, close = (effective[:, facs.ict_index(n)] for n in SOURCES)
    return _mc.corrective_weight(jaw, close)


def read_folded(obj, names: list[str]) -> np.ndarray:
    """``(K, V, 3)`` float32 object-space deltas of our keys ``names`` (:func:`shape_keys.read_key_deltas`)
    with the corrective added to the mouthClose key: the linear (unsplit) shapes."""
    deltas = shape_keys.read_key_deltas(obj, names)
    if not has_corrective(obj):
        return deltas
    prefix = str(obj.data.shape_keys.get(shape_keys.PREFIX_PROP, ""))
    close = close_name(prefix)
    if close in names:
        deltas[names.index(close)] += shape_keys.read_key_deltas(obj, [key_name(prefix)])[0]
    return deltas
