"""Time per augmented sample (make_sample) by topology op and vertex target; prints a table.

    ICT_FACEKIT=/path/to/ict-facekit python benchmarks/augment.py [--repeats 2]

Crop ``face`` without eyeballs; warp and similarity are drawn as in training (they cost ~ms).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from model.ict import load_ict  # noqa: E402
from training.augment import make_sample  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ict", default=None)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    ict = load_ict(args.ict)
    labels = np.zeros(ict.num_vertices, np.int64)  # the region table load is not what we time
    make_sample(ict, 0, topology="none", labels=labels)  # warm-up (imports, caches)
    rows = [("none", None)]
    for op in ("isotropic", "decimate", "decimate_midpoint", "decimate_loop"):
        for target in (2000, 6000, 12000, 40000):
            if op == "decimate" and target > 8000:
                continue  # decimation cannot exceed the 9409-vertex face crop
            rows.append((op, target))
    print(f"{'op':<20}{'target':>8}{'vertices':>10}{'seconds':>10}")
    for op, target in rows:
        times, sizes = [], []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            s = make_sample(
                ict, 1000 + r, topology=op, crop="face", eyeballs=False, target_vertices=target,
                max_vertices=40000, size="full", labels=labels,
            )  # fmt: skip
            times.append(time.perf_counter() - t0)
            sizes.append(len(s.vertices))
        print(f"{op:<20}{str(target or '-'):>8}{int(np.mean(sizes)):>10}{np.median(times):>10.2f}")


if __name__ == "__main__":
    main()
