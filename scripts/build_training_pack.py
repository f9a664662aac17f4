"""Write the compact training data for a machine without pymeshlab: ICT pack + topology bank.

Usage: ``ICT_FACEKIT=... python scripts/build_training_pack.py OUT_DIR [--entries 160] [--dense-entries 0]
[--seed 0]``
writes ``OUT_DIR/ict_pack.npz`` and ``OUT_DIR/bank.npz`` (see :mod:`training.topology_bank`) and
prints their sizes. ``scripts/device_train.py --pack OUT_DIR`` trains from them. Needs pymeshlab
(here) but not on the training machine. Never commit the output: it is derived from ICT-FaceKit.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="output folder")
    ap.add_argument("--entries", type=int, default=160, help="re-triangulations in the bank")
    ap.add_argument("--dense-entries", type=int, default=0, help="extra 16k-36k-vertex entries")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ict", default=None, help="ICT-FaceKit folder (default $ICT_FACEKIT)")
    args = ap.parse_args(argv)

    from model.ict import load_ict
    from training.topology_bank import (
        draw_dense_entries,
        draw_entries,
        make_entry,
        save_bank,
        write_ict_pack,
    )

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ict = load_ict(args.ict)
    write_ict_pack(ict, out / "ict_pack.npz")
    rng = np.random.default_rng([args.seed, 0xB4])
    entries, t0 = [], time.time()
    recipes = draw_entries(rng, args.entries) + draw_dense_entries(rng, args.dense_entries)
    for i, rec in enumerate(recipes):
        try:
            entries.append(make_entry(ict, *rec))
        except Exception as exc:  # noqa: BLE001 - one failed remesh must not stop the bank
            print(f"skipping {rec}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if (i + 1) % 10 == 0:
            print(f"{i + 1}/{len(recipes)} entries, {time.time() - t0:.0f}s", file=sys.stderr)
            save_bank(entries, out / "bank.npz")  # partial banks are usable
    save_bank(entries, out / "bank.npz")
    nv = [e.num_vertices for e in entries]
    for name in ("ict_pack.npz", "bank.npz"):
        print(f"{name}: {(out / name).stat().st_size / 2**20:.1f} MiB")
    print(f"{len(entries)} entries, vertices {min(nv)}-{max(nv)} (median {int(np.median(nv))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
