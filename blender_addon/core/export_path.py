"""Which file an export writes, and in which format: the file named, never another one. bpy-free.

Rules (the artist's file name is the contract):

* The extension given decides the format: ``.fbx`` FBX, ``.glb`` glTF binary, ``.gltf`` glTF with
  separate files. When it differs from the requested (panel) format, the result says so.
* A name without extension gets the requested format's extension.
* Any other extension, a folder, a missing parent folder, or a relative path that cannot be
  resolved safely is refused with the fix: ``//`` paths need a saved .blend (they are relative to
  it); plain relative paths would land in whatever folder Blender was started from.
"""

from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass

from .errors import ExportError

FORMAT_SUFFIXES: dict[str, str] = {"FBX": ".fbx", "GLB": ".glb", "GLTF": ".gltf"}
FORMAT_LABELS: dict[str, str] = {"FBX": "FBX", "GLB": "glTF binary", "GLTF": "glTF separate"}
_SUFFIX_FORMATS = {suffix: fmt for fmt, suffix in FORMAT_SUFFIXES.items()}


@dataclass(frozen=True)
class ExportTarget:
    """``path``: absolute file to write; ``fmt``: ``"FBX" | "GLB" | "GLTF"``; ``note``: a sentence
    for the report when the format or name differs from what was requested, else None."""

    path: pathlib.Path
    fmt: str
    note: str | None = None


def _absolute(filepath: str, blend_filepath: str) -> pathlib.Path:
    if filepath.startswith("//"):
        if not blend_filepath:
            raise ExportError(
                f"The export path '{filepath}' is relative to the .blend file, which is not saved yet, "
                "so it has no folder. Fix: save the .blend file first, or give an absolute path."
            )
        return pathlib.Path(blend_filepath).parent / filepath[2:]
    path = pathlib.Path(filepath).expanduser()
    if not path.is_absolute():
        raise ExportError(
            f"The export path '{filepath}' is relative, so it would be written wherever Blender was "
            "started from. Fix: give an absolute path, or start it with // for the .blend file's "
            "folder (save the .blend first)."
        )
    return path


def resolve_export_target(filepath: str, requested_format: str, blend_filepath: str = "") -> ExportTarget:
    """Decide the file and format of an export.

    ``filepath``: as the artist typed it (absolute, ``//``-relative or ``~``); ``requested_format``:
    the panel's or operator's ``"FBX" | "GLB" | "GLTF"``; ``blend_filepath``: ``bpy.data.filepath``
    (empty when the .blend is unsaved). Raises :class:`ExportError` (problem + fix) instead of
    writing anything but the named file.
    """
    if requested_format not in FORMAT_SUFFIXES:
        raise ValueError(f"unknown export format {requested_format!r}: use FBX, GLB or GLTF")
    if not filepath or not filepath.strip():
        raise ExportError("No export file path. Fix: set one in the Export panel.")
    path = _absolute(filepath, blend_filepath)
    if filepath.endswith(("/", os.sep)) or path.is_dir():
        raise ExportError(
            f"The export path '{path}' is a folder, not a file. Fix: add a file name, e.g. "
            f"'{path / ('face' + FORMAT_SUFFIXES[requested_format])}'."
        )
    if not path.parent.is_dir():
        raise ExportError(
            f"The export folder '{path.parent}' does not exist. Fix: create it or pick another."
        )
    suffix = path.suffix.lower()
    if not suffix:
        fmt = requested_format
        path = path.with_name(path.name + FORMAT_SUFFIXES[fmt])
        return ExportTarget(path, fmt, f"added the {FORMAT_LABELS[fmt]} extension: {path.name}")
    fmt = _SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        raise ExportError(
            f"The export file '{path.name}' ends in '{path.suffix}', which is neither FBX nor glTF. "
            "Fix: name it .fbx, .glb or .gltf (the extension picks the format)."
        )
    note = None
    if fmt != requested_format:
        note = (
            f"written as {FORMAT_LABELS[fmt]} because the file name ends in {suffix} "
            f"(the format setting is {FORMAT_LABELS[requested_format]})"
        )
    return ExportTarget(path, fmt, note)
