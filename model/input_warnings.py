"""Warnings about inputs the network reads badly, said before the bake instead of discovered by
scrubbing sliders: a surface broken into many separate pieces (each piece is read on its own,
so regions come out wrong), and a mesh that does not look like a face at all (the wrong object
selected: a sphere, a box, a body without its head). The orientation check lives in
:mod:`model.orientation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# a surface counts as fragmented when its largest piece holds less than this share of the area
# and there are at least FRAGMENT_MIN_PIECES pieces of more than FRAGMENT_PIECE_SHARE of it each
# (eyeballs, teeth, lashes are a few small pieces beside one large skin: never fragmented)
FRAGMENT_LARGEST_SHARE = 0.5
FRAGMENT_MIN_PIECES = 6
FRAGMENT_PIECE_SHARE = 0.02


def fragmentation_warning(vertices: np.ndarray, triangles: np.ndarray) -> str | None:
    """One line when the surface is broken into many similar-sized pieces, else None.

    vertices (V, 3) float, any units; triangles (T, 3) int64. Pieces are connected by shared
    vertices or by seams (:func:`model.topology.components`), so a mesh split at its UV seams
    is one piece (the bake welds it). Only pieces that really lie apart count.
    """
    from .topology import components, triangle_areas

    n, labels = components(vertices, triangles)
    if n < FRAGMENT_MIN_PIECES or len(triangles) == 0:
        return None
    area = np.bincount(
        labels[np.asarray(triangles)[:, 0]], weights=triangle_areas(vertices, triangles), minlength=n
    )
    share = area / max(float(area.sum()), 1e-30)
    big = int((share > FRAGMENT_PIECE_SHARE).sum())
    if share.max() >= FRAGMENT_LARGEST_SHARE or big < FRAGMENT_MIN_PIECES:
        return None
    return (
        f"the face surface is in {n} separate pieces (the largest holds {100 * share.max():.0f}% of "
        "the area); the network reads each piece on its own and the rig will likely be wrong: join "
        "the pieces into one surface (Blender: Edit Mode > Merge by Distance) before baking"
    )


# --- does it look like a face? -------------------------------------------------------------
# Evidence the preparation already found (model.face_placement's anchors): two eye openings or
# two eyeballs of a face's size for their distance apart, or else a nose. A sealed-eye bust
# (Demosthenes, Nefertiti) has no openings or eyeballs, and the sealed-eye anchors take its most
# forward point as the nose tip (model.rig_check.nose_tip) whatever the mesh: a nose is told
# from a sphere's pole or a box's face by how the front falls back around it. In each of
# NOSE_SECTORS directions around the tip (seen from the front, upright with the face's pitch),
# the most forward surface point NOSE_RING eye distances away lies NOSE_DROP eye distances
# behind the tip on a face (cheeks beside the nose, the bridge above, the lip below). Measured
# (share of directions in range): the faces whose eyes are not found (the sealed-eye busts, their
# turned / cm / split / noisy / decimated / stylized variants, 9 held-out ICT cases) 0.92-1.0;
# every other real-dev mesh, variant and held-out case 0.83-1.0 but the avatars pitched 10
# degrees (0.5, 0.67: their eyeballs are found); a UV or ico sphere, an egg, a box, a plane, a
# cylinder 0.0 (a sphere's front falls back 0.03-0.11 around its pole), a torus 0.17-0.33, an
# avatar's body without its head 0.0 / 0.42 (README, *Any mesh as you have it*)
NOSE_RING = (0.35, 0.65)
NOSE_SECTORS = 12
NOSE_DROP = (0.15, 1.0)
NOSE_MIN_SHARE = 0.75
# eye openings this wide for their distance apart (the faces measured: 0.26-0.54; the two open
# ends of a tube lying left to right: 1.0) and eyeballs this big (0.25-0.26)
EYE_WIDTH_RANGE = (0.15, 0.8)
EYEBALL_RADIUS_RANGE = (0.1, 0.45)


@dataclass
class FaceEvidence:
    """What says a mesh is a face: ``eyes`` ("eye openings", "eyeballs", or None when no pair of
    a face's proportions was found) and ``nose_share``, the share of directions around the most
    forward point where the front falls back as it does around a nose (:data:`NOSE_DROP`)."""

    eyes: str | None
    nose_share: float

    @property
    def is_face(self) -> bool:
        return self.eyes is not None or self.nose_share >= NOSE_MIN_SHARE


def plausible_eyes(anchors) -> str | None:
    """``anchors.source`` when the eyes of :class:`model.rig_check.FaceAnchors` are a pair of a
    face's proportions (:data:`EYE_WIDTH_RANGE`, :data:`EYEBALL_RADIUS_RANGE`), else None."""
    u = anchors.eye_distance
    if anchors.source == "eye openings" and u:
        if all(EYE_WIDTH_RANGE[0] <= e.width / u <= EYE_WIDTH_RANGE[1] for e in anchors.eyes.values()):
            return anchors.source
    if len(anchors.eyeballs) == 2:
        # eyeballs found beside eye openings: judged on their own distance apart
        centres = [e.center for e in anchors.eyeballs.values()]
        d = float(np.linalg.norm(centres[0] - centres[1]))
        lo, hi = EYEBALL_RADIUS_RANGE
        if d > 0 and all(lo <= e.radius / d <= hi for e in anchors.eyeballs.values()):
            return "eyeballs"
    return None


def nose_share(canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, pitch: float = 0.0) -> float:
    """The share of :data:`NOSE_SECTORS` directions around the nose tip
    (:func:`model.rig_check.nose_tip`) in which the front of the ``skin`` falls back as a face's
    does around its nose (:data:`NOSE_RING`, :data:`NOSE_DROP`); 0 when no tip is found.

    canonical (V, 3) Y up, Z forward; triangles (T, 3) (their centroids add samples on a coarse
    mesh); skin (V,) bool; ``pitch`` radians (:attr:`model.face_alignment.Alignment.face_pitch`).
    A direction with no surface in the ring (a coarse box) counts as not falling back.
    """
    from .orientation import rotation_about_x
    from .rig_check import nose_tip

    c = np.asarray(canonical, dtype=np.float64)
    skin = np.asarray(skin, dtype=bool)
    if not skin.any():
        return 0.0
    found = nose_tip(c, skin, pitch)
    if found is None:
        return 0.0
    tip, u = found
    t = np.asarray(triangles, dtype=np.int64)
    t = t[skin[t].all(axis=1)]
    points = np.concatenate([c[skin], c[t].mean(axis=1)])
    local = (points - tip) @ rotation_about_x(pitch).T  # upright: z forward along the face's pitch
    ring = np.hypot(local[:, 0], local[:, 1]) / u
    ring = (ring > NOSE_RING[0]) & (ring < NOSE_RING[1])
    angle = np.arctan2(local[ring, 1], local[ring, 0])
    sector = np.floor((angle + np.pi) / (2.0 * np.pi) * NOSE_SECTORS).astype(np.int64) % NOSE_SECTORS
    front = np.full(NOSE_SECTORS, -np.inf)  # the most forward point of each direction's ring
    np.maximum.at(front, sector, local[ring, 2])
    drop = -front / u
    return float(np.count_nonzero((drop >= NOSE_DROP[0]) & (drop <= NOSE_DROP[1])) / NOSE_SECTORS)


def face_evidence(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, pitch: float = 0.0, anchors=None
) -> FaceEvidence:
    """:class:`FaceEvidence` of a mesh in the canonical frame (see :func:`nose_share` for the
    arguments); ``anchors``: its :class:`model.rig_check.FaceAnchors` when already found (the
    preparation's, :attr:`model.face_placement.Placement.anchors`), else found here."""
    if anchors is None:
        from .rig_check import face_anchors

        anchors = face_anchors(canonical, triangles, skin_mask=skin, pitch=pitch)
    eyes = plausible_eyes(anchors)
    # the nose is only looked at when the eyes say nothing (a few ms on a 20k mesh)
    share = 1.0 if eyes is not None else nose_share(canonical, triangles, skin, pitch)
    return FaceEvidence(eyes, share)


# the subject of the warning; the add-on names the object instead (:func:`name_subject`)
NOT_A_FACE_SUBJECT = "this mesh"


def not_a_face_warning(evidence: FaceEvidence) -> str | None:
    """One line when ``evidence`` says the mesh is no face, else None. Not an error: an artist may
    bake a strange mesh on purpose; the bake goes on."""
    if evidence.is_face:
        return None
    k = int(round(evidence.nose_share * NOSE_SECTORS))
    need = int(np.ceil(NOSE_MIN_SHARE * NOSE_SECTORS))
    return (
        f"{NOT_A_FACE_SUBJECT} does not look like a face: no eye openings or eyeballs found where a "
        f"face has them, and no nose stands out of its front (the surface falls back around its "
        f"most forward point as around a nose in {k} of {NOSE_SECTORS} directions; faces: "
        f"{need} or more); the rig will likely be meaningless. Select the head mesh, or check the "
        "Up/Forward axes"
    )


def name_subject(warning: str, name: str) -> str:
    """``warning`` with its generic subject replaced by the object's ``name`` (the add-on's)."""
    if name and warning.startswith(NOT_A_FACE_SUBJECT):
        return f"'{name}'" + warning[len(NOT_A_FACE_SUBJECT) :]
    return warning
