"""Derivation of the ICT-FaceKit face-region segmentation (training only; the runtime reads the
committed table, :mod:`model.regions`).

How the labels are derived (:func:`compute_region_labels`, deterministic, no randomness):

1. Skin domain = the face and head/neck parts (vertices ``[0, 11248)``), as a mesh graph.
2. Each vertex gets a motion feature, its 53 expression deltas concatenated (159 values), each
   shape scaled to a 1 cm peak.
   Edge lengths are measured in the joint space ``(position, MOTION_WEIGHT * feature)``, so a
   path that crosses a line where the blendshapes move the skin differently (lid margin, lip
   line, nasolabial fold, brow ridge, the edge of the moving area) is long.
3. Seeds per region come from ICT's 68 Multi-PIE landmarks (``vertex_indices.json``) and a few
   points placed relative to them; static seeds are the motionless top of the head and the
   bottom of the neck. A multi-source Dijkstra in that metric assigns each skin vertex to its
   nearest seed: a geodesic Voronoi partition whose borders snap to motion discontinuities.
4. Cleanup: each region keeps its largest connected patch (stray islands take their
   neighbours' majority label), then the left half is mirrored onto the right half (ICT's
   neutral is mirror-symmetric to 0.005 cm) so L/R regions are exact mirrors.
5. Detached parts: eyeballs and eye sockets -> ``eye_L`` / ``eye_R``; mouth socket, gums,
   tongue, teeth -> ``mouth_interior``; eyelashes, lacrimal fluid, eye blend and occlusion meshes
   (which ride on the lid margins) take the label of the nearest skin vertex.

``python -m training segment --ict PATH`` regenerates ``model/data/ict_regions.npz`` from here.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from model.errors import ICTDataError
from model.regions import _R, NUM_REGIONS, mirror_map, mirror_region

MOTION_WEIGHT = 3.0  # cm of path length per cm of expression-delta difference
_SKIN_STOP = 11248  # face + head_and_neck


def compute_region_labels(ict) -> np.ndarray:
    """Derive the segmentation from ICT geometry and blendshapes (deterministic).

    Args:
        ict: a :class:`model.ict.ICTModel` (its ``source`` folder provides the landmarks).
    Returns:
        ``(V,) int64`` labels, V = 26719, every vertex labelled.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    from model.ict import PARTS

    neutral = np.asarray(ict.neutral, dtype=np.float64)
    V = neutral.shape[0]
    n = _SKIN_STOP
    x = neutral[:n]
    deltas = np.asarray(ict.expressions[:, :n, :], dtype=np.float64)
    # Each shape scaled to a 1 cm peak, so that subtle units (brows, lids: < 1 cm) shape the
    # borders as much as jawOpen / mouthClose (4 cm).
    peak = np.linalg.norm(deltas, axis=2).max(axis=1)
    deltas = deltas / np.maximum(peak, 1e-6)[:, None, None]
    feat = deltas.transpose(1, 0, 2).reshape(n, -1)

    tris = ict.triangles()
    tris = tris[(tris < n).all(axis=1)]
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    i, j = edges[:, 0], edges[:, 1]
    w = np.sqrt(((x[i] - x[j]) ** 2).sum(1) + MOTION_WEIGHT**2 * ((feat[i] - feat[j]) ** 2).sum(1))
    w = np.maximum(w, 1e-9)  # csgraph treats explicit zeros as missing edges
    graph = coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([i, j]), np.concatenate([j, i]))), (n, n)
    ).tocsr()

    seeds = _seeds(x, feat, _landmarks(ict))
    seed_ids = np.array([s for s, _ in seeds], dtype=np.int64)
    seed_lab = np.array([r for _, r in seeds], dtype=np.int64)
    order = np.argsort(seed_ids, kind="stable")
    seed_ids, first = np.unique(seed_ids[order], return_index=True)  # a vertex seeds one region
    seed_lab = seed_lab[order][first]
    _, _, src = dijkstra(graph, directed=False, indices=seed_ids, min_only=True, return_predecessors=True)
    lut = np.full(n, -1, dtype=np.int64)
    lut[seed_ids] = seed_lab
    skin = lut[src]
    if (skin < 0).any():  # a part of the skin no seed reaches (not the case for ICT)
        skin[skin < 0] = _R["scalp"]

    skin = _keep_largest_patches(skin, edges, n)
    skin = _symmetrize(skin, x)
    skin = _keep_largest_patches(skin, edges, n)

    labels = np.empty(V, dtype=np.int64)
    labels[:n] = skin
    for part, region in (
        ("mouth_socket", "mouth_interior"), ("gums_and_tongue", "mouth_interior"),
        ("teeth", "mouth_interior"),
        ("eye_socket_left", "eye_L"), ("eye_socket_right", "eye_R"),
        ("eyeball_left", "eye_L"), ("eyeball_right", "eye_R"),
    ):  # fmt: skip
        a, b = PARTS[part]
        labels[a:b] = _R[region]
    riders = np.concatenate(
        [
            np.arange(*PARTS[p])
            for p in PARTS
            if p.startswith(("lacrimal", "eye_blend", "eye_occlusion", "eyelashes"))
        ]
    )
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(x).query(neutral[riders])
    labels[riders] = skin[nearest]
    return labels


