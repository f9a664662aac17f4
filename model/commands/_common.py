"""Argument helpers shared by the network commands (bake, encode, retarget, evaluate)."""

from __future__ import annotations

import argparse
import pathlib

from ..errors import FaceSkinningError


def add_axes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--up", default="Y", help="input up axis: X Y Z -X -Y -Z (default Y, OBJ convention)")
    parser.add_argument(
        "--forward",
        default="Z",
        help="input forward axis, where the face looks: X Y Z -X -Y -Z (default Z)",
    )


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
