"""Which source each vertex's shapes come from: the network's or the registered ICT template's.

The bake methods ``hybrid`` and ``mixed`` of :meth:`model.api.FaceModel.bake` blend the two per
vertex. The registration (:mod:`model.classical_rig`) carries ICT's own shapes over where the
template fits the mesh, and beats the network there on held-out ICT heads; the network is the
better source where the template does not reach:

* **off the template**: a vertex takes the registration's shapes with weight
  ``exp(-(r / HYBRID_DISTANCE)^2)``, ``r`` its distance to the registered template
  (:func:`fit_weight`);
* **where the registration was not pinned** (``mixed``, :func:`trusted_groups`): without both
  eye openings the template's eyes and brows sit wherever the surface fit put them (sealed
  busts: Nefertiti's brows rippled 5.5-6.6x ICT's, Demosthenes' lids slid over the brow), and
  without a mouth opening (lips that touch, a mouth bag joined to the face) its lips lie
  across the mouth: on the Rocketbox avatars the registration's ``jawOpen`` dragged the bag
  out between the lips as a flat slab, or stretched the lower lip's inner face into a sheet.
  The shapes that part the lips stay the network's; those that move both lips together
  (:data:`SEALED_MOUTH_SHAPES`: smile, frown, dimple, stretch, press, pucker, mouthLeft /
  Right) need no slit on the template's lips and are the blend: on held-out ICT heads with
  the mouth closed by a fan (``benchmarks/sealed_mouth_sources.py``, 4 cases a set) the
  blend's error on them is 0.06-0.11 against the network's 0.13-0.21. Where the
  mouth opening is a hole, the template has the
  lips' inner faces the mesh has, and the blend is the better source (held-out ICT, 4 cases
  of each set: forcing the network's shapes on the skin behind the lips cost hard unseen
  0.041 -> 0.048). A hole that is only a hairline slit (lips cut apart by *Cut Lip Line*, or
  modelled touching with a hole between them) does not count (:func:`mouth_open`): the
  template's two lips then land on the same side of the slit, and the registration's
  ``jawOpen`` barely parted them (0.12 cm on the demo head sealed and cut, against 0.3 by the
  network). Lips welded to a mouth bag are another matter since session 18: their mouth is
  found as the face looks from the front (:func:`model.openings.seen_mouth`), pinned to the
  template's own front-view slit, and trusted (the bag parts the lips); the bag's motion is
  filled in from the lips (:mod:`model.mouth_bag`), which ends the Rocketbox slab above.

Canonical frame (:mod:`model.frame`); residuals in canonical units (1 = the mesh's RMS radius).
"""

from __future__ import annotations

import numpy as np

# r at which the registration's weight falls to 1/e: about 2 mm on a head; the best of
# 0.005-0.05 on 16 test-split cases that are not evaluation cases (notes of issue 9)
HYBRID_DISTANCE = 0.02


# a mouth opening's area in the face plane over its width squared: ICT-like heads' mouth holes
# 0.15-0.20 (the 32 held-out cases, the demo head), the demo head sealed and cut along its lip
# line 0.002
MOUTH_OPEN_RATIO = 0.02


def mouth_open(canonical: np.ndarray, loop: np.ndarray) -> bool:
    """Whether the mouth opening ``loop`` (L,) int (vertex indices of its boundary loop, in
    order) is a hole rather than a hairline slit: its area projected on the face plane
    (canonical XY) over its width squared is at least :data:`MOUTH_OPEN_RATIO`.
    ``canonical`` (V, 3) canonical-frame vertices."""
    xy = np.asarray(canonical, dtype=np.float64)[np.asarray(loop)][:, :2]
    x, y = xy[:, 0], xy[:, 1]
    width = float(np.ptp(x))
    if width <= 0.0:
        return False
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return area / width**2 >= MOUTH_OPEN_RATIO


def fit_weight(residual: np.ndarray, distance: float = HYBRID_DISTANCE) -> np.ndarray:
    """``(V,) float32`` weight of the registration's shapes from ``residual`` (V,) canonical
    distances to the registered template: 1 on the template, 1/e at ``distance``."""
    r = np.asarray(residual, dtype=np.float64)
    return np.exp(-((r / distance) ** 2)).astype(np.float32)


