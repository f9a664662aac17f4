"""A face's left-right symmetry plane found by search, for turning a head that came in a few
degrees off its axes.

:func:`model.mirror_match.mirror_plane` refits a plane from nearest-vertex pairs starting at
``x = 0``; from a head turned 10 degrees it moves about a degree per refit and can settle on a
wrong plane (Rocketbox 02 turned 10 degrees: 10.5 after 20 refits; the Demosthenes bust drifted 2
degrees from where it began). Here the plane's normal is searched directly: each candidate is
scored by how close the mirrored images of a fixed sample of vertices land to the mesh (nearest
vertex distance, capped so that asymmetric parts such as hair or a collar weigh no more than the
cap), over a coarse grid of yaw and roll, then by a pattern search with halving steps. The
plane's offset for each candidate is the median of the pairs' midpoints, so a crop that puts the
centroid off the midline does not tilt the plane. Turned 10 degrees about either axis, the
real-dev meshes and the demo head are found within 0.3 degrees of the plane found for them as
they came (``benchmarks/realdev_variants.py``; measured with a /tmp script in session 8).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLES = 600  # vertices whose mirror images are scored (a fixed random sample)
CAP = 0.05  # canonical units (about 0.6 cm on an adult head): a farther image counts as this far
# the yaw and roll searched on either side of the given axes (20 until session 20: a scan or an
# export turned 20-30 degrees kept its turn; 361 candidates cost 0.2 s more than 81)
SPAN_DEGREES = 45.0
COARSE_STEP = 5.0  # degrees between the coarse grid's candidates
FINE_STEP = 0.1  # the pattern search stops below this step (degrees)


@dataclass
class SymmetryPlane:
    """``normal`` (3,) unit, pointing to +x; ``offset``: the plane is ``normal . p = offset``;
    ``yaw`` (about y) and ``roll`` (about z) in degrees: the turn that takes +x to the normal;
    ``score``: the capped mean distance of the sample's mirror images (canonical units)."""

    normal: np.ndarray
    offset: float
    yaw: float
    roll: float
    score: float


def plane_normal(yaw: float, roll: float) -> np.ndarray:
    """(3,) the unit +x axis turned by ``roll`` about z, then ``yaw`` about y (degrees)."""
    y, r = np.radians(yaw), np.radians(roll)
    return np.array([np.cos(y) * np.cos(r), np.sin(r), -np.sin(y) * np.cos(r)])


def search_symmetry_plane(vertices: np.ndarray, seed: int = 0) -> SymmetryPlane:
    """The symmetry plane of ``vertices`` (V, 3) float canonical positions (x left-right, y up,
    z forward, about unit size) within :data:`SPAN_DEGREES` of the x = 0 plane."""
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, dtype=np.float64)
    tree = cKDTree(v)
    rng = np.random.default_rng(seed)
    s = v[np.sort(rng.choice(len(v), min(SAMPLES, len(v)), replace=False))]
    centre = v.mean(axis=0)
    memo: dict[tuple[float, float], tuple[float, float]] = {}

    def score(yaw: float, roll: float) -> tuple[float, float]:
        key = (round(yaw, 6), round(roll, 6))
        if key not in memo:
            n = plane_normal(yaw, roll)
            h = s @ n
            _, idx = tree.query(s - 2.0 * (h - centre @ n)[:, None] * n)
            offset = float(np.median((h + v[idx] @ n) / 2.0))
            d, _ = tree.query(s - 2.0 * (h - offset)[:, None] * n, distance_upper_bound=CAP)
            memo[key] = (float(np.minimum(d, CAP).mean()), offset)
        return memo[key]

    grid = np.arange(-SPAN_DEGREES, SPAN_DEGREES + 1e-9, COARSE_STEP)
    best = min(((y, r) for y in grid for r in grid), key=lambda a: score(*a)[0])
    step = COARSE_STEP / 2.0
    while step >= FINE_STEP:
        y, r = best
        moves = [(y + step, r), (y - step, r), (y, r + step), (y, r - step)]
        better = min(moves, key=lambda a: score(*a)[0])
        if score(*better)[0] < score(*best)[0]:
            best = better
        else:
            step /= 2.0
    value, offset = score(*best)
    return SymmetryPlane(plane_normal(*best), offset, float(best[0]), float(best[1]), value)
