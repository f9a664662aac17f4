"""The face as seen from the front: which vertices a viewer in front of the face can see.

Film and game heads often continue the skin into the head behind their openings: the lids fold
into eye sockets, the lips into a mouth bag (ICT-FaceKit's complete model, both Rocketbox avatars
of the real-dev set). Such a mesh has no boundary loop at the eyes or the mouth, so
:func:`model.openings.find_openings` finds no opening there, and the bake's registration is left
without its landmarks. Seen from the front, though, the opening is where the skin disappears from
view: :func:`front_visible` marks the vertices no surface hides from a viewer on the face's axis
(orthographic, looking along -Z), and :func:`visible_skin` keeps the triangles of those vertices
on the largest piece they form. Its boundary loops then run along the lips' and lids' edges as
the viewer sees them.

Works in any frame with Y up and the face toward +Z (the canonical frame of :mod:`model.frame`,
ICT centimetres); every length is relative to the mesh's own size. numpy + scipy only.
"""

from __future__ import annotations

import numpy as np

from .face_landmarks import components
from .memo import memoize

# a vertex is hidden when a surface lies at least this share of the mesh's bounding-box diagonal
# in front of it (about 6 mm on a head: more than a lip's overhang on the one below it, less than
# a socket's or a mouth bag's depth behind the lids and lips; model.mouth_interior.HIDDEN_DEPTH
# is the same depth in eye distances)
HIDDEN_SHARE = 0.02
# the grid the triangles are bucketed on for the ray test, in median edge lengths per cell
_CELL_EDGES = 2.0
_CHUNK = 200_000  # (vertex, triangle) pairs per vectorized batch
# (cell, triangle) pairs at most per triangle on average (ICT's head: about 2)
_CELLS_PER_TRIANGLE = 16


def front_hidden(vertices: np.ndarray, triangles: np.ndarray, depth: float) -> np.ndarray:
    """``(V,) bool``: a ray from each vertex along +Z meets a triangle more than ``depth`` in
    front of it.

    vertices ``(V, 3)`` float (Y up, +Z forward, any units); triangles ``(T, 3)`` int; depth in
    the vertices' units. Triangles degenerate in the XY plane are skipped. Triangles are bucketed
    on an XY grid, so the cost grows with V times the triangles over one cell (not V * T)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    hidden = np.zeros(len(v), dtype=bool)
    if len(t) == 0 or len(v) == 0:
        return hidden
    tri = v[t]
    a, e0, e1 = tri[:, 0], tri[:, 1, :2] - tri[:, 0, :2], tri[:, 2, :2] - tri[:, 0, :2]
    det = e0[:, 0] * e1[:, 1] - e0[:, 1] * e1[:, 0]
    edge = np.linalg.norm(tri[:, [1, 2, 0]] - tri, axis=2)
    cell = _CELL_EDGES * max(float(np.median(edge)), 1e-12)
    keep = np.flatnonzero(np.abs(det) > 1e-12 * cell * cell)
    origin = v[:, :2].min(axis=0)
    box_lo, box_hi = tri[keep, :, :2].min(axis=1) - origin, tri[keep, :, :2].max(axis=1) - origin
    while True:
        lo = np.floor(box_lo / cell).astype(np.int64)
        hi = np.floor(box_hi / cell).astype(np.int64)
        span = hi - lo + 1
        count = span[:, 0] * span[:, 1]
        # a few huge triangles over a fine mesh (a low-poly skull cap behind a dense face)
        # would ask for millions of cells: coarser cells then
        if count.sum() <= _CELLS_PER_TRIANGLE * len(keep) + 1024:
            break
        cell *= 2.0
    nx = int(np.floor((v[:, 0].max() - origin[0]) / cell)) + 1
    # every (cell, triangle) pair of each triangle's XY box
    owner = np.repeat(np.arange(len(keep)), count)
    step = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    cx = lo[owner, 0] + step % span[owner, 0]
    cy = lo[owner, 1] + step // span[owner, 0]
    cells = cy * nx + cx
    order = np.argsort(cells, kind="stable")
    cells, owner = cells[order], keep[owner[order]]
    # each vertex against the triangles of its own cell
    vc = np.floor((v[:, :2] - origin) / cell).astype(np.int64)
    vcell = vc[:, 1] * nx + vc[:, 0]
    start = np.searchsorted(cells, vcell, side="left")
    stop = np.searchsorted(cells, vcell, side="right")
    n = stop - start
    ids = np.flatnonzero(n)
    # blocks of vertices with about _CHUNK (vertex, triangle) pairs each
    block_of = np.cumsum(n[ids]) // _CHUNK
    for block in np.split(ids, np.flatnonzero(np.diff(block_of)) + 1):
        if len(block) == 0:
            continue
        reps = n[block]
        who = np.repeat(block, reps)
        offset = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        k = owner[np.repeat(start[block], reps) + offset]
        w = v[who, :2] - a[k, :2]
        s = (w[:, 0] * e1[k, 1] - w[:, 1] * e1[k, 0]) / det[k]
        r = (e0[k, 0] * w[:, 1] - e0[k, 1] * w[:, 0]) / det[k]
        over = (s >= 0) & (r >= 0) & (s + r <= 1)
        z = a[k, 2] + s * (tri[k, 1, 2] - a[k, 2]) + r * (tri[k, 2, 2] - a[k, 2])
        hidden[who[over & (z > v[who, 2] + depth)]] = True
    return hidden


@memoize
def visible_skin(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """``(T', 3) int64``: the triangles of ``triangles`` whose three vertices no surface hides
    from the front (:func:`front_hidden` at :data:`HIDDEN_SHARE` of the bounding-box diagonal),
    on the largest edge-connected piece they form (a mouth bag's back wall seen through parted
    lips is a piece of its own), the mesh's largest piece (the skin) alone hiding and seen.
    Vertex indices are the input's.

    vertices ``(V, 3)`` float (Y up, +Z forward); triangles ``(T, 3)`` int."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    used = np.unique(t)
    if len(used) == 0:
        return t[:0]
    # the skin alone hides: an eyeball poking through a sealed lid (a capped opening) hides the
    # cap behind it, and that is no opening; a socket's lining is hidden by the lids themselves
    skin = t[_largest_piece(t, len(v))]
    diagonal = float(np.linalg.norm(np.ptp(v[np.unique(skin)], axis=0)))
    hidden = front_hidden(v, skin, HIDDEN_SHARE * diagonal)
    normal = np.cross(v[skin[:, 1]] - v[skin[:, 0]], v[skin[:, 2]] - v[skin[:, 0]])
    visible = ~hidden[skin].any(axis=1)
    # the surface's outside: most of what the viewer sees faces it (a mesh wound inside out too)
    if normal[visible, 2].sum() < 0:
        normal = -normal
    # the lids' and lips' faces turned away from the viewer go too: the lining behind the
    # opening is seen through it only edge-on (ICT's held-out head: the loops then lie 1.9 mm from
    # the lid margin on average, 6.5 mm keeping them)
    kept = skin[visible & (normal[:, 2] >= 0.0)]
    if len(kept) == 0:
        return kept
    return kept[_largest_piece(kept, len(v))]


def _largest_piece(triangles: np.ndarray, num_vertices: int) -> np.ndarray:
    """``(T,) bool``: the triangles of the largest edge-connected piece (most triangles)."""
    piece = components(num_vertices, triangles)[triangles[:, 0]]
    return piece == np.bincount(piece).argmax()
