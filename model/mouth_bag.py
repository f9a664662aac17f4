"""A mouth bag welded to the lips: which skin it is, and its motion filled in from the lips.

Game and film heads weld the inside of the mouth to the lips (both Rocketbox avatars of the
real-dev set, ICT-FaceKit's complete model). Where the bake finds such a mouth
(:func:`model.openings.seen_mouth`), the registration pins ICT's lips there and the mixed bake
takes the lips' shapes from it; the bag behind them has no counterpart on ICT's template, and
each bag vertex took the registration's motion or the network's by its distance to the
template: on the Rocketbox avatars ``jawOpen`` tore the bag into shards and stretched it into
curtains between the lips (rendered). :func:`bag_motion` gives the bag the smoothest motion that
meets the skin's at its rim (a harmonic extension, :func:`fill_bag`), its floor turning with the
jaw in the jaw shapes, so it opens as one surface with the lips.

numpy + scipy only; any frame (the bake's canonical one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from .face_landmarks import components
from .memo import memoize


@memoize
def bag_mask(vertices: np.ndarray, triangles: np.ndarray, seen: np.ndarray, loop: np.ndarray) -> np.ndarray:
    """``(V,) bool``: the skin behind the mouth's slit ``loop`` (L,) int: the vertices of the
    triangles out of the front view (not in ``seen`` (T', 3), :func:`model.front_view.visible_skin`)
    that lie within one mouth width of the slit's centre and are joined to the loop by edges
    among them. vertices ``(V, 3)`` (Y up, +Z forward); triangles ``(T, 3)`` int."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    loop = np.asarray(loop, dtype=np.int64)
    width = float(np.ptp(v[loop, 0]))
    centre = v[loop].mean(axis=0)
    in_view = np.zeros(len(v), dtype=bool)
    in_view[np.asarray(seen, dtype=np.int64).ravel()] = True
    near = np.linalg.norm(v - centre, axis=1) < width
    out = t[near[t].all(axis=1) & ~in_view[t].all(axis=1)]
    mask = np.zeros(len(v), dtype=bool)
    if len(out) == 0:
        return mask
    label = components(len(v), out)
    mask[np.unique(out)] = True
    mask &= np.isin(label, np.unique(label[loop]))
    # the slit itself is the lips' edge, seen: it keeps its motion and holds the bag's
    mask[loop] = False
    return mask


def fill_bag(deltas: np.ndarray, triangles: np.ndarray, bag: np.ndarray) -> np.ndarray:
    """``deltas`` (..., V, 3) with the ``bag`` (V,) bool vertices' rows replaced by the harmonic
    extension of the others' (uniform graph Laplacian; the bag's neighbours outside it hold
    their motion). Bag vertices with no path to a held vertex keep theirs. Returns a new array
    of ``deltas``' dtype."""
    d = np.asarray(deltas)
    bag = np.asarray(bag, dtype=bool)
    out = np.array(d, copy=True)
    if not bag.any():
        return out
    t = np.asarray(triangles, dtype=np.int64)
    n = len(bag)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adjacency = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n)).tocsr()
    adjacency.data[:] = 1.0
    inner = np.flatnonzero(bag)
    held = adjacency[inner][:, ~bag]
    # only the bag's pieces that touch a held vertex can be filled
    sub = adjacency[inner][:, inner]
    _, piece = connected_components(sub, directed=False)
    reached = np.bincount(piece, weights=np.asarray(held.sum(axis=1)).ravel()) > 0
    keep = reached[piece]
    inner, sub, held = inner[keep], sub[keep][:, keep], held[keep]
    if len(inner) == 0:
        return out
    degree = np.asarray(sub.sum(axis=1)).ravel() + np.asarray(held.sum(axis=1)).ravel()
    system = (sp.diags(degree) - sub).tocsc()
    flat = np.moveaxis(d, -2, 0).reshape(n, -1).astype(np.float64)  # (V, everything else)
    rhs = held @ flat[~bag]
    filled = splu(system).solve(np.ascontiguousarray(rhs))
    moved = np.moveaxis(out, -2, 0)
    moved[inner] = filled.reshape((len(inner),) + moved.shape[1:]).astype(out.dtype)
    return out


