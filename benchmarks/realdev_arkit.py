"""Our rig against the artist's ARKit shapes of the Rocketbox avatar (real-dev), per shape.

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_arkit.py

Bakes the shipped network on the avatar's head (top 0.30 m of the full-body mesh, Blender
world coordinates: metres, Z up, face to -Y), maps ICT names to ARKit (``browInnerUp`` and
``cheekPuff`` halves summed, :func:`model.facs.ict_to_arkit_shapes`) and compares with the
artist's ``AK_NN_<Name>`` shape keys on the same vertices:

* rel. error ``||ours - artist|| / ||artist||`` (Frobenius over the head vertices);
* the same after the best scalar gain ``g = <ours, artist> / <ours, ours>``;
* cosine between the two displacement fields;
* spill: share of our motion (sum of ``|d|``) on vertices the artist's shape leaves still
  (``|artist d| < 1 %`` of its max).

``tongueOut`` is left out (ICT has no tongue). Skips (exit 0) without ../shared/real-dev.
Not done yet: the closest-vertex copy from an aligned ICT head (similarity ICP) baseline.
"""

from __future__ import annotations

import pathlib
import re
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import bake, load_mesh, require_realdev  # noqa: E402


def compare(ours: np.ndarray, artist: np.ndarray) -> dict:
    """Metrics of one shape: (V,3) ours, (V,3) artist."""
    a, o = artist.ravel(), ours.ravel()
    na = np.linalg.norm(a)
    gain = float(o @ a / max(o @ o, 1e-300))
    still = np.linalg.norm(artist, axis=1) < 0.01 * np.linalg.norm(artist, axis=1).max()
    mag = np.linalg.norm(ours, axis=1)
    return {
        "rel": float(np.linalg.norm(o - a) / na),
        "rel_gain": float(np.linalg.norm(gain * o - a) / na),
        "gain": gain,
        "cos": float(o @ a / max(np.linalg.norm(o) * na, 1e-300)),
        "spill": float(mag[still].sum() / max(mag.sum(), 1e-300)),
    }


def main() -> int:
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ARKIT_NAMES, ict_to_arkit_shapes

    data = load_mesh(realdev / "meshes" / "rocketbox_Female_Adult_02_ARKit.fbx")
    ids = data["head_ids"]
    neutral = data["vertices"][ids]
    artist = {}
    for key, pos in data["shape_keys"].items():
        m = re.match(r"AK_\d\d_(\w+)$", key)
        if m:
            name = m.group(1)[0].lower() + m.group(1)[1:]
            artist[name] = pos[ids] - neutral
    fm = FaceModel.load()
    deltas, _ = bake(fm, neutral, data["head_triangles"], data["up"], data["forward"])
    ours = ict_to_arkit_shapes(deltas.astype(np.float64))
    rows = []
    for k, name in enumerate(ARKIT_NAMES):
        if name == "tongueOut" or name not in artist or not np.abs(artist[name]).max() > 0:
            continue
        rows.append((name, compare(ours[k], artist[name])))
    print(
        f"head: {len(ids)} of {len(data['vertices'])} vertices; {len(rows)} shapes compared "
        f"({len(artist)} AK_ keys found)"
    )
    print("| shape | rel. error | rel. error after gain | gain | cosine | spill |")
    print("|---|---|---|---|---|---|")
    for name, m in rows:
        print(
            f"| {name} | {m['rel']:.3f} | {m['rel_gain']:.3f} | {m['gain']:.2f} | "
            f"{m['cos']:.3f} | {m['spill']:.3f} |"
        )
    mean = {k: float(np.mean([m[k] for _, m in rows])) for k in ("rel", "rel_gain", "gain", "cos", "spill")}
    print(
        f"| **mean (shipped network)** | {mean['rel']:.3f} | {mean['rel_gain']:.3f} | {mean['gain']:.2f} | "
        f"{mean['cos']:.3f} | {mean['spill']:.3f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
