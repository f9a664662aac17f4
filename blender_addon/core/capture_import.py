"""ARKit facial captures -> ICT slider weights per scene frame. Parsing is bpy-free.

Formats:

* Live Link Face CSV: a header row, columns found by name (case-insensitive): ``Timecode``
  (``HH:MM:SS:FF.fff``, FF = frames at the capture rate, ``.fff`` a sub-frame fraction), optional
  ``BlendShapeCount`` (ignored), the 52 ARKit blendshapes (``EyeBlinkLeft``...), and the head/eye
  rotation columns ``HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw/Pitch/Roll, RightEyeYaw/Pitch/Roll``
  (radians, read into ``Capture.head_rotation`` / ``eye_left`` / ``eye_right``; see
  :mod:`.capture_pose` for units and signs). Missing blendshape columns read as 0.
* Face Cap TXT: ``bs,<name>,...`` lists the blendshapes (``eyeBlink_L`` style); each
  ``k,<milliseconds>,...`` line ends with one value per listed blendshape; the ten values between
  the time and the blendshapes are head position x,y,z, head rotation x,y,z and eye rotations
  left x,y, right x,y (read into the same ``Capture`` fields; :mod:`.capture_pose`).

Times become scene frames at the scene's frame rate; the weights are linearly resampled onto
integer frames, so a 60 fps capture in a 24 fps scene lands on the right frames.

Both formats go through the same checks (:func:`validate_weights`, :func:`validate_times`): NaN or
infinite values are refused, values outside 0..1 are clipped and counted in ``Capture.notes``, and
timecode gaps longer than :data:`MAX_GAP_SECONDS` are closed (also noted), so the number of keyed
frames is bounded by the number of rows, never by the wall-clock span.
"""

from __future__ import annotations

import csv
import io
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import capture_pose
from ._model_import import facs, submodule
from .errors import CaptureFormatError

# Live Link Face columns that are not blendshapes and are deliberately ignored.
_IGNORED_COLUMNS = {
    "timecode", "blendshapecount",
    "headyaw", "headpitch", "headroll",
    "lefteyeyaw", "lefteyepitch", "lefteyeroll",
    "righteyeyaw", "righteyepitch", "righteyeroll",
}  # fmt: skip

# Longest pause between two consecutive samples that is kept as real time. Live Link Face drops a
# few frames at most (the real take's longest interval is 2 frames); a longer pause is a paused or
# restarted recording or a timecode jump, and keying it frame by frame would cost memory in
# proportion to the wall clock (a 10-hour jump: 864,001 frames) instead of to the rows.
MAX_GAP_SECONDS = 1.0


@dataclass
class Capture:
    """A parsed capture.

    ``times``: (T,) float64 seconds from the first sample, strictly increasing.
    ``arkit``: (T, 52) float32 weights in ``facs.ARKIT_NAMES`` order (0 for absent columns).
    ``source_fps``: the capture's frame rate when the file states it in frames (Live Link), else None.
    ``columns``: the ARKit names found in the file.
    ``notes``: what was found and repaired on the way, for the artist (clipped values, closed
    timecode gaps, a non-comma delimiter); empty for a clean Live Link Face export.
    """

    times: np.ndarray
    arkit: np.ndarray
    source_fps: float | None
    columns: tuple[str, ...]
    notes: tuple[str, ...] = ()
    # Head and eye pose, (T, 3) float64 each, None when the file has no such columns; conventions
    # and units in capture_pose (rotations: radians yaw, pitch, roll; position: metres).
    head_rotation: np.ndarray | None = None
    head_position: np.ndarray | None = None
    eye_left: np.ndarray | None = None
    eye_right: np.ndarray | None = None

    def pose(self) -> dict[str, np.ndarray]:
        """The pose channels present, ``{field name: (T, 3)}`` (see :data:`capture_pose.CHANNELS`)."""
        return {k: v for k in capture_pose.CHANNELS if (v := getattr(self, k)) is not None}

    def ict(self) -> np.ndarray:
        """``(T, 53)`` float32 ICT weights (split units copied to both halves)."""
        return facs.arkit_to_ict_weights(self.arkit)


