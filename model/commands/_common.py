"""Argument helpers shared by the network commands (bake, encode, retarget, evaluate)."""

from __future__ import annotations

import argparse
import pathlib
import sys

from ..errors import FaceSkinningError


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
    prep = fm.prepare(mesh.vertices, mesh.triangles(), up=args.up, forward=args.forward)
    est = prep.orientation
    if prep.frame.auto and est is not None:
        from ..orientation import describe

        print(f"{label}: orientation {describe(est)}", file=sys.stderr)
    warning = prep.axes_warning
    if warning:
        print(f"warning: {label}: {warning}", file=sys.stderr)
    return prep


def add_weights(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument("--device", default="cpu", help="torch device: cpu (default) or cuda")


def load_model(args: argparse.Namespace):
    from ..api import FaceModel

    return FaceModel.load(args.weights, device=args.device)


def output_path(path: str, suffix: str | None = None) -> pathlib.Path:
    """An output file path whose folder exists (created) and, if given, with the right suffix."""
    p = pathlib.Path(path)
    if suffix is not None and p.suffix.lower() != suffix:
        raise FaceSkinningError(
            f"output {path!r} must end in {suffix}; rename it (e.g. {p.with_suffix(suffix).name})"
        )
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FaceSkinningError(
            f"cannot create folder {str(p.parent)!r} ({exc}); choose a writable output path"
        ) from exc
    return p
