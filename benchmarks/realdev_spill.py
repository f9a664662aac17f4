"""Where our motion spills outside the artist's ARKit shapes (Rocketbox 02, real-dev), per shape.

    [ICT_FACEKIT=PATH] PYTHONPATH=. .venv/bin/python benchmarks/realdev_spill.py [--method network]

The diagnosis behind ``benchmarks/realdev_arkit.py``'s "spill" (share of our motion, sum ``|d|``,
on vertices the artist's shape leaves still: ``|artist d| < 1 %`` of its max). Bakes the avatar's
head as that script does (:meth:`model.api.FaceModel.bake`, one method) and prints

* per shape: cosine, spill, and the spill split by how strongly *we* move those still vertices
  (``|d| / our peak`` in bins ``<1 %, 1-5 %, 5-20 %, 20-50 %, >50 %``: a low tail, or motion
  as large as the shape's core?) and by the network's face region (skin weights' argmax, with
  the share of the spill in each of the top three);
* the means over the shapes, and the spill per region;
* oracles (not rigs: they read the artist's shapes) that say what kind of change could help:
  our shapes cut to the artist's support grown by 0/1/2 edge rings (how wide is the artist's
  support compared with ours?), the artist's magnitudes with our directions, and our
  magnitudes with the artist's directions (is it *where / how much* or *which way*?);
* with ``ICT_FACEKIT``: how much of ICT-FaceKit's own motion (head crop, area weighted) lies
  below 1 / 5 / 10 / 20 / 50 % of each shape's peak: the tail every ICT-trained rig inherits.
  Cutting it costs held-out ICT error (:mod:`training.evaluation`'s relative L1) about one for
  one.

Skips (exit 0) without ../shared/real-dev. Prints numbers only; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import artist_avatar, bake_methods, require_realdev  # noqa: E402

BINS = (0.0, 0.01, 0.05, 0.2, 0.5, np.inf)  # of our own peak |d|
BIN_NAMES = ("<1%", "1-5%", "5-20%", "20-50%", ">50%")
STILL = 0.01  # of the artist's peak: the artist leaves the vertex still (as realdev_arkit.py)


def spill_split(ours: np.ndarray, artist: np.ndarray, regions: np.ndarray, num_regions: int) -> dict:
    """One shape: ours, artist (V, 3); regions (V,) int. Cosine, spill, and the spill's parts by
    our relative amplitude (len(BIN_NAMES),) and by region (num_regions,), shares of our motion."""
    a_mag, o_mag = np.linalg.norm(artist, axis=1), np.linalg.norm(ours, axis=1)
    still = a_mag < STILL * a_mag.max()
    total = max(o_mag.sum(), 1e-300)
    rel = o_mag / max(o_mag.max(), 1e-300)
    edges = zip(BINS[:-1], BINS[1:], strict=True)
    by_amp = np.array([o_mag[still & (rel >= lo) & (rel < hi)].sum() for lo, hi in edges])
    by_region = np.bincount(regions[still], o_mag[still], minlength=num_regions)
    cos = float(ours.ravel() @ artist.ravel() / max(np.linalg.norm(ours) * np.linalg.norm(artist), 1e-300))
    return {
        "cos": cos,
        "spill": float(o_mag[still].sum() / total),
        "amp": by_amp / total,
        "region": by_region / total,
    }


def grow(mask: np.ndarray, triangles: np.ndarray, rings: int) -> np.ndarray:
    """(V,) bool ``mask`` grown by ``rings`` edge rings over ``triangles`` (T, 3)."""
    out = mask.copy()
    for _ in range(rings):
        out[np.unique(triangles[out[triangles].any(axis=1)])] = True
    return out


def oracle_rows(pairs: list, triangles: np.ndarray) -> list[tuple[str, float, float]]:
    """(name, mean cosine, mean spill) of the oracles over ``pairs`` [(ours, artist)]."""

    def cos(o, a):
        return float(o.ravel() @ a.ravel() / max(np.linalg.norm(o) * np.linalg.norm(a), 1e-300))

    def spill(o, a):
        am, om = np.linalg.norm(a, axis=1), np.linalg.norm(o, axis=1)
        return float(om[am < STILL * am.max()].sum() / max(om.sum(), 1e-300))

    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-300)

    variants = {"ours": lambda o, a: o}
    for rings in (0, 1, 2):

        def cut(o, a, rings=rings):
            am = np.linalg.norm(a, axis=1)
            return o * grow(am >= STILL * am.max(), triangles, rings)[:, None]

        variants[f"ours cut to the artist's support + {rings} rings"] = cut
    variants["artist's magnitudes, our directions"] = lambda o, a: (
        unit(o) * np.linalg.norm(a, axis=1)[:, None]
    )
    variants["our magnitudes, artist's directions"] = lambda o, a: (
        unit(a) * np.linalg.norm(o, axis=1)[:, None]
    )
    rows = []
    for name, f in variants.items():
        fields = [(f(o, a), a) for o, a in pairs]
        rows.append(
            (
                name,
                float(np.mean([cos(o, a) for o, a in fields])),
                float(np.mean([spill(o, a) for o, a in fields])),
            )
        )
    return rows


def ict_tail(thresholds=(0.01, 0.05, 0.1, 0.2, 0.5)) -> np.ndarray:
    """(53, len(thresholds)): share of each ICT shape's motion (head crop, sum of ``|d|`` times
    vertex area) on vertices below each threshold of the shape's peak."""
    from model.ict import load_ict

    ict = load_ict()
    n, tris = ict.crop("head")
    v = ict.neutral[:n].astype(np.float64)
    tri_area = 0.5 * np.linalg.norm(
        np.cross(v[tris[:, 1]] - v[tris[:, 0]], v[tris[:, 2]] - v[tris[:, 0]]), axis=1
    )
    area = np.bincount(tris.ravel(), np.repeat(tri_area / 3.0, 3), minlength=n)
    mag = np.linalg.norm(np.asarray(ict.expressions[:, :n], dtype=np.float64), axis=2)
    rel = mag / np.maximum(mag.max(axis=1, keepdims=True), 1e-300)
    w = mag * area
    return np.stack([(w * (rel < t)).sum(axis=1) / w.sum(axis=1) for t in thresholds], axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="network", help="bake method (default network)")
    args = parser.parse_args(argv)
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ARKIT_NAMES, ICT_NAMES, ict_to_arkit_shapes
    from model.regions import REGION_NAMES

    data, neutral, artist = artist_avatar(realdev)
    fm = FaceModel.load()
    baked, skin = bake_methods(
        fm, neutral, data["head_triangles"], data["up"], data["forward"], (args.method,)
    )
    ours = ict_to_arkit_shapes(baked[args.method].astype(np.float64))
    regions = np.asarray(skin).argmax(axis=1)
    rows, pairs = [], []
    for k, name in enumerate(ARKIT_NAMES):
        if name == "tongueOut" or name not in artist or not np.abs(artist[name]).max() > 0:
            continue
        rows.append((name, spill_split(ours[k], artist[name], regions, len(REGION_NAMES))))
        pairs.append((ours[k], artist[name]))
    print(f"### {args.method} on Rocketbox 02: {len(rows)} artist shapes, worst spill first")
    print(
        "| shape | cosine | spill | "
        + " | ".join(f"spill at {b}" for b in BIN_NAMES)
        + " | top spill regions |"
    )
    print("|---|---|---|" + "---|" * len(BIN_NAMES) + "---|")
    for name, r in sorted(rows, key=lambda x: -x[1]["spill"]):
        top = np.argsort(-r["region"])[:3]
        where = ", ".join(f"{REGION_NAMES[i]} {r['region'][i]:.2f}" for i in top)
        print(
            f"| {name} | {r['cos']:.3f} | {r['spill']:.3f} | "
            + " | ".join(f"{x:.3f}" for x in r["amp"])
            + f" | {where} |"
        )
    amp = np.mean([r["amp"] for _, r in rows], axis=0)
    region = np.mean([r["region"] for _, r in rows], axis=0)
    mean_cos, mean_spill = (np.mean([r[k] for _, r in rows]) for k in ("cos", "spill"))
    print(f"| **mean** | {mean_cos:.3f} | {mean_spill:.3f} | " + " | ".join(f"{x:.3f}" for x in amp) + " | |")
    print(
        "\nmean spill per region: "
        + ", ".join(f"{REGION_NAMES[i]} {region[i]:.3f}" for i in np.argsort(-region)[:8])
    )
    print("\n### oracles (read the artist's shapes: what kind of change could help)")
    print("| variant | cosine | spill |")
    print("|---|---|---|")
    for name, c, s in oracle_rows(pairs, data["head_triangles"]):
        print(f"| {name} | {c:.3f} | {s:.3f} |")
    if os.environ.get("ICT_FACEKIT"):
        thresholds = (0.01, 0.05, 0.1, 0.2, 0.5)
        tail = ict_tail(thresholds)
        print("\n### ICT-FaceKit's own shapes: share of their motion below a fraction of each shape's peak")
        print("| shape | " + " | ".join(f"< {t:.0%}" for t in thresholds) + " |")
        print("|---|" + "---|" * len(thresholds))
        for name in ("mouthSmile_L", "cheekSquint_L", "mouthUpperUp_L", "browOuterUp_L", "jawOpen"):
            print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in tail[ICT_NAMES.index(name)]) + " |")
        print("| **mean of 53** | " + " | ".join(f"{x:.3f}" for x in tail.mean(axis=0)) + " |")
    else:
        print("\nICT_FACEKIT not set: ICT's own tail is skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
