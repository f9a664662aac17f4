"""Cut Lip Line: open a sealed mouth along the seam between the upper and the lower lip.

Scans and sculpts often have **sealed lips**: one surface runs from the upper to the lower lip
(:func:`model.inspect.sealed_lips_warning`), so ``jawOpen`` can only stretch the mouth. An artist
cuts the lip line (Blender: select the edge loop, Rip / Split Edges) so the jaw can part the lips.
This module does that cut.

* :func:`find_lip_line` finds the line: a path of mesh edges from one mouth corner to the other
  along the valley between the lips. It starts where the rays along the face's middle line find
  the lips (:func:`model.inspect.mid_line_lips`: the most recessed point between the two lip
  bumps), follows the cheapest edges out to half the mouth's width on each side (the network's
  ``mouth_corner_L/R`` regions, or the lips' regions' reach when a corner region is missing):
  edges in a concave crease and on the border between the ``upper_lip`` and ``lower_lip``
  regions are cheap; and ends at the mouth corners, where its crease ends.
* :func:`cut_along` duplicates the path's interior vertices; the triangles below the line take
  the copies, the mouth corners stay shared. ``index_map`` (new -> old) carries per-vertex data
  (shape keys, vertex groups, UVs) over.
* :func:`cut_lip_line` does both on a mesh, after checking that the lips are sealed.

The runtime welds vertices at the same position before the network sees a mesh
(:mod:`model.weld`: UV seams), which would seal a pure topological cut again; so the cut opens a
hairline gap (:data:`GAP`, a tenth of a millimetre on a life-size head): the copies move down by
it, far above the weld tolerance and far below what anyone sees.

numpy + scipy only. Positions in the input's units and axes unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import MeshError

# the hairline the cut opens, as a share of the head height (crown to the neck's narrowest,
# ~0.25 m in life): 4e-4 is 0.1 mm; the weld tolerance (model.weld) is 1e-6 of the diagonal
GAP = 4e-4
# path cost of an edge: length * (FLOOR + crease + BORDER * region border) ** 2 (crease and
# border in 0..1): per unit length a flat edge off the lips' border costs (2.25 / 0.25)^2 = 81
# times a deep crease on it, a flat edge on the border 25 times
FLOOR = 0.25
BORDER = 1.0
# the valley search stays within this share of the head height of the mouth's middle point
_MOUTH_RADIUS = 0.35
# the mouth regions: upper + lower lip + corner weights above this
_MOUTH_WEIGHT = 0.3
# the regions found: a corner region needs this many vertices above _MOUTH_WEIGHT
_MIN_CORNER_VERTICES = 3
# the line is searched out to this share of the mouth's half width (:func:`_mouth_half_width`),
# then cut back to where its crease ends (_END_CREASE): a line searched further follows the
# crumpled weld of the demo head's corners (or a marionette line) 0.4-0.6 cm down into the cheek
_CORNER_BAND = (0.9, 1.1)
# a path end flatter than this share of the mouth's strong creases (the 90th percentile of
# |concavity| around the mouth) is cheek, not lip line
_END_CREASE = 0.3


class LipsNotSealedError(MeshError):
    """There is nothing to cut: the lips are already parted or separate surfaces, or no mouth
    was found on the face."""


@dataclass
class LipLine:
    """A mouth's lip line on a mesh.

    vertices: (P,) int64 vertex path from one mouth corner to the other (P >= 3).
    edges: (P-1, 2) int64 consecutive vertex pairs of the path.
    length: float, the path's length in input units.
    up: (3,) float64 unit vector, the face's up in input axes (the side :func:`cut_along` keeps).
    """

    vertices: np.ndarray
    edges: np.ndarray
    length: float
    up: np.ndarray


@dataclass
class LipCut:
    """The result of :func:`cut_lip_line`: ``vertices`` (V + P - 2, 3) float64 input units;
    ``triangles`` (T, 3) int64 (same count and order as the input); ``index_map`` (V + P - 2,)
    int64 new vertex -> input vertex (the identity on the first V); ``line``: the
    :class:`LipLine` cut (indices into the input)."""

    vertices: np.ndarray
    triangles: np.ndarray
    index_map: np.ndarray
    line: LipLine


def _edge_graph(num: int, edges: np.ndarray, cost: np.ndarray):
    import scipy.sparse as sp

    return sp.coo_matrix((cost, (edges[:, 0], edges[:, 1])), shape=(num, num)).tocsr()


def _only(edges: np.ndarray, allowed: np.ndarray, n: int) -> np.ndarray:
    """The rows of ``edges`` (E, 2) that are in ``allowed`` (A, 2), either direction."""
    key = np.minimum(edges[:, 0], edges[:, 1]) * n + np.maximum(edges[:, 0], edges[:, 1])
    ok = np.minimum(allowed[:, 0], allowed[:, 1]) * n + np.maximum(allowed[:, 0], allowed[:, 1])
    return edges[np.isin(key, ok)]


def _concavity(c: np.ndarray, t: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(V,) how deep each vertex lies in a crease: the neighbours' mean minus the vertex, along
    its outward normal, over the mean edge length (> 0 concave, < 0 convex; canonical)."""
    from .geometry import vertex_normals

    n = c.shape[0]
    deg = np.bincount(edges.ravel(), minlength=n).astype(np.float64)
    total = np.zeros((n, 3))
    np.add.at(total, edges[:, 0], c[edges[:, 1]])
    np.add.at(total, edges[:, 1], c[edges[:, 0]])
    safe = np.maximum(deg, 1.0)
    offset = total / safe[:, None] - c
    lengths = np.linalg.norm(c[edges[:, 0]] - c[edges[:, 1]], axis=1)
    mean_len = np.bincount(edges.ravel(), np.repeat(lengths, 2), minlength=n) / safe
    return np.einsum("ij,ij->i", offset, vertex_normals(c, t)) / np.maximum(mean_len, 1e-12)


