"""Eye and mouth openings of a face mesh, found as boundary loops: automatic landmarks.

A face surface with open eyes and a parted (or cut) mouth has three holes on its front: two
mirror-symmetric ones (the eyes) and one below them on the mid-plane (the mouth). They are
boundary loops of the triangle mesh, so they can be found from topology alone, in any
resolution, and matched to the same loops of the ICT template by arc length.

Works in any frame with Y up and the face toward +Z (the canonical frame of :mod:`model.frame`,
or ICT centimetres): every threshold is relative to the mesh's own size. A closed mesh (a
scan with sealed eyes and lips) has no such loops and yields no openings.
"""

from __future__ import annotations

import numpy as np

from .face_landmarks import loop_perimeter
from .memo import memoize

# a loop needs at least this many vertices to be an opening (smaller ones are scan holes)
_MIN_LOOP_VERTICES = 6
# eye pair: centroid asymmetry (|x_a + x_b|, |y_a - y_b|, |z_a - z_b|) below this share of
# their separation, and perimeters within this ratio of each other
_EYE_SYMMETRY = 0.3
_EYE_PERIMETER_RATIO = 2.0
# eyes are closer together than this share of the mesh's width (ICT: 0.4 on the head crop,
# 0.53 on the narrow face crop); ear or neck holes at the sides are farther apart
_EYE_MAX_SEPARATION = 0.65
# mouth: centroid within this share of the eye separation from the mid-plane, below the eyes
# by 0.5-2.5 separations, perimeter at most this many eye perimeters
_MOUTH_MID_PLANE = 0.25
_MOUTH_DROP = (0.5, 2.5)
_MOUTH_PERIMETER = 5.0
# a mouth opening lies across the front: its depth (z extent) is well below its width (ICT's
# crops and the demo head: 0.22-0.24). A horizontal cut around the neck or a collar (a full-body
# avatar's head crop) is as deep as it is wide (1.1 on a Rocketbox avatar) and is not a mouth.
_MOUTH_MAX_DEPTH = 0.6


@memoize
def boundary_loops(triangles: np.ndarray) -> list[np.ndarray]:
    """Closed boundary loops of a triangle mesh, each an ordered (L,) int64 vertex array.

    triangles: (T, 3) int. Boundary edges are edges used by exactly one triangle. Vertices where
    several loops touch (non-manifold boundary) are walked greedily; chains that do not close
    are dropped.
    """
    t = np.asarray(triangles, dtype=np.int64)
    if len(t) == 0:
        return []
    edges = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    sorted_edges = np.sort(edges, axis=1)
    key = sorted_edges[:, 0] * (int(t.max()) + 1) + sorted_edges[:, 1]
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    boundary = edges[counts[inverse] == 1]  # oriented as in their single triangle
    if len(boundary) == 0:
        return []
    nxt: dict[int, list[int]] = {}
    for a, b in boundary.tolist():
        nxt.setdefault(a, []).append(b)
    loops = []
    used: set[tuple[int, int]] = set()
    for a0, b0 in boundary.tolist():
        if (a0, b0) in used:
            continue
        loop = [a0]
        used.add((a0, b0))
        cur = b0
        closed = False
        for _ in range(len(boundary)):
            if cur == a0:
                closed = True
                break
            loop.append(cur)
            step = next((n for n in nxt.get(cur, []) if (cur, n) not in used), None)
            if step is None:
                break
            used.add((cur, step))
            cur = step
        if closed and len(loop) >= 3:
            loops.append(np.asarray(loop, dtype=np.int64))
    return loops


