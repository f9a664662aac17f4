"""What the bake's flip repair (:mod:`model.flip_repair`) costs on held-out ICT heads, and what it
leaves folded there and on the real-dev meshes.

    ICT_FACEKIT=PATH PYTHONPATH=. .venv/bin/python benchmarks/flip_repair_cost.py
        [--cases eval_cases] [--num-cases 4] [--no-realdev]

Each mesh is baked once with the repair off (network method, every other constraint on), then
repaired as :meth:`model.api.FaceModel.bake` does. Per held-out set (:mod:`training.evaluation`'s
relative error, cases written by ``python -m training evaluate --harder`` into ``--cases`` if
missing): the error without and with the repair, the triangles flipped at weight 1.0 in ICT's
ground truth, in the bake and after the repair (``mouthClose`` judged on top of ``jawOpen``, as
the rig check does), and the repair's seconds. Per real-dev mesh: the same flip counts.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, realdev_dir  # noqa: E402


def flipped(vertices: np.ndarray, triangles: np.ndarray, deltas: np.ndarray) -> int:
    """Triangles (non-degenerate) whose normal turns against the neutral one, summed over the
    shapes of ``deltas`` (53, V, 3)."""
    from model.facs import ICT_NAMES

    t = triangles
    n0 = np.cross(vertices[t[:, 1]] - vertices[t[:, 0]], vertices[t[:, 2]] - vertices[t[:, 0]])
    area = np.linalg.norm(n0, axis=1)
    valid = area > 1e-12 * area.max()
    jaw = ICT_NAMES.index("jawOpen")
    total = 0
    for s, name in enumerate(ICT_NAMES):
        p = vertices + deltas[s] + (deltas[jaw] if name == "mouthClose" else 0.0)
        n1 = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
        total += int((valid & (np.einsum("ij,ij->i", n0, n1) < 0)).sum())
    return total


def repaired(fm, prepared, deltas: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    out = fm._repair_flips(prepared, deltas)
    return out, time.perf_counter() - t0


def ict_rows(fm, cases_dir: pathlib.Path, num_cases: int) -> None:
    from model.ict import load_ict
    from model.mesh_io import read_mesh
    from training.evaluation import ensure_cases, scored_vertices

    kinds = ("unseen", "stylized", "hard_unseen", "hard_stylized")
    cases = ensure_cases(load_ict(), cases_dir, num_cases, 40000, kinds=kinds)
    print("| set | rel. error, no repair | with repair | flips ICT / bake / repaired | repair s |")
    print("|---|---|---|---|---|")
    for kind, entries in cases.items():
        err = [0.0, 0.0]
        ref = 0.0
        flips = [0, 0, 0]
        seconds = 0.0
        for c in entries:
            mesh = read_mesh(c["mesh"])
            with np.load(c["ground_truth"], allow_pickle=False) as z:
                gt = z["deltas"].astype(np.float64)
            prep = fm.prepare(mesh.vertices, mesh.triangles())
            keep = scored_vertices(prep)
            raw = fm.bake(prep).astype(np.float64)
            fixed, secs = repaired(fm, prep, raw)
            seconds += secs
            ref += float(np.linalg.norm(gt[:, keep], axis=-1).sum())
            for i, d in enumerate((raw, fixed)):
                err[i] += float(np.linalg.norm(d[:, keep] - gt[:, keep], axis=-1).sum())
            for i, d in enumerate((gt, raw, fixed)):
                flips[i] += flipped(prep.vertices, prep.triangles, d)
        print(
            f"| {kind} | {err[0] / ref:.4f} | {err[1] / ref:.4f} | {flips[0]} / {flips[1]} / {flips[2]} "
            f"| {seconds:.1f} |"
        )


def realdev_rows(fm) -> None:
    folder = realdev_dir()
    if folder is None:
        print("real-dev meshes absent (set REALDEV=PATH): skipped")
        return
    print("\n| real-dev mesh | flips bake / repaired | repair s |")
    print("|---|---|---|")
    for path in sorted((folder / "meshes").iterdir()):
        if path.suffix.lower() not in (".fbx", ".obj"):
            continue
        data = load_mesh(path)
        v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
        prep = fm.prepare(v, t, up=data["up"], forward=data["forward"])
        raw = fm.bake(prep, fm.predict_skin_weights(prep))
        fixed, secs = repaired(fm, prep, raw)
        print(f"| {path.name} | {flipped(v, t, raw)} / {flipped(v, t, fixed)} | {secs:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="eval_cases")
    parser.add_argument("--num-cases", type=int, default=4)
    parser.add_argument("--no-realdev", action="store_true")
    args = parser.parse_args()
    from model.api import FaceModel

    fm = FaceModel.load()
    fm.flip_repair = False  # repaired here, after the bake, to score both
    ict_rows(fm, pathlib.Path(args.cases), args.num_cases)
    if not args.no_realdev:
        realdev_rows(fm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
