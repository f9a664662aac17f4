"""A face's pitch (its nod about the left-right axis) from its own surface, fitted to ICT's face.

The symmetry plane (:mod:`model.symmetry_plane`) fixes yaw and roll but says nothing of pitch: a
head nodding 10 degrees is as symmetric as an upright one. The network was trained on ICT-FaceKit
in ICT's own orientation and reads canonical positions, so a nodded face is read as another face
(the Demosthenes bust pitched 10 degrees: its sealed eyes were placed 2.7 eye distances off, and
``jawOpen`` moved the static skull by 27 % of its peak).

How: the front of the face (skin within :data:`RADIUS` eye distances of the nose tip, facing
forward) is sampled by area and matched to ICT's neutral face by an ICP whose turn is about the
canonical x axis only (a similarity in the sagittal plane: pitch, scale, translation); yaw and
roll are already fixed. It starts from a few pitches (:data:`STARTS`) with the nose tips and
eye distances matched, and the best trimmed fit wins. The pitch is the rotation about x that
turns the mesh's canonical positions to ICT's orientation (apply
``model.orientation.rotation_about_x(pitch) @ frame.rotation``).

Pure numpy + scipy; ICT's face comes from the shipped template (:mod:`model.ict_template`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .orientation import rotation_about_x

RADIUS = 1.5  # eye distances around the nose tip: forehead, eyes, nose, mouth, chin
TEMPLATE_RADIUS = 2.0  # ICT's face around its nose tip, wider so every mesh sample finds a match
SAMPLES = 1000  # surface samples of the mesh's face
ITERATIONS = 20  # the best start's refinement (it stops earlier once the pitch settles)
COARSE_SAMPLES = 500  # each start is tried with this many samples ...
COARSE_ITERATIONS = 8  # ... and iterations
TRIM = 0.8  # the closest share of the pairs that the fit uses (a beard, hair, a collar lie apart)
STARTS = (-30.0, -20.0, -10.0, 0.0, 10.0, 20.0, 30.0)  # degrees: initial pitches of the ICP
FACING = 0.2  # a sample's normal has at least this forward (z) part in the started frame
# a start that lands beyond UPRIGHT degrees must fit clearly better to win: its trimmed RMS
# counts UPRIGHT_PRIOR more per 10 degrees past it. Faces come mostly upright, and a caricature
# has a false basin at a steep nod: Nefertiti warped (eyes 25 % bigger, nose 0.12 eye distances
# longer, jaw narrower) fitted 31 degrees (RMS 0.256) against her own 4 (0.280), and the static
# zones placed with it let jawOpen move her ears by 5.8 % of its peak. A real steep nod wins by
# far more: Demosthenes pitched 10 degrees fits -28 at 0.196 against 0.366 for the next basin.
UPRIGHT = 20.0
UPRIGHT_PRIOR = 0.5


@dataclass
class PitchFit:
    """``pitch`` radians: the rotation about canonical x taking the mesh to ICT's orientation
    (y toward z for positive angles); ``score``: the trimmed RMS distance of the fit in eye
    distances; ``scale``: ICT centimetres per canonical unit of the mesh."""

    pitch: float
    score: float
    scale: float


@lru_cache(maxsize=1)
def _template_face():
    """(ICT face points (n, 3) cm within TEMPLATE_RADIUS eye distances of its nose tip, nose tip
    (3,), eye distance cm, a scipy cKDTree of the points)."""
    from scipy.spatial import cKDTree

    from .ict_template import SKIN_STOP, TEMPLATE_PATH
    from .rig_check import nose_tip

    with np.load(TEMPLATE_PATH) as data:
        v = np.asarray(data["neutral"][:SKIN_STOP], np.float64)
    found = nose_tip(v, np.ones(len(v), bool))
    assert found is not None
    tip, u = found
    face = v[np.linalg.norm(v - tip, axis=1) < TEMPLATE_RADIUS * u]
    return face, tip, u, cKDTree(face)


# the surface's own order of its triangles: by height and depth along this (y, z) direction
# (not x: a mirror image keeps the order), ties (a symmetric face's mirror partners) by number
ORDER_DEPTH = 0.618034
ORDER_STEP = 1e-9  # of the span of that height and depth: closer is a tie


def _in_own_order(points: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the (T, 3) int ``triangles`` of ``points`` (V, 3) in an order of the surface's own,
    corners and rows ordered by where they lie, (T,) +1 where a row keeps its given winding, -1
    where the reordering turned it).

    The fit samples the surface at random (a fixed seed), so it must see the same triangles
    however they were handed: Blender hands an object's loop triangles in another order run to
    run, and a mirrored object's (negative scale) wound the other way; an exporter may number
    the vertices otherwise. Drawn from the triangles as given, the add-on tests' UV-sphere
    "face" (whose fit hardly depends on its pitch) came out between -7 and +15 degrees from one
    run to the next and its mirrored copy at another, and the static parts placed with that
    pitch (:func:`model.rig_check.face_units`) 5-23 % of the largest delta apart at mirror
    partners; the demo head -0.62 to -1.13 degrees. Ordered by position (height and depth along
    :data:`ORDER_DEPTH`, ties by vertex number), the same surface gives the same samples whatever
    the order or winding of its triangles, its mirror image the mirror image of them, and
    numbered otherwise, the same samples but where a symmetric face's mirror partners (tied in
    height and depth) trade places."""
    p = np.asarray(points, np.float64)
    t = np.asarray(triangles, np.int64).reshape(-1, 3)
    key = p[:, 1] + ORDER_DEPTH * p[:, 2]
    # to a billionth of the span: positions a frame's rounding puts an ulp apart (a mirrored
    # copy's, another numbering's) tie and keep their order by number
    key = np.round(key / (ORDER_STEP * max(float(np.ptp(key)), 1e-300)))
    turn = np.lexsort((t, key[t]), axis=-1)  # (T, 3) the corners in order
    corners = np.take_along_axis(t, turn, axis=1)
    # the reordering keeps the winding when it is a cyclic shift (0 1 2, 1 2 0, 2 0 1)
    wound = np.where((turn[:, 1] - turn[:, 0]) % 3 == 1, 1.0, -1.0)
    order = np.lexsort((*corners.T[::-1], key[corners].sum(axis=1)))
    return corners[order], wound[order]


