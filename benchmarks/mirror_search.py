"""Time of the rig check's mirror partners (``model.mirror_match``'s lip-slit searches) on the
demo head and its midpoint subdivisions, and of ``python -m model check`` on the demo head.

    PYTHONPATH=. .venv/bin/python benchmarks/mirror_search.py [--levels 0 1] [--runs 3] [--realdev] [--cli]

Each mesh (the bundled demo head, 4633 vertices, then ``--levels`` 1-to-4 midpoint subdivisions
of it: 18k, 73k vertices; mirror-symmetric like the head; ``--realdev``: the real-dev meshes'
heads too, as ``benchmarks/bake_parity.py`` reads them), ``--runs`` times: prepared afresh (the
operators from the disk cache after the first run), baked with the shipped network (timed: the
bake runs the rival searches when its later stages changed the skin), then checked with
:func:`model.rig_check.check_rig`. The functions in ``STAGES`` are timed by wrapping them
(inclusive wall seconds, summed over the calls). Prints the minimum over the runs of the bake,
the bake's rival searches, each stage in the check and the whole check, and the number of
vertices with a second sheet by their mirror point (the rival search's work). ``--cli``: also the wall
time of ``python -m model check model/data/demo_head.obj`` in a fresh process (bake + check, as a
user runs it) and with ``--rig`` (check only), minimum over ``--runs``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))

DEMO_HEAD = ROOT / "model" / "data" / "demo_head.obj"

# (label, attribute of model.mirror_match): the mirror partners' stages in the rig check
STAGES = [
    ("mirror plane", "mirror_plane"),
    ("facing hits", "facing_hits"),
    ("sheet-consistent hits (rival search)", "sheet_consistent_hits"),
    ("motion sheet hits (rival search)", "motion_sheet_hits"),
]


def _timed(times: dict, label: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            times[label] += time.perf_counter() - start

    return wrapper


def time_checks(levels: list[int], runs: int, realdev: bool) -> None:
    from geometry import midpoint_subdivide

    import model.mirror_match as mm
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.mesh_io import read_mesh
    from model.rig_check import check_rig

    os.environ.setdefault("NFS_CACHE_DIR", tempfile.mkdtemp())
    fm = FaceModel.load()
    mesh = read_mesh(DEMO_HEAD)
    v, t = mesh.vertices, mesh.triangles()
    times: dict[str, float] = collections.defaultdict(float)
    ambiguous = []
    for label, attr in STAGES:
        setattr(mm, attr, _timed(times, label, getattr(mm, attr)))
    real_sheet = mm.sheet_consistent_hits

    def counting(*args, **kwargs):
        out = real_sheet(*args, **kwargs)
        ambiguous.append(int(out[1].sum()))
        return out

    mm.sheet_consistent_hits = counting
    search = [label for label, attr in STAGES if attr in ("sheet_consistent_hits", "motion_sheet_hits")]
    print(
        "| mesh | vertices | ambiguous | bake | bake: rival searches | "
        + " | ".join(f"check: {label}" for label, _ in STAGES)
        + " | whole check |"
    )
    print("|---|---:|---:|---:|---:|" + "---:|" * (len(STAGES) + 1))
    meshes = []
    for level in range(max(levels) + 1):
        if level:
            v, t = midpoint_subdivide(v, t)
        if level in levels:
            meshes.append(("demo_head" if level == 0 else f"demo_head x{4**level}", v, t, "Y", "Z"))
    if realdev:
        from _realdev import load_mesh, realdev_dir

        folder = realdev_dir()
        for path in sorted((folder / "meshes").iterdir()) if folder else []:
            data = load_mesh(path)
            ids = data["head_ids"]
            meshes.append(
                (path.stem, data["vertices"][ids], data["head_triangles"], data["up"], data["forward"])
            )
    for name, v, t, up, forward in meshes:
        best: dict[str, float] = {}
        for _ in range(runs):
            # a fresh prepared mesh (its in-memory caches empty; the operators from the disk cache)
            prep = fm.prepare(v, t, up=up, forward=forward)
            skin = fm.predict_skin_weights(prep)
            times.clear()
            start = time.perf_counter()
            deltas = fm.bake(prep, skin)
            measured = {"bake": time.perf_counter() - start, "bake search": sum(times[k] for k in search)}
            times.clear()
            ambiguous.clear()
            start = time.perf_counter()
            check_rig(v, t, deltas, ICT_NAMES, up, forward, skin_weights=skin, region_names=fm.region_names)
            measured.update(times, **{"whole check": time.perf_counter() - start})
            best = {k: min(best.get(k, np.inf), x) for k, x in measured.items()}
        cells = " | ".join(f"{best.get(label, 0.0):.3f}" for label, _ in STAGES)
        found = ambiguous[0] if ambiguous else 0
        print(
            f"| {name} | {len(v)} | {found} | {best['bake']:.2f} | {best['bake search']:.3f} | {cells} "
            f"| {best['whole check']:.2f} |"
        )


def time_cli(runs: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NFS_CACHE_DIR": tempfile.mkdtemp()}
    rig = pathlib.Path(tempfile.mkdtemp()) / "demo_rig.npz"
    subprocess.run(
        [sys.executable, "-m", "model", "bake", str(DEMO_HEAD), "-o", str(rig)], env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    for label, extra in (("bake + check", []), ("check --rig", ["--rig", str(rig)])):
        best = np.inf
        for _ in range(runs):
            # a fresh cache each run: the CLI's own bake is cold, as a first check is
            env["NFS_CACHE_DIR"] = tempfile.mkdtemp()
            start = time.perf_counter()
            # exit 1 (a failed verdict) is a result, not an error
            subprocess.run([sys.executable, "-m", "model", "check", str(DEMO_HEAD), *extra], env=env,
                           capture_output=True)  # fmt: skip
            best = min(best, time.perf_counter() - start)
        print(f"python -m model check demo_head.obj ({label}): {best:.2f} s (min of {runs})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 1], help="midpoint subdivisions")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--realdev", action="store_true", help="the real-dev meshes too (../shared/real-dev)")
    parser.add_argument("--cli", action="store_true", help="time `python -m model check` on the demo head")
    args = parser.parse_args()
    time_checks(args.levels, args.runs, args.realdev)
    if args.cli:
        time_cli(args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
