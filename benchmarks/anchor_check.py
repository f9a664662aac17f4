"""How well each anchor source places the eyes, per mesh: the margins behind
:func:`model.rig_check._plausible_eyes`.

    PYTHONPATH=. .venv/bin/python benchmarks/anchor_check.py

For the demo head, every real-dev mesh (when ../shared/real-dev is there) and, with
``ICT_FACEKIT`` set, ICT-FaceKit's generic head, prints the eye midpoint and eye distance from
each source the rig check and the bake constraints may use (eye openings, eyeballs, the
network's skin weights, the nose-tip estimate) and, for the skin-weight centres, the numbers
the plausibility test reads: height difference and midpoint offset from the ``x = 0`` plane (eye
distances), eye distance over the nose-tip estimate's, midpoint offset from the nose-tip
midpoint (nose-tip eye distances); then which source the bake uses now. Canonical frame of the
network's vertices (:attr:`model.api.PreparedMesh.canonical`).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import ROOT, load_mesh, realdev_dir  # noqa: E402


def meshes():
    """(name, vertices, triangles, up, forward) of every mesh measured."""
    from model.mesh_io import read_mesh

    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    yield "demo head", demo.vertices, demo.triangles(), "Y", "Z"
    if os.environ.get("ICT_FACEKIT"):
        from model.ict import load_ict

        ict = load_ict()
        n, tris = ict.crop("head")
        yield "ICT generic head", ict.neutral[:n], tris, "Y", "Z"
    d = realdev_dir()
    if d is not None:
        for path in sorted((d / "meshes").iterdir()):
            data = load_mesh(path)
            v = data["vertices"][data["head_ids"]]
            yield path.stem, v, data["head_triangles"], data["up"], data["forward"]


def main() -> int:
    from model.api import FaceModel
    from model.face_landmarks import largest_component_mask
    from model.regions import REGION_NAMES
    from model.rig_check import (
        EYE_REGIONS,
        _anchors,
        _nose_tip_anchor,
        find_eye_openings,
        find_eyeballs,
    )
    from model.shape_locality import skin_anchors

    fm = FaceModel.load()
    print(
        "| mesh | openings / eyeballs (mid, u) | skin weights: level, off-plane, u ratio, offset "
        "| nose tip (mid, u) | used |"
    )
    print("|---|---|---|---|---|")
    for name, v, t, up, forward in meshes():
        prep = fm.prepare(v, t, up=up, forward=forward)
        skin = prep.network_rows(fm.predict_skin_weights(prep))
        c, tri = prep.canonical, prep.triangles_seen
        comp = largest_component_mask(len(c), tri)
        eyes, balls = find_eye_openings(c, tri, comp), find_eyeballs(c, tri, comp)
        geo = "-"
        for label, found in (("openings", eyes), ("eyeballs", balls)):
            if len(found) == 2:
                openings, eyeballs = (found, {}) if label == "openings" else ({}, found)
                mid, u, _ = _anchors(c, openings, eyeballs, None, None)
                geo = f"{label}: {np.round(mid, 3).tolist()}, {u:.3f}"
                break
        names = list(REGION_NAMES)
        am = np.argmax(skin, axis=1)
        centres = {}
        for side, regions in EYE_REGIONS.items():
            sel = np.isin(am, [names.index(r) for r in regions])
            if sel.any():
                centres[side] = c[sel].mean(axis=0)
        nose_mid, nose_u = _nose_tip_anchor(c, comp)
        sw = "-"
        if len(centres) == 2:
            left, right = centres["L"], centres["R"]
            u = float(np.linalg.norm(left - right))
            mid = (left + right) / 2
            sw = f"{abs(left[1] - right[1]) / u:.2f}, {abs(mid[0]) / u:.2f}"
            if nose_mid is not None:
                sw += f", {u / nose_u:.2f}, {np.linalg.norm(mid - nose_mid) / nose_u:.2f}"
        nose = "-" if nose_mid is None else f"{np.round(nose_mid, 3).tolist()}, {nose_u:.3f}"
        used = skin_anchors(c, tri, skin)
        used_text = f"{used.source}: {np.round(used.mid, 3).tolist()}, {used.eye_distance:.3f}"
        print(f"| {name} | {geo} | {sw} | {nose} | {used_text} |")
    return 0


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
