"""``python -m training export-numpy``: write a weights folder's ``model.npz`` for the torch-free
runtime (:mod:`model.runtime`) from its verified ``model.pt`` (needs torch).

Writes ``model.npz``, ``model.npz.sha256`` and the ``numpy_weights`` entry of ``config.json``
into the same folder; prints the npz path, its size and sha256.
"""

from __future__ import annotations

import argparse

HELP = "export a weights folder's model.pt to model.npz for inference without torch"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")


def run(args: argparse.Namespace) -> int:
    from model.weights import file_sha256
    from training.torch_weights import export_numpy

    path = export_numpy(args.weights)
    print(f"{path} {path.stat().st_size} bytes sha256 {file_sha256(path)}")
    return 0