def _mouth_half_width(w: np.ndarray, names: list[str], around: np.ndarray, dx: np.ndarray) -> float:
    """Half the mouth's width (canonical units): the mean distance of the two corner regions
    from the middle when the network found both (the welded demo head: 0.11-0.12 of the head
    height, its slit's corners 0.124), else the lateral reach of all the mouth regions (a
    stylized face can miss a corner: Nefertiti's left corner weighs 0.07 at most; the lips'
    reach ends where its crease does)."""
    sides = []
    for side in ("mouth_corner_L", "mouth_corner_R"):
        cw = w[:, names.index(side)]
        mask = around & (cw > _MOUTH_WEIGHT)
        if mask.sum() >= _MIN_CORNER_VERTICES:
            sides.append(float(np.average(np.abs(dx[mask]), weights=cw[mask])))
    if len(sides) == 2:
        return float(np.mean(sides))
    mouth = sum(w[:, names.index(r)] for r in ("upper_lip", "lower_lip", "mouth_corner_L", "mouth_corner_R"))
    in_mouth = around & (mouth > _MOUTH_WEIGHT)
    reach = [np.abs(dx[in_mouth & (np.sign(dx) == s)]) for s in (-1.0, 1.0)]
    if min(r.size for r in reach) == 0:
        raise MeshError("no lip regions found on both sides of the mouth: cannot find the mouth corners")
    return float(np.mean([np.percentile(r, 98) for r in reach]))


