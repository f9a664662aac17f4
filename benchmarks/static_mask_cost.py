"""What the static-area mask (:mod:`model.static_area`) costs on held-out ICT cases.

    ICT_FACEKIT=PATH PYTHONPATH=. .venv/bin/python benchmarks/static_mask_cost.py \
        [--cases eval_cases] [--num-cases 4] [--sets unseen,stylized,hard_unseen,hard_stylized]

Each case is baked once with the network, the static mask and the flip repair off (the flip
repair is measured elsewhere); the mask is then applied as the bake applies it
(:func:`model.static_area.static_keep` placed by the bake's face anchors; ``--hard-zero``: the
session-4 mask, every shape keeps ``1 - w`` of its delta, ``w`` the static weight).
Prints, per set, the relative error (as ``python -m model
evaluate``: ``sum ||pred - gt|| / sum ||gt||`` over scored vertices and all 53 shapes) without and
with the mask and the share of the masked bake's error that lies on masked vertices (``w > 0.01``);
then, over all sets, where the mask meets motion the ICT ground truth has: per region of the
case's labels (the scalp split at the brow line into ``scalp_top`` and ``scalp_side``: ears, back)
and per shape, ``sum w ||gt|| / sum ||gt||`` (ground-truth motion on static skin, what a hard zero
removes) and the error the mask adds.
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


def case_mask(fm, prep, pred: np.ndarray, hard_zero: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The static mask on one case: (53, V) share of each delta kept, (V,) static weight and
    (V,) eye-relative height (face units, canonical up) for the region split. ``pred`` (53, V, 3)
    the bake without the mask (any similarity frame: the mask is a per-vertex scale)."""
    from model.shape_locality import skin_anchors
    from model.static_area import static_keep, static_weights

    skin = fm._to_numpy(fm._rig(prep, None)["skin"])
    a = skin_anchors(prep.canonical, prep.triangles_seen, skin)
    w = static_weights(a.canonical, a.mid, a.eye_distance)
    if hard_zero:
        keep = np.broadcast_to(1.0 - w, (pred.shape[0], len(w)))
    else:
        keep = static_keep(prep.network_rows(pred, axis=1), a.canonical, a.mid, a.eye_distance)
    height = (a.canonical[:, 1] - a.mid[1]) / a.eye_distance
    return prep.scatter(np.asarray(keep), axis=1), prep.scatter(w), prep.scatter(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=str(ROOT / "eval_cases"), help="evaluation case folder")
    parser.add_argument("--num-cases", type=int, default=4)
    parser.add_argument("--sets", default="unseen,stylized,hard_unseen,hard_stylized")
    parser.add_argument("--top", type=int, default=12, help="shapes listed")
    parser.add_argument("--hard-zero", action="store_true", help="measure the old mask (no ICT caps)")
    args = parser.parse_args()
    if not os.environ.get("ICT_FACEKIT"):
        print("SKIP: set ICT_FACEKIT (the evaluation cases come from ICT-FaceKit)")
        return 0
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.ict import load_ict
    from model.mesh_io import read_mesh
    from model.regions import REGION_NAMES
    from training.evaluation import ensure_cases, scored_vertices

    fm = FaceModel.load()
    fm.static_area = False
    fm.flip_repair = False
    kinds = tuple(args.sets.split(","))
    cases = ensure_cases(load_ict(), pathlib.Path(args.cases), args.num_cases, 40000, kinds=kinds)
    names = list(REGION_NAMES) + ["scalp_top", "scalp_side"]
    reg = {k: np.zeros(4) for k in names}  # gt, gt removed, err without, err with
    shp = np.zeros((len(ICT_NAMES), 4))
    print("| set | rel. error without mask | with mask | share of error on masked vertices |")
    print("|---|---|---|---|")
    for kind, entries in cases.items():
        err0 = err1 = ref = on_mask = 0.0
        for c in entries:
            mesh = read_mesh(c["mesh"])
            with np.load(c["ground_truth"], allow_pickle=False) as z:
                gt = z["deltas"].astype(np.float64)
                labels = z["labels"]
                json.loads(str(z["meta"]))
            prep = fm.prepare(mesh.vertices, mesh.triangles())
            keep = scored_vertices(prep)
            pred0 = fm.bake(prep).astype(np.float64)
            keep_share, w, height = case_mask(fm, prep, pred0, args.hard_zero)
            pred1 = pred0 * keep_share[..., None]
            g, p0, p1, ww = gt[:, keep], pred0[:, keep], pred1[:, keep], w[keep]
            r = np.linalg.norm(g, axis=-1)
            e0 = np.linalg.norm(p0 - g, axis=-1)
            e1 = np.linalg.norm(p1 - g, axis=-1)
            err0, err1, ref = err0 + e0.sum(), err1 + e1.sum(), ref + r.sum()
            on_mask += e1[:, ww > 0.01].sum()
            lab = labels[keep]
            scalp = lab == REGION_NAMES.index("scalp")
            groups = {n: lab == i for i, n in enumerate(REGION_NAMES)}
            groups["scalp_top"] = scalp & (height[keep] > 0.5)
            groups["scalp_side"] = scalp & (height[keep] <= 0.5)
            for n, m in groups.items():
                reg[n] += [r[:, m].sum(), (r[:, m] * ww[m]).sum(), e0[:, m].sum(), e1[:, m].sum()]
            shp += np.stack([r.sum(1), (r * ww).sum(1), e0.sum(1), e1.sum(1)], axis=1)
            print(
                f"  {kind} {c['name']}: {e0.sum() / r.sum():.4f} -> {e1.sum() / r.sum():.4f}", file=sys.stderr
            )
        print(f"| {kind} | {err0 / ref:.4f} | {err1 / ref:.4f} | {100 * on_mask / max(err1, 1e-30):.1f} % |")
    total = shp[:, 0].sum()
    print("\n| region | share of all gt motion | gt on static skin (own %) | error added (% of all gt) |")
    print("|---|---|---|---|")
    for n, (g, removed, e0, e1) in reg.items():
        if g > 0:
            added = 100 * (e1 - e0) / total
            print(f"| {n} | {100 * g / total:.2f} % | {100 * removed / g:.1f} % | {added:+.3f} |")
    print("\n| shape | gt on static skin (own %) | error added (% of the shape's gt) |")
    print("|---|---|---|")
    order = np.argsort(-(shp[:, 3] - shp[:, 2]))
    for s in order[: args.top]:
        g, removed, e0, e1 = shp[s]
        print(f"| {ICT_NAMES[s]} | {100 * removed / g:.1f} % | {100 * (e1 - e0) / g:+.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
