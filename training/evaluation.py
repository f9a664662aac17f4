"""Evaluation on the held-out split (:mod:`training.split`): one table, every row from one run.

Case sets (written by :func:`training.split.write_eval_cases`, unseen identities on test-only
topologies): ``unseen`` (similarity transform only) and ``stylized`` (plus a smooth stylizing
warp). Metrics, with ``e = ||pred - gt||`` per vertex and shape (Euclidean):

* relative error ``sum e / sum ||gt||`` over every vertex of every case and all 53 shapes
  (and per FACS group of :data:`model.facs.FACS_GROUPS`); no motion scores exactly 1.0;
* mean error in millimetres: ``mean e`` divided by the case's similarity scale (cases are ICT
  centimetres times that scale) times 10;
* baselines: no motion, and closest-vertex transfer from the generic ICT neutral placed in the
  case by the exact known similarity (same crop and eyeballs as the case);
* the classical bake paths of :meth:`model.api.FaceModel.bake`: ``registration`` (ICT template
  registered by similarity + non-rigid ICP, shapes by closest point; knows nothing of the case's
  similarity), ``hybrid`` (registration where the template fits, network elsewhere) and
  ``mixed`` (hybrid for brows, eyes, cheeks and nose, the network for jaw and mouth);
* expression encoder: relative L1 ``sum |code - w| / sum |w|`` of recovered FACS weights on
  frames posed on ``unseen`` cases (their topology never seen in training);
* segmentation accuracy: fraction of vertices whose argmax skinning weight is the case's
  transferred region label.
"""

from __future__ import annotations

import json
import pathlib
import time
from dataclasses import dataclass, field

import numpy as np

from model.facs import FACS_GROUPS, ICT_NAMES

GROUP_INDEX = {g: np.array([ICT_NAMES.index(n) for n in names]) for g, names in FACS_GROUPS.items()}


@dataclass
class _Acc:
    """Running sums for one (set, method) row."""

    err: float = 0.0
    ref: float = 0.0
    mm_sum: float = 0.0
    count: int = 0
    group_err: dict = field(default_factory=lambda: {g: 0.0 for g in GROUP_INDEX})
    group_ref: dict = field(default_factory=lambda: {g: 0.0 for g in GROUP_INDEX})

    def add(self, pred: np.ndarray, gt: np.ndarray, scale: float, keep: np.ndarray | None = None) -> None:
        """``keep`` (V,) bool: the vertices scored (None: all)."""
        if keep is not None:
            pred, gt = pred[:, keep], gt[:, keep]
        e = np.linalg.norm(pred - gt, axis=-1)  # (53, V)
        r = np.linalg.norm(gt, axis=-1)
        self.err += float(e.sum())
        self.ref += float(r.sum())
        self.mm_sum += float(e.sum()) / scale * 10.0
        self.count += e.size
        for g, idx in GROUP_INDEX.items():
            self.group_err[g] += float(e[idx].sum())
            self.group_ref[g] += float(r[idx].sum())

    def row(self) -> dict:
        return {
            "relative_error": self.err / max(self.ref, 1e-30),
            "mean_error_mm": self.mm_sum / max(self.count, 1),
            "groups": {g: self.group_err[g] / max(self.group_ref[g], 1e-30) for g in GROUP_INDEX},
        }


def load_cases(folder: pathlib.Path) -> list[dict]:
    """Read one case folder's index.json; returns the entries with absolute paths."""
    index = json.loads((folder / "index.json").read_text())
    cases = []
    for e in index["cases"]:
        e = dict(e)
        e["mesh"] = str(folder / e["mesh"])
        e["ground_truth"] = str(folder / e["ground_truth"])
        cases.append(e)
    return cases


def ensure_cases(
    ict,
    folder: pathlib.Path,
    n_cases: int,
    max_vertices: int,
    kinds: tuple[str, ...] = ("unseen", "stylized"),
) -> dict[str, list[dict]]:
    """The case lists of ``kinds`` (:data:`training.split.EVAL_KINDS`) under ``folder``, written
    if missing."""
    from .split import write_eval_cases

    out = {}
    for kind in kinds:
        sub = folder / kind
        if not (sub / "index.json").is_file() or len(load_cases(sub)) < n_cases:
            write_eval_cases(ict, sub, n_cases, kind=kind, max_vertices=max_vertices)
        out[kind] = load_cases(sub)[:n_cases]
    return out


def closest_vertex_baseline(ict, meta: dict, case_vertices: np.ndarray) -> np.ndarray:
    """(53, V, 3) deltas: each case vertex copies the deltas of the closest vertex of the generic
    ICT neutral (same crop and eyeballs) placed by the case's exact similarity transform."""
    from model.ict import CROPS
    from model.transfer import nearest_vertices

    from .augment import EYEBALL_PARTS

    ids = [np.arange(CROPS[meta["crop"]])]
    if meta.get("eyeballs"):
        eye_ids, _ = ict.submesh(EYEBALL_PARTS)
        ids.append(eye_ids)
    ids = np.concatenate(ids)
    sim = meta["similarity"]
    rot = np.asarray(sim["rotation"], np.float64)
    scale = float(sim["scale"])
    placed = scale * ict.neutral[ids].astype(np.float64) @ rot.T + np.asarray(sim["translation"])
    nearest, _ = nearest_vertices(placed, case_vertices)
    d = ict.expressions[:, ids[nearest]].astype(np.float64)
    return scale * d @ rot.T


