"""Mesh topology helpers for the analysis modules (parts, head region, pre-flight report).

Connectivity here is *by position*: vertices at the same place (UV seams, split normals) count as
one, so a head that an importer split at its seams is still one piece. This merge is for
analysis only; nothing here changes the mesh. numpy + scipy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .rows import unique_rows

# positions closer than this fraction of the bounding-box diagonal are the same point
_MERGE_TOL = 1e-6


def position_ids(vertices: np.ndarray, tol: float = _MERGE_TOL) -> np.ndarray:
    """(V,) int64: one id per distinct position (vertices within ``tol`` x bbox diagonal merge).

    Args:
        vertices: ``(V, 3)`` float, any units.
        tol: merge distance as a fraction of the bounding-box diagonal.
    """
    v = np.asarray(vertices, dtype=np.float64)
    if v.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    diag = float(np.linalg.norm(v.max(0) - v.min(0))) or 1.0
    keys = np.round((v - v.min(0)) / (diag * tol)).astype(np.int64)
    _, ids = unique_rows(keys, return_inverse=True)
    return ids.reshape(-1).astype(np.int64)


def unique_edges(triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges of a triangle list and how many triangles use each.

    Returns:
        ``(edges (E, 2) int64 sorted per row, counts (E,) int64)``.
    """
    t = np.asarray(triangles, dtype=np.int64)
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    edges, counts = unique_rows(e, return_counts=True)
    return edges, counts


def components(vertices: np.ndarray, triangles: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected pieces; pieces that meet along a seam (an open edge of one lies on an open edge
    of the other, as UV islands split by an importer do) count as one.

    Pieces touching only at vertices (eyelashes rooted on a lid, a tear-line strip on an eye
    corner) stay separate.

    Returns:
        ``(n, labels (V,) int64)`` with labels ``0..n-1``; unreferenced vertices are pieces of
        their own.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    n = v.shape[0]
    if n == 0:
        return 0, np.zeros(0, dtype=np.int64)
    pid = position_ids(v)
    edges, counts = unique_edges(t)
    open_edges = edges[counts == 1]
    pos_pair = np.sort(pid[open_edges], axis=1)
    _, inverse, seen = unique_rows(pos_pair, return_inverse=True, return_counts=True)
    seam = open_edges[seen[inverse.reshape(-1)] >= 2]  # an open edge with a twin at its position
    seam_v = np.unique(seam.ravel())
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], seam_v])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], n + pid[seam_v]])  # vertex -- position node
    size = n + int(pid.max()) + 1
    graph = sp.coo_matrix((np.ones(rows.shape[0], dtype=np.int8), (rows, cols)), shape=(size, size))
    _, lab = connected_components(graph, directed=False)
    _, labels = np.unique(lab[:n], return_inverse=True)
    return int(labels.max()) + 1, labels.reshape(-1).astype(np.int64)


