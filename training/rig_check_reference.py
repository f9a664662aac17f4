"""Derivation of the rig check's ICT-FaceKit reference numbers (training only): the runtime reads
the committed ``model/rig_check_reference.npz`` with :func:`model.rig_check_reference.load_reference`.
"""

from __future__ import annotations

import pathlib

import numpy as np

from model.rig_check_reference import REFERENCE_PATH


def compute_reference(ict) -> dict:
    """``{"names", "ripple" (53,), "region_share" (53, K), "regions"}`` from an ICT model."""
    from model.face_landmarks import find_eye_openings, largest_component_mask
    from model.frame import fit_frame
    from model.regions import REGION_NAMES, ict_region_labels
    from model.rig_check import _laplacian_on_referenced, ripple_inverse_mass, ripple_number

    n, t = ict.crop("head")
    v = ict.neutral[:n].astype(np.float64)
    frame = fit_frame(v, t)
    canon = frame.to_canonical(v)
    eyes = find_eye_openings(canon, t, largest_component_mask(n, t))
    unit = float(np.linalg.norm(eyes["L"].center - eyes["R"].center))
    L, mass = _laplacian_on_referenced(canon, t)
    inv_mass = ripple_inverse_mass(mass, t)
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
