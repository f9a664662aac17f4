"""Bake-time static area: the parts of a head that no expression moves stay (nearly) still.

Issue 9 names the static parts: scalp, back of the head, ears, neck base, shoulders, body, hair
and upper teeth. Hair, upper teeth and everything below the neck are pieces or regions that
:mod:`model.rig_constraints` already holds still. This module holds the **skin** of the scalp,
the back of the head, the ears and the neck base (nearly) still in every shape, whatever the
network (or the registered template) predicts there, and fades that constraint in smoothly so no
seam appears at its edge.

Where the static skin lies, and how much ICT itself moves it, is derived from ICT-FaceKit once
(``model/static_area.npz`` beside this module, ~85 KB; regenerate with ``python -m
training tables --ict PATH``):

* ``points (P, 3)``: every :data:`POINT_STRIDE`-th vertex of ICT's ``head`` crop in face units
  (canonical frame, origin between the eyes, eye distance 1; as :mod:`model.shape_locality`);
* ``moving (P,)``: some ICT shape moves the point by :data:`STATIC_REL` (6 %) of ``jawOpen``'s
  largest displacement or more. ICT's own capture moves its ear lobes by up to 4.8 % in
  ``jawOpen`` (the ears are static anatomically); 6 % keeps them still while the skin under the
  chin, which ``jawOpen`` really moves (up to 46 %), stays free;
* ``static (P,)``: not moving, and in one of ICT's static skin regions (``scalp``, ``neck``:
  :data:`model.regions.STATIC_REGIONS`, grown from ICT's motionless seeds). Face points that
  happen to move little (the nose bridge) are neither: they never pull a vertex to static, so
  no static island appears inside the face;
* ``motion (53, Ps)`` uint8: how far each ICT shape moves each static point, in steps of
  :data:`MOTION_STEP` of ``jawOpen``'s largest displacement (all below :data:`STATIC_REL`).

On a mesh (:func:`static_weights`) the points are placed by the face anchors (eye midpoint and
eye distance: eye openings, eyeballs, skin weights or the nose tip,
:func:`model.rig_check.face_anchors`, as the reach mask of :mod:`model.shape_locality`) and
stand upright with the face's pitch (:attr:`model.face_alignment.Alignment.face_pitch`, the turn
that stands the face as ICT's stands; :func:`model.rig_check.face_units`), as the rig check
places its static zones with the pitch it finds (a head cut from a bust or a body: in the yaw,
roll and pitch the check fits on the whole mesh, :attr:`model.rig_check.FaceAnchors.turn`). In
the canonical axes alone, a head modelled nodding 10 degrees had ICT's static skin 10 degrees
off its ears and neck base (the demo head, Nefertiti and Rocketbox Adult_01 pitched 10 degrees:
ears and neck base at 1.0-1.4 % of jawOpen, 9 static-leakage verdicts;
``benchmarks/realdev_variants.py``); upright with the face, held-out ICT (mixed, ``python -m
training evaluate --harder``) moved by -0.0001 to -0.0004 (hard stylized +0.0001).

A vertex's static weight grows with how much closer it lies to ICT's static skin than to ICT's
moving skin: ``s = d_moving - d_static`` (face units, depth weighted by :data:`DEPTH_WEIGHT`),
``w = smoothstep((s - FADE_START) / FADE_WIDTH)``. Vertices beyond ICT's head (a crown, a
taller skull, the shoulders) are far from every moving point and come out static. The fade sits
on the edge of ICT's moving skin (where ICT moves it by about 6 % of ``jawOpen``;
:data:`FADE_START` shifts it a little to the moving side) and spans :data:`FADE_WIDTH` eye
distances (~1.5 cm on a human head), so the constraint comes in gradually: no seam, no fold.

What the constraint does (:func:`apply_static`) is a **cap**, not a zero: on static skin a
shape may move a vertex as far as ICT's same shape moves the corresponding static point
(:func:`static_caps`: the table's ``motion`` interpolated from the nearest static points, as a
share of ``jawOpen``'s largest displacement, times the bake's own ``jawOpen`` peak), no further;
its delta keeps its direction and is shortened to that length, blended in by ``w``. ICT's skin
slides a little on the sides of the head (``mouthSmile`` moves the skin in front of the ears by
up to 4 % of ``jawOpen``, ``jawForward`` and ``cheekSquint`` the temples, the brows the
forehead up to the hairline): a hard zero removed that motion and cost 0.015 held-out relative
error (``benchmarks/static_mask_cost.py``, 4 cases a set, unseen 0.115 -> 0.130; 68 % of ICT's
scalp motion removed; with the cap 0.117), while a network that moves a bust's scalp by a lot is
still cut down to ICT's few per mille. In the parts the issue names static and the rig check
holds to 1 % of ``jawOpen`` (:func:`strict_zone` of the mesh's own vertices: ears and back of
the head, scalp top, neck base, with a margin) the constraint is whole and the cap at most
:data:`STRICT_REL`, whatever ICT does there (its capture moves the skin in front of its ears by
up to 3.8 % in ``mouthSmile``). Beyond ICT's head (farther than :data:`BEYOND_START` eye distances from its
nearest static point: a crown, the shoulders) the cap fades to zero over :data:`BEYOND_WIDTH`.

Eyeballs, teeth, lashes and brows are pieces: :mod:`model.rig_constraints` sets their motion
after this (rigid eyeballs rotating for ``eyeLook*``, lashes following the lids), so the mask
never reaches them.
"""

