"""Bake-time constraints on the 53 baked shapes: each shape stays in its place, and mirror
symmetry on mirror-symmetric meshes. Numpy in, numpy out, canonical frame.

All derived from ICT-FaceKit once: ``model/shape_locality.npz`` (beside this module, so the add-on
ships it; 40 KB) holds

* ``allowed (53, K)``: for each ICT shape ``s`` and face region ``r`` of :mod:`model.regions`,
  the 95th percentile of the shape's displacement magnitude over the region's ICT vertices,
  divided by its largest region value (1 = the region it moves most, 0 = one it leaves still);
* ``points (P, 3)``: every 4th vertex of ICT's ``head`` crop in face units (canonical frame,
  origin between the eyes, eye distance 1), and ``moving (53, P)``: the point moves by at least
  :data:`MOVING_REL` (10 %) of the shape's largest displacement.

Regenerate with ``python -m training tables --ict PATH`` (or :func:`write_table`);
``tests/model/test_shape_locality.py`` checks the committed table against a fresh derivation.

**Reach** (:func:`apply_reach`, on by default): the mesh's eye midpoint and eye distance (the rig
check's :func:`model.rig_check.face_anchors`: eye openings, eyeballs, skin weights or the nose tip)
place ICT's moving area of each shape on the mesh; a shape keeps its delta within
:data:`REACH_INNER` eye distances of that area and fades to zero (smoothstep) over the next
:data:`REACH_MARGIN`. Needs no skin weights, so it also holds where the network's regions are
wrong: a bust's shoulders, an avatar's ears and collar stay still in ``jawOpen``. The reach stays
in the canonical axes whatever the face's pitch (the static area stands with it,
:func:`model.rig_check.face_units`): it has no counterpart in the rig check to agree with, it
fades over 0.75 eye distances, and turned with the fitted pitch it cost the one mesh with an
artist's shapes (Rocketbox Adult_02, pitch -5 degrees; ``benchmarks/realdev_arkit.py``, mixed)
cosine 0.623 -> 0.622 and spill 0.481 -> 0.483: a stylized face's profile fits ICT's at a pitch
its throat and jaw do not share.

**Region mask** (:func:`apply_locality`, off by default, see :func:`post_process`): per vertex
``mask_s = smoothstep((smooth(skin @ allowed[s]) - LOW) / (HIGH - LOW))`` with the network's (or
painted) skin weights ``(V, K)`` and :data:`SMOOTH_STEPS` umbrella steps so the mask has no seam;
where the mask would remove most of a shape (the skin weights and the network disagree about
where the shape acts) it is faded out (:data:`KEEP_MIN`).

**Symmetry** (:func:`symmetrize`, on by default): on a mesh whose surface is mirror-symmetric
across the canonical ``x = 0`` plane (refitted to vertex pairs) where the shapes act
(:data:`SYMMETRIC_SHARE` of the bake's motion on vertices within :data:`SYMMETRY_FADE` of the
surface's mirror image) each left shape becomes the average of itself and the mirror image of
its right partner, the right one the mirror image of that, an unpaired shape the average of
itself and its mirror image; wholly within :data:`SYMMETRY_TOL` of the mirror image, fading to
unchanged at :data:`SYMMETRY_FADE`. Other meshes: unchanged. The share is weighted by motion and
the tolerance fades because real near-symmetric heads failed a 1 mm test on all vertices: a
scan's back of the head or its shoulders are asymmetric, a low-poly avatar's mirrored surfaces
lie 2-7 mm apart where its quads are split the other way (share within 1 mm: Demosthenes 25 %,
Nefertiti 73 %, the Rocketbox heads 52-54 %; of the motion within 5 mm: 98-100 %), and their
bakes came out 43-62 % asymmetric (the rig check's mirror error, median over pairs, session 5).
A partner is found on surface facing the mirrored way (:data:`MIRROR_FACING`; where the closest
point faces away, a lip's underside or an eyeball, the closest facing point within
:data:`MIRROR_RESEARCH`, :func:`model.mirror_match.facing_hits`; before, such vertices kept
their own deltas: 8-12 % of a Rocketbox head, most of its lips); at a closed mouth's slit,
where the mirror point lands on the other lip facing the same way, the other sheet whose motion
matches (:func:`_same_sheet_hits`, by ramps: it takes over as the gate closes). The bake
symmetrizes the eyelid shapes again after the lid solver (:meth:`model.api.FaceModel.bake`).
Mirror error now (the session-6 rig check, median over pairs; in brackets the session-5 bake
under the same check): Nefertiti 4.6 (9.8) %, Rocketbox Adult_01 6.6 (18.0) %, Adult_02 2.9
(16.4) %, demo head 2.9 (3.0) %; Demosthenes 8.4 (8.7) %, judged asymmetric. A mesh
symmetric to :data:`SYMMETRY_EXACT` at 95 % of its vertices (the demo head) keeps the session-5
exact rule (plain closest points within that tolerance averaged whole, the rest unchanged;
at a closed mouth's slit, where the closest point is the other lip facing away, the facing
partner on the same piece instead: the demo head's mouthUpperUp / mouthLowerDown mirror
error 6-8 % -> 1.5-3 %; and the vertices just past the cut that the exact pairs read, two
steps out, take their facing partners: mouthStretch 5.7 -> 4.4 %, the demo passes the check;
the facing search everywhere, or all the vertices past the cut taking their partners, moved its
lip and neck shapes and the resolution-robustness
margin of tests/model/test_api.py, 0.099 -> 0.102 against 0.1). It costs
held-out ICT error (4 cases a set, flip repair off; unseen / stylized / hard unseen / hard
stylized 0.117 / 0.130 / 0.098 / 0.170 -> 0.117 / 0.134 / 0.102 / 0.172): ICT's identities and
the stylizing warps are a few mm asymmetric and so are their true shapes (session 6, the
facing partners: 0.117 / 0.134 / 0.101 / 0.172 -> 0.116 / 0.130 / 0.097 / 0.169, same command,
``evaluate --harder --num-cases 4 --no-classical``).
"""