def _landmarks(ict) -> np.ndarray:
    """``(68,)`` vertex ids of the Multi-PIE landmarks from ``vertex_indices.json``."""
    src = getattr(ict, "source", None)
    path = pathlib.Path(src) / "vertex_indices.json" if src is not None else None
    if path is None or not path.is_file():
        raise ICTDataError(
            "the segmentation needs ICT's landmark list (FaceXModel/vertex_indices.json) but the model "
            "has no source folder; load it with model.ict.load_ict(PATH)"
        )
    with open(path, encoding="utf-8") as fh:
        lm = np.asarray(json.load(fh)["idx_to_landmark_verts"], dtype=np.int64)
    if lm.shape != (68,):
        raise ICTDataError(f"{path} has {lm.shape[0]} landmarks, expected 68; re-unpack ICT-FaceKit")
    return lm


def _seeds(x: np.ndarray, feat: np.ndarray, lm: np.ndarray) -> list[tuple[int, int]]:
    """(vertex, region) seed pairs: landmarks and points placed relative to them, both sides."""
    P = x[lm]
    front = np.flatnonzero(x[:, 2] > np.percentile(x[:, 2], 30))  # face-side vertices only

    def snap(px: float, py: float) -> int:
        # Front-most vertex near the (x, y) point: the face surface, not the inside of the lips.
        d2 = (x[front, 0] - px) ** 2 + (x[front, 1] - py) ** 2
        near = d2 <= d2.min() + 0.04
        cand = front[near]
        return int(cand[np.argmax(x[cand, 2])])

    out: list[tuple[int, int]] = []

    def add(region: str, ids) -> None:
        out.extend((int(v), _R[region]) for v in np.atleast_1d(ids))

    def add_pts(region: str, pts) -> None:
        add(region, [snap(px, py) for px, py in pts])

    # Multi-PIE 68 order: 0-16 jaw, 17-26 brows, 27-35 nose, 36-47 eyes, 48-67 mouth. The
    # subject's right (-X) comes first in each group, e.g. 17-21 right brow, 36-41 right eye.
    brow_top = P[17:27, 1].max()
    eye_y = P[36:48, 1].mean()
    for side, sgn in (("L", 1.0), ("R", -1.0)):
        brow = lm[22:27] if sgn > 0 else lm[17:22]
        eye = P[42:48] if sgn > 0 else P[36:42]  # corner, upper x2, corner, lower x2
        corner = P[54] if sgn > 0 else P[48]
        add(f"brow_{side}", brow)
        upper = eye[1:3]
        lower = eye[4:6]
        add_pts(f"upper_lid_{side}", [(p[0], p[1] + 0.35) for p in upper])
        add_pts(f"lower_lid_{side}", [(p[0], p[1] - 0.35) for p in lower])
        add_pts(
            f"cheek_{side}",
            [
                (sgn * 4.6, eye_y - 3.0),
                (sgn * 5.4, eye_y - 4.5),
                (sgn * 3.6, eye_y - 2.3),
                (sgn * 2.9, P[33, 1] + 0.6),
            ],
        )
        add_pts(
            f"mouth_corner_{side}",
            [(corner[0] + sgn * 0.5, corner[1]), (corner[0] + sgn * 0.9, corner[1] - 0.2)],
        )
    add_pts("forehead", [(sx, brow_top + dy) for sx in (-3.0, -1.5, 0.0, 1.5, 3.0) for dy in (1.3, 3.5)])
    add_pts("forehead", [(4.6, brow_top + 3.0), (-4.6, brow_top + 3.0)])
    add("nose", lm[27:36])
    philtrum_y = 0.5 * (P[33, 1] + P[51, 1])
    add("upper_lip", lm[[50, 51, 52, 61, 62, 63]])
    add_pts(
        "upper_lip",
        [
            (0.0, philtrum_y),
            (0.8, philtrum_y),
            (-0.8, philtrum_y),
            (1.6, philtrum_y - 0.3),
            (-1.6, philtrum_y - 0.3),
        ],
    )
    add("lower_lip", lm[[56, 57, 58, 65, 66, 67]])
    add_pts("lower_lip", [(0.0, P[57, 1] - 0.5), (0.9, P[57, 1] - 0.4), (-0.9, P[57, 1] - 0.4)])
    add("chin_jaw", lm[5:12])
    add_pts("chin_jaw", [(0.0, P[8, 1] + 1.5)])

    # Static seeds: the motionless top of the head and the bottom ring of the neck.
    still = np.abs(feat).max(axis=1) < 1e-4
    top = still & (x[:, 1] > brow_top + 5.0)
    neck = x[:, 1] < x[:, 1].min() + 3.0
    # The ears move a little with the jaw (< 0.3 cm) but belong to the static head: seed their rims.
    band = np.flatnonzero((x[:, 1] > P[2, 1]) & (x[:, 1] < P[0, 1] + 1.0))
    ears = band[[np.argmax(x[band, 0]), np.argmin(x[band, 0])]]
    add("scalp", np.concatenate([np.flatnonzero(top), ears, [np.argmin(x[:, 2])]]))
    add("neck", np.flatnonzero(neck & ~top))
    return out


