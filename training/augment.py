"""Mesh-agnostic training samples from ICT-FaceKit: new identities, crops, topologies, styles.

One sample = an ICT head of some identity, cropped, re-triangulated, stylized and placed by a
similarity transform, with the exact ground truth of the 53 ICT expressions (as per-vertex
deltas) and the face-region labels carried onto its vertices. Pipeline (each step can be
skipped), all in ICT centimetres until the last step:

1. identity: ``neutral + c @ identities`` with ``c`` drawn from the split's identity modes
   (:mod:`training.split`), or the generic neutral.
2. crop: a vertex prefix of :data:`model.ict.CROPS`, optionally plus both eyeballs as separate
   components (multi-component robustness).
3. topology: ``none``, isotropic remeshing, quadric decimation, decimation + one Loop/midpoint
   subdivision step (training), adaptive isotropic remeshing and subdivision + decimation
   (test only), via pymeshlab. Each part (face, eyeballs) is re-triangulated separately, so no
   vertex can be attributed to the wrong component.
4. ground truth: every new vertex is projected (exact closest point) onto the ICT surface of
   the same identity, and neutral position, the 53 deltas and the label (vertex of largest
   barycentric weight) are interpolated there. The lips and eyelids of ICT nearly touch
   (boundary gap 0.047 cm at the mouth corners), so the re-triangulation and the projection run
   on a *separation pose* ``neutral + jaw_open * jawOpen``: the same surface parametrization
   with the lips apart, where a vertex of the upper lip cannot land on the lower one. The
   barycentric coordinates found there are then applied to the neutral (the parametrization is
   shared), so the new vertices lie exactly on the neutral surface.
5. warp: a smooth stylizing map ``W`` (anisotropic scale, radial bumps at the eyes and nose, a
   shift bump at the chin); neutral ``W(p)``, deltas ``W(p + d) - W(p)``.
6. similarity: ``x -> s R x + t`` (small rotation, uniform scale, translation); deltas get
   ``s R d`` (no translation).

pymeshlab is a training-only dependency (``pip install -e .[train]``), imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.errors import MissingDependencyError
from model.ict import CROPS, PARTS, sample_identity
from model.transfer import closest_points, dominant_vertex, transfer

from . import split as _split

MIN_VERTICES = 2000
MAX_VERTICES = 40000
CHEAP_MAX_VERTICES = 12000
CHEAP_LARGE_PROBABILITY = 0.1  # cheap mode: how often a sample may go up to MAX_VERTICES
EYEBALL_PARTS = ("eyeball_left", "eyeball_right")
SEPARATION_JAW_OPEN = 0.5  # jawOpen weight of the separation pose (lips ~0.9 cm apart)
SUBDIVIDE_FACTOR = 4  # one subdivision step multiplies the vertex count by about this


@dataclass
class TrainingSample:
    """One augmented mesh with its ground truth, in the sample's own frame.

    vertices: (V, 3) float32, ICT centimetres times ``meta["similarity"]["scale"]``, rotated and
        translated by the similarity (Y up / +Z forward up to that small rotation).
    triangles: (T, 3) int64 indices into vertices.
    deltas: (53, V, 3) float32 expression deltas in :data:`model.facs.ICT_NAMES` order, same frame
        and units as vertices (``vertices + w @ deltas`` is the expressed mesh).
    labels: (V,) int64 region labels (:mod:`model.regions`).
    meta: JSON-serializable dict: seed, split, identity coefficients, crop, eyeballs, topology
        op and parameters, warp parameters (or None), similarity (rotation, scale, translation),
        transfer_max_distance (cm, how far the new vertices were from the source surface).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    deltas: np.ndarray
    labels: np.ndarray
    meta: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- warp