def arkit_name(column: str) -> str | None:
    """ARKit name for a column/blendshape name in any common spelling, else None.

    Accepts ``eyeBlinkLeft``, ``EyeBlinkLeft``, ``eyeBlink_L`` (Face Cap / ICT style), and the ICT
    halves of split units (``browInnerUp_L`` -> ``browInnerUp``).
    """
    name = column.strip()
    direct = facs.canonical_arkit_name(name)
    if direct is not None:
        return direct
    if len(name) > 2 and name[-2:].upper() in ("_L", "_R"):
        base, side = name[:-2], name[-1].upper()
        full = facs.canonical_arkit_name(base + ("Left" if side == "L" else "Right"))
        return full if full is not None else facs.canonical_arkit_name(base)
    return None


def _parse_timecode(text: str, line: int) -> tuple[float, float | None]:
    """``HH:MM:SS:FF[.fff]`` -> (seconds without frames, frames incl. fraction), or
    ``HH:MM:SS.sss`` / plain seconds -> (seconds, None)."""
    parts = text.strip().split(":")
    try:
        if len(parts) == 4:
            h, m, s = int(parts[0]), int(parts[1]), int(parts[2])
            return h * 3600.0 + m * 60.0 + s, float(parts[3])
        if len(parts) == 3:
            return int(parts[0]) * 3600.0 + int(parts[1]) * 60.0 + float(parts[2]), None
        if len(parts) == 1:
            return float(parts[0]), None
    except ValueError:
        pass
    raise CaptureFormatError(
        f"Line {line}: timecode {text!r} is not HH:MM:SS:FF.fff. Fix: export the capture again from "
        "Live Link Face, or repair the Timecode column."
    )


def validate_times(times: np.ndarray, lines: np.ndarray, source: str) -> None:
    """Refuse NaN/infinite sample times. ``times`` (T,) seconds, ``lines`` (T,) file line numbers."""
    bad = np.flatnonzero(~np.isfinite(times))
    if bad.size:
        raise CaptureFormatError(
            f"The {source} has a NaN or infinite time at line {int(lines[bad[0]])}. Fix: export the "
            "capture again, or repair or delete that line."
        )


def validate_weights(
    values: np.ndarray, columns: Sequence[str], lines: np.ndarray, source: str
) -> tuple[str, ...]:
    """The one check of blendshape values, for every capture format.

    ``values`` (T, C) float64 as read, ``columns`` (C,) their ARKit names, ``lines`` (T,) file line
    numbers, ``source`` the format's name for messages. Raises on NaN/infinite values; returns a
    note (empty tuple when none) counting the values outside 0..1 per column, which the caller
    clips (ARKit trackers overshoot slightly; silently clipping would hide a broken file).
    """
    capture_pose.refuse_non_finite(values, columns, lines, source, "blendshape")
    low, high = values < 0.0, values > 1.0
    outside = low | high
    if not outside.any():
        return ()
    parts = []
    for c in np.flatnonzero(outside.any(axis=0)):
        extremes = []
        if high[:, c].any():
            extremes.append(f"up to {values[:, c].max():.4g}")
        if low[:, c].any():
            extremes.append(f"down to {values[:, c].min():.4g}")
        parts.append(f"{columns[c]} ({int(outside[:, c].sum())}, {', '.join(extremes)})")
    more = f" and {len(parts) - 8} more" if len(parts) > 8 else ""
    return (
        f"Clipped {int(outside.sum())} values outside 0..1 to that range, in {len(parts)} "
        f"column(s): {', '.join(parts[:8])}{more}.",
    )


_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def _find_delimiter(header_line: str) -> str | None:
    """The delimiter that makes a ``Timecode`` field of ``header_line``, else None."""
    for delimiter in _DELIMITER_NAMES:
        fields = (f.strip().strip('"').lower() for f in header_line.split(delimiter))
        if "timecode" in fields:
            return delimiter
    return None


