"""``python -m model retarget --source-neutral A.obj --target B.obj FRAME.obj ... -o OUTDIR``:
clone each frame's expression of mesh A onto mesh B.

Writes one OBJ per frame (named after the frame file) with B's vertex order and faces. Two
frames with the same file name (in different folders) are refused: they would write one file.
"""

from __future__ import annotations

import argparse

from ._common import (
    add_axes,
    add_weights,
    check_device,
    load_model,
    output_folder,
    prepare,
    reporting_write_errors,
)

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


def output_names(frames: list[str]) -> list[str]:
    """The OBJ file name of each frame (its stem + ``.obj``); FaceSkinningError when two frames
    would write the same file (compared case-insensitively, as on Windows and macOS disks)."""
    import pathlib

    from ..errors import FaceSkinningError

    names: list[str] = []
    first: dict[str, str] = {}
    for frame in frames:
        name = pathlib.Path(frame).stem + ".obj"
        other = first.setdefault(name.casefold(), frame)
        if other != frame:
            raise FaceSkinningError(
                f"frames {other} and {frame} would both be written to {name} (outputs are named "
                "after the frame files); rename one of them or retarget them in separate runs"
            )
        names.append(name)
    return names


def run(args: argparse.Namespace) -> int:
    import pathlib

    from ..mesh_io import read_mesh, write_obj
    from .encode import read_frames

    names = output_names(args.frames)  # everything the user can fix is refused before any work
    out = output_folder(args.out)
    check_device(args)
    source = read_mesh(args.source_neutral)
    target = read_mesh(args.target)
    frames = read_frames(args.frames, source.num_vertices)
    fm = load_model(args)
    src = prepare(fm, source, args, args.source_neutral)
    tgt = prepare(fm, target, args, args.target)
    posed = fm.retarget(src, tgt, frames)
    with reporting_write_errors(out):
        for name, verts in zip(names, posed, strict=True):
            write_obj(out / name, verts, target)  # atomic: an interruption keeps the old file
    print(f"retargeted {len(args.frames)} frames onto {pathlib.Path(args.target).name} -> {out}")
    return 0
