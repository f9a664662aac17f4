"""Name the pieces of a head: face skin, eyeballs, teeth, tongue, lashes, brows, hair, other.

Most game and film heads carry their eyeballs, teeth, tongue and lashes as separate pieces
(separate objects joined, or loose parts of one object). The rig must treat them differently
from skin (:mod:`model.rig_constraints`), so every connected piece (vertices at one position
count as connected: seams do not split pieces) is classified from geometric cues, in the
canonical frame (:mod:`model.frame`: Y up, face toward +Z, +X the subject's left):

* **skin**: the piece with the most surface on the head (:mod:`model.head_region`), and any
  other piece with a comparable share (a face split from its scalp);
* **eyeballs**: near-spherical pieces (sphere-fit residual small) of eye size, in the upper
  front of the head, in a mirror pair; concentric shells (sclera + cornea) form one eyeball.
  ``_L`` is the subject's left (+X);
* **teeth / tongue**: pieces inside the mouth (between the eyes' height and the neck, near the
  middle, at the front): upper and lower rows are split at the height between the two clusters
  of piece centres; a lower blob as wide as a third of the mouth is the tongue. A piece that
  spans both rows (gums and tongue in one) is split per vertex, and its jaw motion fades across
  the seam between its rows (:attr:`Parts.jaw_blend`);
* **lashes**: small pieces hugging an eyeball's front (eyelashes, and the tear-line and
  occlusion strips of film heads: all of them follow the lids); strips merged onto the lids (a
  *Merge by Distance* makes the strips' root rows lid vertices) hang on the skin by edges three
  triangles share or by single vertices (:func:`model.topology.hanging_sheets`): they are tried
  as pieces of their own, and those that classify as lashes are (:attr:`Parts.merged_lashes`);
* **brows**: small pieces just above the eyes;
* **hair**: the remaining pieces above the eyes' height, or covering the top or back of the head;
* **other**: everything else (clothes, props, pieces below the neck).

numpy + scipy only; every per-vertex output is index-aligned with the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PART_NAMES: tuple[str, ...] = (
    "skin",
    "eyeball_L",
    "eyeball_R",
    "upper_teeth",
    "lower_teeth",
    "tongue",
    "lashes",
    "brows",
    "hair",
    "other",
)
PART_INDEX: dict[str, int] = {n: i for i, n in enumerate(PART_NAMES)}

# sphere fit: RMS distance to the sphere below this fraction of the radius is "a sphere"
_SPHERE_RESIDUAL = 0.1
# an eyeball's radius as a fraction of the head height (ICT: 0.045; allowed wide for stylized)
_EYE_RADIUS = (0.015, 0.12)
# a piece with at least this share of the skin's head area is skin too (face split from scalp)
_SKIN_SHARE = 0.15
# choosing the eyeballs among mirrored pairs of spheres: sphere residual (relative RMS) plus this
# times the pair's mirror cost (their centres' asymmetry in radii, below 3 for any pair)
_PAIR_COST_WEIGHT = 0.01
# lashes hug the eyeball: their centre lies within this many eye radii of the eyeball centre
_LASH_REACH = 2.2
# ... and have less area than this share of the eyeball's sphere (ICT-FaceKit's: 0.74)
_LASH_AREA = 1.0
# a shell of an eye (concentric with its eyeball, short of wrapping its back) whose vertices lie
# on the skin, median distance below this share of the eyeball's radius, lies on the lids: a
# tear line or an occlusion shell, which follows the lids (ICT-FaceKit's lacrimal fluid and
# occlusion shells: 0.01; its eye blend strips 0.07-0.12, its eyeballs and corneas 0.12-0.34,
# a game avatar's eyeball caps 0.27-0.31)
_ON_LIDS = 0.05
# ... "short of wrapping its back": no vertex further than this from the eye's forward axis
# (degrees; the tear line and occlusion shells reach 68, an eyeball 175-179)
_SHELL_ANGLE = 100.0
# a piece spanning both rows (gums and tongue in one) fades from still (upper gums) to the jaw's
# motion (lower gums, tongue) over this share of the mouth pieces' width on each side of the seam
# between its rows, along its surface (ICT-FaceKit: the mouth pieces 7.0 cm wide, a 2.5 cm fade).
# Session 15, the lower teeth then opening half as far as ICT's: at 0.15 the complete model's
# jawOpen folded 12 gum triangles over in the fade, 0 at 0.2 and 0.25. Session 18, the jaw's
# motion read off the chin in front of the teeth (model.rig_constraints._chin_patch: as far as
# ICT's): 11 folded at 0.25, 1-2 at 0.35-0.6 (one triangle deep in the throat, in jawOpen,
# jawForward, mouthClose), 0 at 0.7; gums_and_tongue's error against ICT's shapes 0.279 / 0.297 /
# 0.357 / 0.383 at 0.25 / 0.35 / 0.6 / 0.7 (0.652 at the session's start; ICT's own jawOpen tears
# 22 gum triangles). 0.7 fades over most of the piece (2509 of 3341 lower teeth and gum vertices
# left rigid with the jaw, 432 upper gum vertices still): the rows no longer move as rows. The
# one left folded is opened by the flip repair (model.api.FaceModel._repair_flips: the fade is
# not rigid)
_SEAM_BAND = 0.35


@dataclass
class Eyeball:
    """One eyeball: ``center (3,)`` in input units and axes, ``radius`` in input units,
    ``vertices`` (n,) int64 indices of its vertices."""

    center: np.ndarray
    radius: float
    vertices: np.ndarray


@dataclass
class PieceInfo:
    """One connected piece: its part name, vertex count, surface area (input units squared),
    centre (canonical), sphere fit (canonical centre, radius, relative RMS residual)."""

    part: str
    num_vertices: int
    area: float
    center: np.ndarray
    sphere_center: np.ndarray
    sphere_radius: float
    sphere_residual: float


@dataclass
class Parts:
    """The classification of a mesh.

    labels: ``(V,)`` int64 index into :data:`PART_NAMES`; eyeballs: ``{"L": Eyeball, "R": ...}``
    (only those found); pieces: per connected piece :class:`PieceInfo`; piece_labels: ``(V,)``
    piece index of each vertex; mouth_split: height (canonical Y) between the upper and lower
    teeth, or None; jaw_blend: None, or ``(V,)`` float64 in [0, 1]: how much of the jaw's rigid
    motion each vertex takes (1 on the lower teeth and tongue, 0 elsewhere, a fade across the
    seam of a piece that spans both rows; :mod:`model.rig_constraints`), given when such a
    piece exists (None: the labels say it); lid_shells: the pieces of an eye that lie on its
    lids (:func:`lies_on_lids`), labelled ``lashes``; front_shells: the pieces of the eyes that
    are shells over the eyeball's front (:func:`is_front_shell`: corneas, tear lines, occlusion
    shells, corner strips), the lid shells among them, each eyeball's largest piece never;
    merged_lashes: the lash pieces that hung on the skin, merged onto the lids
    (:func:`model.topology.hanging_sheets`), kept apart as pieces of their own.
    """

    labels: np.ndarray
    eyeballs: dict[str, Eyeball] = field(default_factory=dict)
    pieces: list[PieceInfo] = field(default_factory=list)
    piece_labels: np.ndarray | None = None
    mouth_split: float | None = None
    jaw_blend: np.ndarray | None = None
    lid_shells: list[int] = field(default_factory=list)
    front_shells: list[int] = field(default_factory=list)
    merged_lashes: list[int] = field(default_factory=list)

    def mask(self, name: str) -> np.ndarray:
        """(V,) bool: the vertices of part ``name``."""
        return self.labels == PART_INDEX[name]

    def counts(self) -> dict[str, int]:
        """Vertices per part name (parts with none left out)."""
        c = np.bincount(self.labels, minlength=len(PART_NAMES))
        return {n: int(c[i]) for i, n in enumerate(PART_NAMES) if c[i] > 0}


def fit_sphere(points: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, float, float]:
    """Least-squares sphere through points: ``(center (3,), radius, relative RMS residual)``.

    Algebraic fit ``|p|^2 = 2 c.p + d`` (exact for points on a sphere); the residual is the RMS of
    ``|p - c| - r`` divided by ``r`` (inf for fewer than 4 points or a flat set).
    """
    p = np.asarray(points, dtype=np.float64)
    if p.shape[0] < 4:
        return p.mean(0) if p.size else np.zeros(3), 0.0, np.inf
    w = np.ones(p.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    sw = np.sqrt(w)[:, None]
    mu = p.mean(0)
    q = p - mu  # centred for conditioning
    a = np.concatenate([2.0 * q, np.ones((q.shape[0], 1))], 1)
    b = (q * q).sum(1)
    sol, *_ = np.linalg.lstsq(a * sw, b * sw[:, 0], rcond=None)
    c = sol[:3]
    r2 = sol[3] + c @ c
    if not np.isfinite(r2) or r2 <= 0:
        return mu, 0.0, np.inf
    r = float(np.sqrt(r2))
    res = np.linalg.norm(q - c, axis=1) - r
    return c + mu, r, float(np.sqrt(np.average(res * res, weights=w)) / r)


def classify_parts(vertices: np.ndarray, triangles: np.ndarray, frame=None, head=None) -> Parts:
    """Classify every vertex into :data:`PART_NAMES`.

    Args:
        vertices: ``(V, 3)`` float, input units and axes.
        triangles: ``(T, 3)`` int.
        frame: :class:`model.frame.CanonicalFrame` of the mesh (None: OBJ axes, Y up, +Z forward).
        head: a :class:`model.head_region.HeadRegion` already found for this mesh (None: found).

    Returns:
        :class:`Parts`. A mesh of one piece is all ``skin``.
    """
    from .frame import fit_frame
    from .head_region import find_head_region
    from .topology import components, hanging_sheets, pieces_apart, vertex_areas

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    if frame is None:
        frame = fit_frame(v, t)
    if head is None:
        head = find_head_region(v, t, frame)
    c = frame.to_canonical(v)
    n_pieces, piece = components(v, t)
    varea = vertex_areas(v, t)
    head_w = head.weights.astype(np.float64)
    main = int(np.argmax(np.bincount(piece, weights=varea * head_w, minlength=n_pieces)))
    sheets = hanging_sheets(v, t, piece == main) if n_pieces > 1 else []
    if sheets:
        # lash strips welded onto the lids (Merge by Distance, a decimation): tried as pieces
        # of their own; those that classify as lashes stay apart, the rest stay skin. Welded,
        # the strips' outline was read as the eye openings and their tips as the lid margins:
        # no eyes found, no blink (ICT-FaceKit's head with its eyes and lashes merged)
        trial = _classify(v, t, frame, head, c, pieces_apart(piece, sheets), varea, n_pieces)
        lashes = [s for i, s in enumerate(sheets) if trial.pieces[n_pieces + i].part == "lashes"]
        if len(lashes) == len(sheets):
            return trial
        if lashes:
            return _classify(v, t, frame, head, c, pieces_apart(piece, lashes), varea, n_pieces)
    return _classify(v, t, frame, head, c, piece, varea, n_pieces)


def _classify(v, t, frame, head, c, piece, varea, hanging) -> Parts:
    """:func:`classify_parts` on given pieces (``piece`` (V,) labels ``0..n-1``, those from
    ``hanging`` on sheets that hang on the skin, :func:`model.topology.pieces_apart`); ``c`` the
    canonical vertices, ``varea`` (V,) the vertex areas."""
    n_pieces = int(piece.max()) + 1
    labels = np.full(v.shape[0], PART_INDEX["other"], dtype=np.int64)

    head_w = head.weights.astype(np.float64)
    area = np.bincount(piece, weights=varea, minlength=n_pieces)
    head_area = np.bincount(piece, weights=varea * head_w, minlength=n_pieces)
    infos: list[PieceInfo] = []
    members = [np.flatnonzero(piece == k) for k in range(n_pieces)]
    for k, ids in enumerate(members):
        wts = varea[ids] + 1e-30
        center = np.average(c[ids], axis=0, weights=wts)
        sc, sr, res = fit_sphere(c[ids])
        infos.append(PieceInfo("other", int(ids.size), float(area[k]), center, sc, sr, res))

    main = int(np.argmax(head_area))
    on_main = members[main][head_w[members[main]] > 0.5]
    head_pts = on_main if on_main.size else members[main]
    head_center = np.average(c[head_pts], axis=0, weights=varea[head_pts] + 1e-30)
    # a separate piece with a large share of the head is skin too (a head object joined to a
    # body object) if it reaches the front of the head (a ponytail hangs behind it)
    skin = {
        k
        for k in range(n_pieces)
        if k == main
        or (head_area[k] >= _SKIN_SHARE * head_area[main] and c[members[k], 2].max() > head_center[2])
    }
    for k in skin:
        infos[k].part = "skin"
    height = max(head.head_height, 1e-12)
    on_head = [k for k in range(n_pieces) if k not in skin and head_area[k] > 0.5 * area[k]]

    # a sheet hanging on the skin is never an eyeball or in one (the upper lash strips merged
    # onto ICT-FaceKit's lids are arcs concentric with its eyeball)
    loose = [k for k in on_head if k < hanging]
    eyeballs = _find_eyeballs(infos, loose, members, c, height, head.top)
    for center, radius, pieces in eyeballs.values():
        # an iris disc or a pupil inside the eyeball is part of it
        for k in loose:
            if k not in pieces and np.linalg.norm(c[members[k]] - center, axis=1).max() < 1.1 * radius:
                pieces.append(k)
    skin_points = c[np.concatenate([members[k] for k in sorted(skin)])]
    front_shells = _front_shells(eyeballs, members, c)
    lid_shells = _split_lid_shells(eyeballs, members, c, skin_points)
    for k in lid_shells:
        infos[k].part = "lashes"
    eye_pieces = {k for side in eyeballs.values() for k in side[2]}
    for side, (_, _, pieces) in eyeballs.items():
        for k in pieces:
            infos[k].part = f"eyeball_{side}"

    eyes = list(eyeballs.values())
    if eyes:
        eye_y = float(np.mean([e[0][1] for e in eyes]))
        eye_z = float(np.mean([e[0][2] for e in eyes]))
        eye_r = float(np.mean([e[1] for e in eyes]))
    else:  # no eyeballs: eye height at the proportions of an adult head
        eye_y, eye_z, eye_r = head.top - 0.45 * height, -np.inf, 0.045 * height

    rest = [k for k in on_head if k not in eye_pieces]
    eye_dx = float(abs(eyes[0][0][0] - eyes[1][0][0])) / 2.0 if len(eyes) == 2 else 3.0 * eye_r
    eye_x = float(np.mean([e[0][0] for e in eyes])) if eyes else head_center[0]
    mouth_split = _classify_mouth(infos, rest, members, c, labels, (eye_x, eye_y, eye_z), eye_r, eye_dx)
    for k in rest:
        if infos[k].part != "other":
            continue
        ctr = infos[k].center
        near_eye = [np.linalg.norm(ctr - e[0]) for e in eyes]
        small = area[k] < 0.02 * area[main]
        # a lash strip beside an eyeball is also small against the eyeball itself: on a face cut
        # in front of the ears ICT-FaceKit's lashes have 2.2 % of the skin's area (they stayed
        # still as "other" while the lids closed over them) and 0.74 of the eyeball's sphere
        lash_size = area[k] < _LASH_AREA * 4.0 * np.pi * (eye_r * frame.scale) ** 2  # input units
        if eyes and (small or lash_size) and min(near_eye) < _LASH_REACH * eye_r:
            infos[k].part = "lashes"
        elif small and eye_y + 0.8 * eye_r < ctr[1] < eye_y + 4.0 * eye_r and ctr[2] > eye_z - eye_r:
            infos[k].part = "brows"
        elif ctr[1] > eye_y or ctr[2] < head_center[2]:
            infos[k].part = "hair"

    for k, ids in enumerate(members):
        if infos[k].part != "mixed":
            labels[ids] = PART_INDEX[infos[k].part]
    jaw_blend = None
    mixed = [k for k in range(n_pieces) if infos[k].part == "mixed"]
    if mixed:
        jaw_blend = np.isin(labels, [PART_INDEX["lower_teeth"], PART_INDEX["tongue"]]).astype(np.float64)
        mouth = np.concatenate([members[k] for k in range(n_pieces) if infos[k].part in _MOUTH_PARTS])
        band = _SEAM_BAND * max(float(np.ptp(c[mouth, 0])), 1e-12)
        for k in mixed:
            jaw_blend[members[k]] = seam_blend(c[members[k]], t, members[k], jaw_blend[members[k]], band)
    eye_out = {}
    for side, (center, radius, pieces) in eyeballs.items():
        ids = np.concatenate([members[k] for k in pieces])
        eye_out[side] = Eyeball(
            center=frame.from_canonical(center[None])[0], radius=float(radius * frame.scale), vertices=ids
        )
    merged = list(range(hanging, n_pieces))
    return Parts(labels, eye_out, infos, piece, mouth_split, jaw_blend, lid_shells, front_shells, merged)


def is_front_shell(points: np.ndarray, center: np.ndarray) -> bool:
    """Whether a piece of an eye is a shell over the eyeball's front, short of wrapping round
    its back (no vertex :data:`_SHELL_ANGLE` degrees or more off the forward axis): a cornea,
    a tear line, an occlusion shell, a corner strip. ``points`` (n, 3) its vertices, ``center``
    (3,) the eyeball's, canonical (the face toward +Z)."""
    d = np.asarray(points, dtype=np.float64) - np.asarray(center, dtype=np.float64)
    if d.shape[0] == 0:
        return False
    cosine = d[:, 2] / np.maximum(np.linalg.norm(d, axis=1), 1e-300)
    return bool(np.degrees(np.arccos(np.clip(cosine.min(), -1.0, 1.0))) < _SHELL_ANGLE)


