"""``python -m model retarget --source-neutral A.obj --target B.obj FRAME.obj ... -o OUTDIR``:
clone each frame's expression of mesh A onto mesh B.

Writes one OBJ per frame (named after the frame file) with B's vertex order and faces.
"""

from __future__ import annotations

import argparse

from ._common import add_axes, add_weights, load_model, prepare

HELP = "clone expressions of source-mesh frames onto a target mesh (one OBJ per frame)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source-neutral", required=True, help="the source's neutral mesh")
    parser.add_argument(
        "--target", required=True, help="the target neutral mesh that receives the expressions"
    )
    parser.add_argument(
        "frames", nargs="+", help="source frame meshes, same vertex order as the source neutral"
    )
    parser.add_argument("-o", "--out", required=True, help="output folder")
    add_axes(parser)
    add_weights(parser)


def run(args: argparse.Namespace) -> int:
    import pathlib

    from ..errors import FaceSkinningError
    from ..mesh_io import read_mesh, write_obj
    from .encode import read_frames

    out = pathlib.Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FaceSkinningError(
            f"cannot create output folder {str(out)!r} ({exc}); choose a writable -o DIR"
        ) from exc
    source = read_mesh(args.source_neutral)
    target = read_mesh(args.target)
    frames = read_frames(args.frames, source.num_vertices)
    fm = load_model(args)
    src = prepare(fm, source, args, args.source_neutral)
    tgt = prepare(fm, target, args, args.target)
    posed = fm.retarget(src, tgt, frames)
    for path, verts in zip(args.frames, posed, strict=True):
        write_obj(out / (pathlib.Path(path).stem + ".obj"), verts, target)
    print(f"retargeted {len(args.frames)} frames onto {pathlib.Path(args.target).name} -> {out}")
    return 0
