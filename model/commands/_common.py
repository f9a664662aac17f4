"""Argument helpers shared by the commands: axes, weights and device options, and output paths
checked before any computation (one-line errors, exit code 2)."""

from __future__ import annotations

import argparse
import contextlib
import os
import pathlib
import sys
import tempfile
from collections.abc import Iterator

from ..errors import FaceSkinningError, OutputPathError


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text}")
    return value


def add_axes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--up",
        default="Y",
        help="input up axis: X Y Z -X -Y -Z, or auto (from the geometry); default Y (OBJ convention)",
    )
    parser.add_argument(
        "--forward",
        default="Z",
        help="input forward axis, where the face looks: X Y Z -X -Y -Z, or auto (default Z)",
    )


def prepare(fm, mesh, args: argparse.Namespace, label: str):
    """``fm.prepare`` with the command's axes; says on stderr which orientation ``auto`` found
    and warns when given axes disagree with a confident estimate (the bake still runs)."""
    # OBJ materials (usemtl): clothing welded into the skin is held still by its material
    materials = mesh.triangle_materials()
    prep = fm.prepare(mesh.vertices, mesh.triangles(), up=args.up, forward=args.forward, materials=materials)
    est = prep.orientation
    if prep.frame.auto and est is not None:
        from ..orientation import describe

        print(f"{label}: orientation {describe(est)}", file=sys.stderr)
    for warning in prep.warnings:
        print(f"warning: {label}: {warning}", file=sys.stderr)
    return prep


def add_weights(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument(
        "--device",
        default="cpu",
        help="cpu (the runtime computes in numpy on the CPU; GPUs: python -m training)",
    )


def load_model(args: argparse.Namespace):
    from ..api import FaceModel

    return FaceModel.load(args.weights, device=args.device)


def check_device(args: argparse.Namespace) -> None:
    """Refuse any ``--device`` but ``cpu`` before any work (DeviceError, one line): the runtime
    is numpy; torch devices are training's (``python -m training ... --device cuda``)."""
    if args.device != "cpu":
        from ..errors import DeviceError

        raise DeviceError(
            f"device {args.device!r}: the runtime computes on the CPU in numpy; use --device cpu "
            "(GPU evaluation and training: python -m training ... --device cuda)"
        )


def _writable_folder(folder: pathlib.Path, option: str) -> None:
    """Create ``folder`` if missing and make sure new files can be created in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(
            f"{option}: cannot create folder {str(folder)!r} ({exc.strerror or exc}); "
            "choose a path in a writable folder"
        ) from exc
    try:  # a real file, not os.access: access() says yes to root on read-only or special folders
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".nfs-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputPathError(
            f"{option}: cannot write in folder {str(folder)!r} ({exc.strerror or exc}); "
            "choose a path in a writable folder"
        ) from exc


def output_path(path: str, suffix: str | None = None, option: str = "-o") -> pathlib.Path:
    """Check an output file path before any computation: the right suffix (if given), not a
    folder, and its folder exists (created) and accepts new files. OutputPathError otherwise."""
    p = pathlib.Path(path)
    if suffix is not None and p.suffix.lower() != suffix:
        raise FaceSkinningError(
            f"output {path!r} must end in {suffix}; rename it (e.g. {p.with_suffix(suffix).name})"
        )
    if p.is_dir():
        example = p / ("output" + (suffix or ""))
        raise OutputPathError(f"{option} {str(p)!r} is a folder; give a file path, e.g. {example}")
    _writable_folder(p.parent, option)
    return p


def output_folder(path: str, option: str = "-o") -> pathlib.Path:
    """Check an output folder before any computation: not a file, exists (created) and accepts
    new files. OutputPathError otherwise."""
    p = pathlib.Path(path)
    if p.exists() and not p.is_dir():
        raise OutputPathError(f"{option} {str(p)!r} is a file, not a folder; give a folder path")
    _writable_folder(p, option)
    return p


@contextlib.contextmanager
def reporting_write_errors(path: str | pathlib.Path, option: str = "-o") -> Iterator[None]:
    """Turn an OSError while writing outputs (full disk, removed folder) into one line; the
    writers are atomic, so the previous file is intact."""
    try:
        yield
    except OSError as exc:
        raise OutputPathError(
            f"cannot write {str(path)!r} ({exc.strerror or exc}); any previous file there is unchanged. "
            f"Free disk space or choose another {option}"
        ) from exc
