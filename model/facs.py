"""The one table of FACS expression names: ICT-FaceKit's 53 and Apple ARKit's 52.

ICT order is the order of ``FaceXModel/vertex_indices.json["expressions"]``; the network's
expression code uses it (``code[:53]``). ``_L`` / ``Left`` is the *subject's* left in both
conventions. ICT splits ARKit's ``browInnerUp`` and ``cheekPuff`` into ``_L``/``_R``; ARKit has
``tongueOut``, which ICT lacks.

Weight conversion (a capture's weights onto ICT sliders and back)::

    ict_weights   = arkit_weights @ ARKIT_TO_ICT.T        # (..., 52) -> (..., 53)
    arkit_weights = ict_weights @ ICT_TO_ARKIT.T          # (..., 53) -> (..., 52)

``ARKIT_TO_ICT`` copies a split unit to both halves; ``ICT_TO_ARKIT`` averages the halves, so
ARKit -> ICT -> ARKit is exact. Shape conversion (ICT deltas to ARKit-named shapes, so that the
same animation gives the same surface) uses ``ARKIT_TO_ICT.T``: a split ARKit shape is the sum of
its two ICT halves, ``tongueOut`` is all zeros.
"""

from __future__ import annotations

import numpy as np

ICT_NAMES: tuple[str, ...] = (
    "browDown_L", "browDown_R", "browInnerUp_L", "browInnerUp_R", "browOuterUp_L", "browOuterUp_R",
    "cheekPuff_L", "cheekPuff_R", "cheekSquint_L", "cheekSquint_R", "eyeBlink_L", "eyeBlink_R",
    "eyeLookDown_L", "eyeLookDown_R", "eyeLookIn_L", "eyeLookIn_R", "eyeLookOut_L", "eyeLookOut_R",
    "eyeLookUp_L", "eyeLookUp_R", "eyeSquint_L", "eyeSquint_R", "eyeWide_L", "eyeWide_R",
    "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose", "mouthDimple_L", "mouthDimple_R",
    "mouthFrown_L", "mouthFrown_R", "mouthFunnel", "mouthLeft", "mouthLowerDown_L",
    "mouthLowerDown_R", "mouthPress_L", "mouthPress_R", "mouthPucker", "mouthRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmile_L",
    "mouthSmile_R", "mouthStretch_L", "mouthStretch_R", "mouthUpperUp_L", "mouthUpperUp_R",
    "noseSneer_L", "noseSneer_R",
)  # fmt: skip
NUM_EXPRESSIONS = len(ICT_NAMES)  # 53

