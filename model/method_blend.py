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
  Those shapes stay the network's. Where the mouth opening is a hole, the template has the
  lips' inner faces the mesh has, and the blend is the better source (held-out ICT, 4 cases
  of each set: forcing the network's shapes on the skin behind the lips cost hard unseen
  0.041 -> 0.048). A hole that is only a hairline slit (lips cut apart by *Cut Lip Line*, or
  modelled touching with a hole between them) does not count (:func:`mouth_open`): the
  template's two lips then land on the same side of the slit, and the registration's
  ``jawOpen`` barely parted them (0.12 cm on the demo head sealed and cut, against 0.3 by the
  network).

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
