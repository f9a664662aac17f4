"""ICT-FaceKit reference numbers for the rig check, derived once and committed.

``model/rig_check_reference.npz`` (beside this module, not in ``model/data``, so that the
packaged add-on ships it) holds, for each of the 53 ICT shapes on ICT-FaceKit's
generic head (the ``head`` crop: face, scalp, neck):

* ``ripple (53,)``: :func:`model.rig_check.ripple_number` of the ground-truth shape, the
  denominator of the rig check's ripple ratio;
* ``region_share (53, K)``: the share of the shape's area-weighted motion in each region of
  :func:`model.regions.ict_region_labels`; ``region_density (53, K)``: the region's mean
  displacement over the largest region mean (1 = the region that moves most); ``regions (K,)``
  their names.

Regenerate with :func:`write_reference` (``ICT_FACEKIT`` set); a test checks that the committed
table matches a fresh derivation.
"""

from __future__ import annotations

import pathlib

import numpy as np

REFERENCE_PATH = pathlib.Path(__file__).resolve().parent / "rig_check_reference.npz"


def compute_reference(ict) -> dict:
    """``{"names", "ripple" (53,), "region_share" (53, K), "regions"}`` from an ICT model."""
    from .face_landmarks import find_eye_openings, largest_component_mask
    from .frame import fit_frame
    from .regions import REGION_NAMES, ict_region_labels
    from .rig_check import _laplacian_on_referenced, ripple_number

    n, t = ict.crop("head")
    v = ict.neutral[:n].astype(np.float64)
    frame = fit_frame(v, t)
    canon = frame.to_canonical(v)
    eyes = find_eye_openings(canon, t, largest_component_mask(n, t))
    unit = float(np.linalg.norm(eyes["L"].center - eyes["R"].center))
    L, mass = _laplacian_on_referenced(canon, t)
    inv_mass = np.where(mass > 0, 1.0 / np.maximum(mass, 1e-300), 0.0)
    labels = ict_region_labels()[:n]
    ripple = np.zeros(len(ict.expression_names))
    share = np.zeros((len(ict.expression_names), len(REGION_NAMES)))
    density = np.zeros_like(share)
    area = np.bincount(labels, weights=mass, minlength=len(REGION_NAMES))
    for s in range(len(ict.expression_names)):
        ds = frame.vectors_to_canonical(ict.expressions[s, :n])
        ripple[s] = ripple_number(L @ ds, ds, mass, inv_mass, unit)
        motion = mass * np.linalg.norm(ds, axis=1)
        per_region = np.bincount(labels, weights=motion, minlength=len(REGION_NAMES))
        share[s] = per_region / motion.sum()
        mean = per_region / np.maximum(area, 1e-300)
        density[s] = mean / mean.max()
    return {
        "names": list(ict.expression_names),
        "ripple": ripple,
        "region_share": share,
        "region_density": density,
        "regions": list(REGION_NAMES),
    }


def write_reference(ict, path: str | pathlib.Path = REFERENCE_PATH) -> pathlib.Path:
    """Derive and write the reference table (float32)."""
    ref = compute_reference(ict)
    np.savez(
        path,
        names=np.array(ref["names"]),
        ripple=ref["ripple"].astype(np.float32),
        region_share=ref["region_share"].astype(np.float32),
        region_density=ref["region_density"].astype(np.float32),
        regions=np.array(ref["regions"]),
    )
    return pathlib.Path(path)


_CACHE: dict = {}


def load_reference(path: str | pathlib.Path = REFERENCE_PATH) -> dict | None:
    """The committed table as a dict (lists of names, float64 arrays); None if it is missing."""
    key = str(path)
    if key not in _CACHE:
        p = pathlib.Path(path)
        if not p.is_file():
            return None
        with np.load(p) as z:
            _CACHE[key] = {
                "names": [str(x) for x in z["names"]],
                "ripple": z["ripple"].astype(np.float64),
                "region_share": z["region_share"].astype(np.float64),
                "region_density": z["region_density"].astype(np.float64),
                "regions": [str(x) for x in z["regions"]],
            }
    return _CACHE[key]
