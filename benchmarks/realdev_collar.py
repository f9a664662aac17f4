"""Rocketbox 02 (ARKit): how far the shipped bake's ``jawOpen`` moves the surface under and
behind the jaw that the artist's own ``jawOpen`` leaves still (the shirt collar, welded into the
neck skin: one connected, smooth surface, so neither the parts nor the static area hold it).

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_collar.py

Prints, for the skin the artist's ``AK_25_JawOpen`` moves by < 0.5 % of its peak and that
lies under and behind the jaw (more than 1 eye distance below the eyes and more than 0.6
eye distances behind them), the bake's ``jawOpen`` displacement as a share of its own peak (max,
95th percentile) and the vertex count; with ``ICT_FACEKIT`` set, also how far ICT's own
``jawOpen`` moves the nearest ICT points (same share of ICT's peak). Then the same for the
vertices of the FBX's non-face materials in the head (the shirt ``f002_body``, the hair cards
``f002_opacity``), baked with the per-triangle materials (:mod:`model.clothing`) and without,
and the chin's ``jawOpen`` peak both ways. Skips (exit 0) without ../shared/real-dev.
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402

NAME = "rocketbox_Female_Adult_02_ARKit.fbx"


def main() -> int:
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.parts import PART_INDEX
    from model.shape_locality import skin_anchors

    data = load_mesh(realdev / "meshes" / NAME)
    ids = data["head_ids"]
    v, t = data["vertices"][ids], data["head_triangles"]
    artist = np.linalg.norm(data["shape_keys"]["AK_25_JawOpen"][ids] - v, axis=1)
    fm = FaceModel.load()
    materials = data["head_materials"]
    prep = fm.prepare(v, t, up=data["up"], forward=data["forward"], materials=materials)
    skin_w = fm.predict_skin_weights(prep)
    jaw = ICT_NAMES.index("jawOpen")
    baked = np.linalg.norm(fm.bake(prep, skin_w)[jaw], axis=1)
    prep.materials = None
    without = np.linalg.norm(fm.bake(prep, skin_w)[jaw], axis=1)
    prep.materials = materials
    anchors = skin_anchors(prep.canonical, prep.triangles_seen, skin_w)
    local = (prep.canonical - anchors.mid) / anchors.eye_distance  # network vertices, face units
    net, art = prep.network_rows(baked), prep.network_rows(artist)
    skin = prep.network_rows(prep.rig_analysis().parts.labels) == PART_INDEX["skin"]
    still = skin & (art < 0.005 * art.max()) & (local[:, 1] < -1.0) & (local[:, 2] < -0.6)
    share = net[still] / net.max()
    print(f"{NAME}: {int(still.sum())} skin vertices under/behind the jaw the artist's jawOpen leaves still")
    p95 = 100 * np.percentile(share, 95)
    print(f"  bake jawOpen there: max {100 * share.max():.1f} %, p95 {p95:.1f} % of its peak")
    if os.environ.get("ICT_FACEKIT"):
        from scipy.spatial import cKDTree

        from model.frame import fit_frame
        from model.ict import load_ict
        from model.rig_check import face_anchors

        ict = load_ict()
        n, tris = ict.crop("head")
        can = fit_frame(ict.neutral[:n], tris).to_canonical(ict.neutral[:n].astype(np.float64))
        a = face_anchors(can, tris)
        pts = (can - a.mid) / a.eye_distance
        mag = np.linalg.norm(np.asarray(ict.expressions[ICT_NAMES.index("jawOpen"), :n], np.float64), axis=1)
        squash = np.array([1.0, 1.0, 0.5])  # depth counts half, as model.static_area places ICT
        _, idx = cKDTree(pts * squash).query(local[still] * squash, k=4)
        own = mag[idx].mean(1) / mag.max()
        print(f"  ICT's own jawOpen at the nearest ICT points: max {100 * own.max():.1f} %, "
              f"p95 {100 * np.percentile(own, 95):.1f} % of its peak")  # fmt: skip
    hold = fm.clothing(prep)
    print(f"  materials: face {hold.face_material}, held {hold.held}; share in the face core "
          + ", ".join(f"{k}: {100 * s:.0f} %" for k, s in hold.shares.items()))  # fmt: skip

    def share(move: np.ndarray, ids_k: np.ndarray) -> str:
        rel = 100 * move[ids_k] / move.max()
        return f"{rel.max():.1f}/{np.percentile(rel, 95):.1f}"

    for k in np.unique(materials):
        ids_k = np.unique(t[materials == k])
        print(f"  material {k} ({ids_k.size} vertices) jawOpen max/p95 % of peak: "
              f"with materials {share(baked, ids_k)}, without {share(without, ids_k)}")  # fmt: skip
    print(f"  jawOpen peak: with materials {baked.max():.5f}, without {without.max():.5f} (m)")
    changed = np.abs(baked - without) > 1e-3 * without.max()
    print(f"  vertices whose jawOpen changed by > 0.1 % of its peak: {int(changed.sum())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
