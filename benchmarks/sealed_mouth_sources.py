"""Which source is better for the jaw and mouth shapes when the lips are one surface.

    ICT_FACEKIT=PATH PYTHONPATH=. .venv/bin/python benchmarks/sealed_mouth_sources.py \
        [--cases eval_cases] [--num-cases 4] [--sets unseen,stylized,hard_unseen,hard_stylized]

The held-out cases of ``python -m training evaluate --harder`` with their mouth opening closed
by a fan from its centroid (lips modelled as one surface, as on the Rocketbox avatars and many
sculpts: :mod:`model.method_blend` then keeps the network's jaw and mouth). Each case is baked
by the network, the registration and the hybrid blend; per shape of the jaw and mouth groups,
the relative error ``sum ||pred - gt|| / sum ||gt||`` over the case's own vertices (the fan's
centre and separate eyeballs left out), per set and over all sets. The last column is how far
each ICT shape moves the lips apart or across each other (:func:`model.method_blend.lip_parting`):
mixed takes the registration's blend for the shapes under
:data:`model.method_blend.LIP_PARTING_MAX` on lips that touch.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METHODS = ("network", "registration", "hybrid")


def seal_mouth(fm, vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The mesh with its mouth opening (as the bake finds it, in the canonical frame) closed by
    a fan from the loop's centroid (one extra vertex at the end), or None without one."""
    loops = fm._openings(fm.prepare(vertices, triangles))
    if "mouth" not in loops:
        return None
    loop = loops["mouth"]
    t = np.asarray(triangles, dtype=np.int64)
    fan = np.stack([loop, np.roll(loop, -1), np.full(loop.size, len(vertices))], axis=1)
    a, b = loop[0], loop[1]
    owner = t[(t == a).any(1) & (t == b).any(1)][0]
    i = list(owner).index(a)
    if owner[(i + 1) % 3] == b:  # the surface runs a -> b along the edge: the fan runs b -> a
        fan = fan[:, [1, 0, 2]]
    return np.vstack([vertices, vertices[loop].mean(0, keepdims=True)]), np.concatenate([t, fan])


def ict_lip_parting(ict) -> np.ndarray:
    """(53,) :func:`model.method_blend.lip_parting` of ICT's own shapes (the ``head`` crop)."""
    from model.ict import CROPS
    from model.method_blend import lip_parting

    n = CROPS["head"]
    tri = ict.triangles()
    return lip_parting(ict.neutral[:n], ict.expressions[:, :n], tri[(tri < n).all(1)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="eval_cases")
    ap.add_argument("--num-cases", type=int, default=4)
    ap.add_argument("--sets", default="unseen,stylized,hard_unseen,hard_stylized")
    args = ap.parse_args()
    if not os.environ.get("ICT_FACEKIT"):
        print("skipped: ICT_FACEKIT is not set")
        return 0
    from model.api import FaceModel
    from model.facs import FACS_GROUPS, ICT_NAMES
    from model.ict import load_ict
    from model.mesh_io import read_mesh
    from training.evaluation import load_cases, scored_vertices

    ict = load_ict(os.environ["ICT_FACEKIT"])
    fm = FaceModel.load()
    shapes = [ICT_NAMES.index(s) for g in ("jaw", "mouth") for s in FACS_GROUPS[g]]
    sets = args.sets.split(",")
    err = {(s, m): np.zeros(53) for s in sets for m in METHODS}
    ref = {s: np.zeros(53) for s in sets}
    for kind in sets:
        for c in load_cases(pathlib.Path(args.cases) / kind)[: args.num_cases]:
            mesh = read_mesh(c["mesh"])
            sealed = seal_mouth(fm, mesh.vertices, mesh.triangles())
            if sealed is None:
                print(f"{kind} {c['name']}: no mouth opening, skipped", file=sys.stderr)
                continue
            with np.load(c["ground_truth"], allow_pickle=False) as z:
                gt = z["deltas"].astype(np.float64)
            prep = fm.prepare(*sealed)
            keep = scored_vertices(prep)[: mesh.num_vertices]
            _, _, eyes, mouth = fm._registration_deltas(prep, ict)
            for m in METHODS:
                pred = fm.bake(prep, method=m, ict=ict).astype(np.float64)[:, : mesh.num_vertices]
                err[kind, m] += np.linalg.norm(pred[:, keep] - gt[:, keep], axis=-1).sum(1)
            ref[kind] += np.linalg.norm(gt[:, keep], axis=-1).sum(1)
            print(f"{kind} {c['name']}: eyes pinned {eyes}, mouth pinned {mouth}", file=sys.stderr)
    parting = ict_lip_parting(ict)
    print("| shape | " + " | ".join(f"{s} {m}" for s in sets + ["all"] for m in METHODS) + " | lip parting |")
    print("|---" * (1 + 3 * (len(sets) + 1) + 1) + "|")
    tot_err = {m: sum(err[s, m] for s in sets) for m in METHODS}
    tot_ref = sum(ref[s] for s in sets)
    for i in shapes + [None]:
        idx = shapes if i is None else [i]
        cells = []
        for s in sets + ["all"]:
            for m in METHODS:
                e = tot_err[m] if s == "all" else err[s, m]
                r = tot_ref if s == "all" else ref[s]
                cells.append(f"{e[idx].sum() / max(r[idx].sum(), 1e-30):.3f}")
        name = "**jaw + mouth**" if i is None else ICT_NAMES[i]
        part = "" if i is None else f"{parting[i]:.3f}"
        print(f"| {name} | " + " | ".join(cells) + f" | {part} |")
    print(json.dumps({"parting": {ICT_NAMES[i]: round(float(parting[i]), 4) for i in shapes}}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