@dataclass
class Warp:
    """Smooth stylizing map of ICT space (cm): Gaussian bumps, then an anisotropic scale.

    ``W(p) = c + S * (p + sum_i a_i g_i(p) (p - e_i) + sum_j g_j(p) t_j - c)`` with
    ``g(p) = exp(-|p - e|^2 / (2 sigma^2))``. Radial amounts stay in (-0.5, 0.6) and shifts
    below sigma, which keeps W one-to-one (radial: 1 + a g (1 - r^2/sigma^2) > 0; shift:
    |t| e^{-1/2} / sigma < 1).
    """

    center: np.ndarray  # (3,)
    scale: np.ndarray  # (3,)
    radial: list[tuple[np.ndarray, float, float]]  # (center, sigma, amount)
    shift: list[tuple[np.ndarray, float, np.ndarray]]  # (center, sigma, translation)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Apply W to (..., 3) float points (cm); returns float64 of the same shape."""
        p = np.asarray(points, dtype=np.float64)
        q = p.copy()
        for c, sigma, amount in self.radial:
            d = p - c
            g = np.exp(-np.einsum("...i,...i->...", d, d) / (2.0 * sigma * sigma))
            q += amount * g[..., None] * d
        for c, sigma, t in self.shift:
            d = p - c
            g = np.exp(-np.einsum("...i,...i->...", d, d) / (2.0 * sigma * sigma))
            q += g[..., None] * t
        return self.center + (q - self.center) * self.scale

    def to_meta(self) -> dict:
        return {
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "radial": [{"center": c.tolist(), "sigma": s, "amount": a} for c, s, a in self.radial],
            "shift": [
                {"center": c.tolist(), "sigma": s, "translation": t.tolist()} for c, s, t in self.shift
            ],
        }


def ict_landmarks(full_neutral: np.ndarray) -> dict[str, np.ndarray]:
    """Warp anchors on a full ICT head (26719, 3) cm: eye centres, nose tip, chin, head centre."""
    v = np.asarray(full_neutral, dtype=np.float64)
    face = v[slice(*PARTS["face"])]
    mid = face[np.abs(face[:, 0]) < 0.5]
    nose = mid[np.argmax(mid[:, 2])]
    front = mid[mid[:, 2] > nose[2] - 5.0]
    chin = front[np.argmin(front[:, 1])]
    head = v[: PARTS["head_and_neck"][1]]
    return {
        "eye_left": v[slice(*PARTS["eyeball_left"])].mean(axis=0),
        "eye_right": v[slice(*PARTS["eyeball_right"])].mean(axis=0),
        "nose": nose,
        "chin": chin,
        "center": 0.5 * (head.min(axis=0) + head.max(axis=0)),
    }


def random_warp(rng: np.random.Generator, landmarks: dict[str, np.ndarray], strength: float = 1.0) -> Warp:
    """A random stylizing :class:`Warp` anchored at ``landmarks`` (see :func:`ict_landmarks`).

    strength scales every amplitude (0 = identity map, 1 = the default range: heads up to ~10%
    wider/taller/deeper, eyes up to 40% bigger, nose up to 35% smaller, chin up to 0.8 cm longer).
    """
    s = float(strength)
    scale = np.exp(rng.uniform(-0.1, 0.1, size=3) * s)
    eye_amount = float(rng.uniform(-0.15, 0.4) * s)
    eye_sigma = float(rng.uniform(1.5, 2.2))
    nose_amount = float(rng.uniform(-0.35, 0.25) * s)
    nose_sigma = float(rng.uniform(1.2, 2.0))
    chin_sigma = float(rng.uniform(2.0, 3.0))
    chin_shift = np.array([0.0, -rng.uniform(-0.3, 0.8), rng.uniform(-0.3, 0.4)]) * s
    nose_c = landmarks["nose"] - np.array([0.0, 0.0, 1.0])  # bump centred inside the nose
    return Warp(
        center=np.asarray(landmarks["center"], dtype=np.float64),
        scale=scale,
        radial=[
            (np.asarray(landmarks["eye_left"], np.float64), eye_sigma, eye_amount),
            (np.asarray(landmarks["eye_right"], np.float64), eye_sigma, eye_amount),
            (nose_c, nose_sigma, nose_amount),
        ],
        shift=[(np.asarray(landmarks["chin"], np.float64), chin_sigma, chin_shift)],
    )


def caricature_warp(rng: np.random.Generator, full_neutral: np.ndarray) -> Warp:
    """A caricature-strength :class:`Warp` of a full ICT head (26719, 3) cm, for hard test cases.

    :func:`random_warp` at strength 1.5-2 (features up to 60-80 % bigger or smaller, head up to
    ~20 % wider/taller/deeper) plus 2-4 local inflations (radial bumps of +10 to +35 %, sigma
    2-4 cm) centred on random face-skin points.
    """
    w = random_warp(rng, ict_landmarks(full_neutral), strength=float(rng.uniform(1.5, 2.0)))
    # radial amounts must stay in (-0.5, 0.6) to keep W one-to-one (see Warp)
    w.radial = [(c, sg, float(np.clip(a, -0.45, 0.55))) for c, sg, a in w.radial]
    face = np.asarray(full_neutral, np.float64)[slice(*PARTS["face"])]
    for _ in range(int(rng.integers(2, 5))):
        centre = face[int(rng.integers(len(face)))] - np.array([0.0, 0.0, 1.0])
        w.radial.append((centre, float(rng.uniform(2.0, 4.0)), float(rng.uniform(0.10, 0.35))))
    return w


