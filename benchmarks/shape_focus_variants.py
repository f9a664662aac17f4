"""The shape focus (:mod:`model.shape_focus`) per variant: real-dev ARKit match and held-out ICT error.

    ICT_FACEKIT=PATH PYTHONPATH=. .venv/bin/python benchmarks/shape_focus_variants.py
        [--cases eval_cases] [--num-cases 8] [--kinds hard_unseen hard_stylized]
        [--methods network hybrid] [--variants off 0.05:0.2 ...] [--no-realdev] [--no-ict]

One row per (variant, bake method): on the Rocketbox avatar's 52 artist ARKit shapes
(``benchmarks/realdev_arkit.py``'s metrics: mean cosine, spill, gain-corrected relative error)
and the relative error of the full bake (:meth:`model.api.FaceModel.bake`, constraints on) on the
held-out case sets (:mod:`training.evaluation`'s metric; cases written by ``python -m training evaluate
--harder`` into ``--cases`` if missing). Each mesh is prepared once; every variant bakes it anew
with ``model.shape_focus.LOW/HIGH`` set. A variant is ``off`` or ``LOW:HIGH`` (peak fractions).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import artist_avatar, realdev_dir  # noqa: E402
from realdev_arkit import compare  # noqa: E402

_POST_PROCESS = None


def set_variant(fm, variant: str) -> None:
    """``variant``: ``+``-joined parts: ``off`` (no focus) or ``LOW:HIGH`` (focus thresholds),
    ``reach`` (the reach mask of :mod:`model.shape_locality` for every method, not only the
    network), ``region`` (its region mask too)."""
    global _POST_PROCESS
    import model.shape_focus as sf
    import model.shape_locality as sl

    if _POST_PROCESS is None:
        _POST_PROCESS = sl.post_process
    parts = variant.split("+")
    fm.shape_focus = False
    force = {"locality": "reach" in parts, "region": "region" in parts}

    def post_process(deltas, canonical, triangles, skin, locality=True, symmetry=True, region_mask=False):
        return _POST_PROCESS(
            deltas, canonical, triangles, skin, locality or force["locality"], symmetry, force["region"]
        )

    sl.post_process = post_process
    for part in parts:
        if ":" in part:
            fm.shape_focus = True
            sf.LOW, sf.HIGH = (float(x) for x in part.split(":"))


def realdev_rows(fm, variants, methods) -> dict:
    from model.facs import ARKIT_NAMES, ict_to_arkit_shapes

    data, neutral, artist = artist_avatar(realdev_dir())
    prep = fm.prepare(neutral, data["head_triangles"], up=data["up"], forward=data["forward"])
    skin = fm.predict_skin_weights(prep)
    out = {}
    for variant in variants:
        set_variant(fm, variant)
        for method in methods:
            rig = ict_to_arkit_shapes(fm.bake(prep, skin, method=method).astype(np.float64))
            rows = [
                compare(rig[k], artist[name])
                for k, name in enumerate(ARKIT_NAMES)
                if name != "tongueOut" and name in artist and np.abs(artist[name]).max() > 0
            ]
            out[(variant, method)] = {
                k: float(np.mean([r[k] for r in rows])) for k in ("cos", "spill", "rel_gain")
            }
            print(variant, method, out[(variant, method)], file=sys.stderr)
    return out


def ict_rows(fm, variants, methods, cases_dir: pathlib.Path, num_cases: int, kinds) -> dict:
    from model.ict import load_ict
    from model.mesh_io import read_mesh
    from training.evaluation import _Acc, ensure_cases, scored_vertices

    ict = load_ict()
    cases = ensure_cases(ict, cases_dir, num_cases, 40000, kinds=tuple(kinds))
    acc: dict = {}
    for kind, entries in cases.items():
        for c in entries:
            mesh = read_mesh(c["mesh"])
            with np.load(c["ground_truth"], allow_pickle=False) as z:
                gt = z["deltas"].astype(np.float64)
                scale = float(json.loads(str(z["meta"]))["similarity"]["scale"])
            prep = fm.prepare(mesh.vertices, mesh.triangles())
            keep = scored_vertices(prep)
            for variant in variants:
                set_variant(fm, variant)
                for method in methods:
                    pred = fm.bake(prep, method=method, ict=ict).astype(np.float64)
                    acc.setdefault((variant, method, kind), _Acc()).add(pred, gt, scale, keep)
            print(kind, c["name"], file=sys.stderr)
    return {k: a.row()["relative_error"] for k, a in acc.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="eval_cases")
    parser.add_argument("--num-cases", type=int, default=8)
    parser.add_argument("--kinds", nargs="+", default=["hard_unseen", "hard_stylized"])
    parser.add_argument("--methods", nargs="+", default=["network", "registration", "hybrid"])
    parser.add_argument("--variants", nargs="+", default=["off", "0.02:0.1", "0.05:0.2", "0.1:0.3"])
    parser.add_argument("--no-realdev", action="store_true")
    parser.add_argument("--no-ict", action="store_true")
    args = parser.parse_args(argv)
    from model.api import FaceModel

    fm = FaceModel.load()
    real = {} if args.no_realdev or realdev_dir() is None else realdev_rows(fm, args.variants, args.methods)
    held = {}
    if not args.no_ict and os.environ.get("ICT_FACEKIT"):
        held = ict_rows(fm, args.variants, args.methods, pathlib.Path(args.cases), args.num_cases, args.kinds)
    kinds = args.kinds if held else []
    print("| focus (low:high) | method | cosine | spill | after gain | " + " | ".join(kinds) + " |")
    print("|---|---|---|---|---|" + "---|" * len(kinds))
    for variant in args.variants:
        for method in args.methods:
            r = real.get((variant, method))
            cells = [f"{r['cos']:.3f}", f"{r['spill']:.3f}", f"{r['rel_gain']:.3f}"] if r else ["", "", ""]
            cells += [f"{held[(variant, method, k)]:.3f}" for k in kinds]
            print(f"| {variant} | {method} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