@dataclass(frozen=True)
class MouthBag:
    """A mouth bag welded to the lips: ``mask`` (V,) bool its vertices (:func:`bag_mask`),
    ``slit`` (L,) int64 the lips' slit as seen from the front (:func:`model.openings.seen_mouth`),
    ``turn`` (3, 3) the rotation that stands the face upright (canonical -> the frame the bag
    was found in, :meth:`model.api.FaceModel._register`), None: the canonical axes."""

    mask: np.ndarray
    slit: np.ndarray
    turn: np.ndarray | None = None


# the jaw in a mouth bag: the floor behind the lower lip turns with the jaw, the roof behind the
# upper lip stays with the skull, the walls between stretch. Floor and roof: bag vertices more
# than _JAW_ROWS mouth widths below / above the slit and _JAW_DEPTH behind it. The jaw's rigid
# motion is read off the chin and the lower lip's front (below the slit, in front of the bag).
# Without them the filled floor lagged behind the jaw: on the avatars a stretched band inside the
# lower lip and the welded tongue's tip left floating, on ICT's complete model (with the
# network's bag motion under the fill) a crumpled inner lower lip at the mouth corners (rendered)
_JAW_ROWS = 0.1
_JAW_DEPTH = 0.15
_CHIN_BOX = ((-0.5, 0.5), (-0.9, -0.2), (-0.1, np.inf))  # x, y, z in mouth widths from the slit


def bag_motion(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    bag: MouthBag,
    names: list[str],
) -> np.ndarray:
    """``deltas`` (K, V, 3) of the shapes ``names`` (ICT names) with the bag's motion replaced by
    the smoothest motion that meets the skin's round it (:func:`fill_bag`); in the jaw shapes
    (:data:`model.rig_constraints.JAW_SHAPES`) the floor first takes the jaw's rigid motion and the
    roof none. canonical ``(V, 3)`` (Y up, +Z forward), triangles ``(T, 3)``.

    Measured on the Rocketbox avatars and ICT's heads (rendered): the bag's own motion from the
    blend (template or network by distance) tore it into shards; the network's motion plus the
    registration's change filled in was clean but moved the bag as the network does, off the
    artist's (Rocketbox 02's ARKit shapes: cosine / spill 0.630 / 0.478 against 0.660 / 0.461
    filled whole); filled whole without the jaw's rows it left the floor behind the jaw (a light
    band inside the lower lip, the welded tongue's tip floating)."""
    from .rig_constraints import JAW_SHAPES, rigid_fit

    d = np.asarray(deltas)
    out = np.array(d, copy=True)
    c = np.asarray(canonical, dtype=np.float64)
    # below, above and behind the slit as the face stands upright (the rigid fit needs no turn)
    up = c if bag.turn is None else c @ np.asarray(bag.turn, dtype=np.float64).T
    width = float(np.ptp(up[bag.slit, 0]))
    centre = up[bag.slit].mean(axis=0)
    rel = (up - centre) / max(width, 1e-12)
    deep = bag.mask & (rel[:, 2] < -_JAW_DEPTH)
    floor = deep & (rel[:, 1] < -_JAW_ROWS)
    roof = deep & (rel[:, 1] > _JAW_ROWS)
    lo, hi = np.array([b[0] for b in _CHIN_BOX]), np.array([b[1] for b in _CHIN_BOX])
    chin = np.flatnonzero(~bag.mask & (rel > lo).all(axis=1) & (rel < hi).all(axis=1))
    jaw = [k for k, n in enumerate(names) if n in JAW_SHAPES] if len(chin) >= 3 else []
    for k in jaw:
        r, t = rigid_fit(c[chin], c[chin] + d[k, chin])
        out[k, floor] = c[floor] @ r.T + t - c[floor]
        out[k, roof] = 0.0
    rest = [k for k in range(len(names)) if k not in jaw]
    if jaw:
        out[jaw] = fill_bag(out[jaw], triangles, bag.mask & ~floor & ~roof)
    if rest:
        out[rest] = fill_bag(out[rest], triangles, bag.mask)
    return out
