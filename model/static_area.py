"""Bake-time static area: the parts of a head that no expression moves stay exactly still.

Issue 9 names the static parts: scalp, back of the head, ears, neck base, shoulders, body, hair
and upper teeth. Hair, upper teeth and everything below the neck are pieces or regions that
:mod:`model.rig_constraints` already holds still. This module holds the **skin** of the scalp,
the back of the head, the ears and the neck base still in every shape, whatever the network (or
the registered template) predicts there, and fades that constraint in smoothly so no seam
appears at its edge.

Where the static skin lies is derived from ICT-FaceKit once (``model/static_area.npz`` beside
this module, ~60 KB; regenerate with ``python -m model.static_area --ict PATH``):

* ``points (P, 3)``: every :data:`POINT_STRIDE`-th vertex of ICT's ``head`` crop in face units
  (canonical frame, origin between the eyes, eye distance 1; as :mod:`model.shape_locality`);
* ``moving (P,)``: some ICT shape moves the point by :data:`STATIC_REL` (6 %) of ``jawOpen``'s
  largest displacement or more. ICT's own capture moves its ear lobes by up to 4.8 % in
  ``jawOpen`` (the ears are static anatomically); 6 % keeps them still while the skin under the
  chin, which ``jawOpen`` really moves (up to 46 %), stays free;
* ``static (P,)``: not moving, and in one of ICT's static skin regions (``scalp``, ``neck``:
  :data:`model.regions.STATIC_REGIONS`, grown from ICT's motionless seeds). Face points that
  happen to move little (the nose bridge) are neither: they never pull a vertex to static, so
  no static island appears inside the face.

On a mesh (:func:`static_weights`) the points are placed by the face anchors (eye midpoint and
eye distance: eye openings, eyeballs, skin weights or the nose tip,
:func:`model.rig_check.face_anchors`, the same placement as the reach mask of
:mod:`model.shape_locality`). A vertex's static weight grows with how much closer it lies to
ICT's static skin than to ICT's moving skin: ``s = d_moving - d_static`` (face units, depth
weighted by :data:`DEPTH_WEIGHT`),
``w = smoothstep((s - FADE_START) / FADE_WIDTH)``. Vertices beyond ICT's head (a crown, a
taller skull, the shoulders) are far from every moving point and come out static. Every shape
keeps ``(1 - w)`` of its delta. The fade sits on the edge of ICT's moving skin (where ICT
moves it by about 6 % of ``jawOpen``; :data:`FADE_START` shifts it a little to the moving side)
and spans :data:`FADE_WIDTH` eye distances (~1.5 cm on a human head), so the motion that is
removed is small and removed gradually: no seam, no fold.

Eyeballs, teeth, lashes and brows are pieces: :mod:`model.rig_constraints` sets their motion
after this (rigid eyeballs rotating for ``eyeLook*``, lashes following the lids), so the mask
never reaches them.
"""

from __future__ import annotations

import argparse
import functools
import pathlib
import sys

import numpy as np

TABLE_PATH = pathlib.Path(__file__).resolve().parent / "static_area.npz"
POINT_STRIDE = 2  # every 2nd vertex of ICT's head crop (~5.6k points)
STATIC_REL = 0.06  # of jawOpen's largest displacement: ICT's ear lobes move 4.8 %, under-chin 46 %
# eye distances: the fade starts a little on the moving side of the midpoint between static and
# moving skin (centred on it, -0.12, removed more of ICT's own forehead motion: held-out relative
# error 0.138 vs 0.132, 4 cases; starting at the midpoint, 0.0, let 1.3 % leak on a bust)
FADE_START = -0.06
# depth differences count half: heads differ in depth profile (a high, forward forehead on a bust)
# far more than in height, and the static parts (scalp top, neck base) are told apart by height
DEPTH_WEIGHT = 0.5
FADE_WIDTH = 0.24  # eye distances (~1.5 cm) over which a vertex goes from moving to static


