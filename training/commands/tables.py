"""``python -m training tables``: regenerate the bake constraints' tables from ICT-FaceKit
(``model/shape_locality.npz``, ``model/static_area.npz``; :mod:`training.tables`)."""

from __future__ import annotations

import argparse

HELP = "regenerate the reach and static-area tables (model/shape_locality.npz, model/static_area.npz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument(
        "--out", default=None, help="folder to write both tables to (default: beside the code)"
    )


def run(args: argparse.Namespace) -> int:
    import pathlib

    from model import shape_locality, static_area
    from model.ict import load_ict
    from training.tables import write_shape_locality_table, write_static_area_table

    ict = load_ict(args.ict)
    out = pathlib.Path(args.out) if args.out else None
    for write, default in (
        (write_shape_locality_table, shape_locality.TABLE_PATH),
        (write_static_area_table, static_area.TABLE_PATH),
    ):
        print(write(ict, out / default.name if out else default))
    return 0
