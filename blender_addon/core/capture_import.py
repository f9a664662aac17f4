"""ARKit facial captures -> ICT slider weights per scene frame. Parsing is bpy-free.

Formats:

* Live Link Face CSV: a header row, columns found by name (case-insensitive): ``Timecode``
  (``HH:MM:SS:FF.fff``, FF = frames at the capture rate, ``.fff`` a sub-frame fraction), optional
  ``BlendShapeCount`` (ignored), the 52 ARKit blendshapes (``EyeBlinkLeft``...), and the head/eye
  rotation columns (ignored). Missing blendshape columns read as 0.
* Face Cap TXT: ``bs,<name>,...`` lists the blendshapes (``eyeBlink_L`` style); each
  ``k,<milliseconds>,...`` line ends with one value per listed blendshape (the head and eye
  transform values between the time and the blendshapes are ignored).

Times become scene frames at the scene's frame rate; the weights are linearly resampled onto
integer frames, so a 60 fps capture in a 24 fps scene lands on the right frames.
"""

from __future__ import annotations

import csv
import io
import pathlib
from dataclasses import dataclass

import numpy as np

from ._model_import import facs
from .errors import CaptureFormatError

# Live Link Face columns that are not blendshapes and are deliberately ignored.
_IGNORED_COLUMNS = {
    "timecode", "blendshapecount",
    "headyaw", "headpitch", "headroll",
    "lefteyeyaw", "lefteyepitch", "lefteyeroll",
    "righteyeyaw", "righteyepitch", "righteyeroll",
}  # fmt: skip


@dataclass
class Capture:
    """A parsed capture.

    ``times``: (T,) float64 seconds from the first sample, strictly increasing.
    ``arkit``: (T, 52) float32 weights in ``facs.ARKIT_NAMES`` order (0 for absent columns).
    ``source_fps``: the capture's frame rate when the file states it in frames (Live Link), else None.
    ``columns``: the ARKit names found in the file.
    """

    times: np.ndarray
    arkit: np.ndarray
    source_fps: float | None
    columns: tuple[str, ...]

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


def _parse_timecode(text: str, row: int) -> tuple[float, float | None]:
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
        f"Row {row}: timecode {text!r} is not HH:MM:SS:FF.fff. Fix: export the capture again from "
        "Live Link Face, or repair the Timecode column."
    )


def parse_live_link_csv(text: str, source_fps: float | None = None) -> Capture:
    """Parse a Live Link Face CSV (the file's text). ``source_fps`` (30 or 60) overrides the rate
    guessed from the frame field (60 if any frame number >= 30, else 30).
    """
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise CaptureFormatError("The CSV file is empty. Fix: pick a Live Link Face CSV export.")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "timecode" not in lower:
        raise CaptureFormatError(
            "The CSV has no 'Timecode' column, so it is not a Live Link Face capture. Fix: pick the "
            "CSV exported by Live Link Face (header starts with Timecode,BlendShapeCount,...)."
        )
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
    body = rows[1:]
    if not body:
        raise CaptureFormatError(
            "The CSV has a header but no data rows (empty capture). Fix: record or export the take again."
        )
    ncol = len(header)
    bad = [i + 2 for i, r in enumerate(body) if len(r) != ncol]
    if bad:
        raise CaptureFormatError(
            f"The CSV is malformed or truncated: row {bad[0]} has a different number of fields than "
            f"the header ({ncol}). Fix: export the capture again, or delete the incomplete row(s)."
        )
    t_col = lower.index("timecode")
    secs = np.empty(len(body))
    frames = np.empty(len(body))
    frame_based = True
    for i, r in enumerate(body):
        s, f = _parse_timecode(r[t_col], i + 2)
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
    if not np.isfinite(values).all():
        raise CaptureFormatError(
            "The CSV has NaN or infinite blendshape values. Fix: export the capture again."
        )
    fps = None
    if frame_based:
        fps = float(source_fps) if source_fps else (60.0 if np.floor(frames).max() >= 30 else 30.0)
    times = secs + frames / fps if fps else secs
    arkit = np.zeros((len(body), facs.NUM_ARKIT), dtype=np.float32)
    arkit[:, [mapping[c] for c in cols]] = values
    return _finish(times, arkit, fps, tuple(facs.ARKIT_NAMES[mapping[c]] for c in cols))


def parse_face_cap_txt(text: str) -> Capture:
    """Parse a Face Cap TXT export (the file's text); ``k`` lines carry milliseconds."""
    names: list[str] | None = None
    times, rows = [], []
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
            except ValueError:
                raise CaptureFormatError(
                    f"Line {lineno}: non-numeric value in a key line. Fix: export the capture again."
                ) from None
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
    values = np.asarray(rows, dtype=np.float64)
    arkit = np.zeros((len(rows), facs.NUM_ARKIT), dtype=np.float32)
    arkit[:, [facs.ARKIT_NAMES.index(m) for m in mapped]] = values
    return _finish(np.asarray(times), arkit, None, tuple(mapped))


def _finish(times: np.ndarray, arkit: np.ndarray, fps: float | None, columns: tuple[str, ...]) -> Capture:
    # A capture that crosses midnight restarts its timecode at 0: unwrap it.
    jumps = np.diff(times) < -43200.0
    times = times + np.concatenate([[0.0], np.cumsum(jumps) * 86400.0])
    order = np.argsort(times, kind="stable")
    times, arkit = times[order], arkit[order]
    keep = np.concatenate([[True], np.diff(times) > 1e-9])  # drop duplicate timestamps
    times, arkit = times[keep], arkit[keep]
    return Capture(times - times[0], np.clip(arkit, 0.0, 1.0), fps, columns)


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
    """
    n = int(np.floor(times[-1] * scene_fps + 1e-6)) + 1
    t = np.arange(n) / scene_fps
    idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 1)
    nxt = np.minimum(idx + 1, len(times) - 1)
    span = times[nxt] - times[idx]
    alpha = np.where(span > 0, (t - times[idx]) / np.where(span > 0, span, 1.0), 0.0)
    alpha = np.clip(alpha, 0.0, 1.0)[:, None]
    values = weights[idx] * (1 - alpha) + weights[nxt] * alpha
    return start_frame + np.arange(n, dtype=np.float64), values.astype(np.float32)


def capture_to_frames(
    path: str | pathlib.Path,
    scene_fps: float,
    start_frame: int,
    smoothing: int = 0,
    source_fps: float | None = None,
) -> tuple[np.ndarray, np.ndarray, Capture]:
    """Read a capture and return ``(frames (F,), ict weights (F, 53) float32, capture)``."""
    cap = read_capture(path, source_fps)
    frames, ict = to_scene_frames(cap.times, cap.ict(), scene_fps, start_frame)
    return frames, smooth(ict, smoothing), cap


def import_capture(
    obj,
    path: str | pathlib.Path,
    scene_fps: float,
    start_frame: int,
    smoothing: int = 0,
    source_fps: float | None = None,
) -> tuple[np.ndarray, Capture]:
    """Read a capture and key ``obj``'s FACS sliders with it from ``start_frame`` on.

    Keys inside the capture's frame range are replaced, others kept. Returns
    ``(frames (F,) keyed, capture)``. (The only function here that touches Blender data.)
    """
    from . import sliders  # bpy-dependent: imported here so parsing stays bpy-free

    sliders.require_slider_target(obj)  # before reading a possibly long file
    frames, weights, cap = capture_to_frames(path, scene_fps, start_frame, smoothing, source_fps)
    sliders.key_sliders(obj, frames, weights)
    return frames, cap