def compute_table(ict) -> dict[str, np.ndarray]:
    """The static-area table from a loaded ICT model (:func:`model.ict.load_ict`).

    Returns ``points (P, 3)`` float64 in face units, ``static (P,)`` and ``moving (P,)`` bool
    (module docstring).
    """
    from .facs import ICT_NAMES
    from .frame import fit_frame
    from .regions import REGION_NAMES, STATIC_REGIONS, ict_region_labels
    from .rig_check import face_anchors

    n, tris = ict.crop("head")
    canonical = fit_frame(ict.neutral[:n], tris).to_canonical(ict.neutral[:n].astype(np.float64))
    anchors = face_anchors(canonical, tris)
    magnitude = np.linalg.norm(np.asarray(ict.expressions[:, :n], dtype=np.float64), axis=2)  # (53, n)
    jaw_peak = float(magnitude[ICT_NAMES.index("jawOpen")].max())
    still = magnitude.max(axis=0) < STATIC_REL * jaw_peak
    labels = ict_region_labels(ict)[:n]
    region = np.isin(labels, [REGION_NAMES.index(r) for r in STATIC_REGIONS])
    keep = np.arange(0, n, POINT_STRIDE)
    return {
        "points": (canonical[keep] - anchors.mid) / anchors.eye_distance,
        "static": (still & region)[keep],
        "moving": ~still[keep],
    }


def write_table(ict, path: str | pathlib.Path = TABLE_PATH) -> pathlib.Path:
    """Derive the table from ICT and write it (float32 points)."""
    from .atomic_write import save_npz

    table = compute_table(ict)
    save_npz(
        pathlib.Path(path),
        dict(points=table["points"].astype(np.float32), static=table["static"], moving=table["moving"]),
        compress=True,
    )
    return pathlib.Path(path)


@functools.lru_cache(maxsize=4)
def load_table(path: str | pathlib.Path = TABLE_PATH) -> dict[str, np.ndarray]:
    """The committed table (as :func:`compute_table`; read once per path, do not modify)."""
    with np.load(path, allow_pickle=False) as z:
        return {
            "points": z["points"].astype(np.float64),
            "static": z["static"].astype(bool),
            "moving": z["moving"].astype(bool),
        }


def static_weights(
    canonical: np.ndarray, mid: np.ndarray, eye_distance: float, table: dict | None = None
) -> np.ndarray:
    """``(V,)`` float64 in [0, 1]: how static each canonical vertex (V, 3) is (1 = never moves),
    with ICT's static area placed by the eye midpoint ``mid`` (3,) and ``eye_distance``
    (canonical units)."""
    from scipy.spatial import cKDTree

    table = load_table() if table is None else table
    squash = np.array([1.0, 1.0, DEPTH_WEIGHT])
    local = (np.asarray(canonical, dtype=np.float64) - mid) / eye_distance * squash
    points = table["points"] * squash
    d_static, _ = cKDTree(points[table["static"]]).query(local)
    d_moving, _ = cKDTree(points[table["moving"]]).query(local)
    t = np.clip((d_moving - d_static - FADE_START) / FADE_WIDTH, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def apply_static(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray | None = None,
    anchors=None,
) -> np.ndarray:
    """deltas (S, V, 3) canonical times ``1 -`` :func:`static_weights`, placed by the face
    anchors of :func:`model.shape_locality.skin_anchors` (``skin_weights`` (V, K) only help find
    the eyes; ``anchors``: already found for this mesh, else found here); unchanged when no eyes
    are found. Same shape and dtype."""
    if anchors is None:
        from .shape_locality import skin_anchors

        anchors = skin_anchors(canonical, triangles, skin_weights)
    if anchors.mid is None or not anchors.eye_distance:
        return deltas
    keep = 1.0 - static_weights(anchors.canonical, anchors.mid, anchors.eye_distance)
    d = np.asarray(deltas)
    return (d * keep[None, :, None]).astype(d.dtype)


def main(argv: list[str] | None = None) -> int:
    """``python -m model.static_area --ict PATH``: regenerate the committed table."""
    parser = argparse.ArgumentParser(prog="python -m model.static_area", description=main.__doc__)
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("--out", default=str(TABLE_PATH), help="where to write the table")
    args = parser.parse_args(argv)
    from .ict import load_ict

    print(write_table(load_ict(args.ict), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