from __future__ import annotations

import functools
import pathlib

import numpy as np

from .memo import memoize

TABLE_PATH = pathlib.Path(__file__).resolve().parent / "static_area.npz"
POINT_STRIDE = 2  # every 2nd vertex of ICT's head crop (~5.6k points)
STATIC_REL = 0.06  # of jawOpen's largest displacement: ICT's ear lobes move 4.8 %, under-chin 46 %
# eye distances: the fade starts a little on the moving side of the midpoint between static and
# moving skin (centred on it, -0.12, removed more of ICT's own forehead motion: held-out relative
# error 0.138 vs 0.132, 4 cases; starting at the midpoint, 0.0, let 1.3 % leak on a bust)
FADE_START = -0.06
# depth differences count half: heads differ in depth profile (a high, forward forehead on a bust)
# far more than in height, and the static parts (scalp top, neck base) are told apart by height
DEPTH_WEIGHT = 0.5
FADE_WIDTH = 0.24  # eye distances (~1.5 cm) over which a vertex goes from moving to static
MOTION_STEP = STATIC_REL / 255  # of jawOpen's largest displacement: the uint8 unit of ``motion``
CAP_NEIGHBOURS = 4  # static points a cap is interpolated from (inverse squared distance): no seams
# eye distances from ICT's nearest static point: ICT's head surface lies within ~0.05 of its own
# sample points (every 2nd vertex); a crown or shoulders lie farther, where ICT says nothing
BEYOND_START = 0.15
BEYOND_WIDTH = 0.3
# of jawOpen's largest displacement: the most a shape moves the strict parts (the rig check
# allows 1 %; half of it leaves room for the bake's jawOpen peak differing from the final rig's)
STRICT_REL = 0.005
# eye distances: the strict parts reach this far beyond the rig check's zones, fading in (a
# mesh's eye anchors are a little off; 0.4 cost 0.001 more held-out error than 0.2)
STRICT_MARGIN = 0.2


def strict_zone(points: np.ndarray) -> np.ndarray:
    """``(P,)`` float64 in [0, 1]: how far face-unit points (P, 3) (origin between the eyes, eye
    distance 1, upright with the face: :func:`model.rig_check.face_units`) lie in the static
    parts of the rig check (:func:`model.rig_check.heuristic_static_mask`: back of the head and
    ears, scalp top, neck base): 1 inside them, fading to 0 at :data:`STRICT_MARGIN` outside."""
    # the rig check's zones, the parts the issue names static
    from .rig_check import _BACK_Y, _BACK_Z, _NECK_Y, _SCALP_Y

    def step(t: np.ndarray) -> np.ndarray:
        t = np.clip(t, 0.0, 1.0)
        return t * t * (3.0 - 2.0 * t)

    y, z, m = points[:, 1], points[:, 2], STRICT_MARGIN
    back = step((_BACK_Z + m - z) / m) * step((y - _BACK_Y + m) / m)
    return np.maximum.reduce([back, step((y - _SCALP_Y + m) / m), step((_NECK_Y + m - y) / m)])


