"""``python -m training segment``: regenerate the ICT face-region table from ICT-FaceKit.

Derives :func:`model.regions.compute_region_labels` from the ICT geometry and blendshapes and
writes ``model/data/ict_regions.npz`` (or ``-o FILE``): int8 labels (26719,), region names and the
sha256 of the neutral. Prints the vertex count of each region and whether the result equals the
committed table.
"""

from __future__ import annotations

import argparse

import numpy as np

from model.commands._common import output_path, reporting_write_errors
from model.ict import load_ict
from model.regions import REGION_NAMES, TABLE_PATH, load_region_table, write_region_table
from training.regions_derivation import compute_region_labels

HELP = "regenerate the ICT face-region segmentation table (model/data/ict_regions.npz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("-o", "--output", default=str(TABLE_PATH), help=f"output npz (default: {TABLE_PATH})")


def run(args: argparse.Namespace) -> int:
    output = output_path(args.output)  # refused before any work
    ict = load_ict(args.ict)
    labels = compute_region_labels(ict)
    same = None
    if TABLE_PATH.is_file():
        old, names, _ = load_region_table()
        same = names == REGION_NAMES and np.array_equal(old, labels)
    with reporting_write_errors(output):
        path = write_region_table(output, labels, ict.neutral)  # atomic
    counts = np.bincount(labels, minlength=len(REGION_NAMES))
    width = max(len(n) for n in REGION_NAMES)
    for name, count in zip(REGION_NAMES, counts, strict=True):
        print(f"{name:<{width}}  {count:6d}")
    note = {None: "no committed table to compare", True: "identical to", False: "DIFFERS from"}[same]
    print(
        f"wrote {path} ({len(REGION_NAMES)} regions, {labels.shape[0]} vertices); {note} the committed table"
    )
    return 0
