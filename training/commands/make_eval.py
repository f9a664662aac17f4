"""``python -m training make-eval``: write held-out evaluation cases (unseen identities/topologies).

Each case is ``NAME.obj`` (neutral) + ``NAME.npz`` (ground-truth deltas (53, V, 3), labels,
similarity transform, meta JSON), plus ``index.json``; see :func:`training.split.write_eval_cases`.
Needs ICT-FaceKit (``--ict PATH`` or ``ICT_FACEKIT``) and pymeshlab (``pip install -e .[train]``).
Deterministic: the same arguments write byte-identical files.
"""

from __future__ import annotations

import argparse

from model.commands._common import positive_int

HELP = "write held-out evaluation cases (OBJ + ground-truth npz + index.json) from ICT-FaceKit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("-o", "--out", required=True, help="output folder")
    parser.add_argument("--cases", type=positive_int, default=20, help="cases per kind (default 20)")
    parser.add_argument(
        "--kind",
        choices=["unseen", "stylized", "hard_unseen", "hard_stylized", "both"],
        default="both",
        help="unseen: test identities on test-only topologies; stylized: plus a stylizing warp "
        "(default both, in subfolders); hard_*: m/cm/mm units, +-6 deg, ~3k vertices, "
        "caricature warps (hard_stylized)",
    )
    parser.add_argument(
        "--max-vertices", type=positive_int, default=40000, help="vertex budget per case (default 40000)"
    )


def run(args: argparse.Namespace) -> int:
    from model.commands._common import output_folder, reporting_write_errors
    from model.ict import load_ict

    from ..split import write_eval_cases

    out = output_folder(args.out)  # refused before any work
    ict = load_ict(args.ict)
    kinds = ["unseen", "stylized"] if args.kind == "both" else [args.kind]
    for kind in kinds:
        folder = out / kind if len(kinds) > 1 else out
        with reporting_write_errors(folder):  # every file is written atomically
            entries = write_eval_cases(ict, folder, args.cases, kind=kind, max_vertices=args.max_vertices)
        sizes = [e["num_vertices"] for e in entries]
        print(f"{kind}: {len(entries)} cases in {folder} ({min(sizes)}-{max(sizes)} vertices)")
    return 0
