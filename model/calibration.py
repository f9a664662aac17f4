"""Capture calibration: subtract the performer's neutral face from captured FACS weights.

A tracker rarely reads exactly 0 on a relaxed face (a resting ``jawOpen`` of 0.08, brows that
read slightly down). Calibration takes a *neutral* weight vector and removes it from every frame::

    calibrated = max(weights - neutral, 0)                       # rescale off (default)
    calibrated = max(weights - neutral, 0) / (1 - neutral)        # rescale on

The neutral is either one frame of the capture (:func:`neutral_from_frame`, the frame where the
performer holds still with a relaxed face) or the capture's per-channel minimum
(:func:`neutral_minimum`, for takes without such a frame). Clamping at 0 keeps the result a valid
slider weight; with rescale, a channel that reached 1 still reaches 1 (a neutral of 1 leaves the
channel at 0, since nothing is left above it). All arrays are float, weights in 0..1; bpy-free.
"""

from __future__ import annotations

import numpy as np

NEUTRAL_MODES = ("NONE", "FRAME", "MINIMUM")


def neutral_from_frame(weights: np.ndarray, index: int) -> np.ndarray:
    """``(C,)`` the weights of capture sample ``index`` (0 = first, in time order) of ``(T, C)``."""
    weights = np.asarray(weights)
    if not 0 <= index < len(weights):
        raise ValueError(
            f"calibration frame {index} is outside the capture's {len(weights)} samples (0-"
            f"{len(weights) - 1}). Fix: pick the index of a neutral-face sample in that range, or use "
            "the per-channel minimum."
        )
    return weights[index].copy()


def neutral_minimum(weights: np.ndarray) -> np.ndarray:
    """``(C,)`` the per-channel minimum over time of ``(T, C)`` weights."""
    return np.asarray(weights).min(axis=0)


def subtract_neutral(weights: np.ndarray, neutral: np.ndarray, rescale: bool = False) -> np.ndarray:
    """``(T, C)`` weights minus the ``(C,)`` neutral, clamped to >= 0; with ``rescale`` divided by
    ``1 - neutral`` so 1 stays reachable (channels whose neutral is 1 become 0). Keeps the dtype."""
    weights = np.asarray(weights)
    w = weights.astype(np.float64)
    n = np.asarray(neutral, dtype=np.float64)
    if n.shape != w.shape[-1:]:
        raise ValueError(f"neutral {n.shape} does not match the weights' channels {w.shape[-1:]}")
    out = np.maximum(w - n, 0.0)
    if rescale:
        room = 1.0 - n
        out = np.where(room > 1e-6, out / np.where(room > 1e-6, room, 1.0), 0.0)
    return out.astype(weights.dtype)


def calibrate(weights: np.ndarray, mode: str, frame: int = 0, rescale: bool = False) -> np.ndarray:
    """Apply calibration ``mode`` (``NONE``, ``FRAME`` with sample ``frame``, ``MINIMUM``) to
    ``(T, C)`` weights; ``NONE`` returns them unchanged."""
    if mode == "NONE":
        return weights
    if mode == "FRAME":
        neutral = neutral_from_frame(weights, frame)
    elif mode == "MINIMUM":
        neutral = neutral_minimum(weights)
    else:
        raise ValueError(f"calibration mode must be one of {', '.join(NEUTRAL_MODES)}, got {mode!r}")
    return subtract_neutral(weights, neutral, rescale)
