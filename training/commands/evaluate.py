"""``python -m training evaluate --ict PATH [--weights W]``: one table on the held-out split.

Cases are written once by :func:`training.split.write_eval_cases` into ``--cases`` (default
``eval_cases/``, git-ignored) and reused. See :mod:`training.evaluation` for the metrics.
"""

from __future__ import annotations

import argparse

from model.commands._common import positive_int

HELP = "evaluate weights on held-out identities/topologies and stylized warps (one table)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("--weights", default=None, help="weights folder (default: the shipped weights/)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--cases", default="eval_cases", help="evaluation case folder (written if missing)")
    parser.add_argument("--num-cases", type=positive_int, default=8, help="cases per set (default 8)")
    parser.add_argument(
        "--max-vertices", type=positive_int, default=40000, help="vertex budget per case (default 40000)"
    )
    parser.add_argument(
        "--harder",
        action="store_true",
        help="also evaluate the hard sets (hard_unseen, hard_stylized: m/cm/mm units, +-6 deg, "
        "caricature warps, ~3k vertices; see training.split.hard_sample)",
    )
    parser.add_argument(
        "--no-classical",
        action="store_true",
        help="skip the registration and hybrid rows (they need a few seconds per case)",
    )
    parser.add_argument("--json", default=None, help="also write the results as JSON here")


def run(args: argparse.Namespace) -> int:
    import json
    import pathlib
    import sys

    from model.api import FaceModel
    from model.atomic_write import write_text_atomic
    from model.commands._common import output_folder, output_path, reporting_write_errors
    from model.ict import load_ict
    from training.devices import check_device

    from ..evaluation import ensure_cases, evaluate, format_table

    # everything the user can fix is refused before any work
    json_path = output_path(args.json, option="--json") if args.json else None
    cases_dir = pathlib.Path(args.cases)
    if not cases_dir.is_dir():  # an existing case folder is only read; a new one is written
        output_folder(args.cases, option="--cases")
    check_device(args.device)
    ict = load_ict(args.ict)
    if args.device == "cpu":
        fm = FaceModel.load(args.weights)  # the numpy runtime: what the add-on runs
    else:
        from training.torch_weights import load_face_model

        fm = load_face_model(args.weights, device=args.device)
    kinds = ("unseen", "stylized") + (("hard_unseen", "hard_stylized") if args.harder else ())
    with reporting_write_errors(cases_dir, option="--cases"):
        cases = ensure_cases(ict, cases_dir, args.num_cases, args.max_vertices, kinds=kinds)
    result = evaluate(
        fm, ict, cases, log=lambda s: print(s, file=sys.stderr), classical=not args.no_classical
    )
    result["weights"] = str(args.weights or "shipped")
    print(format_table(result))
    if json_path is not None:
        with reporting_write_errors(json_path, option="--json"):
            write_text_atomic(json_path, json.dumps(result, indent=1) + "\n")
    return 0
