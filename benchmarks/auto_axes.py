"""How right is "auto" orientation (``FaceModel.prepare(v, t, up="auto", forward="auto")``)?

    PYTHONPATH=. .venv/bin/python benchmarks/auto_axes.py [--rotations 10] [--variant-rotations 2]
        [--cases 100] [--case-rotations 2] [--body] [--json OUT]

Each mesh is turned by seeded random rotations (uniform over all rotations; rotation 0 is the mesh
as it comes) and prepared with both axes ``"auto"`` as the bake prepares it (the shipped weights:
the geometric estimate, its candidates and the network's region fit). The error of one run is the
larger of the angles between the frame found and the mesh's true up and forward (turned with the
mesh). Defaults give the README's table (*Any mesh as you have it*; about 15 minutes on 2
cores). Meshes: the demo head (Y up, Z forward), the real-dev heads (``benchmarks/_realdev.py``,
skipped when ../shared/real-dev is absent) with the ``benchmarks/realdev_variants.py`` variants
noise, split, decimate and stylize, the avatars with their body (``--body``), and the held-out ICT
cases in ``eval_cases/`` (their true frame is the case's similarity rotation). Prints one row per
mesh and variant (median / max error in degrees, runs over 15 degrees) and a summary per group.
"""

from __future__ import annotations

try:  # Blender's module first: loaded after the model's libraries it fails to link (FBX avatars)
    import bpy  # noqa: F401
except ImportError:
    pass

import argparse
import json
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import ROOT, load_mesh, mesh_paths, realdev_dir  # noqa: E402

sys.path.insert(0, str(ROOT))

_AXES = {"X": (1.0, 0.0, 0.0), "Y": (0.0, 1.0, 0.0), "Z": (0.0, 0.0, 1.0)}
WRONG_DEGREES = 15.0


def axis_vector(name: str) -> np.ndarray:
    v = np.array(_AXES[name[-1]])
    return -v if name.startswith("-") else v


def random_rotations(count: int, seed: int) -> list[np.ndarray]:
    """``count`` (3, 3) rotations: the identity, then uniformly random ones (seeded)."""
    from scipy.spatial.transform import Rotation

    out = [np.eye(3)]
    if count > 1:
        out += list(Rotation.random(count - 1, random_state=seed).as_matrix())
    return out[:count]


def angle_error(rotation: np.ndarray, up: np.ndarray, forward: np.ndarray) -> float:
    """Largest angle (degrees) between the frame's (input -> model rotation) up / forward and the
    true ones."""

    def ang(a, b):
        return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1, 1))))

    return max(ang(rotation[1], up), ang(rotation[2], forward))


def items(args) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    """(group, name, vertices, triangles, true up, true forward, rotations) of every mesh."""
    from model.mesh_io import read_mesh

    out = []
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    out.append(
        (
            "demo",
            "demo head",
            demo.vertices,
            demo.triangles(),
            axis_vector("Y"),
            axis_vector("Z"),
            args.rotations,
        )
    )
    realdev = realdev_dir()
    if realdev is not None:
        from realdev_variants import variants

        for path in mesh_paths(realdev):
            d = load_mesh(path)
            ids = d["head_ids"]
            up, fwd = axis_vector(d["up"]), axis_vector(d["forward"])
            v = np.asarray(d["vertices"][ids], np.float64)
            wanted = {"noise 0.15 %", "split in 4", "decimate", "stylize"}
            made = variants(v, d["head_triangles"], d.get("head_materials"), d["up"], d["forward"], wanted)
            for vname, (vv, tt, _, _) in made.items():
                if vname != "as is" and vname not in wanted:
                    continue
                count = args.rotations if vname == "as is" else args.variant_rotations
                if len(vv) > 50000:  # Nefertiti split in 4 (140k vertices, a minute a run): left out
                    continue
                out.append(
                    (
                        "real-dev" if vname == "as is" else "real-dev variants",
                        f"{path.stem} [{vname}]",
                        vv,
                        tt,
                        up,
                        fwd,
                        count,
                    )
                )
            if args.body and len(ids) < len(d["vertices"]):
                out.append(
                    (
                        "with body",
                        f"{path.stem} [with body]",
                        np.asarray(d["vertices"], np.float64),
                        d["triangles"],
                        up,
                        fwd,
                        args.variant_rotations,
                    )
                )
    cases = ROOT / "eval_cases"
    for kind in ("unseen", "stylized", "hard_unseen", "hard_stylized"):
        for i in range(args.cases):
            obj = cases / kind / f"{kind}_{i:03d}.obj"
            if not obj.is_file():
                continue
            rot = np.load(obj.with_suffix(".npz"))["rotation"]
            m = read_mesh(obj)
            out.append(
                ("held-out", obj.stem, m.vertices, m.triangles(), rot[:, 1], rot[:, 2], args.case_rotations)
            )
    return out


def summary(errors: list[float]) -> str:
    e = np.asarray(errors)
    return f"{np.median(e):6.1f} | {e.max():6.1f} | {int((e > WRONG_DEGREES).sum())}/{len(e)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rotations", type=int, default=10, help="runs per mesh as it comes (the first unturned)"
    )
    parser.add_argument("--variant-rotations", type=int, default=2, help="runs per real-dev variant")
    parser.add_argument("--cases", type=int, default=100, help="held-out cases per kind (at most)")
    parser.add_argument("--case-rotations", type=int, default=2, help="runs per held-out case")
    parser.add_argument("--body", action="store_true", help="also the avatars with their body")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--match", default="", help="only meshes whose name contains this")
    parser.add_argument("--group", default="", help="only this group (demo, real-dev, held-out, ...)")
    parser.add_argument("--json", help="write every run's error here")
    args = parser.parse_args()
    from model.api import FaceModel

    fm = FaceModel.load()
    groups: dict[str, list[float]] = {}
    runs = []
    times = []
    print("| mesh | median deg | max deg | > 15 deg |")
    print("|---|---|---|---|")
    for k, (group, name, v, t, up, fwd, count) in enumerate(items(args)):
        if (args.match and args.match not in name) or (args.group and args.group != group):
            continue
        centre = v.mean(axis=0)
        errors = []
        for j, r in enumerate(random_rotations(count, args.seed + 1000 * k)):
            vv = (v - centre) @ r.T + centre
            t0 = time.perf_counter()
            prep = fm.prepare(vv, t, up="auto", forward="auto")
            times.append(time.perf_counter() - t0)
            err = angle_error(prep.frame.rotation, r @ up, r @ fwd)
            errors.append(err)
            runs.append({"group": group, "mesh": name, "rotation": j, "error": err,
                         "reason": prep.orientation.reason if prep.orientation else ""})  # fmt: skip
        groups.setdefault(group, []).extend(errors)
        print(f"| {name} | {summary(errors)} |", flush=True)
    print("\n| group | median deg | max deg | > 15 deg |\n|---|---|---|---|")
    for group, errors in groups.items():
        print(f"| {group} | {summary(errors)} |")
    print(f"| all | {summary([e for g in groups.values() for e in g])} |")
    print(f"prepare time: median {np.median(times):.2f} s, {len(times)} runs")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
