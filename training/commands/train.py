"""``python -m training train --ict PATH``: train the network; reproduces the shipped weights.

The network's two parts (the trunk: skinning, identity, decoder; and the expression encoder)
have separate parameters and losses, so by default they train side by side in two processes
(one per CPU core, or sharing one GPU), then are merged. Each part writes ``OUT/<part>/loss.csv``
(every 10 steps), ``OUT/<part>/checkpoint.pt`` (every few minutes; ``--resume`` continues from
it with the same per-step random draws) and its log ``OUT/<part>.log``; the merged weights
(model.pt + config.json + model.pt.sha256) go to ``OUT/weights`` and, with ``--export``, are
copied there. Progress is one updated text line on stderr. Seeds are fixed
(``TrainConfig.seed``).
"""

from __future__ import annotations

import argparse

from model.commands._common import positive_float, positive_int

HELP = "train the network on ICT-FaceKit derived meshes (reproduces the shipped weights)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--out", default="runs/train", help="run folder (default runs/train)")
    parser.add_argument(
        "--minutes", type=positive_float, default=None, help="wall-clock cap of each part's loop"
    )
    parser.add_argument("--resume", action="store_true", help="continue from OUT/<part>/checkpoint.pt")
    parser.add_argument("--steps", type=positive_int, default=None, help="override the number of trunk steps")
    parser.add_argument(
        "--encoder-steps", type=positive_int, default=None, help="override the encoder's steps"
    )
    parser.add_argument(
        "--pool-size", type=positive_int, default=None, help="override the number of training meshes"
    )
    parser.add_argument(
        "--threads", type=positive_int, default=None, help="torch CPU threads per part (default: 1 on cpu)"
    )
    parser.add_argument(
        "--part",
        choices=("all", "trunk", "encoder"),
        default="all",
        help="all (default: both parts in parallel processes, then merged) or one part alone",
    )
    parser.add_argument(
        "--sequential", action="store_true", help="with --part all: train the parts one after the other"
    )
    parser.add_argument(
        "--export", default=None, help="also write the final weights folder here (e.g. weights)"
    )


def _config(args: argparse.Namespace):
    import dataclasses

    from ..loop import SHIPPED

    cfg = SHIPPED
    if args.steps is not None:
        cfg = dataclasses.replace(cfg, steps=args.steps)
    if args.encoder_steps is not None:
        cfg = dataclasses.replace(cfg, encoder_steps=args.encoder_steps)
    if args.pool_size is not None:
        cfg = dataclasses.replace(cfg, pool_size=args.pool_size)
    return cfg


def _last_row(path) -> str:
    try:
        lines = path.read_text().strip().splitlines()
    except OSError:
        return "starting"
    if len(lines) < 2:
        return "starting"
    head, last = lines[0].split(","), lines[-1].split(",")
    row = dict(zip(head, last, strict=False))
    return f"step {row['step']} {float(row['seconds']) / 60:.0f}m rel {float(row['rel']):.3f}"


def _run_parallel(args: argparse.Namespace, argv_rest: list[str]) -> int:
    """Spawn one child per part (same arguments plus ``--part``), show a combined progress line,
    merge when both succeed."""
    import pathlib
    import subprocess
    import sys
    import time

    from ..loop import PARTS

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    children = {}
    for part in PARTS:
        log = open(out / f"{part}.log", "a")
        cmd = [sys.executable, "-m", "training", "train", *argv_rest, "--part", part]
        children[part] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
    try:
        while any(p.poll() is None for p, _ in children.values()):
            status = " | ".join(f"{part}: {_last_row(out / part / 'loss.csv')}" for part in PARTS)
            sys.stderr.write("\r" + status[:150].ljust(150))
            sys.stderr.flush()
            time.sleep(10)
    except KeyboardInterrupt:
        for p, _ in children.values():
            p.terminate()
        raise
    print(file=sys.stderr)
    failed = [part for part, (p, _) in children.items() if p.returncode != 0]
    for _, log in children.values():
        log.close()
    if failed:
        for part in failed:
            tail = (out / f"{part}.log").read_text().strip().splitlines()[-5:]
            print(f"the {part} part failed (see {out / f'{part}.log'}):\n" + "\n".join(tail), file=sys.stderr)
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    import json
    import pathlib
    import shutil

    from model.atomic_write import copy_file_atomic
    from model.commands._common import output_folder, reporting_write_errors
    from model.ict import load_ict
    from training.devices import check_device

    from ..loop import PARTS, build_pool, make_net, merge_parts, train

    # everything the user can fix is refused before any work
    output_folder(args.out, option="--out")
    if args.export:
        output_folder(args.export, option="--export")
    check_device(args.device)
    cfg = _config(args)
    threads = args.threads if args.threads is not None else (1 if args.device == "cpu" else None)
    ict = load_ict(args.ict)
    if args.part == "all" and not args.sequential:
        # build (or check) the disk-cached pool once so the two children only read it
        build_pool(ict, cfg.pool_size, make_net(cfg).config.k_eig, cfg.seed, cfg.max_vertices)
        rc = _run_parallel(args, child_arguments(args))
        if rc:
            return rc
        merge_parts(cfg, args.out)
        summary = {p: json.loads((pathlib.Path(args.out) / p / "summary.json").read_text()) for p in PARTS}
    else:
        summary = train(
            ict, cfg, args.out, device=args.device, minutes=args.minutes, resume=args.resume, threads=threads,
            part=args.part,
        )  # fmt: skip
    for part_summary in summary.values():
        part_summary.pop("pool_vertices", None)  # long and in config.json already
    print(json.dumps(summary))
    if args.part != "all":
        return 0  # one part alone: nothing merged to export
    if args.export:
        with reporting_write_errors(args.export, option="--export"):
            # file by file atomically: an interrupted export never leaves a half-written model.pt
            shutil.copytree(
                f"{args.out}/weights", args.export, dirs_exist_ok=True, copy_function=copy_file_atomic
            )
        print(f"weights exported to {args.export}")
    return 0


def child_arguments(args: argparse.Namespace) -> list[str]:
    """The ``train`` arguments of a child process (its ``--part`` is appended): the parent's
    settings minus ``--part``, ``--sequential`` and ``--export`` (the parent merges and exports)."""
    out = ["--device", args.device, "--out", str(args.out)]
    if args.ict is not None:
        out += ["--ict", str(args.ict)]
    for flag, value in (
        ("--minutes", args.minutes),
        ("--steps", args.steps),
        ("--encoder-steps", args.encoder_steps),
        ("--pool-size", args.pool_size),
        ("--threads", args.threads),
    ):
        if value is not None:
            out += [flag, str(value)]
    if args.resume:
        out.append("--resume")
    return out