def largest_piece_mask(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V,) bool: the vertices of the piece (:func:`components`: seams joined) with the most
    vertices in triangles; the skin, by default, of a mesh as it comes.

    Why not by the triangles' vertices alone (:func:`model.face_landmarks.largest_component_mask`,
    for meshes already welded): a head whose UVs are mirrored has a seam down the middle of its
    face, and its skin was half the face (the rig check's eye cover and static zones, the face's
    pitch fitted 9.6 degrees instead of 1.2: ICT-FaceKit's complete model)."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if len(v) and int(position_ids(v).max()) + 1 == len(v):
        from .face_landmarks import largest_component_mask

        # no two vertices at one position (a welded mesh: the bake's own), so no seam to join:
        # the memoized mask the bake's other stages read
        return largest_component_mask(len(v), t)
    _, piece = components(v, t)
    referenced = np.zeros(len(v), dtype=bool)
    referenced[t.ravel()] = True
    return piece == int(np.argmax(np.bincount(piece[referenced], minlength=int(piece.max()) + 1)))


def pieces_apart(piece: np.ndarray, sheets: list[np.ndarray]) -> np.ndarray:
    """(V,) int64: piece labels ``piece`` (V,) (``0..n-1``) with each of ``sheets`` (vertex index
    arrays, :func:`hanging_sheets`) a piece of its own, numbered from ``n`` on in their order."""
    out = np.array(piece, dtype=np.int64, copy=True)
    top = int(out.max()) + 1 if out.size else 0
    for i, ids in enumerate(sheets):
        out[ids] = top + i
    return out


def triangle_areas(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(T,) float64 triangle areas in input units squared."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    return 0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1)


def vertex_areas(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V,) float64: a third of the area of the triangles around each vertex."""
    a = triangle_areas(vertices, triangles) / 3.0
    out = np.zeros(np.asarray(vertices).shape[0])
    for k in range(3):
        np.add.at(out, np.asarray(triangles)[:, k], a)
    return out


@dataclass
class TopologyStats:
    """Counts a modeller cares about.

    non_manifold_edges: edges shared by more than two triangles; degenerate_faces: triangles with
    (near) zero area or a repeated corner; boundary_edges: edges of one triangle (holes, cuts);
    pieces: connected pieces (by position).
    """

    non_manifold_edges: int
    degenerate_faces: int
    boundary_edges: int
    pieces: int


def topology_stats(vertices: np.ndarray, triangles: np.ndarray) -> TopologyStats:
    """Non-manifold edges (of the mesh as modelled), degenerate faces, boundary edges (vertices
    at one position merged: seams are not holes) and pieces."""
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    pid = position_ids(v)
    tw = pid[t]
    repeated = (tw[:, 0] == tw[:, 1]) | (tw[:, 1] == tw[:, 2]) | (tw[:, 2] == tw[:, 0])
    area = triangle_areas(v, t)
    scale = float(np.linalg.norm(v.max(0) - v.min(0))) if v.size else 1.0
    tiny = area <= (1e-10 * scale * scale)
    # non-manifold in the mesh as modelled (pieces glued at one position, lashes on a lid, are
    # not the modeller's concern); boundaries with seams closed
    _, counts_modelled = unique_edges(t[~repeated])
    _, counts = unique_edges(tw[~repeated])
    n, _ = components(v, t)
    return TopologyStats(
        non_manifold_edges=int((counts_modelled > 2).sum()),
        degenerate_faces=int((repeated | tiny).sum()),
        boundary_edges=int((counts == 1).sum()),
        pieces=n,
    )


def boundary_loops(
    vertices: np.ndarray, triangles: np.ndarray, subset: np.ndarray | None = None
) -> list[np.ndarray]:
    """Closed chains of boundary edges (holes and cut lines), vertices at one position merged.

    Args:
        vertices: ``(V, 3)``; triangles: ``(T, 3)``.
        subset: optional ``(T,)`` bool, only these triangles count (e.g. one part).

    Returns:
        A list of ``(n,)`` int64 vertex-index arrays (one representative original vertex per
        position), longest first. Non-manifold junctions split chains; open chains are kept.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if subset is not None:
        t = t[np.asarray(subset, dtype=bool)]
    pid = position_ids(v)
    rep = np.zeros(int(pid.max()) + 1 if pid.size else 0, dtype=np.int64)
    rep[pid[::-1]] = np.arange(v.shape[0])[::-1]  # first original vertex of each position
    tw = pid[t]
    ok = (tw[:, 0] != tw[:, 1]) & (tw[:, 1] != tw[:, 2]) & (tw[:, 2] != tw[:, 0])
    edges, counts = unique_edges(tw[ok])
    b = edges[counts == 1]
    if b.shape[0] == 0:
        return []
    nbrs: dict[int, list[int]] = {}
    for a, c in b.tolist():
        nbrs.setdefault(a, []).append(c)
        nbrs.setdefault(c, []).append(a)
    seen_edges: set[tuple[int, int]] = set()
    loops: list[np.ndarray] = []
    for start in list(nbrs):
        for nxt in nbrs[start]:
            if (min(start, nxt), max(start, nxt)) in seen_edges:
                continue
            chain = [start]
            prev, cur = start, nxt
            seen_edges.add((min(prev, cur), max(prev, cur)))
            while cur != start:
                chain.append(cur)
                options = [w for w in nbrs[cur] if (min(cur, w), max(cur, w)) not in seen_edges]
                if not options:
                    break
                prev, cur = cur, options[0]
                seen_edges.add((min(prev, cur), max(prev, cur)))
            loops.append(rep[np.array(chain, dtype=np.int64)])
    loops.sort(key=lambda x: -x.shape[0])
    return loops


# a sheet hanging on a piece keeps at least this many vertices of its own to count: a lash strip
# keeps a row or more (ICT-FaceKit's merged strips: 41-281 vertices, decimated to a third as
# well), a decimation's fins and bowties 1-3 (Rocketbox Adult_01 at a third: 41 of them by the lids)
_MIN_SHEET_VERTICES = 4


def hanging_sheets(vertices: np.ndarray, triangles: np.ndarray, piece: np.ndarray) -> list[np.ndarray]:
    """The sheets hanging on a piece by non-manifold edges or single vertices: lash strips that
    a *Merge by Distance* (or a decimation) welded onto the lid margin they grow from.

    Args:
        vertices: ``(V, 3)`` float, any units.
        triangles: ``(T, 3)`` int.
        piece: ``(V,)`` bool, the vertices of one connected piece (:func:`components`).

    Returns:
        One ``(n,)`` int64 array of vertex indices per sheet other than the piece's largest
        (by area), largest first; a vertex that several sheets share (a lash root on the lid
        margin) belongs to the largest of them, so it is never in one of these, and sheets that
        keep fewer than :data:`_MIN_SHEET_VERTICES` vertices of their own are left out.

    Sheets are the piece's triangles joined across edges that exactly two of them share (edges
    by position, so seams join): a strip welded onto a lid meets it at edges that three
    triangles share (the lid's two and its own) or at vertices alone.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    inside = np.asarray(piece, dtype=bool)
    t = t[inside[t].all(axis=1)]
    if t.shape[0] < 2:
        return []
    pid = position_ids(v)
    tp = pid[t]
    num = t.shape[0]
    e = np.sort(np.concatenate([tp[:, [0, 1]], tp[:, [1, 2]], tp[:, [2, 0]]]), axis=1)
    face = np.tile(np.arange(num), 3)
    real = e[:, 0] != e[:, 1]
    e, face = e[real], face[real]
    _, inverse, count = unique_rows(e, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    two = count[inverse] == 2
    order = np.argsort(inverse[two], kind="stable")
    pairs = face[two][order].reshape(-1, 2)  # the two triangles of each manifold edge
    graph = sp.coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(num, num))
    n_sheets, sheet = connected_components(graph, directed=False)
    if n_sheets < 2:
        return []
    area = np.bincount(sheet, weights=triangle_areas(v, t), minlength=n_sheets)
    # each vertex to the largest sheet among those of its triangles
    corner_ids = t.reshape(-1)
    corner_sheet = np.repeat(sheet, 3)
    order = np.lexsort((area[corner_sheet], corner_ids))  # by vertex, then by sheet area
    last = np.r_[corner_ids[order][1:] != corner_ids[order][:-1], True]
    owner = np.full(v.shape[0], -1, dtype=np.int64)
    owner[corner_ids[order][last]] = corner_sheet[order][last]
    # the vertices of each sheet in one sort (a scan's non-manifold crumbs make thousands of sheets)
    owned = np.flatnonzero(owner >= 0)
    by_sheet = owned[np.argsort(owner[owned], kind="stable")]
    count = np.bincount(owner[owned], minlength=n_sheets)
    start = np.concatenate([[0], np.cumsum(count)])
    largest = int(np.argmax(area))
    return [
        by_sheet[start[k] : start[k + 1]]
        for k in np.argsort(-area, kind="stable")
        if k != largest and count[k] >= _MIN_SHEET_VERTICES
    ]
