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

Derived by :mod:`training.rig_check_reference` (``write_reference``, ``ICT_FACEKIT`` set; training
only); a test checks that the committed table matches a fresh derivation.
"""

from __future__ import annotations

import pathlib

import numpy as np

REFERENCE_PATH = pathlib.Path(__file__).resolve().parent / "rig_check_reference.npz"


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
