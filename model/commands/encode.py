"""``python -m model encode --neutral NEUTRAL.obj FRAME.obj ... -o CODES.csv``: recover the ICT
FACS weights of animation frames of one mesh.

CSV: header ``frame,<53 ICT names>``, one row per frame in argument order, ``frame`` = the file
stem. Frames must share the neutral's vertex count and order.
"""

from __future__ import annotations

import argparse

from ._common import (
    add_axes,
    add_weights,
    check_device,
    load_model,
    output_path,
    prepare,
    reporting_write_errors,
)

HELP = "recover ICT FACS weights of animation frames (OBJ/PLY) of a source mesh into a CSV"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--neutral", required=True, help="the source's neutral mesh (.obj/.ply)")
    parser.add_argument("frames", nargs="+", help="frame meshes, same vertex order as the neutral")
    parser.add_argument("-o", "--out", required=True, help="output .csv")
    parser.add_argument(
        "--method",
        choices=("learned", "fit", "joint"),
        default=None,
        help="learned: the expression encoder; fit: fit by the network's bake; joint: both "
        "(default: the one the weights' config names)",
    )
    add_axes(parser)
    add_weights(parser)


def read_frames(paths: list[str], num_vertices: int):
    """(T, V, 3) float64 vertex positions of frame files; MeshError on a vertex-count mismatch."""
    import pathlib

    import numpy as np

    from ..errors import MeshError
    from ..mesh_io import read_mesh

    out = np.empty((len(paths), num_vertices, 3))
    for i, p in enumerate(paths):
        m = read_mesh(p, check=False)
        if m.num_vertices != num_vertices:
            raise MeshError(
                f"frame {pathlib.Path(p).name} has {m.num_vertices} vertices but the neutral has "
                f"{num_vertices}: export every frame from the same mesh as the neutral"
            )
        out[i] = m.vertices
    return out


def run(args: argparse.Namespace) -> int:
    import csv
    import pathlib

    from ..atomic_write import atomic_open
    from ..facs import ICT_NAMES
    from ..mesh_io import read_mesh

    out = output_path(args.out, ".csv")  # refused before any work
    check_device(args)
    neutral = read_mesh(args.neutral)
    frames = read_frames(args.frames, neutral.num_vertices)
    fm = load_model(args)
    prep = prepare(fm, neutral, args, args.neutral)
    codes = fm.encode(prep, frames, method=args.method)
    with reporting_write_errors(out), atomic_open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["frame", *ICT_NAMES])
        for path, row in zip(args.frames, codes, strict=True):
            w.writerow([pathlib.Path(path).stem, *(f"{x:.6f}" for x in row)])
    print(f"encoded {len(args.frames)} frames -> {out}")
    return 0
