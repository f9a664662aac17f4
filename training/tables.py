"""Derivations of the bake constraints' committed tables from ICT-FaceKit (training only; the
runtime reads the tables: :func:`model.shape_locality.load_table`, :func:`model.static_area.load_table`).

``python -m training tables --ict PATH`` regenerates ``model/shape_locality.npz`` (per-shape region
motion and reach points) and ``model/static_area.npz`` (ICT's static skin and its per-shape motion
caps); tests compare fresh derivations with the committed files.
"""

from __future__ import annotations

import pathlib

import numpy as np

from model import shape_locality, static_area
from model.facs import ICT_NAMES


def shape_locality_table(ict) -> dict[str, np.ndarray]:
    """The locality table from a loaded ICT model (:func:`model.ict.load_ict`).

    ``allowed (53, K)`` float64 in [0, 1] (region motion, see the module docstring);
    ``points (P, 3)`` float64: every :data:`shape_locality.POINT_STRIDE`-th vertex of ICT's ``head`` crop in
    face units (canonical frame, origin between the eyes, eye distance 1); ``moving (53, P)``
    bool: the point moves by at least :data:`shape_locality.MOVING_REL` of the shape's largest displacement.
    """
    from model.frame import fit_frame
    from model.regions import NUM_REGIONS, ict_region_labels
    from model.rig_check import face_anchors

    labels = ict_region_labels(ict)
    magnitude = np.linalg.norm(np.asarray(ict.expressions, dtype=np.float64), axis=2)  # (53, N)
    allowed = np.zeros((magnitude.shape[0], NUM_REGIONS))
    for r in range(NUM_REGIONS):
        allowed[:, r] = np.percentile(magnitude[:, labels == r], shape_locality.REGION_PERCENTILE, axis=1)
    n, tris = ict.crop("head")
    canonical = fit_frame(ict.neutral[:n], tris).to_canonical(ict.neutral[:n].astype(np.float64))
    anchors = face_anchors(canonical, tris)
    keep = np.arange(0, n, shape_locality.POINT_STRIDE)
    head = magnitude[:, :n]
    return {
        "allowed": allowed / allowed.max(axis=1, keepdims=True),
        "points": (canonical[keep] - anchors.mid) / anchors.eye_distance,
        "moving": head[:, keep] >= shape_locality.MOVING_REL * head.max(axis=1, keepdims=True),
    }


def write_shape_locality_table(ict, path: str | pathlib.Path = shape_locality.TABLE_PATH) -> pathlib.Path:
    """Derive the table from ICT and write it (float32, with the region and shape names)."""
    from model.atomic_write import save_npz
    from model.regions import REGION_NAMES

    table = shape_locality_table(ict)
    save_npz(
        pathlib.Path(path),
        dict(
            allowed=table["allowed"].astype(np.float32),
            points=table["points"].astype(np.float32),
            moving=table["moving"],
            regions=np.array(REGION_NAMES),
            shapes=np.array(ICT_NAMES),
        ),
        compress=True,
    )
    return pathlib.Path(path)


def static_area_table(ict) -> dict[str, np.ndarray]:
    """The static-area table from a loaded ICT model (:func:`model.ict.load_ict`).

    Returns ``points (P, 3)`` float64 in face units, ``static (P,)`` and ``moving (P,)`` bool,
    ``motion (53, Ps)`` uint8 for the ``Ps`` static points in order (module docstring).
    """
    from model.facs import ICT_NAMES
    from model.frame import fit_frame
    from model.regions import REGION_NAMES, STATIC_REGIONS, ict_region_labels
    from model.rig_check import face_anchors

    n, tris = ict.crop("head")
    canonical = fit_frame(ict.neutral[:n], tris).to_canonical(ict.neutral[:n].astype(np.float64))
    anchors = face_anchors(canonical, tris)
    magnitude = np.linalg.norm(np.asarray(ict.expressions[:, :n], dtype=np.float64), axis=2)  # (53, n)
    jaw_peak = float(magnitude[ICT_NAMES.index("jawOpen")].max())
    still = magnitude.max(axis=0) < static_area.STATIC_REL * jaw_peak
    labels = ict_region_labels(ict)[:n]
    region = np.isin(labels, [REGION_NAMES.index(r) for r in STATIC_REGIONS])
    keep = np.arange(0, n, static_area.POINT_STRIDE)
    static = (still & region)[keep]
    points = (canonical[keep] - anchors.mid) / anchors.eye_distance
    own = magnitude[:, keep][:, static] / jaw_peak  # < static_area.STATIC_REL: the points are still
    motion = own / static_area.MOTION_STEP
    return {
        "points": points,
        "static": static,
        "moving": ~still[keep],
        "motion": np.round(np.clip(motion, 0, 255)).astype(np.uint8),
    }


def write_static_area_table(ict, path: str | pathlib.Path = static_area.TABLE_PATH) -> pathlib.Path:
    """Derive the table from ICT and write it (float32 points, with the shape names)."""
    from model.atomic_write import save_npz
    from model.facs import ICT_NAMES

    table = static_area_table(ict)
    save_npz(
        pathlib.Path(path),
        dict(
            points=table["points"].astype(np.float32),
            static=table["static"],
            moving=table["moving"],
            motion=table["motion"],
            shapes=np.array(ICT_NAMES),
        ),
        compress=True,
    )
    return pathlib.Path(path)