from __future__ import annotations

import functools
import pathlib

import numpy as np

from .facs import ICT_NAMES

TABLE_PATH = pathlib.Path(__file__).resolve().parent / "shape_locality.npz"
LOW = 0.04  # relative region motion below which a shape may not move a vertex
HIGH = 0.12  # relative region motion from which the network's delta is kept whole
KEEP_MIN = 0.5  # a mask that would keep less of a shape's motion energy is trusted less
SMOOTH_STEPS = 4  # umbrella steps before the smoothstep: a mask edge a few rings wide
REGION_PERCENTILE = 95  # of a region's displacement magnitudes: "how much it moves"
POINT_STRIDE = 4  # every 4th vertex of ICT's head crop as a reach sample (~2.8k points)
MOVING_REL = 0.10  # an ICT point moves in a shape from this share of its peak (ICT moves the ears ~3-5 %)
REACH_INNER = 0.15  # eye distances (~1 cm) around ICT's moving area where a shape acts fully
REACH_MARGIN = 0.6  # eye distances (~3.5 cm) beyond that over which it fades out (no folds)
# (session 7, measured: a wider reach keeps more of the low tail of ICT's own shapes, jawOpen's
# throat and the brows' forehead: 0.3 / 1.0 took held-out hard unseen 0.097 -> 0.092, 8 cases,
# with the face alignment; but under a crown the network's jawOpen then moved the eyes and
# forehead by 15 % of its peak (tests/model/test_face_placement.py, limit 10 %; 0.2 / 0.8: 11 %),
# so the reach stays the guard it was)
# canonical units (the mesh's RMS radius is 1): a mirror point within ~2 mm on a head is the same
# feature (0.01 instead: same held-out error, the real meshes came out less symmetric)
SYMMETRY_TOL = 0.02
SYMMETRY_FADE = 0.05  # canonical units (~5 mm): a mirror point this far is not the same feature
SYMMETRIC_SHARE = 0.95  # share of the motion on vertices with a partner within SYMMETRY_FADE
SYMMETRY_EXACT = 0.01  # canonical units (~1 mm): a mesh this symmetric takes the exact rule
MIRROR_FACING = 0.5  # cosine: a mirror partner's surface faces the mirrored normal within 60 deg
# canonical units (~2 mm): how far a partner facing the mirrored way is searched for when the
# closest point faces away; further, inside a mouth bag, another sheet facing the same way lies
# within SYMMETRY_FADE (Rocketbox Adult_01: an inner upper-lip vertex took the lower lip's jawOpen)
MIRROR_RESEARCH = 0.02
# mirror_mismatch over which a mirror point with a second sheet by it fades from partner (0.2)
# to none (0.35; 0.3: one of the two moves about a quarter of the other's motion); measured on
# Rocketbox Adult_01's network bake with the floor below, only lip-slit rows pass 0.3 (9
# vertices), the brows and lids stay under it (a 0.10 floor let brow vertices through)
MIRROR_MISMATCH = (0.2, 0.35)
MIRROR_RINGS = 3  # edge rings: a vertex further from the hit triangle is on another sheet
MIRROR_MOTION_FLOOR = 0.15  # share of the largest motion (rms over the shapes) in the denominator
BLEND_SMOOTH_STEPS = 8  # half umbrella steps on the symmetrize blend (a few rings wide)


# ---- the table ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def load_table(path: str | pathlib.Path = TABLE_PATH) -> dict[str, np.ndarray]:
    """The committed table (as :func:`training.tables.shape_locality_table`, read once per
    path; do not modify the arrays); raises ValueError if its names are stale."""
    from .regions import REGION_NAMES

    with np.load(path, allow_pickle=False) as z:
        if tuple(z["regions"]) != REGION_NAMES or tuple(z["shapes"]) != ICT_NAMES:
            raise ValueError(
                f"{path} was derived for other region or shape names; regenerate it with "
                "`python -m training tables --ict PATH`"
            )
        return {
            "allowed": z["allowed"].astype(np.float64),
            "points": z["points"].astype(np.float64),
            "moving": z["moving"].astype(bool),
        }