def find_lip_line(
    vertices: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray,
    region_names: tuple[str, ...] | list[str],
    analysis,
    mesh_edges: np.ndarray | None = None,
) -> LipLine:
    """The lip line of a face with sealed lips.

    Args:
        vertices: (V, 3) float, input units and axes.
        triangles: (T, 3) int.
        skin_weights: (V, K) the network's region weights (:meth:`model.api.FaceModel.
            predict_skin_weights`), columns named by ``region_names`` (which must hold
            ``upper_lip``, ``lower_lip``, ``mouth_corner_L``, ``mouth_corner_R``).
        analysis: the mesh's :func:`model.rig_constraints.analyze_rig` (frame, head, parts).
        mesh_edges: None, or (E, 2) int the edges the line may use (a mesh of quads and
            n-gons: its own edges, not the diagonals its triangulation adds); None: every
            triangle edge.

    Raises:
        LipsNotSealedError: no mouth found on the face's middle line.
        MeshError: the corners cannot be reached from the middle of the mouth on the skin.
    """
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    from .inspect import _face_skin, mid_line_lips
    from .topology import unique_edges

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    w = np.asarray(skin_weights, dtype=np.float64)
    names = list(region_names)
    frame, head = analysis.frame, analysis.head
    c = frame.to_canonical(v)
    face_h = max(head.top - head.narrowest, 1e-12)
    skin, skin_tris, mid_x = _face_skin(c, t, analysis)
    rows = mid_line_lips(c, skin_tris, analysis.parts, frame, head, face_h, mid_x)
    if rows is None:
        raise LipsNotSealedError("no mouth found on the face's middle line: nothing to cut")
    ys, zf, nose, up_i, low_i = rows
    # the middle of the lip line: the most recessed row between the two lips' bumps
    seg = zf[nose + up_i : nose + low_i + 1]
    valley_row = nose + up_i + int(np.argmin(np.where(np.isfinite(seg), seg, np.inf)))
    mid_point = np.array([mid_x, ys[valley_row], zf[valley_row]])

    edges, _ = unique_edges(skin_tris)
    skin_ids = np.unique(skin_tris.ravel())
    start = skin_ids[cKDTree(c[skin_ids]).query(mid_point)[1]]

    concave = _concavity(c, skin_tris, edges)
    path_edges = (
        edges if mesh_edges is None else _only(edges, np.asarray(mesh_edges, dtype=np.int64), c.shape[0])
    )
    near = np.linalg.norm(c - c[start], axis=1) < _MOUTH_RADIUS * face_h
    scale = np.percentile(np.abs(concave[near & skin]), 90) if (near & skin).any() else 1.0
    # 0 in a deep crease, 1 on flat or convex skin
    crease = np.exp(-np.maximum(concave, 0.0) / max(scale, 1e-12))
    up_w, low_w = w[:, names.index("upper_lip")], w[:, names.index("lower_lip")]
    # 0 where the two lips' weights are equal (their border), 1 deep inside either or elsewhere
    border = np.abs(up_w - low_w) / np.maximum(up_w + low_w, 1e-6)
    border = np.where(up_w + low_w > 0.2, border, 1.0)
    vertex_cost = FLOOR + crease + BORDER * border
    vertex_cost = np.where(near, vertex_cost, 1e3 * (1.0 + FLOOR + BORDER))
    lengths = np.linalg.norm(c[path_edges[:, 0]] - c[path_edges[:, 1]], axis=1)
    cost = lengths * (0.5 * (vertex_cost[path_edges[:, 0]] + vertex_cost[path_edges[:, 1]])) ** 2
    graph = _edge_graph(c.shape[0], path_edges, cost + 1e-15)
    dist, pred = dijkstra(graph, directed=False, indices=start, return_predecessors=True)

    dx = c[:, 0] - c[start, 0]
    half = _mouth_half_width(w, names, skin & near, dx)
    paths = []
    for sign in (-1.0, 1.0):
        # the corner: the cheapest vertex to reach (along the crease) at the mouth's reach
        band = np.flatnonzero(
            skin
            & np.isfinite(dist)
            & (sign * dx > _CORNER_BAND[0] * half)
            & (sign * dx < _CORNER_BAND[1] * half)
            & (np.abs(c[:, 1] - c[start, 1]) < 0.5 * half)
        )
        if band.size == 0:
            raise MeshError("the mouth corners cannot be reached along the skin from the mouth's middle")
        end = int(band[np.argmin(dist[band])])
        path = [end]
        while path[-1] != start:
            path.append(int(pred[path[-1]]))
        paths.append(path[::-1])
    left, right = paths
    # a seed off the crease: both sides first walk the same way to the valley; the line starts
    # where they part
    while len(left) > 1 and len(right) > 1 and left[1] == right[1]:
        left, right = left[1:], right[1:]
    verts = np.array(left[::-1] + right[1:], dtype=np.int64)
    # the line ends where its crease does
    deep = np.flatnonzero(concave[verts] > _END_CREASE * scale)
    if deep.size >= 2:
        verts = verts[deep[0] : deep[-1] + 1]
    if np.unique(verts).size != verts.size or verts.size < 3:
        raise MeshError("the lip line found crosses itself or is too short; cut it by hand (Split Edges)")
    pairs = np.stack([verts[:-1], verts[1:]], 1)
    length = float(np.linalg.norm(v[pairs[:, 0]] - v[pairs[:, 1]], axis=1).sum())
    up = frame.vectors_from_canonical(np.array([[0.0, 1.0, 0.0]]))[0]
    return LipLine(verts, pairs, length, up / np.linalg.norm(up))