# ----------------------------------------------------------------------------- similarity


def random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    """(3, 3) rotation about a uniformly random axis by an angle uniform in [0, max_degrees]."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.deg2rad(rng.uniform(0.0, max_degrees))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


# ----------------------------------------------------------------------------- topology


def _pymeshlab():
    try:
        import pymeshlab
    except ImportError as exc:
        raise MissingDependencyError(
            "pymeshlab is needed to re-triangulate training samples but is not installed; "
            "run `pip install -e .[train]` (or `pip install pymeshlab`), or use topology='none'"
        ) from exc
    return pymeshlab


def _area(v: np.ndarray, t: np.ndarray) -> float:
    return float(
        0.5 * np.linalg.norm(np.cross(v[t[:, 1]] - v[t[:, 0]], v[t[:, 2]] - v[t[:, 0]]), axis=1).sum()
    )


def _meshset(v: np.ndarray, t: np.ndarray):
    pml = _pymeshlab()
    ms = pml.MeshSet()
    ms.add_mesh(
        pml.Mesh(
            vertex_matrix=np.ascontiguousarray(v, np.float64), face_matrix=np.ascontiguousarray(t, np.int32)
        )
    )
    return pml, ms


def _result(ms) -> tuple[np.ndarray, np.ndarray]:
    ms.meshing_remove_unreferenced_vertices()
    m = ms.current_mesh()
    return np.asarray(m.vertex_matrix(), np.float64), np.asarray(m.face_matrix(), np.int64)


def _isotropic(v, t, target, adaptive, iterations):
    # an equilateral triangulation has ~ sqrt(3)/2 L^2 of area per vertex
    length = np.sqrt(2.0 * _area(v, t) / (np.sqrt(3.0) * target))
    for _ in range(2):  # one correction pass when boundaries/features skew the estimate
        pml, ms = _meshset(v, t)
        ms.meshing_isotropic_explicit_remeshing(
            iterations=iterations, adaptive=adaptive, targetlen=pml.PureValue(float(length)),
            featuredeg=60.0, reprojectflag=True,
        )  # fmt: skip
        nv, nt = _result(ms)
        if abs(len(nv) / target - 1.0) < 0.15:
            break
        length *= np.sqrt(len(nv) / target)
    return nv, nt


def _decimate(v, t, target):
    if target >= len(v):
        return v, t
    pml, ms = _meshset(v, t)
    # optimalplacement=False keeps every surviving vertex at an original position (on the surface)
    ms.meshing_decimation_quadric_edge_collapse(
        targetfacenum=int(round(len(t) * target / len(v))), preserveboundary=True, boundaryweight=2.0,
        optimalplacement=False, preservenormal=True, planarquadric=True, qualitythr=0.5, autoclean=True,
    )  # fmt: skip
    return _result(ms)


def _subdivide(v, t, kind):
    pml, ms = _meshset(v, t)
    if kind == "loop":
        ms.meshing_surface_subdivision_loop(iterations=1, threshold=pml.PureValue(0.0))
    else:
        ms.meshing_surface_subdivision_midpoint(iterations=1, threshold=pml.PureValue(0.0))
    return _result(ms)


def retriangulate(
    vertices: np.ndarray, triangles: np.ndarray, op: str, target: int, iterations: int = 4
) -> tuple[np.ndarray, np.ndarray]:
    """Re-triangulate a surface with one topology operation (pymeshlab).

    vertices (V, 3) float (cm), triangles (T, 3) int. op: ``none``, ``isotropic``,
    ``isotropic_adaptive``, ``decimate``, ``decimate_midpoint``, ``decimate_loop``,
    ``subdivide_decimate``. target: wanted vertex count (approximate, within ~15% for the
    remeshers; decimation cannot add vertices). Returns new (V', 3) float64 and (T', 3) int64.
    New vertices lie on the input surface except after ``decimate_midpoint``/``decimate_loop``
    (midpoints of chords / smoothed points, off by a fraction of an edge; the caller projects
    them back). Boundaries are preserved, so separate sheets are never fused.
    """
    v = np.asarray(vertices, np.float64)
    t = np.asarray(triangles, np.int64)
    if op == "none":
        return v, t
    if op in ("isotropic", "isotropic_adaptive"):
        return _isotropic(v, t, target, op == "isotropic_adaptive", iterations)
    if op == "decimate":
        return _decimate(v, t, target)
    if op in ("decimate_midpoint", "decimate_loop"):
        dv, dt = _decimate(v, t, max(target // SUBDIVIDE_FACTOR, 4))
        return _subdivide(dv, dt, "loop" if op == "decimate_loop" else "midpoint")
    if op == "subdivide_decimate":
        sv, st = _subdivide(v, t, "midpoint")
        return _decimate(sv, st, target)
    raise ValueError(f"unknown topology op {op!r}; use one of {TOPOLOGY_OPS}")


TOPOLOGY_OPS = (
    "none",
    "isotropic",
    "isotropic_adaptive",
    "decimate",
    "decimate_midpoint",
    "decimate_loop",
    "subdivide_decimate",
)


def _max_target(op: str, source_vertices: int) -> int:
    """Largest reachable vertex count of an op from a source of ``source_vertices``."""
    if op == "decimate":
        return int(0.85 * source_vertices)
    if op in ("decimate_midpoint", "decimate_loop"):
        return int(0.85 * source_vertices) * SUBDIVIDE_FACTOR
    if op == "subdivide_decimate":
        return int(0.85 * SUBDIVIDE_FACTOR * source_vertices)
    return MAX_VERTICES


# ----------------------------------------------------------------------------- sample


def _ict_labels(ict) -> np.ndarray:
    from model.regions import ict_region_labels

    return np.asarray(ict_region_labels(ict), dtype=np.int64)


def _rng(seed: int, split: str) -> np.random.Generator:
    _split.check_seed(seed, split)
    return np.random.default_rng(np.random.SeedSequence([int(seed), _split.SPLITS.index(split), 0x5EED]))


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names], dtype=np.float64)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def make_sample(
    ict,
    seed: int,
    split: str = "train",
    *,
    identity: str | np.ndarray | None = None,
    crop: str | None = None,
    eyeballs: bool | None = None,
    topology: str | None = None,
    target_vertices: int | None = None,
    warp: bool | float | None = None,
    similarity: bool = True,
    max_rotation_degrees: float = 5.0,
    scale_range: tuple[float, float] = (0.5, 2.0),
    size: str = "cheap",
    min_vertices: int = MIN_VERTICES,
    max_vertices: int = MAX_VERTICES,
    jaw_open: float = SEPARATION_JAW_OPEN,
    labels: np.ndarray | None = None,
) -> TrainingSample:
    """Build one augmented training (or test) sample; deterministic in ``(seed, split, options)``.

    ict: :class:`model.ict.ICTModel`. seed: int in the split's range (:func:`training.split.seed_range`).
    Every option left None is drawn at random from the split's distribution; give it to fix or
    skip a step: ``identity="generic"`` (or a (100,) coefficient array), ``crop`` in
    ``CROPS``, ``eyeballs``, ``topology="none"`` (see :data:`TOPOLOGY_OPS`), ``target_vertices``
    (total, approximate), ``warp=False`` (or a strength), ``similarity=False`` (identity
    transform). ``size="cheap"`` draws targets mostly in 2k-12k (40k with probability 0.1),
    ``"full"`` log-uniformly in 2k-40k. ``labels``: (26719,) int per ICT vertex, default
    :func:`model.regions.ict_region_labels`. Returns a :class:`TrainingSample`.
    Raises MissingDependencyError when a topology op is chosen and pymeshlab is missing.
    """
    if split not in _split.SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {_split.SPLITS}")
    rng = _rng(seed, split)
    # every random draw below happens in a fixed order, whether or not the option is forced,
    # so forcing one step does not reshuffle the others
    draw_identity = sample_identity(rng, _split.identity_basis(split))
    draw_crop = str(rng.choice(list(CROPS)))
    draw_eyes = bool(rng.random() < 0.3)
    draw_op = _pick(rng, _split.topologies(split))
    big = size == "full" or rng.random() < CHEAP_LARGE_PROBABILITY
    draw_u = float(rng.random())
    draw_warp = bool(rng.random() < 0.6)
    warp_rng = np.random.default_rng(rng.integers(2**63))
    sim_rng = np.random.default_rng(rng.integers(2**63))

    if identity is None:
        coeffs = draw_identity
    elif isinstance(identity, str):
        if identity != "generic":
            raise ValueError(f"identity must be None, 'generic' or a (100,) array, got {identity!r}")
        coeffs = np.zeros(ict.identities.shape[0], np.float32)
    else:
        coeffs = np.asarray(identity, np.float32).reshape(-1)
    crop = draw_crop if crop is None else crop
    if crop not in CROPS:
        raise ValueError(f"unknown crop {crop!r}; use one of {list(CROPS)}")
    eyeballs = draw_eyes if eyeballs is None else bool(eyeballs)
    op = draw_op if topology is None else topology
    if op not in TOPOLOGY_OPS:
        raise ValueError(f"unknown topology op {op!r}; use one of {TOPOLOGY_OPS}")

    full = ict.compose(coeffs).astype(np.float64)
    jaw = ict.expressions[ict.expression_names.index("jawOpen")].astype(np.float64)
    pose = full + jaw_open * jaw  # separation pose: lips apart, same parametrization
    all_labels = _ict_labels(ict) if labels is None else np.asarray(labels, np.int64)

    n_face, face_tris = ict.crop(crop)
    parts = [(np.arange(n_face, dtype=np.int64), face_tris)]
    if eyeballs:
        eye_ids, eye_tris = ict.submesh(EYEBALL_PARTS)
        parts.append((eye_ids, eye_tris))
    n_source = sum(len(ids) for ids, _ in parts)

    hi = min(max_vertices, MAX_VERTICES if big else CHEAP_MAX_VERTICES)
    hi = min(hi, int(_max_target(op, n_source)))
    lo = min(min_vertices, hi)
    if target_vertices is None:
        target_total = int(round(np.exp(np.log(lo) + draw_u * (np.log(hi) - np.log(lo)))))
    else:
        target_total = int(target_vertices)
    if op == "none":
        target_total = n_source

    out_v, out_t, out_d, out_l = [], [], [], []
    max_dist = 0.0
    offset = 0
    for ids, tris in parts:
        target = max(4, int(round(target_total * len(ids) / n_source)))
        src_pose = pose[ids]
        nv, nt = retriangulate(src_pose, tris, op, target)
        if op == "none":
            hits = None
            neutral = full[ids]
            deltas = ict.expressions[:, ids].astype(np.float64)
            lab = all_labels[ids]
        else:
            hits = closest_points(src_pose, tris, nv)
            max_dist = max(max_dist, float(hits.distance.max()))
            neutral = transfer(full[ids], hits)
            deltas = transfer(ict.expressions[:, ids], hits)
            lab = all_labels[ids][dominant_vertex(hits)]
        out_v.append(neutral)
        out_t.append(nt + offset)
        out_d.append(deltas)
        out_l.append(lab)
        offset += len(neutral)
    vertices = np.concatenate(out_v)
    triangles = np.concatenate(out_t).astype(np.int64)
    deltas = np.concatenate(out_d, axis=1)
    labels_out = np.concatenate(out_l).astype(np.int64)

    strength = (1.0 if draw_warp else 0.0) if warp is None else float(warp)
    warp_meta = None
    if strength > 0.0:
        w = random_warp(warp_rng, ict_landmarks(full), strength)
        warped = w(vertices)
        deltas = w(vertices[None] + deltas) - warped[None]
        vertices = warped
        warp_meta = {"strength": strength, **w.to_meta()}

    if similarity:
        rot = random_rotation(sim_rng, max_rotation_degrees)
        scale = float(np.exp(sim_rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]))))
        trans = sim_rng.uniform(-10.0, 10.0, size=3) * scale
    else:
        rot, scale, trans = np.eye(3), 1.0, np.zeros(3)
    vertices = scale * vertices @ rot.T + trans
    deltas = scale * deltas @ rot.T

    meta = {
        "seed": int(seed),
        "split": split,
        "identity": [float(c) for c in coeffs],
        "crop": crop,
        "eyeballs": eyeballs,
        "topology": {"op": op, "target_vertices": int(target_total), "separation_jaw_open": float(jaw_open)},
        "warp": warp_meta,
        "similarity": {"rotation": rot.tolist(), "scale": scale, "translation": trans.tolist()},
        "num_vertices": int(len(vertices)),
        "transfer_max_distance": max_dist,
    }
    return TrainingSample(
        vertices=vertices.astype(np.float32),
        triangles=triangles,
        deltas=deltas.astype(np.float32),
        labels=labels_out,
        meta=meta,
    )