# ---- locality ----------------------------------------------------------------------------------
def _umbrella(num_vertices: int, triangles: np.ndarray):
    """Row-normalized vertex adjacency (V, V) of the triangle mesh (isolated vertices: self)."""
    import scipy.sparse as sp

    t = np.asarray(triangles, dtype=np.int64)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2], t[:, 1], t[:, 2], t[:, 0]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0], t[:, 0], t[:, 1], t[:, 2]])
    adj = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(num_vertices, num_vertices)).tocsr()
    adj.data[:] = 1.0  # duplicate edges (two triangles share one) count once
    degree = np.asarray(adj.sum(axis=1)).ravel()
    lonely = degree == 0
    adj = adj + sp.diags(lonely.astype(np.float64))
    return sp.diags(1.0 / np.maximum(degree, 1.0)) @ adj


def locality_masks(
    triangles: np.ndarray, skin_weights: np.ndarray, allowed: np.ndarray | None = None
) -> np.ndarray:
    """``(53, V)`` float64 masks in [0, 1]: how much of its delta each shape keeps per vertex.

    triangles (T, 3) int; skin_weights (V, K) rows summing to 1 (the network's softmax or
    painted weights); allowed (53, K), default the committed table.
    """
    allowed = load_table()["allowed"] if allowed is None else np.asarray(allowed, dtype=np.float64)
    skin = np.asarray(skin_weights, dtype=np.float64)
    raw = skin @ allowed.T  # (V, 53)
    step = _umbrella(len(skin), triangles)
    for _ in range(SMOOTH_STEPS):
        raw = 0.5 * raw + 0.5 * (step @ raw)  # half-step: a short, lazy diffusion
    t = np.clip((raw - LOW) / (HIGH - LOW), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).T


def apply_locality(
    deltas: np.ndarray, triangles: np.ndarray, skin_weights: np.ndarray, allowed: np.ndarray | None = None
) -> np.ndarray:
    """deltas (53, V, 3) (any frame) times :func:`locality_masks`; same shape and dtype."""
    d = np.asarray(deltas)
    masks = locality_masks(triangles, skin_weights, allowed)
    if KEEP_MIN > 0:
        # self-consistency: where the skin weights put a shape's regions far from where the
        # network moves it, one of the two is wrong on this mesh; fade the mask out rather
        # than erase the shape (energy kept 0 -> no mask, >= KEEP_MIN -> full mask)
        energy = np.einsum("svc,svc->sv", d, d, dtype=np.float64)
        kept = (masks**2 * energy).sum(axis=1) / np.maximum(energy.sum(axis=1), 1e-300)
        a = np.clip(kept / KEEP_MIN, 0.0, 1.0)
        trust = a * a * (3.0 - 2.0 * a)
        masks = 1.0 - trust[:, None] * (1.0 - masks)
    return (d * masks[..., None]).astype(d.dtype)


def reach_masks(
    canonical: np.ndarray, mid: np.ndarray, eye_distance: float, table: dict | None = None
) -> np.ndarray:
    """``(53, V)`` float64 in [0, 1]: 1 within ICT's moving area of each shape, placed by the eye
    midpoint ``mid`` (3,) and ``eye_distance`` of the canonical vertices (V, 3), fading to 0 at
    :data:`REACH_INNER` + :data:`REACH_MARGIN` eye distances from it. Needs no skin weights: a
    safety for meshes where the network's regions are wrong (a bust's shoulders, a collar)."""
    from scipy.spatial import cKDTree

    table = load_table() if table is None else table
    local = (np.asarray(canonical, dtype=np.float64) - mid) / eye_distance
    out = np.ones((table["moving"].shape[0], len(local)))
    for s, moving in enumerate(table["moving"]):
        if moving.any():
            far = REACH_INNER + REACH_MARGIN
            points = table["points"][moving]
            # a vertex outside the moving points' box grown by ``far`` is at least ``far`` from
            # them (mask 0, as a query would give): only the vertices inside are queried
            inside = np.all((local >= points.min(0) - far) & (local <= points.max(0) + far), axis=1)
            dist = np.full(len(local), np.inf)
            # two workers: each query's answer is its own (the same bits), and the bake's second
            # core is idle here once the registration is done (0.2 s of a 20k head's bake)
            dist[inside] = cKDTree(points).query(local[inside], distance_upper_bound=far, workers=2)[0]
            t = np.clip((far - np.minimum(dist, far)) / REACH_MARGIN, 0.0, 1.0)
            out[s] = t * t * (3.0 - 2.0 * t)
    return out


