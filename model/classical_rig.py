"""The classical rig: register the ICT-FaceKit template onto a mesh and carry its 53 shapes over.

Pipeline (numpy + scipy, no network), on a target already in the canonical frame of
:mod:`model.frame` (Y up, +Z forward, unit RMS radius):

1. landmarks: eye and mouth openings of target and template (:mod:`model.openings`), matched
   by arc length; none when the target has no openings (closed scans).
2. crop choice and similarity: for each ICT crop (``narrow``, ``face``, ``head``) a similarity
   ICP (landmark-initialised when both sides have openings, else moment-initialised) of the
   target's skin onto the crop; the crop whose trimmed two-way distance is smallest wins.
3. non-rigid ICP of the chosen crop onto the target's skin (:func:`model.registration.nonrigid_icp`).
4. correspondence: every target vertex's exact closest point on the deformed template
   (barycentric); vertices of small separate parts (eyeballs, teeth, lashes) may also land on
   ICT's eyeballs, placed by the registration around the eye openings.
5. transfer: ICT's deltas at those points, mapped by the similarity and, with ``adapt``, by the
   local linear part of the non-rigid deformation (a per-vertex deformation transfer, so a
   bigger or turned feature gets bigger or turned motion).

Results are in canonical units; :class:`model.api.FaceModel` maps them back to the input frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .frame import surface_moments
from .ict import CROPS
from .ict_template import ICTTemplate, as_template
from .opening_sides import opening_sides, triangle_sides
from .openings import find_openings, front_mouth, loop_correspondence, seen_mouth
from .registration import (
    DeformationGraph,
    ICPState,
    Similarity,
    _Target,
    build_graph,
    nonrigid_icp,
    similarity_icp_steps,
    umeyama,
)
from .transfer import ClosestHits, closest_points, transfer

# a separate part whose bounding box is below this share of the whole mesh's is not skin
# (eyeballs, teeth, lashes); the skin drives the registration
_SKIN_PART_SIZE = 0.3
_ICP_SAMPLES = 3000
_LOOP_SAMPLES = 24


@dataclass
class Registration:
    """The ICT template registered onto a target mesh (canonical units).

    crop: the ICT crop used; template_ids: (n,) int64 vertex ids of the template in the
    :class:`model.ict_template.ICTTemplate` (crop, then eyeballs when used);
    template_triangles: (T, 3) int64 into template_ids; deformed: (n, 3)
    template after registration; linear: (n, 3, 3) maps ICT-centimetre deltas into canonical
    deltas at each template vertex (row-vector convention ``d_can = d_ict @ linear[i]``),
    similarity only; linear_adapted: the same including the non-rigid local linear part;
    hits: (V,) closest points of the target vertices on the deformed template; residual: (V,)
    their distances; landmarks: number of opening loops used (0, 2 or 3); similarity: ICT cm ->
    canonical; seconds: wall time per stage (``similarity``: openings and ICP, ``nonrigid``,
    ``correspondence``); eye_landmarks: both eye openings were found and pinned the template's
    eyes (False on sealed eyes: the template's eyes then sit where the surface fit put them);
    openings: the target's eye and mouth openings (:func:`model.openings.find_openings`; the
    mouth of lips welded to a mouth bag as :func:`model.openings.seen_mouth` finds it, then
    ``mouth_seen``).
    """

    crop: str
    template_ids: np.ndarray
    template_triangles: np.ndarray
    deformed: np.ndarray
    linear: np.ndarray
    linear_adapted: np.ndarray
    hits: ClosestHits
    residual: np.ndarray
    landmarks: int
    similarity: Similarity
    seconds: dict
    eye_landmarks: bool = False
    openings: dict = field(default_factory=dict)
    mouth_seen: bool = False


def skin_mask(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V,) bool: vertices of connected parts whose bounding box is at least 30 % of the mesh's
    (the face/head surface, not eyeballs, teeth or lashes)."""
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    n = len(v)
    adj = sp.coo_matrix((np.ones(3 * len(t)), (t.ravel(), np.roll(t, 1, axis=1).ravel())), shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    used = np.zeros(n, bool)
    used[t.ravel()] = True
    total = np.linalg.norm(np.ptp(v[used], axis=0))
    keep = np.zeros(n, bool)
    for c in np.unique(comp[used]):
        ids = np.flatnonzero((comp == c) & used)
        if np.linalg.norm(np.ptp(v[ids], axis=0)) >= _SKIN_PART_SIZE * total:
            keep[ids] = True
    if not keep.any():  # nothing big: treat everything as skin
        keep = used
    return keep


class _CropTemplate:
    """Everything about one ICT crop that does not depend on the target (built once, cached)."""

    def __init__(self, template: ICTTemplate, name: str):
        self.name = name
        self.source = template
        self.n, self.triangles = template.crop(name)
        self.vertices = template.neutral[: self.n].astype(np.float64)
        self.openings = find_openings(self.vertices, self.triangles)
        self._front_openings: dict | None = None
        self.surface = _Target(self.vertices, self.triangles)
        self.center, self.rms = surface_moments(self.vertices, self.triangles)
        self.used = np.unique(self.triangles)
        self._graphs: dict[int, DeformationGraph] = {}
        self._sides: dict[str, np.ndarray] = {}

    def triangle_sides(self, key: str) -> np.ndarray:
        """(T,) int8 side of each template triangle about the opening ``key``
        (:func:`model.opening_sides.triangle_sides`)."""
        if key not in self._sides:
            sides = opening_sides(self.vertices, self.triangles, self.openings[key])
            self._sides[key] = triangle_sides(sides, self.triangles)
        return self._sides[key]

    def front_openings(self) -> dict:
        """:attr:`openings` with the mouth as the crop looks from the front
        (:func:`model.openings.front_mouth`): the landmarks of a target whose mouth was found
        so (:func:`model.openings.seen_mouth`)."""
        if self._front_openings is None:
            out = dict(self.openings)
            mouth = front_mouth(self.vertices, self.triangles, self.openings) if "eye_left" in out else None
            if mouth is None:
                out.pop("mouth", None)
            else:
                out["mouth"] = mouth
            self._front_openings = out
        return self._front_openings

    def graph(self, num_nodes: int) -> DeformationGraph:
        if num_nodes not in self._graphs:
            self._graphs[num_nodes] = build_graph(self.vertices, self.triangles, num_nodes)
        return self._graphs[num_nodes]


_TEMPLATES: dict[tuple[int, str], _CropTemplate] = {}


def _crop_template(template: ICTTemplate, name: str) -> _CropTemplate:
    # keyed by id, checked by identity: a freed template's id may be reused
    key = (id(template), name)
    if key not in _TEMPLATES or _TEMPLATES[key].source is not template:
        if len(_TEMPLATES) > 8:  # several ICT models loaded: keep the cache bounded
            _TEMPLATES.clear()
        _TEMPLATES[key] = _CropTemplate(template, name)
    return _TEMPLATES[key]


def _landmark_pairs(
    t_open: dict, s_open: dict, template_v: np.ndarray, target_v: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(template vertex ids (L,), target positions (L, 3)) from loops both sides have."""
    ids, pos = [], []
    for key in ("eye_left", "eye_right", "mouth"):
        if key in t_open and key in s_open:
            i, p = loop_correspondence(template_v[t_open[key]], target_v[s_open[key]], _LOOP_SAMPLES)
            ids.append(t_open[key][i])
            pos.append(p)
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, 3))
    return np.concatenate(ids), np.vstack(pos)


def _two_way_distance(
    sample: np.ndarray,
    sample_tree: cKDTree,
    to_template: Similarity,
    template: _CropTemplate,
    trim: float = 0.9,
) -> float:
    """Trimmed mean distance of the sample (S, 3) to the crop placed by ``to_template``'s
    inverse plus that of the placed crop to the sample (canonical units). Both k-d trees are
    built once: the sample's (``sample_tree``) and the crop's own (the sample is taken into the
    crop's frame instead, and the distances scaled back)."""
    da, _ = template.surface.tree.query(to_template(sample))
    da = da / to_template.scale
    db, _ = sample_tree.query(to_template.inverse()(template.vertices[template.used]))
    return float(np.mean(np.sort(da)[: int(trim * len(da))]) + np.mean(np.sort(db)[: int(trim * len(db))]))


@dataclass
class SimilarityFit:
    """The similarity stage of :func:`register_ict`: the ICT crop placed on a canonical mesh.

    similarity: template (ICT cm) -> the mesh's canonical frame; template: the crop used;
    score: two-way trimmed mean distance between the mesh's skin sample and the placed crop
    (canonical units; the crop with the lowest wins); landmark_ids / landmark_positions: the
    opening-loop pairs used (template vertex ids (L,), mesh positions (L, 3)); skin (V,) bool,
    target (the mesh's skin surface for closest points), openings: what the later stages reuse;
    mouth_seen: the mouth in ``openings`` is the slit of lips welded to a mouth bag
    (:func:`model.openings.seen_mouth`), pinned to the template's own slit.
    """

    similarity: Similarity
    template: _CropTemplate
    score: float
    landmark_ids: np.ndarray
    landmark_positions: np.ndarray
    skin: np.ndarray
    target: _Target
    openings: dict
    mouth_seen: bool = False


# every crop's ICP runs this many iterations first; only the crops whose score is then within
# _SCOUT_MARGIN of the best go on. On the held-out, real-dev and demo meshes (21) the crop that
# led after 3 iterations always won after 30, the closest race 12 % apart after 5, the others
# 50 % or more: the margin leaves a race to the full iterations, which then pick as before
_SCOUT_ITERATIONS = 5
_SCOUT_MARGIN = 1.3


@dataclass
class _CropRun:
    """One crop's similarity ICP in :func:`fit_similarity` (target sample -> template)."""

    template: _CropTemplate
    state: ICPState
    landmarks: tuple[np.ndarray, np.ndarray] | None
    landmark_ids: np.ndarray
    landmark_positions: np.ndarray
    iterations: int = 0

    def advance(self, sample: np.ndarray, iterations: int) -> None:
        surface = self.template.surface
        self.state = similarity_icp_steps(sample, surface, self.state, iterations, self.landmarks)
        self.iterations += iterations

    def score(self, sample: np.ndarray, sample_tree: cKDTree) -> float:
        """Two-way trimmed distance of the sample and the placed crop (canonical units)."""
        return _two_way_distance(sample, sample_tree, self.state.similarity, self.template)


def _scout(runs: list[_CropRun], sample: np.ndarray, sample_tree: cKDTree, iterations: int) -> list[_CropRun]:
    """The runs still in the race after ``iterations`` each (advanced by as many)."""
    scores = []
    for run in runs:
        run.advance(sample, iterations)
        scores.append(run.score(sample, sample_tree))
    return [r for r, s in zip(runs, scores, strict=True) if s <= _SCOUT_MARGIN * min(scores)]


def fit_similarity(
    template,
    vertices: np.ndarray,
    triangles: np.ndarray,
    crop: str | None = None,
    samples: int = _ICP_SAMPLES,
    iterations: int = 30,
) -> SimilarityFit:
    """Similarity ICP of each ICT crop (or ``crop`` only) onto the skin of a canonical mesh
    (vertices (V, 3) float64, triangles (T, 3) int64), started from the eye/mouth opening loops
    when both eyes are found, else from the surface moments; the best-fitting crop wins.
    ``template``: :class:`model.ict_template.ICTTemplate` (``as_template`` already applied);
    ``samples``: skin points matched per ICP iteration, for at most ``iterations``. Crops that
    trail clearly after a few iterations stop there (:func:`_scout`)."""
    v, t = vertices, triangles
    skin = skin_mask(v, t)
    skin_tris = t[skin[t].all(axis=1)]
    target = _Target(v, skin_tris)
    t_open = find_openings(v, t)
    # lips welded to a mouth bag: the mouth as the face looks from the front, on the template too
    mouth = seen_mouth(v, t, t_open)
    if mouth is not None:
        t_open["mouth"] = mouth
    rng = np.random.default_rng(0)
    skin_ids = np.flatnonzero(skin)
    # sample in position order, not index order: the result must not depend on vertex order
    skin_ids = skin_ids[np.lexsort(v[skin_ids].T)]
    sample = v[skin_ids[rng.choice(len(skin_ids), size=min(samples, len(skin_ids)), replace=False)]]
    t_center, t_rms = surface_moments(v, skin_tris)
    runs = []
    for name in [crop] if crop else list(CROPS):
        tmpl = _crop_template(template, name)
        tv = tmpl.vertices
        loops = tmpl.front_openings() if mouth is not None else tmpl.openings
        lm_ids, lm_pos = _landmark_pairs(loops, t_open, tv, v)
        if len(lm_ids) >= 2 * _LOOP_SAMPLES:  # both eyes: landmark initialisation
            init = umeyama(tv[lm_ids], lm_pos)
        else:
            scale = t_rms / tmpl.rms
            init = Similarity(scale, np.eye(3), t_center - scale * tmpl.center)
        # ICP moves the target sample onto the template (the template covers the target)
        landmarks = (lm_pos, tv[lm_ids]) if len(lm_ids) else None
        runs.append(_CropRun(tmpl, ICPState(init.inverse()), landmarks, lm_ids, lm_pos))
    sample_tree = cKDTree(sample)
    if len(runs) > 1:
        runs = _scout(runs, sample, sample_tree, min(iterations, _SCOUT_ITERATIONS))
    best = None
    for run in runs:
        run.advance(sample, iterations - run.iterations)
        score = run.score(sample, sample_tree)
        if best is None or score < best.score:
            sim = run.state.similarity.inverse()
            best = SimilarityFit(
                sim, run.template, score, run.landmark_ids, run.landmark_positions, skin, target, t_open,
                mouth_seen=mouth is not None,
            )  # fmt: skip
    return best


def register_ict(
    ict,
    vertices: np.ndarray,
    triangles: np.ndarray,
    crop: str | None = None,
    num_nodes: int = 600,
    nonrigid: bool = True,
    **nicp_options,
) -> Registration:
    """Register the ICT template onto a canonical-frame mesh.

    ict: :class:`model.ict.ICTModel` (cut to the template at full precision), an
    :class:`model.ict_template.ICTTemplate`, or None for the shipped template; vertices (V, 3)
    float canonical frame; triangles (T, 3) int. ``crop`` forces an ICT crop (None: chosen by
    fit). ``num_nodes``: deformation nodes of the non-rigid stage (its cost grows with them);
    ``nonrigid=False`` stops after the similarity (for tests and comparison); ``nicp_options`` go to
    :func:`model.registration.nonrigid_icp` (stiffness schedule, iterations, ...).
    """
    clock = [time.perf_counter()]
    seconds: dict[str, float] = {}
    template = as_template(ict)

    def lap(name: str) -> None:
        now = time.perf_counter()
        seconds[name] = now - clock[0]
        clock[0] = now

    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    fit = fit_similarity(template, v, t, crop)
    skin, target, t_open = fit.skin, fit.target, fit.openings
    tmpl, sim, lm_ids, lm_pos = fit.template, fit.similarity, fit.landmark_ids, fit.landmark_positions
    lap("similarity")
    name, n, tris = tmpl.name, tmpl.n, tmpl.triangles
    placed = sim(tmpl.vertices)
    n_tmpl = n
    if nonrigid:
        res = nonrigid_icp(
            placed, tris, target, landmarks=(lm_ids, lm_pos), graph=tmpl.graph(num_nodes), **nicp_options
        )
        deformed, local = res.vertices, res.linear
    else:
        deformed, local = placed, np.tile(np.eye(3), (n, 1, 1))
    base = np.tile(sim.scale * sim.rotation.T, (n, 1, 1))
    ids = np.arange(n, dtype=np.int64)
    all_tris = tris
    lin, lin_a = base, base @ local
    others = ~skin & np.isin(np.arange(len(v)), t.ravel())
    if others.any():
        # separate small parts: offer ICT's eyeballs, moved with the eye openings' deformation
        eye_ids = template.eyeball_ids()
        eye_v = sim(template.neutral[eye_ids].astype(np.float64))
        s_open = tmpl.openings
        for (start, stop), key in zip(template.eyeballs, ("eye_left", "eye_right"), strict=True):
            sel = (eye_ids >= start) & (eye_ids < stop)
            if key in s_open:
                loop = s_open[key]
                eye_v[sel] += (deformed[loop] - placed[loop]).mean(axis=0)
        eye_tris = template.eyeball_triangles()
        ids = np.concatenate([ids, eye_ids])
        all_tris = np.vstack([tris, eye_tris + n])
        deformed = np.vstack([deformed, eye_v])
        eye_lin = np.tile(sim.scale * sim.rotation.T, (len(eye_ids), 1, 1))
        lin = np.concatenate([lin, eye_lin])
        lin_a = np.concatenate([lin_a, eye_lin])
    lap("nonrigid")
    # skin vertices land on the template skin, on their own side of each opening; other parts
    # on skin or eyeballs
    hits = _keep_sides(closest_points(deformed[:n_tmpl], tris, v), deformed[:n_tmpl], tmpl, v, t, t_open)
    if others.any():
        oh = closest_points(deformed, all_tris, v[others])
        idx = np.flatnonzero(others)
        fields = [np.array(f, copy=True) for f in hits]
        for k, f in enumerate(oh):
            fields[k][idx] = f
        # triangle indices of the skin-only query refer to `tris`, a prefix of `all_tris`
        hits = ClosestHits(*fields)
    lap("correspondence")
    return Registration(
        crop=name,
        template_ids=ids,
        template_triangles=all_tris,
        deformed=deformed,
        linear=lin,
        linear_adapted=lin_a,
        hits=hits,
        residual=hits.distance,
        landmarks=sum(k in t_open for k in ("eye_left", "eye_right", "mouth")) if len(lm_ids) else 0,
        similarity=sim,
        seconds=seconds,
        eye_landmarks=len(lm_ids) > 0 and all(k in t_open for k in ("eye_left", "eye_right")),
        openings=t_open,
        mouth_seen=fit.mouth_seen,
    )


def _keep_sides(
    hits: ClosestHits, template_v: np.ndarray, tmpl: _CropTemplate, v: np.ndarray, t: np.ndarray, t_open: dict
) -> ClosestHits:
    """``hits`` of the target vertices ``v`` (V, 3) on the registered template (``template_v``
    (n, 3), ``tmpl.triangles``), each matched again on its own side of the eye and mouth
    openings both meshes have (:mod:`model.opening_sides`) where its closest point lay across:
    an upper-lip vertex that took the template's lower lip opened with the jaw and tore the
    lip (8 vertices on the stylized demo head, 1 on the demo head as it comes)."""
    fields = None
    for key in ("mouth", "eye_left", "eye_right"):
        if key not in t_open or key not in tmpl.openings:
            continue
        on_template = tmpl.triangle_sides(key)
        on_target = opening_sides(v, t, t_open[key])
        across = on_target.astype(np.int16) * on_template[hits.triangle] < 0
        for side in (1, -1):
            q = np.flatnonzero(across & (on_target == side))
            if len(q) == 0:
                continue
            # the template's own side of the opening: the lip (or lid) the vertex is on
            allowed = np.flatnonzero(on_template == side)
            again = closest_points(template_v, tmpl.triangles[allowed], v[q])
            if fields is None:
                fields = [np.array(f, copy=True) for f in hits]
            fields[0][q] = allowed[again.triangle]
            for k in range(1, len(fields)):
                fields[k][q] = again[k]
            hits = ClosestHits(*fields)
    return hits


# target vertices farther than this from the registered template (canonical units, 1 = RMS
# radius, ~10 cm on a head) are not part of the face the template covers (shoulders, collar,
# hair, a crown): their motion fades out linearly from FALLOFF[0] to zero at FALLOFF[1].
# On the held-out ICT cases 99 % of the vertices lie within 0.05.
FALLOFF = (0.05, 0.15)


def transfer_expressions(
    ict, reg: Registration, adapt: bool = True, falloff: tuple[float, float] | None = FALLOFF
) -> np.ndarray:
    """ICT's 53 expression deltas carried onto the target: (53, V, 3) float32, canonical units.

    ``adapt``: map each template vertex's deltas by the local linear part of the non-rigid
    deformation too (deformation transfer per vertex), not only by the global similarity.
    Measured on held-out cases (notes of issue 9): much better on caricatures (relative error
    0.085 vs 0.136 on hard stylized cases), slightly worse on plain heads (0.045 vs 0.034).
    ``falloff``: (start, end) distances to the template over which motion fades to zero
    (None: every vertex copies its closest template point's motion, however far).
    ``ict``: the same ICT model / template / None given to :func:`register_ict`.
    """
    lin = reg.linear_adapted if adapt else reg.linear
    d = as_template(ict).expressions[:, reg.template_ids].astype(np.float64)  # (53, n, 3) cm
    # per vertex (53, 3) @ (3, 3) as one batched matmul: 2 ms where einsum took 28 ms at 11k
    d = np.matmul(d.transpose(1, 0, 2), lin).transpose(1, 0, 2)
    out = transfer(d, reg.hits)
    if falloff is not None:
        r0, r1 = falloff
        out *= np.clip((r1 - reg.residual) / (r1 - r0), 0.0, 1.0)[None, :, None]
    return out.astype(np.float32)