def find_openings(vertices: np.ndarray, triangles: np.ndarray) -> dict[str, np.ndarray]:
    """Eye and mouth openings of a face mesh in a Y-up, +Z-forward frame (any units).

    vertices: (V, 3) float; triangles: (T, 3) int. Returns a dict with some of the keys
    ``"eye_left"`` (x > 0, the subject's left), ``"eye_right"``, ``"mouth"``, each an ordered
    (L,) int64 vertex loop; empty when the mesh has no such holes (closed scans, sealed eyes and
    lips). The mouth is only reported together with the eyes (it is located relative to them).

    Eyes whose lids fold into sockets behind them (no boundary loop there) are found as the
    mesh looks from the front (:func:`socket_eyes`); the mouth is always a boundary loop.
    """
    v = np.asarray(vertices, dtype=np.float64)
    loops = [lp for lp in boundary_loops(triangles) if len(lp) >= _MIN_LOOP_VERTICES]
    used = np.unique(np.asarray(triangles, dtype=np.int64))
    if len(used) == 0:
        return {}
    z = v[used, 2]
    front = 0.5 * (z.min() + z.max())  # openings lie on the front half of the surface
    width = float(np.ptp(v[used, 0]))
    eyes = _eye_pair(v, loops, front, width) if len(loops) >= 2 else None
    if eyes is None:
        eyes = socket_eyes(v, triangles)
        if eyes is None:
            return {}
    out = {"eye_left": eyes[0], "eye_right": eyes[1]}
    mouth = _mouth(v, [lp for lp in loops if not any(lp is e for e in eyes)], eyes, front)
    if mouth is not None:
        out["mouth"] = mouth
    return out