def skin_anchors(
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray | None = None,
    skin_mask: np.ndarray | None = None,
    pitch: float = 0.0,
):
    """:func:`model.rig_check.face_anchors` of a canonical mesh, helped by the network's skin
    weights (V, K) over :data:`model.regions.REGION_NAMES`; the placement shared by the reach
    mask here and the static area of :mod:`model.static_area`. ``skin_mask``: (V,) bool largest
    connected component when already known (:meth:`model.api.PreparedMesh.skin_component`);
    ``pitch``: the face's pitch in this frame (radians, :attr:`model.face_alignment.Alignment.face_pitch`)."""
    from .regions import REGION_NAMES
    from .rig_check import face_anchors

    return face_anchors(
        canonical, triangles, skin_mask=skin_mask, skin_weights=skin_weights, region_names=REGION_NAMES,
        pitch=pitch,
    )  # fmt: skip


def apply_reach(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray | None = None,
    anchors=None,
) -> np.ndarray:
    """deltas (53, V, 3) canonical times :func:`reach_masks` placed by the face anchors of
    :func:`model.rig_check.face_anchors` (``anchors``: already found for this mesh, else found
    here); unchanged when no eyes are found."""
    if anchors is None:
        anchors = skin_anchors(canonical, triangles, skin_weights)
    if anchors.mid is None or not anchors.eye_distance:
        return deltas
    masks = reach_masks(anchors.canonical, anchors.mid, anchors.eye_distance)
    return (np.asarray(deltas) * masks[..., None]).astype(np.asarray(deltas).dtype)


# ---- symmetry ----------------------------------------------------------------------------------
def mirror_pairs(names: tuple[str, ...] = ICT_NAMES) -> tuple[list[tuple[int, int]], list[int]]:
    """(left, right) index pairs (``_L``/``_R``, ``Left``/``Right``) and the unpaired indices."""
    index = {n: i for i, n in enumerate(names)}
    pairs, paired = [], set()
    for n, i in index.items():
        for left, right in (("_L", "_R"), ("Left", "Right")):
            if n.endswith(left) and n[: -len(left)] + right in index:
                j = index[n[: -len(left)] + right]
                pairs.append((i, j))
                paired.update((i, j))
    return pairs, [i for i in range(len(names)) if i not in paired]


def mirror_map(
    canonical: np.ndarray, triangles: np.ndarray, weights: np.ndarray | None = None, cache: dict | None = None
):
    """Mirror correspondence of the canonical mesh across its symmetry plane, on the surface
    (the mesh need not have mirrored vertices, only a mirrored shape).

    Starts from ``x = 0`` and refits the plane (normal, offset) from nearest-vertex pairs until
    a refit no longer brings them closer (:func:`model.mirror_match.mirror_plane`).
    ``weights`` (V,) >= 0: how much each vertex counts in the share (None: all alike).
    Returns (hits: :class:`model.transfer.ClosestHits` of each reflected vertex on the mesh, or
    None when the mesh is clearly asymmetric (checked on vertices first: a closest-point pass
    costs seconds on a dense mesh); ok (V,) bool, the hit is within :data:`SYMMETRY_FADE` on
    surface facing the mirrored vertex normal (:data:`MIRROR_FACING`); the reflection (3, 3) of
    vectors; the weighted share of vertices with a hit within :data:`SYMMETRY_FADE`, an upper
    bound when hits is None). ``cache``: a dict kept per mesh (the bake keeps one per prepared
    mesh): the plane and the closest points depend on the geometry only, so a re-bake (other
    weights) reuses them.
    """
    v = np.asarray(canonical, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    weight = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=np.float64)
    weight = weight / max(float(weight.sum()), 1e-300)
    cache = {} if cache is None else cache
    if "plane" not in cache:
        cache["plane"] = _mirror_plane(v, t)
    normal, offset, reflection, near = cache["plane"][:4]
    if float(weight[near].sum()) < SYMMETRIC_SHARE:
        return None, np.zeros(len(v), bool), reflection, float(weight[near].sum())
    if "hits" not in cache:
        cache["hits"] = _mirror_partners(v, t, normal, offset, reflection)
    hits, facing, _ = cache["hits"]
    near = hits.distance <= SYMMETRY_FADE  # the share judges the shape; facing, the pairing
    return hits, near & facing, reflection, float(weight[near].sum())