def _face_samples(points, triangles, centres, normals, tip, u, rng) -> np.ndarray:
    """(n, 3) area-weighted surface samples of the skin ``triangles`` (T, 3) with ``centres``
    (T, 3) whose ``normals`` (T, 3, area-weighted) face forward, within :data:`RADIUS` eye
    distances of the nose tip (3,), ``points`` (V, 3) in the same frame."""
    area = np.linalg.norm(normals, axis=1)
    near = np.linalg.norm(centres - tip, axis=1) < RADIUS * u
    chosen = np.flatnonzero(near & (normals[:, 2] > FACING * area))
    if chosen.size == 0:
        return np.zeros((0, 3))
    pick = chosen[rng.choice(chosen.size, size=SAMPLES, p=area[chosen] / area[chosen].sum())]
    a, b = rng.random((2, SAMPLES))
    fold = a + b > 1.0
    a[fold], b[fold] = 1.0 - a[fold], 1.0 - b[fold]
    tri = points[triangles[pick]]
    return tri[:, 0] + a[:, None] * (tri[:, 1] - tri[:, 0]) + b[:, None] * (tri[:, 2] - tri[:, 0])


def _icp(src, tree, target, pitch, scale, shift, iterations):
    """(pitch, scale, shift, trimmed RMS) of ``scale * R_x(pitch) src + shift`` onto the
    ``target`` points, from the given ones (radians; ``shift`` (3,)), at most ``iterations``."""
    keep = max(3, int(TRIM * len(src)))
    for _ in range(iterations):
        d, idx = tree.query(scale * src @ rotation_about_x(pitch).T + shift)
        sel = np.argpartition(d, keep - 1)[:keep]
        p, q = src[sel], target[idx[sel]]
        pc, qc = p - p.mean(0), q - q.mean(0)
        # the turn about x taking p to q in the (y, z) plane, then the scale over all three axes
        before = pitch
        pitch = float(np.arctan2((pc[:, 1] * qc[:, 2] - pc[:, 2] * qc[:, 1]).sum(),
                                 (pc[:, 1] * qc[:, 1] + pc[:, 2] * qc[:, 2]).sum()))  # fmt: skip
        scale = float((pc @ rotation_about_x(pitch).T * qc).sum() / max(float((pc * pc).sum()), 1e-30))
        shift = q.mean(0) - scale * p.mean(0) @ rotation_about_x(pitch).T
        if abs(pitch - before) < 1e-5:
            break
    d, _ = tree.query(scale * src @ rotation_about_x(pitch).T + shift)
    rms = float(np.sqrt(np.mean(np.partition(d, keep - 1)[:keep] ** 2)))
    return pitch, scale, shift, rms


def fit_pitch(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray | None = None
) -> PitchFit | None:
    """The pitch of a face whose yaw and roll are already those of the canonical frame.

    canonical: (V, 3) float positions (x left-right, y up, z forward); triangles: (T, 3) int;
    skin: (V,) bool the face's surface (None: the largest piece, seams joined,
    :func:`model.topology.largest_piece_mask`). None when no
    face is found to fit (no skin, no nose tip).
    """
    from .rig_check import nose_tip
    from .topology import largest_piece_mask

    v = np.asarray(canonical, np.float64)
    t = np.asarray(triangles, np.int64)
    skin = largest_piece_mask(v, t) if skin is None else np.asarray(skin, bool)
    if not skin.any():
        return None
    target, t_tip, t_u, tree = _template_face()
    t, wound = _in_own_order(v, t[skin[t].all(axis=1)])
    tri = v[t]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]) * wound[:, None]  # twice the area
    centres = tri.mean(axis=1)
    best = None
    for start in STARTS:
        # the nose tip and the face's front are found in the started frame: a bust nodding 25
        # degrees shows its brow further forward than its nose
        a = np.radians(start)
        turned = v @ rotation_about_x(a).T
        found = nose_tip(turned, skin)
        if found is None:
            continue
        tip, u = found
        r = rotation_about_x(a).T
        src = _face_samples(turned, t, centres @ r, normals @ r, tip, u, np.random.default_rng(0))
        if len(src) == 0:
            continue
        scale0 = t_u / u
        fit = _icp(src[:COARSE_SAMPLES], tree, target, 0.0, scale0, t_tip - scale0 * tip, COARSE_ITERATIONS)
        steep = max(0.0, abs(float(np.degrees(fit[0] + a))) - UPRIGHT) / 10.0
        judged = fit[3] * (1.0 + UPRIGHT_PRIOR * steep)
        if best is None or judged < best[3]:
            best = (fit, a, src, judged)
    if best is None:
        return None
    (pitch, scale, shift, _), a, src, _ = best
    pitch, scale, _, rms = _icp(src, tree, target, pitch, scale, shift, ITERATIONS)
    return PitchFit(pitch=float(pitch + a), score=rms / t_u, scale=scale)