ARKIT_NAMES: tuple[str, ...] = (
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft",
    "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight",
    "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
    "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight",
    "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
NUM_ARKIT = len(ARKIT_NAMES)  # 52

# Regions of the face used to group units in the UI and in evaluation tables.
FACS_GROUPS: dict[str, tuple[str, ...]] = {
    "brows": tuple(n for n in ICT_NAMES if n.startswith("brow")),
    "eyes": tuple(n for n in ICT_NAMES if n.startswith("eye")),
    "cheeks": tuple(n for n in ICT_NAMES if n.startswith("cheek")),
    "nose": tuple(n for n in ICT_NAMES if n.startswith("nose")),
    "jaw": tuple(n for n in ICT_NAMES if n.startswith("jaw")),
    "mouth": tuple(n for n in ICT_NAMES if n.startswith("mouth")),
}


def ict_to_arkit_name(ict_name: str) -> str:
    """``browDown_L`` -> ``browDownLeft``; ``browInnerUp_L`` -> ``browInnerUp``; unsplit names pass."""
    if ict_name not in ICT_NAMES:
        raise KeyError(f"unknown ICT expression name {ict_name!r}")
    base, side = (ict_name[:-2], ict_name[-1]) if ict_name[-2:] in ("_L", "_R") else (ict_name, "")
    if base in ("browInnerUp", "cheekPuff"):
        return base
    return base + {"L": "Left", "R": "Right", "": ""}[side]


def _build_arkit_to_ict() -> np.ndarray:
    m = np.zeros((NUM_EXPRESSIONS, NUM_ARKIT), dtype=np.float64)
    for i, name in enumerate(ICT_NAMES):
        m[i, ARKIT_NAMES.index(ict_to_arkit_name(name))] = 1.0
    return m


ARKIT_TO_ICT: np.ndarray = _build_arkit_to_ict()  # (53, 52): 1 where an ICT unit takes an ARKit unit
ARKIT_TO_ICT.setflags(write=False)
_counts = ARKIT_TO_ICT.sum(axis=0)  # how many ICT units each ARKit unit feeds (0 for tongueOut)
ICT_TO_ARKIT: np.ndarray = (ARKIT_TO_ICT / np.where(_counts > 0, _counts, 1.0)).T  # (52, 53), averaging
ICT_TO_ARKIT.setflags(write=False)

_ICT_INDEX = {n: i for i, n in enumerate(ICT_NAMES)}
_ARKIT_LOWER = {n.lower(): n for n in ARKIT_NAMES}


def ict_index(name: str) -> int:
    """Index of an ICT name in :data:`ICT_NAMES` (KeyError if unknown)."""
    return _ICT_INDEX[name]


def canonical_arkit_name(name: str) -> str | None:
    """Case-insensitive lookup of an ARKit name (``EyeBlinkLeft`` -> ``eyeBlinkLeft``); None if unknown."""
    return _ARKIT_LOWER.get(name.strip().lower())


def arkit_to_ict_weights(arkit: np.ndarray) -> np.ndarray:
    """``(..., 52)`` ARKit weights (ARKIT_NAMES order) -> ``(..., 53)`` ICT weights (float32)."""
    arkit = np.asarray(arkit, dtype=np.float64)
    if arkit.shape[-1] != NUM_ARKIT:
        raise ValueError(f"expected {NUM_ARKIT} ARKit weights in the last axis, got {arkit.shape}")
    return (arkit @ ARKIT_TO_ICT.T).astype(np.float32)


def ict_to_arkit_weights(ict: np.ndarray) -> np.ndarray:
    """``(..., 53)`` ICT weights -> ``(..., 52)`` ARKit weights (float32; split units averaged)."""
    ict = np.asarray(ict, dtype=np.float64)
    if ict.shape[-1] != NUM_EXPRESSIONS:
        raise ValueError(f"expected {NUM_EXPRESSIONS} ICT weights in the last axis, got {ict.shape}")
    return (ict @ ICT_TO_ARKIT.T).astype(np.float32)


def ict_to_arkit_shapes(deltas: np.ndarray) -> np.ndarray:
    """``(53, V, 3)`` ICT shape deltas -> ``(52, V, 3)`` ARKit-named deltas (split shapes summed).

    With these shapes, ARKit weights ``a`` give the same surface as ICT weights
    ``arkit_to_ict_weights(a)`` on the ICT shapes. ``tongueOut`` is zero (ICT has no tongue shape).
    """
    deltas = np.asarray(deltas)
    if deltas.shape[0] != NUM_EXPRESSIONS:
        raise ValueError(f"expected {NUM_EXPRESSIONS} shapes in the first axis, got {deltas.shape}")
    return np.tensordot(ARKIT_TO_ICT.T.astype(deltas.dtype), deltas, axes=1)


# Region of every unit, in ICT order: the one grouping of units for per-region gains, the capture
# import's region filter and per-region smoothing (each unit is in exactly one FACS_GROUPS entry).
REGION_NAMES: tuple[str, ...] = tuple(FACS_GROUPS)
UNIT_REGION: tuple[str, ...] = tuple(
    next(g for g, names in FACS_GROUPS.items() if n in names) for n in ICT_NAMES
)


def region_mask(regions) -> np.ndarray:
    """``(53,)`` bool: True for the ICT units in any of ``regions`` (names of :data:`FACS_GROUPS`).

    Raises ValueError naming an unknown region and the valid ones.
    """
    regions = set(regions)
    unknown = sorted(regions - set(REGION_NAMES))
    if unknown:
        raise ValueError(
            f"unknown face region(s) {', '.join(unknown)}; the regions are {', '.join(REGION_NAMES)}"
        )
    return np.array([r in regions for r in UNIT_REGION], dtype=bool)