def eyes_pinnable(openings: dict) -> bool:
    """Whether the mesh's openings (:func:`model.openings.find_openings`) give the registration
    both eyes to pin the template on: without them mixed is the network's rig and needs no
    registration (:meth:`model.api.FaceModel.needs_registration`)."""
    return "eye_left" in openings and "eye_right" in openings


# ICT mouth shapes that move both lips together: the mean motion of each upper-lip vertex of
# ICT's mouth opening relative to its nearest lower-lip vertex is under a quarter of the
# shape's largest displacement (smile 0.03, mouthLeft / Right 0.05, stretch 0.07, frown 0.08,
# dimple 0.13, pucker and press 0.21). The rest part or shear the lips: upper lip up 0.26
# (with it, the registration's lower lip followed the upper on Rocketbox Adult_02 and the
# mouth stayed shut: render looked at), funnel 0.34, the jaw shapes 0.49-0.51, mouthClose
# 0.61. tests/model/test_method_blend.py recomputes the list from the shipped template.
LIP_PARTING_MAX = 0.25
SEALED_MOUTH_SHAPES = (
    "mouthDimple_L", "mouthDimple_R", "mouthFrown_L", "mouthFrown_R", "mouthLeft", "mouthRight",
    "mouthPress_L", "mouthPress_R", "mouthPucker", "mouthSmile_L", "mouthSmile_R",
    "mouthStretch_L", "mouthStretch_R",
)  # fmt: skip


def trusted_groups(eye_landmarks: bool, mouth_landmark: bool) -> tuple[str, ...]:
    """FACS groups (:data:`model.facs.FACS_GROUPS`) whose shapes may come from the
    registration: the upper face when both eye openings pinned the template, the jaw and
    mouth when the mouth opening did too; the rest stay the network's (module docstring)."""
    groups: tuple[str, ...] = ()
    if eye_landmarks:
        groups += ("brows", "eyes", "cheeks", "nose")
        if mouth_landmark:
            groups += ("jaw", "mouth")
    return groups


def lip_parting(neutral: np.ndarray, expressions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(S,) float64``: how far each shape moves the lips apart or across each other, the mean
    motion of each upper-lip vertex of the mesh's mouth opening relative to its nearest
    lower-lip vertex over the shape's largest displacement (:data:`LIP_PARTING_MAX`).

    ``neutral`` (V, 3) Y-up, +Z-forward (ICT's frame, any units); ``expressions`` (S, V, 3)
    deltas; ``triangles`` (T, 3) int. Raises ValueError without a mouth opening."""
    from scipy.spatial import cKDTree

    from .openings import find_openings

    v = np.asarray(neutral, dtype=np.float64)
    loops = find_openings(v, triangles)
    if "mouth" not in loops:
        raise ValueError("the mesh has no mouth opening to measure lip parting on")
    loop = loops["mouth"]
    y0 = v[loop, 1].mean()
    upper, lower = loop[v[loop, 1] >= y0], loop[v[loop, 1] < y0]
    partner = lower[cKDTree(v[lower]).query(v[upper])[1]]
    d = np.asarray(expressions, dtype=np.float64)
    gap = d[:, upper] - d[:, partner]
    peak = np.linalg.norm(d, axis=-1).max(axis=1)
    return np.linalg.norm(gap, axis=-1).mean(axis=1) / np.maximum(peak, 1e-12)


def trusted_shapes(eye_landmarks: bool, mouth_landmark: bool) -> tuple[str, ...]:
    """ICT shape names (:data:`model.facs.ICT_NAMES`) that may come from the registration: the
    shapes of :func:`trusted_groups`, and with both eyes but no mouth opening (lips that touch)
    the mouth shapes that move both lips together (:data:`SEALED_MOUTH_SHAPES`)."""
    from .facs import FACS_GROUPS

    names = tuple(n for g in trusted_groups(eye_landmarks, mouth_landmark) for n in FACS_GROUPS[g])
    if eye_landmarks and not mouth_landmark:
        names += SEALED_MOUTH_SHAPES
    return names