def cut_along(
    vertices: np.ndarray,
    triangles: np.ndarray,
    path: np.ndarray,
    up: np.ndarray | tuple[float, float, float] = (0.0, 1.0, 0.0),
    gap: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut a mesh open along a vertex path: the interior path vertices are duplicated and the
    triangles on the lower side of the line (against ``up``) take the copies; both ends stay
    shared, so the cut is a slit that closes at its ends.

    Args:
        vertices: (V, 3) float.
        triangles: (T, 3) int.
        path: (P,) int vertex path, consecutive vertices joined by mesh edges, P >= 3.
        up: (3,) direction in the input's axes; the side of the line it points to keeps the
            original vertices.
        gap: the copies move this far against ``up`` (input units; 0: they stay in place).

    Returns:
        ``(vertices (V + P - 2, 3) float64, triangles (T, 3) int64, index_map (V + P - 2,) int64)``:
        the copies are appended in path order; ``index_map`` takes each new vertex to its input
        vertex (the identity on the first V). Triangle count and order do not change.

    Raises:
        MeshError: the path is not a simple edge path of the mesh, or the triangles along it do
            not fall into exactly two sides (non-manifold, or the path runs along a border).
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    p = np.asarray(path, dtype=np.int64).ravel()
    n = v.shape[0]
    if p.size < 3 or np.unique(p).size != p.size:
        raise MeshError("the cut path needs at least 3 distinct vertices")
    if p.min() < 0 or p.max() >= n:
        raise MeshError("the cut path refers to vertices outside the mesh")
    path_edges = {(min(a, b), max(a, b)) for a, b in zip(p[:-1].tolist(), p[1:].tolist(), strict=True)}
    tri_edges = np.sort(np.stack([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]], 1), axis=2)  # (T, 3, 2)
    edge_set = {tuple(e) for e in tri_edges.reshape(-1, 2).tolist()}
    missing = path_edges - edge_set
    if missing:
        raise MeshError(f"{len(missing)} consecutive path vertices are not joined by a mesh edge")

    interior = p[1:-1]
    is_interior = np.zeros(n, dtype=bool)
    is_interior[interior] = True
    around = np.flatnonzero(is_interior[t].any(1))  # the triangles that must choose a side
    # the triangles around the line, joined across their shared edges except the line's own
    flat = tri_edges[around].reshape(-1, 2)
    key = flat[:, 0] * n + flat[:, 1]
    on_path = np.isin(key, np.array([a * n + b for a, b in path_edges], dtype=np.int64))
    owner = np.repeat(np.arange(around.size), 3)
    key, owner = key[~on_path], owner[~on_path]
    order = np.argsort(key, kind="stable")
    key, owner = key[order], owner[order]
    same = np.flatnonzero(key[1:] == key[:-1])
    graph = sp.coo_matrix(
        (np.ones(same.size), (owner[same], owner[same + 1])), shape=(around.size, around.size)
    )
    count, label = connected_components(graph, directed=False)
    if count != 2:
        raise MeshError(
            f"the triangles along the cut fall into {count} pieces, not 2 (a non-manifold surface "
            "or a path along a border): merge by distance or cut by hand"
        )
    up_v = np.asarray(up, dtype=np.float64)
    height = v[t[around]].mean(1) @ up_v
    lower_label = int(np.mean(height[label == 1]) < np.mean(height[label == 0]))
    lower = around[label == lower_label]

    copy_of = np.full(n, -1, dtype=np.int64)
    copy_of[interior] = n + np.arange(interior.size)
    new_t = t.copy()
    sub = new_t[lower]
    new_t[lower] = np.where(is_interior[sub], copy_of[sub], sub)
    index_map = np.concatenate([np.arange(n, dtype=np.int64), interior])
    new_v = v[index_map].copy()
    if gap:
        new_v[n:] -= gap * up_v / max(np.linalg.norm(up_v), 1e-12)
    return new_v, new_t, index_map


