"""Focus: drop each baked shape's broad low-amplitude tail, keep its core. Numpy in, numpy out.

Why: artists' ARKit shapes are local (a smile moves the mouth corner and cheek, the rest of the
face stays exactly still), while ICT-FaceKit's shapes, and so every rig built from them (network,
registration, hybrid), carry a low tail over half the face (a few % of the peak reaching the
neck, forehead and ears). On a game avatar's artist shapes that tail is about half of our motion
(``benchmarks/realdev_arkit.py``, "spill").

What (per shape ``s``, per vertex ``v``): ``r = |d_sv| / max_v |d_sv|`` (the magnitude relative
to the shape's peak), smoothed by :data:`SMOOTH_STEPS` lazy umbrella steps over the mesh so the
mask follows the field and not single-vertex noise, then a soft dead-zone

    ``mask = smoothstep((r - LOW) / (HIGH - LOW))``,  ``d' = mask * d``.

Guarantees: the output is the input times a factor in [0, 1] per (shape, vertex) (directions never
change, nothing grows); wherever the smoothed ratio is at least :data:`HIGH` the delta is kept
exactly; where it is at most :data:`LOW` the vertex is still; ``low = high = 0`` is the identity.
The mask is a C1 function of a smooth field, so the falloff has no step or seam.

Opt-in (``FaceModel.shape_focus``, ``python -m model bake --focus``): applied last, after every
other stage of the bake, every method (:meth:`model.api.FaceModel.bake`), on the skin and what
follows it (the rigid pieces keep their motion): the stages after the network's give a vertex its
mirror partner's or its neighbours' motion, and focused before them (it was applied after
:mod:`model.shape_locality`) a vertex could end up moving more than without the focus. Off by
default because ICT's own
shapes carry that tail: on the hard held-out ICT cases it costs accuracy (8 cases per set,
``benchmarks/shape_focus_variants.py``: hard unseen hybrid 0.061 -> 0.163, network 0.110 -> 0.190),
while on the real-dev avatar it lowers spill only from 0.52 to 0.47 (network) / 0.44 (hybrid):
most of our motion on the artist's still vertices is at 20-70 % of the shape's peak, where ICT's
own shapes move too (an aligned ICT copy has spill 0.57 there). The thresholds are set from ICT
itself, not from a real mesh: see :data:`LOW`.
"""

from __future__ import annotations

import numpy as np

# Thresholds in units of the shape's peak magnitude. Chosen on ICT-FaceKit, not on a real mesh
# (the product is judged on meshes we do not see): the dead-zone takes < 2 % of the motion energy
# (sum |d|^2) of ICT's own 53 shapes, i.e. a tail the eye hardly sees; it is 13 % of their L1
# motion, which is why it is opt-in (``python -m model.shape_focus --ict PATH`` prints both).
LOW = 0.05
HIGH = 0.20
SMOOTH_STEPS = 2  # lazy umbrella half-steps on the ratio: a mask edge that follows the field


def _umbrella(num_vertices: int, triangles: np.ndarray):
    """Row-normalized vertex adjacency (V, V), scipy CSR; an isolated vertex maps to itself."""
    import scipy.sparse as sp

    t = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_vertices, num_vertices)).tocsr()
    adj.data[:] = 1.0  # an edge shared by two triangles counts once
    degree = np.asarray(adj.sum(axis=1)).ravel()
    adj = adj + sp.diags((degree == 0).astype(np.float64))
    return sp.diags(1.0 / np.maximum(degree, 1.0)) @ adj


def focus_masks(
    deltas: np.ndarray,
    triangles: np.ndarray,
    low: float = LOW,
    high: float = HIGH,
    smooth_steps: int = SMOOTH_STEPS,
) -> np.ndarray:
    """``(S, V)`` float64 masks in [0, 1] for deltas (S, V, 3) (any frame and units) on a mesh
    with ``triangles`` (T, 3); see the module docstring. ``low = high = 0``: all ones."""
    if not 0.0 <= low <= high <= 1.0:
        raise ValueError(f"focus thresholds need 0 <= low <= high <= 1, got low={low}, high={high}")
    d = np.asarray(deltas, dtype=np.float64)
    masks = np.ones(d.shape[:2])
    if high <= 0.0:
        return masks
    mag = np.linalg.norm(d, axis=2)  # (S, V)
    peak = mag.max(axis=1, keepdims=True)
    ratio = mag / np.where(peak > 0, peak, 1.0)
    if smooth_steps > 0 and len(triangles):
        step = _umbrella(d.shape[1], triangles)
        r = ratio.T
        for _ in range(smooth_steps):
            r = 0.5 * r + 0.5 * (step @ r)  # half-steps: a short, lazy diffusion
        ratio = r.T
    if high > low:
        t = np.clip((ratio - low) / (high - low), 0.0, 1.0)
        masks = t * t * (3.0 - 2.0 * t)
    else:  # a hard threshold, only for measurements: it has a step
        masks = (ratio >= high).astype(np.float64)
    masks[peak[:, 0] <= 0] = 1.0  # a still shape stays still
    return masks


def apply_focus(
    deltas: np.ndarray,
    triangles: np.ndarray,
    low: float | None = None,
    high: float | None = None,
    smooth_steps: int | None = None,
) -> np.ndarray:
    """deltas (S, V, 3) times :func:`focus_masks`; same shape and dtype. None: the module's
    :data:`LOW`, :data:`HIGH`, :data:`SMOOTH_STEPS` (read at call time)."""
    low = LOW if low is None else low
    high = HIGH if high is None else high
    steps = SMOOTH_STEPS if smooth_steps is None else smooth_steps
    d = np.asarray(deltas)
    return (d * focus_masks(d, triangles, low, high, steps)[..., None]).astype(d.dtype)


def ict_loss(ict, low: float = LOW, high: float = HIGH, smooth_steps: int = SMOOTH_STEPS) -> dict:
    """What the focus takes from ICT-FaceKit's own shapes (head crop): relative L1 error
    ``sum |d' - d| / sum |d|`` (the evaluation's metric) and the share of motion energy
    ``sum |d|^2`` removed."""
    n, tris = ict.crop("head")
    d = np.asarray(ict.expressions[:, :n], dtype=np.float64)
    out = apply_focus(d, tris, low, high, smooth_steps)
    err = np.linalg.norm(out - d, axis=2).sum() / np.linalg.norm(d, axis=2).sum()
    energy = 1.0 - (out**2).sum() / (d**2).sum()
    return {"relative_l1": float(err), "energy_removed": float(energy)}


def main(argv: list[str] | None = None) -> int:
    """``python -m model.shape_focus [--ict PATH]``: what the focus takes from ICT's shapes."""
    import argparse

    from .ict import load_ict

    parser = argparse.ArgumentParser(prog="python -m model.shape_focus", description=main.__doc__)
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    args = parser.parse_args(argv)
    ict = load_ict(args.ict)
    print("| low | high | ICT rel. L1 change | ICT energy removed |")
    print("|---|---|---|---|")
    for low, high in ((0.0, 0.0), (0.02, 0.1), (0.05, 0.2), (0.08, 0.25), (0.1, 0.3), (0.15, 0.4)):
        m = ict_loss(ict, low, high)
        print(f"| {low:.2f} | {high:.2f} | {m['relative_l1']:.3f} | {m['energy_removed']:.4f} |")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