def lies_on_lids(
    points: np.ndarray,
    skin_points: np.ndarray,
    center: np.ndarray,
    radius: float,
    gap: np.ndarray | None = None,
) -> bool:
    """Whether a shell of an eye lies on its lids: ``points`` (n, 3) the shell's vertices,
    ``skin_points`` (m, 3) the skin's, ``center`` (3,) and ``radius`` its eyeball's, all
    canonical (:mod:`model.frame`, the face toward +Z); ``gap`` (n,) each point's distance to
    the nearest skin point when the caller already has it (one tree over the skin for many pieces).

    Why: film heads carry thin shells over the eyeball's front that hug the lids (ICT-FaceKit's
    tear line and occlusion shells). Fitting a sphere about the eyeball's centre, they were taken
    for a cornea and turned with the eyeball while the lids closed over them (its face with
    them: blink closure 43 %, the tear line moved 1.7 mm where ICT's moves 9.6), and they moved
    the eyeball's fitted centre. A cornea or an iris lies inside the eye opening, away from the
    lids; an eyeball wraps round behind them."""
    p = np.asarray(points, dtype=np.float64)
    if p.shape[0] == 0 or len(skin_points) == 0 or radius <= 0 or not is_front_shell(p, center):
        return False
    if gap is None:
        from scipy.spatial import cKDTree

        gap, _ = cKDTree(np.asarray(skin_points, dtype=np.float64)).query(p)
    return bool(np.median(gap) < _ON_LIDS * radius)