def cut_lip_line(
    vertices: np.ndarray,
    triangles: np.ndarray,
    model=None,
    up: str = "Y",
    forward: str = "Z",
    gap: float = GAP,
    mesh_edges: np.ndarray | None = None,
) -> LipCut:
    """Find the lip line of a mesh with sealed lips and cut it open (:func:`find_lip_line`,
    :func:`cut_along`).

    Args:
        vertices: (V, 3) float, any units; triangles: (T, 3) int.
        model: a :class:`model.api.FaceModel` (None: the shipped one) for the lip regions.
        up, forward: the input's axes (names or ``"auto"``, as :meth:`FaceModel.prepare`).
        gap: the hairline opened, as a share of the head height (:data:`GAP`).
        mesh_edges: None, or (E, 2) int the mesh's own edges (quads: the line never takes a
            diagonal of the triangulation, which the mesh does not have to split).

    Raises:
        LipsNotSealedError: the lips are not sealed (already parted, or two separate surfaces
            that touch), or no mouth was found: nothing is cut.
    """
    from .inspect import sealed_lips_warning

    if model is None:
        from .api import FaceModel

        model = FaceModel.load()
    prep = model.prepare(vertices, triangles, up=up, forward=forward)
    analysis = prep.rig_analysis()
    if sealed_lips_warning(prep.vertices, prep.triangles, analysis) is None:
        raise LipsNotSealedError(
            "the lips are not sealed (already parted or separate surfaces, or no mouth found): "
            "jawOpen can part them as they are; nothing was cut"
        )
    skin = model.predict_skin_weights(prep)
    line = find_lip_line(prep.vertices, prep.triangles, skin, model.region_names, analysis, mesh_edges)
    head = analysis.head
    head_height = max(head.top - head.narrowest, 1e-12) * float(analysis.frame.scale)
    new_v, new_t, index_map = cut_along(
        prep.vertices, prep.triangles, line.vertices, line.up, gap * head_height
    )
    return LipCut(new_v, new_t, index_map, line)


def polygon_edges(face_indices: np.ndarray, face_sizes: np.ndarray) -> np.ndarray:
    """(N, 2) int64 the edges of concatenated polygons (each corner to the next, around), the
    ``mesh_edges`` of a quad or n-gon mesh (:class:`model.mesh_io.Mesh`)."""
    idx = np.asarray(face_indices, dtype=np.int64)
    sizes = np.asarray(face_sizes, dtype=np.int64)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    size = np.repeat(sizes, sizes)
    pos = np.arange(idx.size) - start
    return np.stack([idx, idx[start + (pos + 1) % size]], 1)


def cut_polygons(
    face_indices: np.ndarray, face_sizes: np.ndarray, triangles: np.ndarray, cut_triangles: np.ndarray
) -> np.ndarray:
    """The polygons of a mesh with the cut of their fan triangulation carried over.

    ``face_indices`` (N,) / ``face_sizes`` (F,) the polygons (:class:`model.mesh_io.Mesh`);
    ``triangles`` (T, 3) their fan triangulation (``Mesh.triangles()``, T = sum(n_i - 2)) and
    ``cut_triangles`` (T, 3) the same after :func:`cut_along` along polygon edges only (so each
    polygon lies on one side). Returns the (N,) int64 polygon corners using the copies.
    """
    idx = np.asarray(face_indices, dtype=np.int64)
    sizes = np.asarray(face_sizes, dtype=np.int64)
    before = np.asarray(triangles, dtype=np.int64)
    after = np.asarray(cut_triangles, dtype=np.int64)
    n = int(max(idx.max(), before.max())) + 1
    poly_of_tri = np.repeat(np.arange(sizes.size), sizes - 2)
    rows, cols = np.nonzero(after != before)
    moved = dict(
        zip((poly_of_tri[rows] * n + before[rows, cols]).tolist(), after[rows, cols].tolist(), strict=True)
    )
    corner_poly = np.repeat(np.arange(sizes.size), sizes)
    keys = (corner_poly * n + idx).tolist()
    return np.array([moved.get(k, i) for k, i in zip(keys, idx.tolist(), strict=True)], dtype=np.int64)