def _components(labels: np.ndarray, edges: np.ndarray, n: int) -> np.ndarray:
    """Connected-component id of each vertex within its own label (edges across labels cut)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    same = labels[edges[:, 0]] == labels[edges[:, 1]]
    e = edges[same]
    g = coo_matrix((np.ones(e.shape[0]), (e[:, 0], e[:, 1])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def _keep_largest_patches(labels: np.ndarray, edges: np.ndarray, n: int) -> np.ndarray:
    """Each label keeps its largest connected patch; smaller islands take the majority neighbour label."""
    labels = labels.copy()
    for _ in range(50):
        comp = _components(labels, edges, n)
        size = np.bincount(comp)
        # the largest component of each label
        best = np.full(NUM_REGIONS, -1, dtype=np.int64)
        comp_label = np.zeros(size.shape[0], dtype=np.int64)
        comp_label[comp] = labels
        order = np.lexsort((-size, comp_label))  # by label, then size descending
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = comp_label[order][1:] != comp_label[order][:-1]
        best[comp_label[order][first]] = order[first]
        stray = best[labels] != comp
        if not stray.any():
            return labels
        # vote: each stray vertex takes the most common label among its non-stray neighbours
        both = np.concatenate([edges, edges[:, ::-1]])
        src, dst = both[:, 0], both[:, 1]
        ok = stray[src] & ~stray[dst]
        votes = np.zeros((n, NUM_REGIONS), dtype=np.int64)
        np.add.at(votes, (src[ok], labels[dst[ok]]), 1)
        has = votes.sum(1) > 0
        labels[has] = votes[has].argmax(1)
    return labels


def _symmetrize(labels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Copy the left half (x > 0) onto its mirror partners on the right, swapping _L/_R."""
    mirror = mirror_map(x)
    out = labels.copy()
    right = np.flatnonzero((x[:, 0] < -1e-4) & (mirror >= 0))
    out[right] = mirror_region(labels[mirror[right]])
    return out