def prime_mirror_map(canonical: np.ndarray, triangles: np.ndarray, cache: dict) -> None:
    """Fill :func:`mirror_map`'s ``cache`` of the canonical mesh (V, 3) ahead of the bake that
    uses it (what it holds depends on the geometry only, so the bake's result is the same):
    the plane always, the closest points when the vertices of the mesh, counted alike, would
    pass the symmetric share (the bake weighs them by its motion, and skips the closest points
    of a mesh it finds asymmetric). For idle time, e.g. while a bake waits for the registration."""
    v = np.asarray(canonical, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if "plane" not in cache:
        cache["plane"] = _mirror_plane(v, t)
    normal, offset, reflection, near = cache["plane"][:4]
    if "hits" not in cache and float(near.mean()) >= SYMMETRIC_SHARE:
        cache["hits"] = _mirror_partners(v, t, normal, offset, reflection)


def _mirror_plane(v: np.ndarray, t: np.ndarray):
    """(normal, offset, reflection (3, 3), near (V,) bool: a vertex lies within SYMMETRY_FADE
    of the reflected mesh, distance (V,) of each reflected vertex to the nearest vertex) of the
    mesh's symmetry plane, from nearest-vertex pairs (:func:`model.mirror_match.mirror_plane`;
    the distance tells a mirror-built mesh, :func:`model.mirror_pass.is_mirror_built`)."""
    from .mirror_match import mirror_plane

    normal, offset, reflection, dist = mirror_plane(v, t, SYMMETRY_FADE)
    # a surface point within SYMMETRY_FADE has a vertex within SYMMETRY_FADE + an edge length
    edge = float(np.median(np.linalg.norm(v[t[:, 0]] - v[t[:, 1]], axis=1))) if len(t) else 0.0
    return normal, offset, reflection, dist <= SYMMETRY_FADE + edge, dist


def _mirror_partners(v: np.ndarray, t: np.ndarray, normal: np.ndarray, offset: float, reflection: np.ndarray):
    """(hits of each reflected vertex on its mirror component, facing (V,) bool, the plain
    closest points before the search for facing partners)."""
    # each component matched on its mirror partner only (the rig check's matching), so an
    # eyeball never takes the motion of the lid that hugs it
    from .face_landmarks import components
    from .mirror_match import facing_hits
    from .rig_check import _mirror_hits

    comp = components(len(v), t)
    hits = _mirror_hits(v, t, comp, normal, float(offset))
    # a hit on another sheet of surface facing the other way (an inner lip on the mouth bag,
    # a lid on the eyeball) is no mirror partner: within SYMMETRY_FADE such sheets do meet; the
    # partner is then the closest surface of the same piece facing the mirrored way
    # (model.mirror_match), else there is none
    reflected = v - 2.0 * ((v @ normal) - offset)[:, None] * normal[None]
    groups = comp[t[:, 0]]
    found, facing = facing_hits(v, t, reflected, hits, reflection, MIRROR_FACING, MIRROR_RESEARCH, groups)
    return found, facing, hits


def _own_piece(num_vertices: int, triangles: np.ndarray, hits) -> np.ndarray:
    """(V,) bool: each vertex's hit lies on the vertex's own connected piece of surface."""
    from .face_landmarks import components

    comp = components(num_vertices, np.asarray(triangles, dtype=np.int64))
    return comp[hits.corners[:, 0]] == comp


def _merge_hits(first, second, rows: np.ndarray):
    """ClosestHits taking ``second``'s row where ``rows`` (V,) bool is set, ``first``'s elsewhere."""
    shaped = [rows.reshape((-1,) + (1,) * (np.ndim(a) - 1)) for a in first]
    return type(first)(*(np.where(r, b, a) for r, a, b in zip(shaped, first, second, strict=True)))


def mirror_blend(distance: np.ndarray) -> np.ndarray:
    """``(V,)`` float64 in [0, 1]: how much of the mirror average a vertex takes, from the
    distance (V,) of its mirror point to the surface (canonical units): 1 within
    :data:`SYMMETRY_TOL`, smoothstep to 0 at :data:`SYMMETRY_FADE`."""
    t = np.clip((SYMMETRY_FADE - np.asarray(distance, np.float64)) / (SYMMETRY_FADE - SYMMETRY_TOL), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def symmetrize(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    names: tuple[str, ...] = ICT_NAMES,
    mirror: dict | None = None,
    only: set[int] | None = None,
) -> np.ndarray:
    """Mirror-symmetric shapes on a mirror-symmetric mesh; ``deltas`` itself otherwise.

    deltas (S, V, 3) in the canonical frame of ``canonical`` (V, 3) with ``triangles`` (T, 3);
    names (S,) the shape names that pair left and right shapes. The mesh counts as symmetric
    when :data:`SYMMETRIC_SHARE` of the deltas' motion (summed over shapes; all vertices alike
    when nothing moves) lies on vertices with a mirror point within :data:`SYMMETRY_FADE`. The
    mirror image of a field is interpolated at each vertex's mirror point (barycentric); each
    vertex takes :func:`mirror_blend` of the symmetric result (smoothed; 0 without a partner
    facing it), the rest of its own delta; on a mesh symmetric to :data:`SYMMETRY_EXACT` at
    :data:`SYMMETRIC_SHARE` of its vertices, the vertices within it take all, the others none.
    ``mirror``: the mesh's :func:`mirror_map` cache (geometry only; the bake keeps one per mesh).
    ``only``: the shape indices wanted symmetrized (the rows of the others are not mirrored: do
    not use them); the symmetry test and the lip-slit gate still read every shape's motion.
    """
    from .transfer import transfer

    d = np.asarray(deltas, dtype=np.float64)
    motion = np.sqrt(np.einsum("svc,svc->v", d, d))
    # a floor so a mesh with no motion yet (or a vertex the shapes leave still) is judged by its shape
    motion = motion + 1e-3 * max(float(motion.mean()), 1e-300)
    mirror = {} if mirror is None else mirror
    canonical = np.asarray(canonical, dtype=np.float64)
    hits, ok, reflection, share = mirror_map(canonical, triangles, motion, mirror)
    # kept for the bake's last symmetrization (model.mirror_pass), after the later stages
    mirror["symmetric"] = hits is not None and share >= SYMMETRIC_SHARE
    if not mirror["symmetric"]:
        return deltas
    if only is None:
        # the share of the motion on vertices whose mirror partner lies over SYMMETRY_TOL away,
        # where the blend below symmetrizes in part or not at all: the bake's last pass
        # symmetrizes whole shapes where it is large (model.mirror_pass.SYMMETRY_GAP)
        partner = mirror["hits"][0]
        mirror["gap"] = float(motion[partner.distance > SYMMETRY_TOL].sum() / motion.sum())
    # the mirror distance jumps from vertex to vertex with the triangulation (a low-poly head's
    # quads split the other way), and so does whether a hit faces the right way: smoothed, so the
    # blend adds no ripple to the shapes; a vertex whose hit is no partner (ok False: another
    # sheet) keeps its own delta
    plain = mirror["hits"][2]  # the closest points, before the search for facing partners
    exact = plain.distance <= SYMMETRY_EXACT
    if exact.mean() >= SYMMETRIC_SHARE:
        # symmetric to ~1 mm nearly everywhere (a mirror-built mesh): the partners within that
        # are exact, the rest keep their deltas, no blend
        # (a mirror-built mesh keeps the session-5 rule exactly: its closest points, no search
        # for facing partners, no fade; measured, either change moved the demo head's shapes at
        # its lips and cost the resolution-robustness margin, tests/model/test_api.py)
        # except at a closed mouth's slit: there a lip row's closest mirror point lies within the
        # cut on the other lip, facing away (4 vertices of the demo head), and the exact rule
        # averaged the two lips' motion: mouthUpperUp and mouthLowerDown came out 6-8 %
        # asymmetric (the rig check failed them); such a vertex takes its facing partner
        # (model.mirror_match.facing_hits moved exactly the hits facing away) when that lies on
        # its own piece of surface; a piece mirrored onto another piece (the eyeballs, their
        # tessellations differ) keeps the plain pairs: measured, moving those too cost the
        # resolution test's margin (tests/model/test_api.py, random weights: 0.0994 -> 0.0998)
        found, facing = mirror["hits"][:2]
        moved = exact & facing & (found.triangle != plain.triangle)
        slit = moved & _own_piece(len(canonical), triangles, plain)
        # the vertices just past the cut that the exact pairs read (their hit triangles' corners,
        # two steps out) take their facing partners too: an exact pair averaged with a corner
        # that kept its own delta is no mirror pair (the demo head's neck behind the jaw:
        # mouthStretch 5.7 % asymmetric). The depth is a measured choice, not derived: the whole
        # closure (all 172 vertices past the cut) passed the check but moved the random-weights
        # resolution test to 0.1019 (limit 0.1), one step left mouthStretch at 5.3 %, two steps
        # give 4.4 % and 0.0957 (four: 4.5 %, 0.0988)
        read = np.zeros(len(exact), bool)
        read[plain.corners[exact].ravel()] = True
        read[plain.corners[read].ravel()] = True
        near = read & ~exact & facing & (found.distance <= SYMMETRY_FADE)
        hits = _merge_hits(plain, found, slit | near)
        ok = exact | near
        blend = np.where(exact, 1.0, np.where(near, mirror_blend(found.distance), 0.0))
        other, partner = np.zeros(0, np.int64), np.ones(len(ok))
    else:
        # a pairing that swaps the motion is no partner: where two sheets of one piece meet
        # within a fraction of a mm (the inner rows of closed lips at the mouth slit, joined only
        # at the corners) a not quite mirror-built mesh's mirror point can land on the other
        # lip's row, facing the same way, and the lower lip took half of the still upper lip's
        # jawOpen, folding into spikes inside the open mouth (Rocketbox avatars)
        # (only where another sheet of surface passes by the mirror point: on one sheet a
        # swapped-looking motion is asymmetry to even out, however large)
        # (a ramp, not a cut: the shapes of the numpy and torch runtimes differ by float noise)
        # one pass over the shapes' mirror images: the mismatch and, below, its floor
        diff, total = _mismatch_terms(d, hits, reflection, names)
        mismatch = _mismatch_ratio(diff, total, ok)
        suspect = np.flatnonzero(mismatch > MIRROR_MISMATCH[0])
        suspect = suspect[_two_sheets(canonical, triangles, hits, suspect)]
        # the partner on the vertex's own lip: the other sheet by the mirror point, when its
        # motion matches (before this, the slit rows kept their own asymmetric deltas: the lower
        # lip's inner row folded unevenly in jawOpen, mouthLowerDown stayed 20 % asymmetric)
        normal, offset = mirror["plane"][:2]
        reflected = canonical - 2.0 * ((canonical @ normal) - offset)[:, None] * normal[None]
        alt, alt_mismatch = _same_sheet_hits(
            canonical, triangles, d, hits, suspect, reflected, reflection, names, _mismatch_floor(total)
        )
        low, high = MIRROR_MISMATCH
        ramp = np.clip((mismatch[suspect] - low) / (high - low), 0.0, 1.0)
        gate = ramp * ramp * (3.0 - 2.0 * ramp)
        # the other sheet takes over as the gate closes, as far as its motion matches (ramps,
        # not cuts: the numpy and torch runtimes' shapes differ by float noise)
        a = np.clip((low - alt_mismatch) / (0.5 * low), 0.0, 1.0)
        take = np.zeros(len(ok))
        take[suspect] = gate * a * a * (3.0 - 2.0 * a)
        partner = np.ones(len(ok))
        partner[suspect] = 1.0 - gate + take[suspect]
        distance = (1.0 - take) * hits.distance + take * alt.distance
        blend = np.where(ok, mirror_blend(distance) * partner, 0.0)
        step = _umbrella(len(blend), triangles)
        for _ in range(BLEND_SMOOTH_STEPS):
            blend = 0.5 * blend + 0.5 * (step @ blend)
        blend = np.where(ok, blend * partner, 0.0)
        other = np.flatnonzero(take > 0.0)
        if only is None:
            # the share of the motion the lip-slit gate held to its own side (a partner whose
            # motion differs by half with another sheet by it, no matching sheet to take): the
            # bake's last pass symmetrizes whole shapes where it is large, on the rig check's
            # partners, which pick the sheet by the unsided shapes' motion
            # (model.mirror_pass.HELD_SHARE)
            mirror["held"] = float((motion * ok * (1.0 - partner)).sum() / motion.sum())
    blend = blend[:, None]

    def mirrored(field: np.ndarray) -> np.ndarray:  # (V, 3): the mirror image of a field
        image = transfer(field, hits)
        if other.size:
            w = take[other, None]
            image[other] = (1.0 - w) * image[other] + w * transfer(field, _rows(alt, other))
        # a vertex whose partner fades out (the gate) reads its own field in the same measure, so
        # the averages its neighbours read near it change smoothly too
        return np.where(
            ok[:, None], partner[:, None] * (image @ reflection.T) + (1.0 - partner[:, None]) * field, field
        )

    full = d.copy()
    pairs, single = mirror_pairs(names)
    for left, right in pairs:
        if only is None or left in only or right in only:
            full[left] = 0.5 * (d[left] + mirrored(d[right]))
            full[right] = mirrored(full[left])
    for s in single:
        if only is None or s in only:
            full[s] = 0.5 * (d[s] + mirrored(d[s]))
    np.copyto(full, d, where=~ok[None, :, None])  # never an average with an unmirrored field
    # blend * full + (1 - blend) * d, in place (two fewer (S, V, 3) temporaries)
    full *= blend
    full += (1.0 - blend) * d
    return full.astype(np.asarray(deltas).dtype)


def mirror_mismatch(
    deltas: np.ndarray, hits, ok: np.ndarray, reflection: np.ndarray, names: tuple[str, ...] = ICT_NAMES
) -> np.ndarray:
    """(V,) float64 in [0, 1]: how much each vertex's shapes disagree with their mirror images
    at its mirror point, ``sum |own - mirror|^2 / sum (|own|^2 + |mirror|^2)`` over the shapes
    (a left shape against its right partner's image, an unpaired shape against its own): about
    0 for a true partner (the symmetrize only evens out small differences), 1 and above when the
    partner moves quite differently (another sheet: it would average two different motions);
    the denominator takes a floor of :data:`MIRROR_MOTION_FLOOR` of the largest motion (a vertex
    moving little counts little).
    deltas (S, V, 3) canonical; ``hits``, ``ok``, ``reflection`` from :func:`mirror_map`;
    a vertex with ``ok`` False gets 0."""
    diff, total = _mismatch_terms(np.asarray(deltas, dtype=np.float64), hits, reflection, names)
    return _mismatch_ratio(diff, total, ok)


def _mismatch_ratio(diff: np.ndarray, total: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """:func:`mirror_mismatch` from its terms (V,) and the partner mask (V,) bool."""
    return np.where(ok, diff / np.maximum(total + _mismatch_floor(total), 1e-300), 0.0)


def _mismatch_floor(total: np.ndarray) -> float:
    """The denominator's floor: :data:`MIRROR_MOTION_FLOOR` of the largest motion. The gate is
    for large motions halved by a wrong partner; small ones (a brow's few-percent asymmetry)
    stay averaged."""
    return (MIRROR_MOTION_FLOOR * float(np.sqrt(total.max(initial=0.0)))) ** 2


def _mismatch_terms(d: np.ndarray, hits, reflection: np.ndarray, names, ids: np.ndarray | None = None):
    """(diff, total) of :func:`mirror_mismatch` for the vertices ``ids`` (all: None), read at
    ``hits`` (one row per vertex of ``ids``)."""
    from .transfer import transfer

    pairs, single = mirror_pairs(names)
    rows = slice(None) if ids is None else ids
    n = d.shape[1] if ids is None else len(ids)
    diff, total = np.zeros(n), np.zeros(n)
    for own, other in [*pairs, *[(r, left) for left, r in pairs], *[(s, s) for s in single]]:
        image = transfer(d[other], hits) @ reflection.T
        mine = d[own][rows]
        diff += np.einsum("vc,vc->v", mine - image, mine - image)
        total += np.einsum("vc,vc->v", mine, mine) + np.einsum("vc,vc->v", image, image)
    return diff, total


def _same_sheet_hits(canonical, triangles, d, hits, ids, reflected, reflection, names, floor):
    """(alt, mismatch (len(ids),)): ``alt`` a copy of ``hits`` where each vertex of ``ids``
    (ascending; mirror point by a second sheet, motion mismatched) has the closest point on
    surface facing its mirror image more than :data:`MIRROR_RINGS` rings from its hit, within
    :data:`SYMMETRY_FADE` (:func:`model.mirror_match.rival_hits`); ``mismatch`` the motion
    mismatch there (inf where none is found).

    At a closed mouth's slit the reflected lower-lip row lands on the upper lip (or the other
    way round): two sheets a fraction of a mm apart, both facing the same way, so neither
    distance nor facing tells them apart; the sheet whose motion matches is the same lip."""
    from .mirror_match import rival_hits
    from .transfer import ClosestHits

    ids = np.asarray(ids, dtype=np.int64)
    fields = [np.array(f, copy=True) for f in hits]
    found_mismatch = np.full(len(ids), np.inf)
    rows, found = rival_hits(
        canonical, triangles, reflected, hits, ids, reflection, MIRROR_FACING, SYMMETRY_FADE, MIRROR_RINGS
    )
    for row, i in enumerate(rows):
        # one vertex at a time, as the mismatch terms were always summed
        alt = _rows(found, np.array([row]))
        diff, total = _mismatch_terms(d, alt, reflection, names, np.array([i]))
        found_mismatch[np.searchsorted(ids, i)] = diff[0] / max(total[0] + floor, 1e-300)
    for out, value in zip(fields, found, strict=True):
        out[rows] = value
    return ClosestHits(*fields), found_mismatch


def _two_sheets(canonical: np.ndarray, triangles: np.ndarray, hits, ids: np.ndarray) -> np.ndarray:
    """(len(ids),) bool: a vertex within a median edge length of the mirror point of each of
    ``ids`` lies more than :data:`MIRROR_RINGS` edge rings from the hit triangle's corners (a
    second sheet of the same piece passes by: the other lip across a closed mouth's slit)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    v = np.asarray(canonical, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if ids.size == 0 or len(t) == 0:
        return np.zeros(ids.size, bool)
    edge = float(np.median(np.linalg.norm(v[t[:, 0]] - v[t[:, 1]], axis=1)))
    step = (_umbrella(len(v), t) != 0).astype(np.int8).tocsr()
    out = np.zeros(ids.size, bool)
    near = cKDTree(v).query_ball_point(np.asarray(hits.points)[ids], edge)
    for k, (i, found) in enumerate(zip(ids, near, strict=True)):
        ring = sp.csr_matrix((np.ones(3, np.int8), (np.zeros(3, int), hits.corners[i])), shape=(1, len(v)))
        for _ in range(MIRROR_RINGS):
            ring = ring + ring @ step
        out[k] = bool(np.setdiff1d(found, ring.indices).size)
    return out


def _rows(hits, rows: np.ndarray):
    """The ``rows`` of :class:`model.transfer.ClosestHits` ``hits``."""
    return type(hits)(*(np.asarray(f)[rows] for f in hits))


def post_process(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray,
    locality: bool = True,
    symmetry: bool = True,
    region_mask: bool = False,
    anchors=None,
    mirror: dict | None = None,
) -> np.ndarray:
    """The bake-time constraints in order (region mask, reach, symmetry) on canonical deltas
    (53, V, 3); ``anchors``: this mesh's :func:`skin_anchors` when already found; ``mirror``:
    the mesh's :func:`mirror_map` cache (a dict kept per mesh). ``locality``
    is the reach mask; the region mask is off by default: measured, it adds little to the reach
    on real meshes and costs accuracy on ICT-like heads (measured in
    session 3: held-out ICT 0.097 -> 0.102 relative error)."""
    if region_mask:
        deltas = apply_locality(deltas, triangles, skin_weights)
    if locality:
        deltas = apply_reach(deltas, canonical, triangles, skin_weights, anchors)
    if symmetry:
        deltas = symmetrize(deltas, canonical, triangles, mirror=mirror)
    return deltas
