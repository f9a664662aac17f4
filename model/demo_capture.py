"""A short synthetic ARKit face capture for the demo, written as a Live Link Face CSV.

The demo needs an ARKit capture to show expression cloning, and we cannot ship a recording of a
person; this synthesizes one: a few seconds at a fixed frame rate with smooth, non-overlapping
"performances" (blink, smile, jaw open, brow raise, pucker), each a raised-cosine bump on a small
set of ARKit units, plus a slow head sway. Pure numpy + csv.

Live Link Face CSV layout (as the iOS app records it)::

    Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,
    LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll
    12:00:00:00.000,61,0.0,...

``Timecode`` is ``HH:MM:SS:FF.fff`` (FF = frame within the second, ``.fff`` = sub-frame),
``BlendShapeCount`` is the number of value columns that follow (61 = 52 blendshapes + 9
rotations). Blendshape columns use Apple's names with a capital first letter, in the app's
order (:data:`LIVE_LINK_BLENDSHAPES`), not :data:`model.facs.ARKIT_NAMES` order.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np

from .atomic_write import atomic_open
from .facs import ARKIT_NAMES, NUM_ARKIT, canonical_arkit_name

# Column order of the 52 blendshapes in a Live Link Face CSV.
LIVE_LINK_BLENDSHAPES: tuple[str, ...] = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft",
    "EyeSquintLeft", "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight",
    "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight", "JawForward",
    "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight",
    "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight",
    "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft",
    "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft",
    "MouthUpperUpRight", "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft",
    "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft",
    "NoseSneerRight", "TongueOut",
)  # fmt: skip
LIVE_LINK_ROTATIONS: tuple[str, ...] = (
    "HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
    "RightEyeYaw", "RightEyePitch", "RightEyeRoll",
)  # fmt: skip

# LIVE_LINK_BLENDSHAPES[i] is ARKIT_NAMES[_LL_TO_ARKIT[i]]
_LL_TO_ARKIT = np.array([ARKIT_NAMES.index(canonical_arkit_name(n)) for n in LIVE_LINK_BLENDSHAPES])


@dataclass(frozen=True)
class Event:
    """One performance: ARKit units raised together by a raised-cosine bump.

    ``start`` and ``duration`` in seconds; ``units`` maps ARKit names to peak weights in [0, 1].
    """

    label: str
    start: float
    duration: float
    units: dict[str, float]


# Spread over 4 s so every performance is seen on its own at least once; blinks recur.
DEMO_EVENTS: tuple[Event, ...] = (
    Event("blink", 0.25, 0.30, {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}),
    Event("smile", 0.55, 1.05, {"mouthSmileLeft": 0.85, "mouthSmileRight": 0.85,
                                "cheekSquintLeft": 0.35, "cheekSquintRight": 0.35}),
    Event("jaw open", 1.45, 0.90, {"jawOpen": 0.7, "mouthLowerDownLeft": 0.2,
                                   "mouthLowerDownRight": 0.2}),
    Event("brow raise", 2.15, 0.90, {"browInnerUp": 0.9, "browOuterUpLeft": 0.8,
                                     "browOuterUpRight": 0.8, "eyeWideLeft": 0.35,
                                     "eyeWideRight": 0.35}),
    Event("blink", 2.55, 0.30, {"eyeBlinkLeft": 1.0, "eyeBlinkRight": 1.0}),
    Event("pucker", 2.95, 0.95, {"mouthPucker": 0.9, "mouthFunnel": 0.25}),
)  # fmt: skip


def synthesize_capture(
    seconds: float = 4.0, fps: float = 30.0, events: tuple[Event, ...] = DEMO_EVENTS
) -> tuple[np.ndarray, np.ndarray]:
    """Sample the demo performance.

    Returns ``(weights, rotations)``: ``weights (T, 52) float32`` in :data:`model.facs.ARKIT_NAMES`
    order, each in [0, 1]; ``rotations (T, 9) float32`` in :data:`LIVE_LINK_ROTATIONS` order,
    radians (a slow head sway, eyes still). ``T = round(seconds * fps)``; frame ``t`` is at time
    ``t / fps`` seconds. Overlapping events on the same unit add, clipped to 1.
    """
    if seconds <= 0 or fps <= 0:
        raise ValueError(f"seconds and fps must be positive, got {seconds}, {fps}")
    n = int(round(seconds * fps))
    t = np.arange(n, dtype=np.float64) / fps
    weights = np.zeros((n, NUM_ARKIT), dtype=np.float64)
    for ev in events:
        phase = (t - ev.start) / ev.duration
        bump = np.where((phase >= 0) & (phase <= 1), 0.5 - 0.5 * np.cos(2 * np.pi * phase), 0.0)
        for name, peak in ev.units.items():
            canon = canonical_arkit_name(name)
            if canon is None:
                raise KeyError(f"event {ev.label!r}: unknown ARKit unit {name!r}")
            weights[:, ARKIT_NAMES.index(canon)] += peak * bump
    rotations = np.zeros((n, len(LIVE_LINK_ROTATIONS)), dtype=np.float64)
    rotations[:, 0] = 0.08 * np.sin(2 * np.pi * t / max(seconds, 1e-9))  # yaw
    rotations[:, 1] = 0.03 * np.sin(4 * np.pi * t / max(seconds, 1e-9))  # pitch
    return np.clip(weights, 0.0, 1.0).astype(np.float32), rotations.astype(np.float32)


def format_timecode(frame: int, fps: float, start_seconds: float = 12 * 3600.0) -> str:
    """Live Link Face timecode ``HH:MM:SS:FF.fff`` of frame ``frame`` at ``fps`` frames/second.

    ``start_seconds`` is the time of day of frame 0 (a whole number of frames is assumed).
    """
    total = start_seconds + frame / fps
    whole = int(np.floor(total + 1e-9))
    frac_frames = (total - whole) * fps
    ff = int(np.floor(frac_frames + 1e-6))
    sub = max(frac_frames - ff, 0.0)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    return f"{h % 24:02d}:{m:02d}:{s:02d}:{ff:02d}.{int(round(sub * 1000)) % 1000:03d}"


def write_live_link_csv(
    path: str | os.PathLike,
    weights: np.ndarray,
    fps: float = 30.0,
    rotations: np.ndarray | None = None,
) -> None:
    """Write a Live Link Face CSV.

    ``weights (T, 52)`` in :data:`model.facs.ARKIT_NAMES` order (reordered to the app's column
    order here); ``rotations (T, 9)`` radians in :data:`LIVE_LINK_ROTATIONS` order, zeros if None.
    Values are written with 6 decimals.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != NUM_ARKIT:
        raise ValueError(f"weights must be (T, {NUM_ARKIT}) in ARKIT_NAMES order, got {weights.shape}")
    n = weights.shape[0]
    if rotations is None:
        rotations = np.zeros((n, len(LIVE_LINK_ROTATIONS)))
    rotations = np.asarray(rotations, dtype=np.float64)
    if rotations.shape != (n, len(LIVE_LINK_ROTATIONS)):
        raise ValueError(f"rotations must be ({n}, {len(LIVE_LINK_ROTATIONS)}), got {rotations.shape}")
    values = np.concatenate([weights[:, _LL_TO_ARKIT], rotations], axis=1)
    count = values.shape[1]
    with atomic_open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Timecode", "BlendShapeCount", *LIVE_LINK_BLENDSHAPES, *LIVE_LINK_ROTATIONS])
        for i in range(n):
            w.writerow([format_timecode(i, fps), count, *(f"{v:.6f}" for v in values[i])])


def write_demo_capture(path: str | os.PathLike, seconds: float = 4.0, fps: float = 30.0) -> np.ndarray:
    """Synthesize the demo performance and write it to ``path``; returns its ``(T, 52)`` weights."""
    weights, rotations = synthesize_capture(seconds, fps)
    write_live_link_csv(path, weights, fps, rotations)
    return weights
