"""The chin of a bust in jawOpen: does the skin under the chin move with it?

    PYTHONPATH=. .venv/bin/python benchmarks/bust_chin.py [--match demosthenes]

For each real-dev OBJ bust (``../shared/real-dev``; skips when absent) jawOpen is baked with the
shipped network (full bake). Printed, in eye distances (the face placement's, canonical frame):
the peak displacement; the skin under the peak (within 0.15 left-right, up to 0.8 below and 0.8
behind it) and how many of those vertices move less than 20 % of the peak (a notch at the chin
in side view); the share of vertices the network sees (head weight > 0) and how many have a head
weight below 1 within 0.8 eye distances of the peak.

Measured (session 7, issue 9.3 c): Demosthenes' head is bent onto the chest, so the neck's
narrowest section of :mod:`model.head_region` lies at the mouth and the ramp below it held the
skin under the chin still (head weights 0.00-0.29 there): 10 of 20 vertices under the peak moved
< 20 % of it, peak 0.49, 85 vertices near the peak with a head weight below 1. With
:func:`model.head_region.with_face_reach`: 0 of 7, peak 0.71 (ICT's jawOpen: 0.66), 17.
Nefertiti (upright head): peak 0.60 both ways, none lagging.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402


def chin_motion(fm, prepared, vertices: np.ndarray):
    """(mag (V,) jawOpen displacement in canonical units, peak vertex index, rel (V, 3) positions
    relative to the peak in eye distances of the face placement, under (V,) bool: the skin under
    the peak, within 0.15 left-right and up to 0.8 below and 0.8 behind it)."""
    from model.facs import ICT_NAMES

    u = prepared._tensors["face_placement"].eye_distance_after
    jaw = fm.bake(prepared)[ICT_NAMES.index("jawOpen")]
    c = prepared.frame.to_canonical(vertices)
    mag = np.linalg.norm(prepared.frame.to_canonical(vertices + jaw) - c, axis=1)
    peak = int(np.argmax(mag))
    rel = (c - c[peak]) / u
    below = (rel[:, 1] < 0) & (rel[:, 1] > -0.8) & (rel[:, 2] < 0) & (rel[:, 2] > -0.8)
    return mag, peak, rel, below & (np.abs(rel[:, 0]) < 0.15)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="", help="only meshes whose file name contains this")
    args = parser.parse_args(argv)
    realdev = require_realdev()
    from model.api import FaceModel

    print("| mesh | jawOpen peak (eye dist.) | under the chin: vertices, moving < 20 % of the peak | "
          "seen by the network | head weight < 1 near the peak |")  # fmt: skip
    print("|---|---|---|---|---|")
    for path in sorted((realdev / "meshes").glob("*.obj")):
        if args.match not in path.name:
            continue
        data = load_mesh(path)
        v, t = data["vertices"], data["triangles"]
        fm = FaceModel.load()
        prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"])
        placement = prepared._tensors.get("face_placement")
        if placement is None or placement.eye_distance_after is None:
            print(f"| {path.name} | no eyes found | | | |")
            continue
        mag, peak, rel, under = chin_motion(fm, prepared, v)
        u = placement.eye_distance_after
        lagging = int((mag[under] < 0.2 * mag[peak]).sum())
        head = prepared.rig_analysis().head.weights
        near = np.linalg.norm(rel, axis=1) < 0.8
        print(f"| {path.name} | {mag[peak] / u:.2f} | {int(under.sum())}, {lagging} | "
              f"{100.0 * (head > 0).mean():.1f} % | {int((near & (head < 1)).sum())} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