def _front_shells(eyeballs: dict, members: list, c: np.ndarray) -> list[int]:
    """The piece ids of the eyes' front shells (:func:`is_front_shell`) other than each
    eyeball's largest piece (``eyeballs`` of :func:`_find_eyeballs`)."""
    return [
        k
        for center, _, pieces in eyeballs.values()
        for k in pieces[1:]
        if is_front_shell(c[members[k]], center)
    ]


def _split_lid_shells(eyeballs: dict, members: list, c: np.ndarray, skin_points: np.ndarray) -> list[int]:
    """Take the shells lying on the lids (:func:`lies_on_lids`) out of each eyeball's pieces
    (``eyeballs`` of :func:`_find_eyeballs`, changed in place: the centre refitted on what
    stays; the largest piece always stays) and return their piece ids."""
    shells = []
    for side, (center, radius, pieces) in list(eyeballs.items()):
        lids = [k for k in pieces[1:] if lies_on_lids(c[members[k]], skin_points, center, radius)]
        if not lids:
            continue
        kept = [k for k in pieces if k not in lids]
        ctr, _, _ = fit_sphere(c[np.concatenate([members[k] for k in kept])])
        eyeballs[side] = (ctr if np.all(np.isfinite(ctr)) else center, radius, kept)
        shells.extend(lids)
    return shells


