"""``python -m model train --ict PATH``: train the network; reproduces the shipped weights.

Writes ``OUT/loss.csv`` (every 10 steps), ``OUT/checkpoint.pt`` (every few minutes; ``--resume``
continues from it with the same per-step random draws), and at the end ``OUT/weights``
(model.pt + config.json + model.pt.sha256), also copied to ``--export`` if given. Progress is a
single updated text line on stderr. Seeds are fixed (``TrainConfig.seed``).
"""

from __future__ import annotations

import argparse

HELP = "train the network on ICT-FaceKit derived meshes (reproduces the shipped weights)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--out", default="runs/train", help="run folder (default runs/train)")
    parser.add_argument("--minutes", type=float, default=None, help="wall-clock cap of the training loop")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--steps", type=int, default=None, help="override the number of steps")
    parser.add_argument("--pool-size", type=int, default=None, help="override the number of training meshes")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: 1 on cpu)")
    parser.add_argument(
        "--export", default=None, help="also write the final weights folder here (e.g. weights)"
    )


def run(args: argparse.Namespace) -> int:
    import dataclasses
    import json
    import shutil

    from ..ict import load_ict
    from ..training import SHIPPED, train

    cfg = SHIPPED
    if args.steps is not None:
        cfg = dataclasses.replace(cfg, steps=args.steps)
    if args.pool_size is not None:
        cfg = dataclasses.replace(cfg, pool_size=args.pool_size)
    threads = args.threads if args.threads is not None else (1 if args.device == "cpu" else None)
    ict = load_ict(args.ict)
    summary = train(
        ict, cfg, args.out, device=args.device, minutes=args.minutes, resume=args.resume, threads=threads
    )
    print(json.dumps(summary))
    if args.export:
        shutil.copytree(f"{args.out}/weights", args.export, dirs_exist_ok=True)
        print(f"weights exported to {args.export}")
    return 0
