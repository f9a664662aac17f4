"""Time ICT-FaceKit loading: cold parse (empty cache) vs. warm parsed-cache load.

Usage: ICT_FACEKIT=/path/to/ICT-FaceKit python benchmarks/ict_load.py [--repeats 5]
Uses a throw-away cache folder, never the user's cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NFS_CACHE_DIR"] = tmp
        from model.ict import load_ict

        t = time.perf_counter()
        load_ict(args.ict)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            load_ict(args.ict)
            warm.append(time.perf_counter() - t)
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*.npz")) / 2**20
    print("| load                       | seconds |")
    print("|----------------------------|---------|")
    print(f"| cold (parse 154 OBJs)      | {cold:7.2f} |")
    label = f"warm (cache, median of {args.repeats})"
    print(f"| {label:<26} | {sorted(warm)[len(warm) // 2]:7.3f} |")
    print(f"cache entry: {size:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