def scored_vertices(prepared) -> np.ndarray:
    """(V,) bool: the vertices the bake error is measured on: all but separate eyeballs.

    ICT-FaceKit's ``eyeLook*`` shapes leave the eyeballs still, while the rig turns them about
    their centre by design (:mod:`model.rig_constraints`), so ICT is no ground truth there.
    """
    keep = np.ones(prepared.num_vertices, dtype=bool)
    for eyeball in prepared.rig_analysis().parts.eyeballs.values():
        keep[eyeball.vertices] = False
    return keep


def evaluate(
    fm,
    ict,
    cases: dict[str, list[dict]],
    encoder_codes: int = 16,
    seed: int = 0,
    log=None,
    classical: bool = True,
) -> dict:
    """Run every metric. ``fm``: :class:`model.api.FaceModel`. Returns a JSON-able dict.

    ``classical``: also score the ``registration``, ``hybrid`` and ``mixed`` bake methods."""
    from model.mesh_io import read_mesh

    from .loop import sample_codes

    rows: dict[tuple[str, str], _Acc] = {}
    from model.api import ENCODE_METHODS

    enc_err = {m: 0.0 for m in ENCODE_METHODS}
    enc_ref = 0.0
    seg_hit = seg_total = 0
    timings = []
    reg_seconds: list[float] = []
    for kind, entries in cases.items():
        for c in entries:
            t0 = time.time()
            mesh = read_mesh(c["mesh"])
            with np.load(c["ground_truth"], allow_pickle=False) as z:
                gt = z["deltas"].astype(np.float64)
                labels = z["labels"]
                meta = json.loads(str(z["meta"]))
            scale = float(meta["similarity"]["scale"])
            prep = fm.prepare(mesh.vertices, mesh.triangles())
            rig_skin = fm.predict_skin_weights(prep)
            keep = scored_vertices(prep)
            pred = fm.bake(prep, method="network").astype(np.float64)
            rows.setdefault((kind, "network"), _Acc()).add(pred, gt, scale, keep)
            rows.setdefault((kind, "no motion"), _Acc()).add(np.zeros_like(gt), gt, scale, keep)
            base = closest_vertex_baseline(ict, meta, mesh.vertices)
            rows.setdefault((kind, "closest vertex"), _Acc()).add(base, gt, scale, keep)
            if classical:
                t_reg = time.time()
                reg = fm.bake(prep, method="registration", ict=ict).astype(np.float64)
                reg_seconds.append(time.time() - t_reg)
                rows.setdefault((kind, "registration"), _Acc()).add(reg, gt, scale, keep)
                hyb = fm.bake(prep, method="hybrid", ict=ict).astype(np.float64)
                rows.setdefault((kind, "hybrid"), _Acc()).add(hyb, gt, scale, keep)
                mix = fm.bake(prep, method="mixed", ict=ict).astype(np.float64)
                rows.setdefault((kind, "mixed"), _Acc()).add(mix, gt, scale, keep)
            if kind == "unseen":
                seg_hit += int((rig_skin.argmax(1) == labels).sum())
                seg_total += int(labels.size)
                w = sample_codes(np.random.default_rng([seed, int(c["seed"]) % 100000]), encoder_codes)
                frames = mesh.vertices[None] + np.einsum("ti,ivc->tvc", w, gt)
                for method in enc_err:
                    codes = fm.encode(prep, frames, method=method)
                    enc_err[method] += float(np.abs(codes - w).sum())
                enc_ref += float(np.abs(w).sum())
            timings.append(time.time() - t0)
            if log is not None:
                log(f"{kind} {c['name']} V={mesh.num_vertices} {timings[-1]:.1f}s")
    return {
        "rows": [{"set": k, "method": m, **acc.row()} for (k, m), acc in rows.items()],
        "encoder_relative_l1": enc_err["learned"] / max(enc_ref, 1e-30),
        "encoder_relative_l1_by_method": {m: e / max(enc_ref, 1e-30) for m, e in enc_err.items()},
        "segmentation_accuracy": seg_hit / max(seg_total, 1),
        "cases": {k: len(v) for k, v in cases.items()},
        "seconds": round(sum(timings), 1),
        "registration_seconds_mean": round(float(np.mean(reg_seconds)), 2) if reg_seconds else None,
    }


def format_table(result: dict) -> str:
    """One markdown table: bake rows per set/method, then encoder and segmentation rows."""
    groups = list(GROUP_INDEX)
    head = "| set | method / metric | rel. error | mean err (mm) | " + " | ".join(groups) + " |"
    lines = [head, "|" + "---|" * (4 + len(groups))]
    for r in result["rows"]:
        g = " | ".join(f"{r['groups'][k]:.3f}" for k in groups)
        lines.append(
            f"| {r['set']} | {r['method']} | {r['relative_error']:.3f} | {r['mean_error_mm']:.3f} | {g} |"
        )
    blank = " | ".join("" for _ in groups)
    lines.append(f"| unseen | encoder FACS rel. L1 | {result['encoder_relative_l1']:.3f} | | {blank} |")
    labels = {"fit": "fit by the bake, FACS rel. L1", "joint": "joint fit (encoder + bake), FACS rel. L1"}
    for method, value in result.get("encoder_relative_l1_by_method", {}).items():
        if method in labels:
            lines.append(f"| unseen | {labels[method]} | {value:.3f} | | {blank} |")
    lines.append(
        f"| unseen | segmentation accuracy | {100 * result['segmentation_accuracy']:.1f}% | | {blank} |"
    )
    return "\n".join(lines)