@functools.lru_cache(maxsize=4)
def load_table(path: str | pathlib.Path = TABLE_PATH) -> dict[str, np.ndarray]:
    """The committed table (as :func:`training.tables.static_area_table`; read once per path, do not modify);
    raises ValueError when it predates the ``motion`` caps or has other shape names."""
    from .facs import ICT_NAMES

    with np.load(path, allow_pickle=False) as z:
        if "motion" not in z.files or tuple(z["shapes"]) != ICT_NAMES:
            raise ValueError(
                f"{path} is stale (no per-shape motion caps, or other shape names); regenerate it "
                "with `python -m training tables --ict PATH`"
            )
        return {
            "points": z["points"].astype(np.float64),
            "static": z["static"].astype(bool),
            "moving": z["moving"].astype(bool),
            "motion": z["motion"].astype(np.uint8),
        }


def _local(
    canonical: np.ndarray, mid: np.ndarray, eye_distance: float, pitch: float = 0.0, turn=None
) -> np.ndarray:
    """Canonical vertices (V, 3) in the table's face units, upright with the face (``pitch``,
    ``turn``: :func:`model.rig_check.face_units`), depth squashed by DEPTH_WEIGHT."""
    from .rig_check import face_units

    return face_units(canonical, mid, eye_distance, pitch, turn) * np.array([1.0, 1.0, DEPTH_WEIGHT])


def _placed(canonical, mid, eye_distance, table, pitch, turn) -> tuple[dict, np.ndarray]:
    """(the table, the committed one when None; the vertices in its face units, :func:`_local`)."""
    return (load_table() if table is None else table), _local(canonical, mid, eye_distance, pitch, turn)


def _limits(canonical, mid, eye_distance, table, pitch, turn) -> tuple[np.ndarray, np.ndarray]:
    """(w (V,), caps (53, V)) of :func:`static_keep`: the static weight, at least the
    :func:`strict_zone`'s, and the caps, at most :data:`STRICT_REL` there (blended by the zone)."""
    from .rig_check import face_units

    zone = strict_zone(face_units(canonical, mid, eye_distance, pitch, turn))
    w = np.maximum(static_weights(canonical, mid, eye_distance, table, pitch, turn), zone)
    caps = static_caps(canonical, mid, eye_distance, table, pitch, turn)
    return w, (1.0 - zone) * caps + zone * np.minimum(caps, STRICT_REL)