_MOUTH_PARTS = ("upper_teeth", "lower_teeth", "tongue", "mixed")


def seam_blend(
    points: np.ndarray, triangles: np.ndarray, ids: np.ndarray, side: np.ndarray, band: float
) -> np.ndarray:
    """(n,) float64 in [0, 1]: ``side`` (n,) 0/1 per vertex of one piece (``ids`` (n,) its
    vertex indices into ``triangles`` (T, 3), ``points`` (n, 3) their positions) faded across the
    seam between its two sides: 0.5 on the seam, reaching the side's value ``band`` (units of
    ``points``) away from it along the surface (shortest paths over edges; vertices at one
    position count as one), smoothstep in between.

    Why: ICT-FaceKit's gums_and_tongue is one piece whose upper gums stay still while its lower
    gums and tongue follow the jaw; a vertex taking either all or none of the jaw's motion tore
    the triangles across the seam (its complete model's jawOpen: 34 triangles flipped)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    from .topology import position_ids

    n = ids.size
    pid = position_ids(points)
    m = int(pid.max()) + 1
    local = np.full(int(max(ids.max(), triangles.max())) + 1, -1, dtype=np.int64)
    local[ids] = np.arange(n)
    t = local[triangles]
    t = pid[t[(t >= 0).all(axis=1)]]
    on = np.zeros(m)
    np.maximum.at(on, pid, side)  # a position on the jaw's side when any of its vertices is
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    e = e[e[:, 0] != e[:, 1]]
    pos = np.zeros((m, 3))
    pos[pid] = points
    seam = np.zeros(m, dtype=bool)
    cross = on[e[:, 0]] != on[e[:, 1]]
    seam[e[cross].ravel()] = True
    if not seam.any():
        return np.asarray(side, dtype=np.float64).copy()
    length = np.linalg.norm(pos[e[:, 0]] - pos[e[:, 1]], axis=1) + 1e-12 * max(band, 1e-300)
    graph = coo_matrix((length, (e[:, 0], e[:, 1])), shape=(m, m)).tocsr()
    dist = dijkstra(graph, directed=False, indices=np.flatnonzero(seam), min_only=True, limit=band)
    x = np.clip(np.where(np.isfinite(dist), dist, band) / max(band, 1e-300), 0.0, 1.0)
    fade = x * x * (3.0 - 2.0 * x)
    w = 0.5 + (on - 0.5) * fade
    return w[pid]


def loose_mouth_pieces(
    vertices: np.ndarray, triangles: np.ndarray, frame=None, head=None
) -> np.ndarray | None:
    """(V,) bool: the vertices of the loose pieces inside the mouth (``upper_teeth``,
    ``lower_teeth``, ``tongue``: teeth, gums, a tongue not welded to the skin), or None when
    there are none. vertices (V, 3), triangles (T, 3), ``frame`` and ``head`` as
    :func:`classify_parts` takes them. A mesh in one piece is not classified (nothing loose).

    Why: the network never saw teeth (ICT-FaceKit's head crop has none); seen as skin, ICT's
    complete model's teeth and gums shifted the face's frame and placement and the network's
    features: jawOpen opened 2.30 cm (4.2 without them), 34 triangles flipped
    (:func:`model.api.prepare_mesh` leaves them out). They move rigidly by design
    (:mod:`model.rig_constraints`): the rig check does not judge them as skin.
    """
    return loose_pieces(vertices, triangles, frame, head)[0]


def loose_pieces(
    vertices: np.ndarray, triangles: np.ndarray, frame=None, head=None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(mouth, shells)``, each (V,) bool or None where there is none: the loose pieces
    inside the mouth (:func:`loose_mouth_pieces`) and the eyes' front shells
    (:attr:`Parts.front_shells`: corneas, tear lines, occlusion shells, corner strips) with the
    lashes, from one classification (arguments as :func:`loose_mouth_pieces` takes them).

    Why both: the network never saw either (ICT-FaceKit's head crop has neither), and both move
    by rule afterwards (:mod:`model.rig_constraints`): :func:`model.api.prepare_mesh` leaves them
    out of what it sees. Seen, ICT-FaceKit's 24-vertex corner strips (eye blend) alone took the
    face's relative error from 0.042 to 0.076, its tear line and occlusion shells to 0.090."""
    from .topology import components

    if components(vertices, triangles)[0] < 2:
        return None, None
    parts = classify_parts(vertices, triangles, frame, head=head)
    mouth = np.isin(parts.labels, [PART_INDEX[n] for n in ("upper_teeth", "lower_teeth", "tongue")])
    # the lashes too (and the tear lines and occlusion shells they touch, one piece with them):
    # they follow the lids afterwards (model.rig_constraints), and seen, their roots welded onto
    # the lids of a head whose lids fold into sockets hid the lids' margins from the front
    # (ICT-FaceKit's head with its sockets, eyes and lashes: no eyes found, face error 0.42)
    shells = np.isin(parts.piece_labels, parts.front_shells) | (parts.labels == PART_INDEX["lashes"])
    return (mouth if mouth.any() else None), (shells if shells.any() else None)


def _find_eyeballs(infos, candidates, members, c, height, top):
    """{"L"/"R": (canonical centre, canonical radius, piece ids)} for a mirror pair of spheres:
    of the pairs of sphere groups that mirror each other (mirror cost below 3 radii, radii
    within 30 %), the roundest (worse sphere residual), the mirror cost breaking near ties
    (:data:`_PAIR_COST_WEIGHT`)."""
    lo, hi = _EYE_RADIUS
    spheres = [
        k
        for k in candidates
        if infos[k].sphere_residual < _SPHERE_RESIDUAL
        and lo * height < infos[k].sphere_radius < hi * height
        and infos[k].sphere_center[1] > top - 0.75 * height
    ]
    # concentric shells (sclera + cornea, or an inner iris) are one eyeball
    groups: list[list[int]] = []
    for k in sorted(spheres, key=lambda k: -infos[k].num_vertices):
        for g in groups:
            ref = infos[g[0]]
            if np.linalg.norm(infos[k].sphere_center - ref.sphere_center) < 0.5 * ref.sphere_radius:
                g.append(k)
                break
        else:
            groups.append([k])
    balls = []
    for g in groups:
        ids = np.concatenate([members[k] for k in g])
        ctr, _, _ = fit_sphere(c[ids])
        if not np.all(np.isfinite(ctr)):
            ctr = infos[g[0]].sphere_center
        # the radius of the largest shell (the eyeball; a cornea cap bulges out of it)
        balls.append((ctr, infos[g[0]].sphere_radius, g))
    best, best_rank = None, np.inf
    for i in range(len(balls)):
        for j in range(i + 1, len(balls)):
            (ci, ri, gi), (cj, rj, gj) = balls[i], balls[j]
            r = 0.5 * (ri + rj)
            if abs(ci[0] - cj[0]) < 2.0 * r or not (0.7 < ri / rj < 1.0 / 0.7):
                continue
            cost = (abs(ci[1] - cj[1]) + abs(ci[2] - cj[2]) + abs(ci[0] + cj[0])) / r
            if cost >= 3.0:
                continue
            # the rounder pair wins, the mirror cost breaks near ties: a game avatar's lash
            # strips are arcs that fit a sphere too (residual 0.03 against its eyeball caps'
            # 0.005), and on a head nodding up 10 degrees (its height along y 12 % taller) their
            # radius came within _EYE_RADIUS; their pair, twice the eyeballs' radius, had half
            # their cost (both pairs equally off x = 0) and the lash strips were taken for the
            # eyeballs (Rocketbox 01 pitched up 10: 45 rig check verdicts, from 0)
            rank = max(infos[gi[0]].sphere_residual, infos[gj[0]].sphere_residual) + _PAIR_COST_WEIGHT * cost
            if rank < best_rank:
                best, best_rank = (i, j), rank
    if best is None:
        return {}
    a, b = balls[best[0]], balls[best[1]]
    left, right = (a, b) if a[0][0] > b[0][0] else (b, a)
    return {"L": left, "R": right}


def _classify_mouth(infos, rest, members, c, labels, eye_center, eye_r, eye_dx) -> float | None:
    """Teeth and tongue among the loose pieces; returns the row split height or None.

    The mouth box: below the eyes by 2 to 11 eye radii, within the eyes' width (earrings are
    not), no further back than 6 eye radii behind the eye centres."""
    eye_x, eye_y, eye_z = eye_center
    mouth = [
        k
        for k in rest
        if eye_y - 11.0 * eye_r < infos[k].center[1] < eye_y - 2.0 * eye_r
        and np.abs(c[members[k], 0] - eye_x).max() < 1.3 * eye_dx
        and infos[k].center[2] > eye_z - 6.0 * eye_r
        and c[members[k], 1].max() < eye_y - eye_r
    ]
    if not mouth:
        return None
    ys = {k: (c[members[k], 1].min(), c[members[k], 1].max()) for k in mouth}
    lo = min(y[0] for y in ys.values())
    hi = max(y[1] for y in ys.values())
    straddle = [k for k in mouth if len(mouth) > 1 and ys[k][1] - ys[k][0] > 0.6 * (hi - lo)]
    rows = [k for k in mouth if k not in straddle]
    if len(rows) >= 2:
        split = _two_means([infos[k].center[1] for k in rows], [infos[k].area for k in rows])
    else:
        split = float(np.median(c[np.concatenate([members[k] for k in mouth]), 1]))
    width = max(np.ptp(c[np.concatenate([members[k] for k in mouth]), 0]), 1e-12)
    for k in rows:
        ids = members[k]
        if infos[k].center[1] >= split:
            infos[k].part = "upper_teeth"
            continue
        xz = c[ids][:, [0, 2]]
        footprint = np.ptp(xz[:, 0])
        # an arch (a row of teeth) has no vertex near its centre; a blob (a tongue) has
        hollow = np.min(np.linalg.norm(xz - infos[k].center[[0, 2]], axis=1)) > 0.15 * max(footprint, 1e-12)
        if not hollow and footprint > width / 3.0:
            infos[k].part = "tongue"
        else:
            infos[k].part = "lower_teeth"
    teeth = [k for k in rows if infos[k].part in ("upper_teeth", "lower_teeth")]
    for k in straddle:  # gums and tongue in one piece: split per vertex
        infos[k].part = "mixed"
        ids = members[k]
        lab = np.where(c[ids, 1] >= split, PART_INDEX["upper_teeth"], PART_INDEX["tongue"])
        if teeth:
            from scipy.spatial import cKDTree

            # gums hug the roots of their row: take the row of the nearest tooth
            tooth_ids = np.concatenate([members[j] for j in teeth])
            tooth_lab = np.concatenate([np.full(members[j].size, PART_INDEX[infos[j].part]) for j in teeth])
            d, nearest = cKDTree(c[tooth_ids]).query(c[ids])
            near = d < 0.1 * width
            lab[near] = tooth_lab[nearest[near]]
        labels[ids] = lab
    return split


def _two_means(values, weights) -> float:
    """The height between two clusters of 1-D values (weighted 2-means, sorted split search)."""
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64) + 1e-30
    order = np.argsort(x)
    x, w = x[order], w[order]
    best, best_cost = 0.5 * (x[0] + x[-1]), np.inf
    for i in range(1, x.size):
        a, b = slice(0, i), slice(i, None)
        ma, mb = np.average(x[a], weights=w[a]), np.average(x[b], weights=w[b])
        cost = (w[a] * (x[a] - ma) ** 2).sum() + (w[b] * (x[b] - mb) ** 2).sum()
        if cost < best_cost:
            best, best_cost = 0.5 * (x[i - 1] + x[i]), cost
    return float(best)
