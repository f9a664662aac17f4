"""Face-region segmentation of ICT-FaceKit, the supervision target of the skinning head.

Regions follow the facial muscle groups that the 53 FACS shapes actuate (see
:data:`REGION_NAMES`); ``_L`` / ``_R`` is the subject's left / right, i.e. ``+X`` / ``-X`` in
ICT's frame. Every one of the 26719 ICT vertices gets a label, so every crop of
:data:`model.ict.CROPS` is fully labelled.

How the labels are derived: :mod:`training.regions_derivation` (training only).

The result is committed as ``model/data/ict_regions.npz`` (int8 labels, names, sha256 of the
neutral it was derived from); ``python -m training segment --ict PATH`` regenerates it.
"""

from __future__ import annotations

import pathlib

import numpy as np

from .atomic_write import save_npz
from .cache import array_digest
from .errors import ICTDataError

REGION_NAMES: tuple[str, ...] = (
    "scalp", "neck", "forehead", "brow_L", "brow_R", "upper_lid_L", "upper_lid_R",
    "lower_lid_L", "lower_lid_R", "nose", "cheek_L", "cheek_R", "upper_lip", "lower_lip",
    "mouth_corner_L", "mouth_corner_R", "chin_jaw", "eye_L", "eye_R", "mouth_interior",
)  # fmt: skip
NUM_REGIONS = len(REGION_NAMES)
STATIC_REGIONS: tuple[str, ...] = ("scalp", "neck")

TABLE_PATH = pathlib.Path(__file__).resolve().parent / "data" / "ict_regions.npz"
_MIRROR_TOL = 0.05  # cm; ICT's neutral is symmetric to 0.005 cm

_R = {n: i for i, n in enumerate(REGION_NAMES)}


def mirror_region(index: np.ndarray | int) -> np.ndarray:
    """Region index of the mirror image (``brow_L`` <-> ``brow_R``; unsided regions map to themselves)."""
    table = np.array(
        [_R[n[:-2] + {"_L": "_R", "_R": "_L"}[n[-2:]]] if n[-2:] in ("_L", "_R") else i
         for i, n in enumerate(REGION_NAMES)],
        dtype=np.int64,
    )  # fmt: skip
    return table[np.asarray(index)]


def mirror_map(vertices: np.ndarray, tol: float = _MIRROR_TOL) -> np.ndarray:
    """``(V,)`` int64 index of each vertex's mirror (x -> -x) partner, -1 where none within ``tol`` cm."""
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, dtype=np.float64)
    dist, idx = cKDTree(v).query(v * np.array([-1.0, 1.0, 1.0]))
    return np.where(dist <= tol, idx, -1).astype(np.int64)


def neutral_digest(neutral: np.ndarray) -> str:
    """sha256 of the float32 neutral vertices (identifies the ICT release a table belongs to)."""
    return array_digest(np.asarray(neutral, dtype=np.float32))


def load_region_table(path: str | pathlib.Path = TABLE_PATH) -> tuple[np.ndarray, tuple[str, ...], str]:
    """The committed table: ``(labels (26719,) int64, names, neutral sha256)``."""
    with np.load(path, allow_pickle=False) as z:
        return z["labels"].astype(np.int64), tuple(str(s) for s in z["names"]), str(z["neutral_sha256"])


def write_region_table(path: str | pathlib.Path, labels: np.ndarray, neutral: np.ndarray) -> pathlib.Path:
    """Write ``labels`` (int8), :data:`REGION_NAMES` and the neutral's sha256 as a compressed npz."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_npz(
        path,
        dict(
            labels=np.asarray(labels, dtype=np.int8),
            names=np.array(REGION_NAMES),
            neutral_sha256=np.array(neutral_digest(neutral)),
        ),
        compress=True,
    )
    return path


def ict_region_labels(ict=None) -> np.ndarray:
    """Region label of every ICT vertex: ``(26719,) int64`` indices into :data:`REGION_NAMES`.

    The committed table, so it needs no ICT data; ``ict`` (optional) is checked to be the
    neutral the table was derived from. Another neutral needs a new table (derived by
    :func:`training.regions_derivation.compute_region_labels`, ``python -m training segment``).
    """
    if TABLE_PATH.is_file():
        labels, names, digest = load_region_table()
        if names == REGION_NAMES and (ict is None or digest == neutral_digest(ict.neutral)):
            return labels
    raise ICTDataError(
        f"the region table {TABLE_PATH} is missing or was derived from another ICT-FaceKit "
        "neutral; regenerate it with `python -m training segment --ict PATH`"
    )
