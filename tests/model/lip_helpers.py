"""A sealed-lips mesh built in code: the demo head's lip slit welded shut (shared by the model
and add-on tests of Cut Lip Line)."""

from __future__ import annotations

import numpy as np
from mesh_helpers import fill_hole
from scipy.spatial import cKDTree

from model.topology import boundary_loops


def mouth_loop(v, t):
    loops = [lp for lp in boundary_loops(v, t) if -6 < v[lp].mean(0)[1] < 0 and v[lp].mean(0)[2] > 5]
    assert len(loops) == 1
    return loops[0]


def weld_lip_line(v, t, loop):
    """Seal the lips the way a sculpt or a merge does: every lower-lip vertex of the mouth hole
    ``loop`` is merged into the nearest upper-lip one (cKDTree). Returns the vertices (unchanged)
    and the triangles that did not collapse."""
    y0 = v[loop, 1].mean()
    upper, lower = loop[v[loop, 1] >= y0], loop[v[loop, 1] < y0]
    remap = np.arange(v.shape[0])
    remap[lower] = upper[cKDTree(v[upper]).query(v[lower])[1]]
    t2 = remap[t]
    keep = (t2[:, 0] != t2[:, 1]) & (t2[:, 1] != t2[:, 2]) & (t2[:, 2] != t2[:, 0])
    return v, t2[keep]


def seal_lip_slit(v, t):
    """Weld the demo head's lip slit shut (:func:`weld_lip_line`), the lower lip pulled up to
    meet the upper. Returns the sealed mesh (unused vertices dropped), and the slit's upper
    (kept) vertices in the sealed indexing."""
    loop = mouth_loop(v, t)
    y0 = v[loop, 1].mean()
    upper = loop[v[loop, 1] >= y0]
    _, t2 = weld_lip_line(v, t, loop)
    used = np.unique(t2)
    new = np.full(v.shape[0], -1)
    new[used] = np.arange(used.size)
    v2, t2, upper = v[used], new[t2], new[upper]
    # the merge leaves pinholes where lower-lip edges collapsed unevenly: close each with a fan
    lo, hi = v[loop].min(0) - 0.5, v[loop].max(0) + 0.5
    for hole in boundary_loops(v2, t2):
        if np.all((v2[hole] > lo) & (v2[hole] < hi)):
            v2, t2 = fill_hole(v2, t2, hole)
    return v2, t2, upper


def pair_into_quads(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair neighbouring triangles into quads (greedy, across each pair's shared edge; the rest
    stay triangles): ``(face_indices, face_sizes)`` of a mostly-quad mesh."""
    owner: dict[tuple[int, int], list[int]] = {}
    for f, tri in enumerate(t.tolist()):
        for k in range(3):
            owner.setdefault(tuple(sorted((tri[k], tri[(k + 1) % 3]))), []).append(f)
    used = np.zeros(len(t), dtype=bool)
    indices, sizes = [], []
    for f, tri in enumerate(t.tolist()):
        if used[f]:
            continue
        used[f] = True
        for k in range(3):
            a, b, c = tri[k], tri[(k + 1) % 3], tri[(k + 2) % 3]
            other = [g for g in owner[tuple(sorted((a, b)))] if g != f and not used[g]]
            if other:
                g = other[0]
                d = next(x for x in t[g].tolist() if x not in (a, b))
                used[g] = True
                indices += [a, d, b, c]  # a -> d -> b keeps the winding of a -> b
                sizes.append(4)
                break
        else:
            indices += tri
            sizes.append(3)
    return np.array(indices), np.array(sizes)