def _eye_pair(
    v: np.ndarray, loops: list[np.ndarray], front: float, width: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """(left loop, right loop) of ``loops`` that look most like a pair of eyes, or None."""
    cent = np.array([v[lp].mean(axis=0) for lp in loops])
    perim = np.array([loop_perimeter(v[lp]) for lp in loops])
    best = None
    for a in range(len(loops)):
        for b in range(len(loops)):
            ca, cb = cent[a], cent[b]
            if not (ca[0] > 0.0 > cb[0]) or ca[2] < front or cb[2] < front:
                continue
            sep = ca[0] - cb[0]
            asym = abs(ca[0] + cb[0]) + abs(ca[1] - cb[1]) + abs(ca[2] - cb[2])
            ratio = max(perim[a], perim[b]) / max(min(perim[a], perim[b]), 1e-30)
            # an eye's perimeter is below its separation from the other eye (~2 eye widths)
            too_big = max(perim[a], perim[b]) > 2.0 * sep or sep > _EYE_MAX_SEPARATION * width
            if asym > _EYE_SYMMETRY * sep or ratio > _EYE_PERIMETER_RATIO or too_big:
                continue
            score = asym / sep + 0.1 * np.log(ratio)
            if best is None or score < best[0]:
                best = (score, a, b)
    if best is None:
        return None
    return loops[best[1]], loops[best[2]]


def _mouth(v: np.ndarray, loops: list[np.ndarray], eyes: tuple, front: float) -> np.ndarray | None:
    """The loop of ``loops`` on the mid-plane below the ``eyes`` (left, right loops) that looks
    most like a mouth, or None."""
    ca, cb = v[eyes[0]].mean(axis=0), v[eyes[1]].mean(axis=0)
    sep = ca[0] - cb[0]
    eye_y = 0.5 * (ca[1] + cb[1])
    eye_perimeter = 0.5 * (loop_perimeter(v[eyes[0]]) + loop_perimeter(v[eyes[1]]))
    mouth = None
    for loop in loops:
        c = v[loop].mean(axis=0)
        drop = (eye_y - c[1]) / sep
        if (
            abs(c[0]) < _MOUTH_MID_PLANE * sep
            and _MOUTH_DROP[0] < drop < _MOUTH_DROP[1]
            and c[2] > front
            and loop_perimeter(v[loop]) < _MOUTH_PERIMETER * eye_perimeter
            and np.ptp(v[loop, 2]) < _MOUTH_MAX_DEPTH * np.ptp(v[loop, 0])
        ):
            score = abs(c[0]) / sep + abs(drop - 1.1)
            if mouth is None or score < mouth[0]:
                mouth = (score, loop)
    return None if mouth is None else mouth[1]


def socket_eyes(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(left loop, right loop) of eyes whose lids fold into sockets, or None.

    Film heads (ICT-FaceKit's complete model) continue the lids into eye sockets that hold the
    eyeballs, so the skin has no boundary loop at the eyes. Seen from the front the opening is
    where the lids disappear behind the eyeball: the boundary loops of the surface a viewer in
    front sees (:func:`model.front_view.visible_skin`) run along the lid margins there (ICT's
    held-out head: 1.9 mm on average from the margin its face crop ends at). A pair counts only
    when each loop holds an eyeball: a separate piece behind it, inside it as seen from the
    front (a sealed scan's nostrils are hidden from the front too, and pair up like eyes)."""
    from .front_view import visible_skin
    from .topology import components

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    _, label = components(v, t)
    pieces = np.unique(label[t[:, 0]])
    if len(pieces) < 3:
        return None  # the skin and at most one other piece: no pair of eyeballs to hold
    seen = visible_skin(v, t)
    if len(seen) == 0:
        return None
    skin = label[seen[0, 0]]
    # every piece's centre in one pass (a scan may bring hundreds of loose islands)
    count = np.bincount(label)
    sums = np.stack([np.bincount(label, weights=v[:, k]) for k in range(3)], axis=1)
    others = pieces[pieces != skin]
    centres = sums[others] / count[others, None]
    loops = [lp for lp in boundary_loops(seen) if len(lp) >= _MIN_LOOP_VERTICES]
    held = [lp for lp in loops if _holds_piece(v[lp], centres)]
    if len(held) < 2:
        return None
    used = np.unique(seen)
    z = v[used, 2]
    return _eye_pair(v, held, 0.5 * (z.min() + z.max()), float(np.ptp(v[used, 0])))


def seen_mouth(vertices: np.ndarray, triangles: np.ndarray, openings: dict) -> np.ndarray | None:
    """The mouth of a mesh whose lips run on into a mouth bag, as the face looks from the front,
    or None: ``(L,) int64`` loop, the slit between the lips' fronts.

    Game and film heads (both Rocketbox avatars, ICT-FaceKit's complete model) weld the inside of
    the mouth to the lips, so the skin has no boundary loop there and :func:`find_openings` finds
    no mouth. Seen from the front (:func:`model.front_view.visible_skin`) the lips end at a slit;
    it is a mouth only where a bag lies behind it (:func:`_bag_behind`): lips sealed by a scan
    or a sculpt, folded into a crease, have a slit of their own but nothing behind it.
    ``openings``: :func:`find_openings` of the same mesh, with both eyes (the mouth is placed
    relative to them) and no mouth; anything else gives None. Same frame as
    :func:`find_openings`."""
    if "mouth" in openings or not all(k in openings for k in ("eye_left", "eye_right")):
        return None
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    mouth = front_mouth(v, t, openings)
    if mouth is None or not _bag_behind(v, t, mouth):
        return None
    return mouth


def front_mouth(vertices: np.ndarray, triangles: np.ndarray, openings: dict) -> np.ndarray | None:
    """``(L,) int64``: the loop round the mouth as the face looks from the front (the boundary
    loop of :func:`model.front_view.visible_skin` that :func:`find_openings` would take for a
    mouth below ``openings``' eyes), or None. On a head whose mouth is a hole (ICT's template)
    the slit between the lips' fronts: the registration pins the template's slit on a bag
    head's (:func:`seen_mouth`), the same line on both."""
    from .front_view import visible_skin

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    seen = visible_skin(v, t)
    if len(seen) == 0:
        return None
    loops = [lp for lp in boundary_loops(seen) if len(lp) >= _MIN_LOOP_VERTICES]
    z = v[np.unique(t), 2]
    return _mouth(v, loops, (openings["eye_left"], openings["eye_right"]), 0.5 * (z.min() + z.max()))


# a mouth bag reaches at least this many mouth widths behind the slit (ICT-FaceKit's mouth
# socket: 0.81, the Rocketbox avatars' bags: 0.76 and 0.90); lips sealed deep inside (the demo
# head's mouth hole capped by a fan: 0.19) or in a crease hide less
BAG_DEPTH = 0.4


def _bag_behind(v: np.ndarray, t: np.ndarray, loop: np.ndarray) -> bool:
    """Whether the skin behind the slit ``loop`` (:func:`model.mouth_bag.bag_mask`) reaches
    :data:`BAG_DEPTH` mouth widths behind it."""
    from .front_view import visible_skin
    from .mouth_bag import bag_mask

    bag = bag_mask(v, t, visible_skin(v, t), loop)  # visible_skin: memoized, front_mouth's
    if not bag.any():
        return False
    depth = v[loop, 2].mean() - v[bag, 2].min()
    return bool(depth >= BAG_DEPTH * np.ptp(v[loop, 0]))


def _holds_piece(loop: np.ndarray, centres: np.ndarray) -> bool:
    """Whether one of the other pieces' ``centres`` (P, 3) lies behind the ``loop`` (L, 3)
    positions and inside it as seen from the front (XY)."""
    behind = centres[centres[:, 2] < loop[:, 2].mean()]
    return any(_inside(loop[:, :2], c[:2]) for c in behind)


def _inside(polygon: np.ndarray, point: np.ndarray) -> bool:
    """Whether ``point`` (2,) lies inside the closed ``polygon`` (L, 2) (even-odd rule)."""
    x, y = polygon[:, 0], polygon[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    crosses = (y > point[1]) != (yn > point[1])
    at = x + (point[1] - y) * (xn - x) / np.where(yn != y, yn - y, 1.0)
    return bool(np.count_nonzero(crosses & (point[0] < at)) % 2)


def loop_correspondence(
    src_points: np.ndarray, dst_points: np.ndarray, samples: int = 24
) -> tuple[np.ndarray, np.ndarray]:
    """Match two closed loops by arc length, both seen from the front (+Z), CCW, starting at
    their largest-x point (an eye's outer/inner corner, a mouth corner).

    src_points: (Ls, 3), dst_points: (Ld, 3) ordered loop positions, same frame. Returns
    ``(src_index (samples,) int64, dst_positions (samples, 3) float64)``: ``samples`` source
    loop vertices spread evenly by arc length and the point at the same arc fraction on the
    destination loop.
    """

    def canonical_order(p: np.ndarray) -> np.ndarray:
        idx = np.arange(len(p))
        x, y = p[:, 0], p[:, 1]
        signed = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
        if signed < 0:
            idx = idx[::-1]
        start = int(np.argmax(p[idx, 0]))
        return np.roll(idx, -start)

    def arc(p: np.ndarray) -> np.ndarray:
        seg = np.linalg.norm(np.diff(np.vstack([p, p[:1]]), axis=0), axis=1)
        s = np.concatenate([[0.0], np.cumsum(seg)])
        return s / max(s[-1], 1e-30)  # (L + 1,) fractions, last = 1 (closing vertex)

    s_order = canonical_order(src_points)
    d_order = canonical_order(dst_points)
    sp_ = src_points[s_order]
    dp = dst_points[d_order]
    s_arc, d_arc = arc(sp_), arc(dp)
    fractions = (np.arange(samples) + 0.0) / samples
    src_pick = np.searchsorted(s_arc[:-1], fractions).clip(0, len(sp_) - 1)
    f = s_arc[src_pick]
    dp_closed = np.vstack([dp, dp[:1]])
    j = np.searchsorted(d_arc, f, side="right").clip(1, len(d_arc) - 1)
    t = ((f - d_arc[j - 1]) / np.maximum(d_arc[j] - d_arc[j - 1], 1e-30)).clip(0, 1)
    dst = dp_closed[j - 1] * (1 - t[:, None]) + dp_closed[j] * t[:, None]
    return s_order[src_pick].astype(np.int64), dst