def parse_live_link_csv(text: str, source_fps: float | None = None) -> Capture:
    """Parse a Live Link Face CSV (the file's text). ``source_fps`` (30 or 60) overrides the rate
    guessed from the frame field (60 if any frame number >= 30, else 30).

    Live Link Face writes ``,``-delimited files; a ``;``- or tab-delimited copy (a spreadsheet's
    re-save, possibly with decimal commas) is read too, with a note saying so.
    """
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise CaptureFormatError("The CSV file is empty. Fix: pick a Live Link Face CSV export.")
    delimiter = _find_delimiter(first)
    if delimiter is None:
        raise CaptureFormatError(
            f"The CSV has no 'Timecode' column (its first line is {first[:80]!r}), so it is not a "
            "Live Link Face capture. Fix: pick the CSV exported by Live Link Face (header starts "
            "with Timecode,BlendShapeCount,...)."
        )
    notes: list[str] = []
    if delimiter != ",":
        name = _DELIMITER_NAMES[delimiter]
        notes.append(
            f"The file uses {name} as delimiter (Live Link Face CSVs use ','); it was read with {name}."
        )
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, line_numbers = [], []
    for r in reader:
        if any(c.strip() for c in r):
            # a ';' or tab file re-saved by a spreadsheet may use decimal commas
            rows.append(r if delimiter == "," else [c.replace(",", ".") for c in r])
            line_numbers.append(reader.line_num)
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    mapping: dict[int, int] = {}
    unknown = []
    for i, h in enumerate(header):
        if h.lower() in _IGNORED_COLUMNS:
            continue
        name = arkit_name(h)
        if name is None:
            unknown.append(h)
        else:
            mapping[i] = facs.ARKIT_NAMES.index(name)
    if unknown:
        raise CaptureFormatError(
            f"The CSV has column(s) that are not ARKit blendshapes: {', '.join(unknown[:6])}"
            f"{' ...' if len(unknown) > 6 else ''}. Fix: rename them to ARKit names "
            "(e.g. EyeBlinkLeft) or remove them."
        )
    if not mapping:
        raise CaptureFormatError(
            "The CSV has no ARKit blendshape columns (EyeBlinkLeft, JawOpen, ...). Fix: pick a Live "
            "Link Face CSV export."
        )
    body, lines = rows[1:], np.asarray(line_numbers[1:], dtype=np.int64)
    if not body:
        raise CaptureFormatError(
            "The CSV has a header but no data rows (empty capture). Fix: record or export the take again."
        )
    ncol = len(header)
    bad = [i for i, r in enumerate(body) if len(r) != ncol]
    if bad:
        raise CaptureFormatError(
            f"The CSV is malformed or truncated: row {lines[bad[0]]} has a different number of fields "
            f"than the header ({ncol}). Fix: export the capture again, or delete the incomplete row(s)."
        )
    t_col = lower.index("timecode")
    secs = np.empty(len(body))
    frames = np.empty(len(body))
    frame_based = True
    for i, r in enumerate(body):
        s, f = _parse_timecode(r[t_col], int(lines[i]))
        secs[i] = s
        if f is None:
            frame_based = False
            f = 0.0
        frames[i] = f
    cols = sorted(mapping)
    try:
        values = np.array([[r[c] for c in cols] for r in body], dtype=np.float64)
    except ValueError as exc:
        raise CaptureFormatError(
            f"The CSV has a non-numeric blendshape value ({exc}). Fix: export the capture again."
        ) from None
    columns = tuple(facs.ARKIT_NAMES[mapping[c]] for c in cols)
    notes += validate_weights(values, columns, lines, "CSV")
    pose = capture_pose.live_link_pose(header, body, lines)
    fps = None
    if frame_based:
        fps = float(source_fps) if source_fps else (60.0 if np.floor(frames).max() >= 30 else 30.0)
    times = secs + frames / fps if fps else secs
    validate_times(times, lines, "CSV")
    arkit = np.zeros((len(body), facs.NUM_ARKIT), dtype=np.float32)
    arkit[:, [mapping[c] for c in cols]] = values
    return _finish(times, arkit, fps, columns, lines, tuple(notes), pose)