@memoize
def _committed_limits(canonical, mid, eye_distance, pitch, turn) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_limits` on the committed table, kept by the arguments' bytes: geometry only, and
    the bake asks for them twice per mesh (the static area, then again after the last mirror
    pass, :meth:`model.api.FaceModel._hold_static`: three KD-tree queries over every vertex)."""
    return _limits(canonical, mid, eye_distance, load_table(), pitch, turn)


def prime_static(anchors) -> None:
    """Find the committed static limits :func:`apply_static` will ask for with these face
    ``anchors`` (:func:`model.shape_locality.skin_anchors`), kept by :func:`_committed_limits`'
    memo: its later call gets the same values. For a second core, ahead of the bake's static
    hold (:meth:`model.api.FaceModel._start_geometry`); nothing without eyes."""
    if anchors.mid is None or not anchors.eye_distance:
        return
    pitch, turn = getattr(anchors, "pitch", 0.0), getattr(anchors, "turn", None)
    _committed_limits(anchors.canonical, anchors.mid, anchors.eye_distance, pitch, turn)


def static_weights(
    canonical: np.ndarray,
    mid: np.ndarray,
    eye_distance: float,
    table: dict | None = None,
    pitch: float = 0.0,
    turn: np.ndarray | None = None,
) -> np.ndarray:
    """``(V,)`` float64 in [0, 1]: how static each canonical vertex (V, 3) is (1 = ICT's static
    skin), with ICT's static area placed by the eye midpoint ``mid`` (3,) and ``eye_distance``
    (canonical units), upright with the face's ``pitch`` (radians, :func:`model.rig_check.face_units`)."""
    from scipy.spatial import cKDTree

    table, local = _placed(canonical, mid, eye_distance, table, pitch, turn)
    points = table["points"] * np.array([1.0, 1.0, DEPTH_WEIGHT])
    # two workers: each query's answer is its own (the same bits)
    d_static, _ = cKDTree(points[table["static"]]).query(local, workers=2)
    d_moving, _ = cKDTree(points[table["moving"]]).query(local, workers=2)
    t = np.clip((d_moving - d_static - FADE_START) / FADE_WIDTH, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def static_caps(
    canonical: np.ndarray,
    mid: np.ndarray,
    eye_distance: float,
    table: dict | None = None,
    pitch: float = 0.0,
    turn: np.ndarray | None = None,
) -> np.ndarray:
    """``(53, V)`` float64: how far each ICT shape moves the static skin at each canonical vertex
    (V, 3), as a share of ``jawOpen``'s largest displacement (< :data:`STATIC_REL`).

    Interpolated (inverse squared distance) from the :data:`CAP_NEIGHBOURS` nearest static
    points of the table placed by ``mid`` (3,), ``eye_distance`` and ``pitch`` (as
    :func:`static_weights`); fades to 0 from
    :data:`BEYOND_START` to :data:`BEYOND_START` + :data:`BEYOND_WIDTH` eye distances beyond
    them (a crown, shoulders: no ICT motion to allow)."""
    from scipy.spatial import cKDTree

    table, local = _placed(canonical, mid, eye_distance, table, pitch, turn)
    points = table["points"][table["static"]] * np.array([1.0, 1.0, DEPTH_WEIGHT])
    dist, idx = cKDTree(points).query(local, k=CAP_NEIGHBOURS, workers=2)  # the same bits
    inv = 1.0 / np.maximum(dist, 1e-6) ** 2
    inv /= inv.sum(axis=1, keepdims=True)
    caps = np.einsum("vk,svk->sv", inv, table["motion"][:, idx].astype(np.float64)) * MOTION_STEP
    t = np.clip((BEYOND_START + BEYOND_WIDTH - dist[:, 0]) / BEYOND_WIDTH, 0.0, 1.0)
    return caps * (t * t * (3.0 - 2.0 * t))[None, :]


def static_keep(
    deltas: np.ndarray,
    canonical: np.ndarray,
    mid: np.ndarray,
    eye_distance: float,
    table: dict | None = None,
    pitch: float = 0.0,
    turn: np.ndarray | None = None,
) -> np.ndarray:
    """``(53, V)`` float64 in [0, 1]: the share of each delta (53, V, 3), ICT shape order, that
    the static area keeps at each canonical vertex (V, 3): ``1 - w + w * min(1, cap / |delta|)``
    with ``w`` = :func:`static_weights` and ``cap`` = :func:`static_caps` times the largest
    ``jawOpen`` displacement of ``deltas`` (the rig check's unit of static leakage); in the
    :func:`strict_zone` ``z`` of the vertices ``w`` is at least ``z`` and the cap at most
    :data:`STRICT_REL` (blended by ``z``). All placed upright with the face's ``pitch`` (radians,
    measured after ``turn`` (3, 3) when given: :func:`model.rig_check.face_units`), as the rig
    check places its zones."""
    from .facs import ICT_NAMES

    d = np.asarray(deltas)
    if d.shape[0] != len(ICT_NAMES):
        raise ValueError(f"static_keep needs the {len(ICT_NAMES)} ICT shapes in order, got {d.shape[0]}")
    if table is None:
        w, caps = _committed_limits(canonical, mid, eye_distance, pitch, turn)
    else:
        w, caps = _limits(canonical, mid, eye_distance, table, pitch, turn)
    length = np.sqrt(np.einsum("svc,svc->sv", d, d, dtype=np.float64))
    jaw_peak = float(length[ICT_NAMES.index("jawOpen")].max())
    limit = caps * jaw_peak
    shorten = np.minimum(1.0, limit / np.maximum(length, 1e-300))
    return 1.0 - w[None, :] + w[None, :] * shorten


def apply_static(
    deltas: np.ndarray,
    canonical: np.ndarray,
    triangles: np.ndarray,
    skin_weights: np.ndarray | None = None,
    anchors=None,
) -> np.ndarray:
    """deltas (53, V, 3) canonical, ICT shape order, times :func:`static_keep`: no shape moves
    ICT's static skin further than ICT's same shape does. Placed by the face anchors of
    :func:`model.shape_locality.skin_anchors` (their eye midpoint, eye distance and the face's
    pitch; ``skin_weights`` (V, K) only help find the eyes;
    ``anchors``: already found for this mesh, else found here); unchanged when no eyes are
    found. Same shape and dtype."""
    if anchors is None:
        from .shape_locality import skin_anchors

        anchors = skin_anchors(canonical, triangles, skin_weights)
    if anchors.mid is None or not anchors.eye_distance:
        return deltas
    d = np.asarray(deltas)
    pitch, turn = getattr(anchors, "pitch", 0.0), getattr(anchors, "turn", None)
    keep = static_keep(d, anchors.canonical, anchors.mid, anchors.eye_distance, pitch=pitch, turn=turn)
    return (d * keep[..., None]).astype(d.dtype)
