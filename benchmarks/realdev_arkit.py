"""Our rig against the artist's ARKit shapes of the Rocketbox avatar (real-dev), per shape.

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_arkit.py

Bakes the shipped default (mixed), the network alone, the registration and the hybrid
(:meth:`model.api.FaceModel.bake` methods, shipped ICT template; one prepared mesh) on the
avatar's head (top 0.25 m of the full-body mesh, Blender world coordinates: metres, Z up, face
to -Y), maps ICT names to ARKit (``browInnerUp`` and ``cheekPuff`` halves summed,
:func:`model.facs.ict_to_arkit_shapes`) and compares with the artist's ``AK_NN_<Name>`` shape keys
on the same vertices:

* rel. error ``||ours - artist|| / ||artist||`` (Frobenius over the head vertices);
* the same after the best scalar gain ``g = <ours, artist> / <ours, ours>``;
* cosine between the two displacement fields;
* spill: share of our motion (sum of ``|d|``) on vertices the artist's shape leaves still
  (``|artist d| < 1 %`` of its max).

``tongueOut`` is left out (ICT has no tongue). Skips (exit 0) without ../shared/real-dev.

Baseline (needs ``ICT_FACEKIT``): the closest-point copy from an aligned ICT head. ICT's generic
neutral (``head`` crop) is placed on the avatar by the rig check's face anchors (eye midpoint,
eye distance, canonical axes), refined by a trimmed similarity ICP of ICT's face (vertices
``[0, 9409)``) onto the avatar's skin (30 iterations; pairs farther than 2.5x the median distance
dropped; Umeyama), then every avatar head vertex takes the ICT deltas at its closest point on
the aligned ICT head (barycentric, :mod:`model.transfer`), scaled and rotated into the avatar.
"""

from __future__ import annotations

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import artist_avatar, bake_methods, require_realdev  # noqa: E402


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


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity (s, R, t) minimising ``sum |s R src + t - dst|^2`` (Umeyama 1991)."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))])
    rot = u @ d @ vt
    scale = float(np.trace(np.diag(sig) @ d) / (a**2).sum(axis=1).mean())
    return scale, rot, mu_d - scale * rot @ mu_s


def ict_copy_baseline(neutral: np.ndarray, triangles: np.ndarray, up: str, forward: str):
    """(53, V, 3) ICT deltas copied by closest point from an ICT head aligned to ``neutral``
    (input units/axes), and the RMS ICP residual over the kept pairs (input units)."""
    from model.face_landmarks import largest_component_mask
    from model.ict import load_ict
    from model.rig_check import face_anchors
    from model.transfer import closest_points, transfer

    ict = load_ict()
    n, ict_tris = ict.crop("head")
    ict_v = ict.neutral[:n].astype(np.float64)
    a_ict = face_anchors(ict_v, ict_tris)
    a_tgt = face_anchors(neutral, triangles, up, forward)
    # rough: canonical frames, eye midpoints and eye distances matched
    s0 = a_tgt.eye_distance / a_ict.eye_distance
    canon = (a_ict.canonical - a_ict.mid) * s0 + a_tgt.mid  # ICT in the target's canonical frame
    target = a_tgt.canonical
    skin = largest_component_mask(len(target), triangles)
    skin_tris = triangles[skin[triangles].all(axis=1)]
    face = np.arange(9409)  # ICT's face part: no scalp or neck, which hair and collars hide
    total_s, total_r, total_t = s0, np.eye(3), a_tgt.mid - s0 * a_ict.mid
    for _ in range(30):
        hits = closest_points(target, skin_tris, canon[face])
        keep = hits.distance < 2.5 * np.median(hits.distance)
        s, r, t = umeyama(canon[face][keep], hits.points[keep])
        canon = s * canon @ r.T + t
        total_s, total_r, total_t = s * total_s, r @ total_r, s * r @ total_t + t
    rms = float(np.sqrt(np.mean(hits.distance[keep] ** 2))) * a_tgt.frame.scale
    # ICT canonical deltas -> aligned -> target canonical -> target input space
    d_ict = a_ict.frame.vectors_to_canonical(ict.expressions[:, :n].astype(np.float64))
    d_tgt_canon = total_s * d_ict @ total_r.T
    hits = closest_points(canon, ict_tris, target)
    copied = transfer(d_tgt_canon, hits)  # (53, V, 3) target canonical
    return a_tgt.frame.vectors_from_canonical(copied), rms


def table(title: str, rows: list) -> dict:
    print(f"\n### {title}")
    print("| shape | rel. error | rel. error after gain | gain | cosine | spill |")
    print("|---|---|---|---|---|---|")
    for name, m in rows:
        print(
            f"| {name} | {m['rel']:.3f} | {m['rel_gain']:.3f} | {m['gain']:.2f} | "
            f"{m['cos']:.3f} | {m['spill']:.3f} |"
        )
    mean = {k: float(np.mean([m[k] for _, m in rows])) for k in ("rel", "rel_gain", "gain", "cos", "spill")}
    print(
        f"| **mean** | {mean['rel']:.3f} | {mean['rel_gain']:.3f} | {mean['gain']:.2f} | "
        f"{mean['cos']:.3f} | {mean['spill']:.3f} |"
    )
    return mean


def main() -> int:
    realdev = require_realdev()
    from model.api import FaceModel
    from model.facs import ARKIT_NAMES, ict_to_arkit_shapes

    data, neutral, artist = artist_avatar(realdev)
    fm = FaceModel.load()
    methods = ("mixed", "network", "registration", "hybrid")
    baked, _ = bake_methods(fm, neutral, data["head_triangles"], data["up"], data["forward"], methods)
    names = {
        "mixed": "shipped (mixed)",
        "network": "network alone",
        "registration": "registration",
        "hybrid": "hybrid",
    }
    rigs = {names[m]: ict_to_arkit_shapes(baked[m].astype(np.float64)) for m in methods}
    import os

    if os.environ.get("ICT_FACEKIT"):
        copied, rms = ict_copy_baseline(neutral, data["head_triangles"], data["up"], data["forward"])
        rigs["closest-point copy from an aligned ICT head"] = ict_to_arkit_shapes(copied)
        print(f"ICT alignment: RMS residual {rms * 100:.2f} cm over the kept pairs")
    else:
        print("ICT_FACEKIT not set: the aligned-ICT copy baseline is skipped")
    print(f"head: {len(neutral)} of {len(data['vertices'])} vertices ({len(artist)} AK_ keys found)")
    means = {}
    for title, rig in rigs.items():
        rows = []
        for k, name in enumerate(ARKIT_NAMES):
            if name == "tongueOut" or name not in artist or not np.abs(artist[name]).max() > 0:
                continue
            rows.append((name, compare(rig[k], artist[name])))
        means[title] = table(f"{title}: {len(rows)} shapes", rows)
    print("\n### summary (means over the shapes)")
    print("| rig | rel. error | after gain | gain | cosine | spill |")
    print("|---|---|---|---|---|---|")
    for title, m in means.items():
        print(
            f"| {title} | {m['rel']:.3f} | {m['rel_gain']:.3f} | {m['gain']:.2f} | "
            f"{m['cos']:.3f} | {m['spill']:.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