def parse_face_cap_txt(text: str) -> Capture:
    """Parse a Face Cap TXT export (the file's text); ``k`` lines carry milliseconds."""
    names: list[str] | None = None
    times, rows, line_numbers, transforms = [], [], [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = [f.strip() for f in line.split(",")]
        tag = fields[0].lower()
        if tag == "bs":
            names = fields[1:]
        elif tag == "k":
            if names is None:
                raise CaptureFormatError(
                    f"Line {lineno}: a 'k' key line comes before the 'bs' blendshape-name line. "
                    "Fix: pick a complete Face Cap TXT export."
                )
            if len(fields) < 2 + len(names):
                raise CaptureFormatError(
                    f"Line {lineno}: the key line has {len(fields) - 2} values for {len(names)} "
                    "blendshapes (truncated file?). Fix: export the capture again."
                )
            try:
                times.append(float(fields[1]) / 1000.0)
                rows.append([float(v) for v in fields[len(fields) - len(names) :]])
                transforms.append([float(v) for v in fields[2 : len(fields) - len(names)]])
            except ValueError:
                raise CaptureFormatError(
                    f"Line {lineno}: non-numeric value in a key line. Fix: export the capture again."
                ) from None
            line_numbers.append(lineno)
    if names is None or not rows:
        raise CaptureFormatError(
            "No 'bs' blendshape line or no 'k' key lines: this is not a Face Cap TXT export. Fix: "
            "pick the .txt file exported by Face Cap, or a Live Link Face .csv."
        )
    mapped = [arkit_name(n) for n in names]
    unknown = [n for n, m in zip(names, mapped, strict=True) if m is None]
    if unknown:
        raise CaptureFormatError(
            f"Face Cap blendshape name(s) not in ARKit: {', '.join(unknown[:6])}. Fix: export with "
            "the default (ARKit) blendshape set."
        )
    columns = tuple(m for m in mapped if m is not None)
    lines = np.asarray(line_numbers, dtype=np.int64)
    values = np.asarray(rows, dtype=np.float64)
    notes = validate_weights(values, columns, lines, "Face Cap TXT")
    pose = capture_pose.face_cap_pose(transforms, lines)
    seconds = np.asarray(times, dtype=np.float64)
    validate_times(seconds, lines, "Face Cap TXT")
    arkit = np.zeros((len(rows), facs.NUM_ARKIT), dtype=np.float32)
    arkit[:, [facs.ARKIT_NAMES.index(m) for m in columns]] = values
    return _finish(seconds, arkit, None, columns, lines, notes, pose)


def _clock(seconds: float) -> str:
    """``H:MM:SS`` (hours zero-padded to 2) of a duration in seconds, rounded to the second."""
    h, rem = divmod(int(round(seconds)), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def _close_gaps(
    times: np.ndarray, lines: np.ndarray, fps: float | None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Shorten every interval longer than :data:`MAX_GAP_SECONDS` of sorted ``times`` (T,) to one
    regular sample interval, so the keyed span is bounded by the number of rows."""
    dt = np.diff(times)
    gaps = dt > MAX_GAP_SECONDS
    if not gaps.any():
        return times, ()
    regular = dt[~gaps]
    step = float(np.median(regular)) if regular.size else 1.0 / (fps or 30.0)
    worst = int(np.argmax(dt))
    n = int(gaps.sum())
    note = (
        f"Closed {n} timecode gap{'s' if n > 1 else ''} longer than {MAX_GAP_SECONDS:g} s (the longest: "
        f"{_clock(dt[worst])} before line {int(lines[worst + 1])}) to one sample interval: the take "
        "continues right after each gap instead of holding still for that long. If the pause is "
        "real, split the file and import each part at its own start frame."
    )
    closed = np.concatenate([[times[0]], times[0] + np.cumsum(np.where(gaps, step, dt))])
    return closed, (note,)


def _finish(
    times: np.ndarray,
    arkit: np.ndarray,
    fps: float | None,
    columns: tuple[str, ...],
    lines: np.ndarray,
    notes: tuple[str, ...],
    pose: dict[str, np.ndarray] | None = None,
) -> Capture:
    # A capture that crosses midnight restarts its timecode at 0: unwrap it.
    jumps = np.diff(times) < -43200.0
    times = times + np.concatenate([[0.0], np.cumsum(jumps) * 86400.0])
    order = np.argsort(times, kind="stable")
    times, arkit, lines = times[order], arkit[order], lines[order]
    keep = np.concatenate([[True], np.diff(times) > 1e-9])  # drop duplicate timestamps
    times, arkit, lines = times[keep], arkit[keep], lines[keep]
    pose = {k: v[order][keep] for k, v in (pose or {}).items()}  # same rows as the weights
    times, gap_notes = _close_gaps(times, lines, fps)
    return Capture(times - times[0], np.clip(arkit, 0.0, 1.0), fps, columns, notes + gap_notes, **pose)


def read_capture(path: str | pathlib.Path, source_fps: float | None = None) -> Capture:
    """Read a Live Link Face ``.csv`` or Face Cap ``.txt`` capture (format chosen by content)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise CaptureFormatError(
            f"Capture file {str(path)!r} does not exist. Fix: pick an existing .csv or .txt file."
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CaptureFormatError(
            f"{path.name} is not a text file. Fix: pick a Live Link Face .csv or Face Cap .txt."
        ) from None
    first = text.lstrip().split("\n", 1)[0].lower()
    if first.startswith(("bs,", "info,", "k,")):
        return parse_face_cap_txt(text)
    if "timecode" in first or path.suffix.lower() != ".txt":
        return parse_live_link_csv(text, source_fps)
    return parse_face_cap_txt(text)


def smooth(weights: np.ndarray, window: int) -> np.ndarray:
    """Centered moving average over ``window`` frames (odd; <= 1: unchanged) of ``(T, C)`` weights,
    edge values repeated so the ends do not sag."""
    if window <= 1 or len(weights) < 2:
        return weights
    half = window // 2
    padded = np.concatenate([np.repeat(weights[:1], half, 0), weights, np.repeat(weights[-1:], half, 0)])
    c = np.cumsum(np.concatenate([np.zeros((1, weights.shape[1])), padded]), axis=0)
    return ((c[2 * half + 1 :] - c[: -2 * half - 1]) / (2 * half + 1)).astype(weights.dtype)


def to_scene_frames(
    times: np.ndarray, weights: np.ndarray, scene_fps: float, start_frame: int
) -> tuple[np.ndarray, np.ndarray]:
    """Resample ``weights`` (T, C) sampled at ``times`` (T,) seconds onto integer scene frames.

    Returns ``(frames (F,) float64, values (F, C) float32)``: frame ``start_frame + i`` holds the
    capture at ``i / scene_fps`` seconds (linear interpolation), up to the capture's last sample.
    ``times`` start at 0. Memory follows the rows: a span wider than :data:`MAX_GAP_SECONDS` per
    sample interval (an unclosed timecode gap) is refused before anything is allocated.
    """
    if not scene_fps > 0:
        raise ValueError(f"scene_fps must be positive, got {scene_fps}")
    span = float(times[-1] - times[0])
    if not np.isfinite(span) or span > (len(times) - 1) * MAX_GAP_SECONDS + 1e-6:
        raise CaptureFormatError(
            f"The capture spans {span:.6g} s with only {len(times)} samples: it has a timecode gap, "
            f"and keying it would take {span * scene_fps:.3g} frames. Fix: read it with read_capture, "
            "which closes gaps, or split the take at the gap."
        )
    n = int(np.floor(times[-1] * scene_fps + 1e-6)) + 1
    t = np.arange(n) / scene_fps
    idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1)
    nxt = np.minimum(idx + 1, len(times) - 1)
    span = times[nxt] - times[idx]
    alpha = np.where(span > 0, (t - times[idx]) / np.where(span > 0, span, 1.0), 0.0)
    alpha = np.clip(alpha, 0.0, 1.0)[:, None]
    values = weights[idx] * (1 - alpha) + weights[nxt] * alpha
    return start_frame + np.arange(n, dtype=np.float64), values.astype(np.float32)


def smooth_channels(weights: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """:func:`smooth` with its own window per channel: ``windows`` (C,) ints for ``(T, C)`` weights
    (channels sharing a window are smoothed together)."""
    windows = np.asarray(windows, dtype=np.int64)
    out = weights.copy()
    for w in np.unique(windows):
        cols = np.flatnonzero(windows == w)
        out[:, cols] = smooth(weights[:, cols], int(w))
    return out


@dataclass
class ImportOptions:
    """How captured weights become slider keys, beyond the frame rate.

    ``neutral``: ``"NONE"``, ``"FRAME"`` (capture sample ``neutral_frame``, 0-based in time order)
    or ``"MINIMUM"`` (per-channel minimum), subtracted and clamped at 0, divided by
    ``1 - neutral`` with ``rescale`` (``model.calibration``). Applied to the capture's samples in
    ICT units, before resampling onto scene frames. ``regions``: the face regions
    (``facs.REGION_NAMES``) whose sliders are keyed; the others keep their keys. ``smoothing``:
    moving-average window in scene frames for every channel; ``region_smoothing`` overrides it
    per region (region name -> window).
    """

    neutral: str = "NONE"
    neutral_frame: int = 0
    rescale: bool = False
    regions: tuple[str, ...] = facs.REGION_NAMES
    smoothing: int = 0
    region_smoothing: dict[str, int] | None = None

    def units(self) -> np.ndarray:
        """``(53,)`` bool: the sliders to key."""
        if not self.regions:
            raise ValueError(
                "No face region is selected for the import, so nothing would be keyed. Fix: tick at "
                "least one region (brows, eyes, cheeks, nose, jaw, mouth)."
            )
        return facs.region_mask(self.regions)

    def describe(self) -> str:
        """One line on what differs from a plain import (empty when nothing does)."""
        parts = []
        if self.neutral == "FRAME":
            parts.append(f"neutral = capture sample {self.neutral_frame}")
        elif self.neutral == "MINIMUM":
            parts.append("neutral = per-channel minimum")
        if self.neutral != "NONE" and self.rescale:
            parts.append("rescaled to reach 1")
        if set(self.regions) != set(facs.REGION_NAMES):
            parts.append(f"only the {', '.join(self.regions)} sliders keyed")
        if self.region_smoothing:
            parts.append("smoothing per region")
        return ("Capture options: " + "; ".join(parts)) if parts else ""

    def windows(self) -> np.ndarray:
        """``(53,)`` smoothing window per ICT unit."""
        per_region = dict.fromkeys(facs.REGION_NAMES, self.smoothing)
        per_region.update(self.region_smoothing or {})
        return np.array([per_region[r] for r in facs.UNIT_REGION], dtype=np.int64)


def capture_to_frames(
    path: str | pathlib.Path,
    scene_fps: float,
    start_frame: int,
    smoothing: int = 0,
    source_fps: float | None = None,
    options: ImportOptions | None = None,
) -> tuple[np.ndarray, np.ndarray, Capture]:
    """Read a capture and return ``(frames (F,), ict weights (F, 53) float32, capture)``.

    ``options`` (calibration, per-region smoothing) replaces ``smoothing`` when given."""
    cap = read_capture(path, source_fps)
    if options is None:
        frames, ict = to_scene_frames(cap.times, cap.ict(), scene_fps, start_frame)
        return frames, smooth(ict, smoothing), cap
    calibration = submodule("calibration")
    ict = calibration.calibrate(cap.ict(), options.neutral, options.neutral_frame, options.rescale)
    frames, ict = to_scene_frames(cap.times, ict, scene_fps, start_frame)
    return frames, smooth_channels(ict, options.windows()), cap


def pose_to_frames(
    cap: Capture, scene_fps: float, start_frame: int, smoothing: int = 0
) -> dict[str, np.ndarray]:
    """The capture's head/eye channels on the same scene frames as :func:`capture_to_frames`:
    ``{field name: (F, 3) float64}`` (resampled and smoothed exactly like the weights)."""
    out = {}
    for name, values in cap.pose().items():
        _, resampled = to_scene_frames(cap.times, values, scene_fps, start_frame)
        out[name] = smooth(resampled.astype(np.float64), smoothing)
    return out


def import_capture(
    obj,
    path: str | pathlib.Path,
    scene_fps: float,
    start_frame: int,
    smoothing: int = 0,
    source_fps: float | None = None,
    options: ImportOptions | None = None,
) -> tuple[np.ndarray, Capture]:
    """Read a capture and key ``obj``'s FACS sliders with it from ``start_frame`` on.

    Keys inside the capture's frame range are replaced, others kept; with ``options``, only the
    sliders of ``options.regions`` are keyed. Returns ``(frames (F,) keyed, capture)``. (The only
    function here that touches Blender data.)
    """
    from . import sliders  # bpy-dependent: imported here so parsing stays bpy-free

    sliders.require_slider_target(obj)  # before reading a possibly long file
    units = options.units() if options is not None else None  # refuse an empty filter up front
    frames, weights, cap = capture_to_frames(path, scene_fps, start_frame, smoothing, source_fps, options)
    sliders.key_sliders(obj, frames, weights, units)
    return frames, cap
