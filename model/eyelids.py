"""A geometric eyelid solver: blinks that close the eye on any mesh.

The network's ``eyeBlink_L/R`` barely moves the lids on meshes unlike ICT-FaceKit's head. This
module builds the blink from the geometry instead and replaces the network's two blink shapes
(:func:`apply_eyelids`). Everything works in the canonical frame (:mod:`model.frame`: Y up,
face toward +Z, +X = the subject's left); numpy + scipy only. The bake (:func:`with_eyelids`)
hands it that frame turned upright with a nodding face's pitch (:func:`eye_turn`): the lids
close as seen from the face's front.

How the lids move
-----------------
* The **eyeball sphere**: fitted to the separate eyeball component when the mesh has one
  (:func:`model.face_landmarks.find_eyeballs`), else estimated behind the eye opening.
* Every point near the eye is described by ``(x, rho, phi)``: its X, its distance from the axis
  through the sphere's centre parallel to X, and its angle ``phi`` about that axis (0 = straight
  ahead, positive = up). The lids move by **rotating about that axis**: a rotation keeps the
  distance to the eyeball's centre, so lid skin slides over the eyeball and never passes
  through it.
* The **lid edges** ``phi_top(x)`` / ``phi_bot(x)`` across the eye: the lid margins of the skin's
  eye opening when there is one; on meshes whose lids fold into a closed socket (game avatars)
  the lowest / highest points of the skin surface's cross-sections that cover the eyeball, seen
  from the front (:func:`model.lid_margin.socket_edges`: sections of the surface, not the
  vertices near each column, which on a low-poly lid jump to the brow fold between the few
  margin vertices and close the lids along a zig-zag), over the columns where the eyeball shows
  and tapered to the canthi past them.
* The lids **meet** at ``phi_meet = phi_bot + meet * (phi_top - phi_bot)`` (a third of the
  opening above the lower margin, like ICT-FaceKit's blink): the upper lid rotates down by
  ``phi_top - phi_meet``, the lower lid up by ``phi_meet - phi_bot``. The rotation is largest at
  the edge and falls off smoothly (a smoothstep in ``phi`` towards the brow and the cheek and in
  the distance from the eyeball's centre); it vanishes at the canthi, where the opening has no
  height, so the corners stay put.
* On a closed socket the falloff in the distance from the eyeball's centre starts past the
  lids' front: a thick lid (the avatars': the margin rests on the eyeball, the front bulges 0.4
  radius further out) turns as one piece (:func:`_lid_front_distance`). On such a coarse mesh
  the falloff can drop from the full turn to none across one row of vertices where the skin
  bulges, creasing the skin above a closed lid: the turn over the falloff bands is evened out
  along the mesh (:func:`_spread_band`; the lid margins keep theirs). The lids of an eye
  opening (meshes like ICT-FaceKit's) keep the analytic falloff.
* The warp ``phi -> phi - angle(x, rho, phi)`` keeps ``x`` and ``rho``; its Jacobian is
  ``1 - d angle / d phi``, and the falloff bands are at least twice the rotation wide, so the
  warp is a smooth orientation-preserving map of space: no folds, no flipped triangles.
* Separate eyeball components (and anything inside the eyeball) never move; lashes and other
  parts near the lids follow the lids.
* Each margin vertex keeps its neutral offset from the smooth lid edge, so a jagged low-poly
  margin closes jagged (and the bake's mirror pass adds the margin's asymmetry): at the end of
  the bake a closed socket's margins, and an eye opening's (kept closed), are put on the
  nearest lines that bend one way (:mod:`model.lid_line`).

On an eye opening where the network's own blink already moves the lid margins the solver's way
(heads like ICT-FaceKit's), the bake keeps the network's blink, whose falloff is ICT's, and adds
only the least share of a tightly falling-off geometric blink that closes the eye
(:mod:`model.blink_blend`; the solver's own falloff moved the skin above the crease and below
the lower lid far more than ICT's blink does).

Meshes with neither an eye opening nor an eyeball (sculpts and scans with closed eyes) have no
lid to close: :func:`blink_deltas` returns ``None`` with the reason, and :func:`apply_eyelids`
keeps the network's shape there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .face_landmarks import (
    EyeOpening,
    components,
    find_eye_openings,
    find_eyeballs,
    fit_sphere,
    largest_component_mask,
    visible_eyeball,
)
from .facs import ICT_NAMES
from .lid_margin import socket_edges, socket_margin
from .memo import memoize

# the blink shapes this module replaces, and the side (the subject's) each closes
BLINK_SIDES = {"eyeBlink_L": "L", "eyeBlink_R": "R"}
# where the lids meet: this share of the opening above the lower margin (ICT-FaceKit: ~0.3)
MEET = 0.3
# each lid edge stops this share of the opening's angle short of the meeting line: the skin
# between the edges (the socket lining, the fold of a closed socket) is squeezed, never turned
# inside out; the slit left is ~1 % of the opening's height
SHORTFALL = 0.02
# the lid's skin next to its edge: this many radians of angle past it (the plateau of the
# falloff, where the lid turns fully)
_LID_BAND = 0.12
# rounds of evening out the turn over the falloff bands along the mesh (:func:`_spread_band`)
_SPREAD_ROUNDS = 3
# an eye with a neutral gap below this share of its width is closed already
_CLOSED_EYE = 0.05
# the face's pitch (model.face_alignment.Alignment.face_pitch, fitted against ICT's face) within
# this is read as a face modelled upright in its own axes, and the lids keep the mesh's front
# (the artist's and the rig check's): the real-dev meshes as they come read -4.4 to +4.1 degrees
# (the Rocketbox avatars -4.2 / -4.4, the demo head -1.0), and their blinks seen from the mesh's
# front were best (turning the whole pitch out raised their closed lids' zig-zag from 0.00-0.01 to
# 0.08-0.36 %). Beyond it the excess is turned out (see eye_turn): a nodding head. Continuous in
# the pitch, so a head just past it turns by a fraction of a degree
LID_PITCH_FREE_DEGREES = 5.0


@dataclass(frozen=True)
class Falloff:
    """How a lid's turn fades away from its edge: ``plateau_*`` (full turn) then ``band_*`` (a
    smoothstep to none) in angle past the upper / lower edge, both in the eye's opening angle
    (the largest ``phi_top - phi_bot``); in distance from the eyeball's centre it fades from
    ``start`` to ``start + reach`` eyeball radii (never inside the lid edges)."""

    plateau_up: float
    band_up: float
    plateau_low: float
    band_low: float
    start: float
    reach: float


@dataclass
class LidFrame:
    """The geometry one eye's lids move by (canonical units, radians).

    centre: ``(3,)`` eyeball centre; radius: eyeball radius; xs: ``(n,)`` increasing X samples
    across the eye, canthus to canthus; phi_top, phi_bot: ``(n,)`` the upper / lower lid edge
    angle about the X axis through ``centre`` at those X; socket: True when the lids fold into a
    closed socket (no opening); eyeball: ``(k,)`` int64 vertices that never move.
    """

    centre: np.ndarray
    radius: float
    xs: np.ndarray
    phi_top: np.ndarray
    phi_bot: np.ndarray
    socket: bool
    eyeball: np.ndarray
    ball: object = None
    extra: np.ndarray | None = None  # (n,) extra closing turn per X sample (radians), socket fit
    edge_distance: float = 0.0  # how far the lid edges lie from the centre (the falloff starts past it)
    upper_margin: np.ndarray | None = None  # (m,) int64 upper lid margin vertices across the eye
    lower_margin: np.ndarray | None = None  # (m,) int64 lower lid margin vertices
    opening: EyeOpening | None = None  # the skin's eye opening, when the lids have one


def _angles(points: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rho, phi): distance from the X axis through ``centre`` and the angle about it (up > 0)."""
    dy, dz = points[:, 1] - centre[1], points[:, 2] - centre[2]
    return np.hypot(dy, dz), np.arctan2(dy, dz)


def _estimate_sphere(canonical: np.ndarray, eye: EyeOpening) -> tuple[np.ndarray, float]:
    """An eyeball behind an opening: a sphere fitted to the lid margins, kept to a plausible size
    (radius 0.3-0.7 of the opening's width, centre behind the opening), else the human ratio."""
    loop = canonical[eye.loop].astype(np.float64)
    centre, radius, resid = fit_sphere(loop)
    plausible = (
        0.3 * eye.width < radius < 0.7 * eye.width and centre[2] < eye.center[2] and resid < 0.2 * radius
    )
    if plausible:
        return centre, radius
    # a human opening is ~2.4 eyeball radii wide and sits ~0.8 radius in front of the centre
    radius = eye.width / 2.4
    return eye.center - np.array([0.0, 0.0, 0.8 * radius]), radius


def _edges_from_opening(canonical: np.ndarray, eye: EyeOpening, centre: np.ndarray):
    """Lid edge angles across the opening from its margins."""
    x0, x1 = sorted((float(canonical[eye.upper[0], 0]), float(canonical[eye.upper[-1], 0])))
    xs = np.linspace(x0, x1, 41)

    def edge(chain: np.ndarray) -> np.ndarray:
        pts = canonical[chain].astype(np.float64)
        _, phi = _angles(pts, centre)
        order = np.argsort(pts[:, 0], kind="stable")
        return np.interp(xs, pts[order, 0], phi[order])

    return xs, edge(eye.upper), edge(eye.lower)


def _edges_from_socket(
    canonical: np.ndarray, triangles: np.ndarray, skin: np.ndarray, ball, centre: np.ndarray, radius: float
):
    """Lid edge angles of a closed socket (:func:`model.lid_margin.socket_edges`: the surface's
    cross-sections where the eyeball shows), tapered to the canthi past the trusted columns."""
    pts = canonical.astype(np.float64)
    found = socket_edges(pts, triangles, skin, centre, radius, visible_eyeball(pts, triangles, skin, ball))
    if found is None:
        return None
    ok = found.trusted
    xs, top, bot = found.xs[ok], found.top[ok], np.minimum(found.bot[ok], found.top[ok])
    # the sections follow the mesh's edges: a margin that steps along grid edges (a staircase)
    # gives a sawtooth a few columns long; the lids turn by the smooth line through it
    kernel = np.exp(-0.5 * (np.arange(-6, 7) / 1.5) ** 2)
    kernel /= kernel.sum()
    top = np.convolve(np.pad(top, 6, mode="edge"), kernel, mode="valid")
    bot = np.convolve(np.pad(bot, 6, mode="edge"), kernel, mode="valid")
    x0, x1 = xs[0], xs[-1]
    # past the trusted columns lies the lids' corner: the opening tapers from the last column it
    # shows in to nothing at the canthus, over a third of the eyeball's radius
    corner = 0.35 * radius
    even = np.linspace(x0 - corner, x1 + corner, 41)
    top, bot = np.interp(even, xs, top), np.interp(even, xs, bot)  # held at the last column outside
    taper = 1.0 - _smoothstep(np.maximum(x0 - even, even - x1) / corner)
    mid = 0.5 * (top + bot)
    top, bot = mid + taper * (top - mid), mid + taper * (bot - mid)
    margins = (socket_margin(found), socket_margin(found, upper=False))
    return even, top, bot, float(np.percentile(found.dist[ok], 90)), margins


@memoize
def lid_frame(canonical: np.ndarray, triangles: np.ndarray, side: str) -> LidFrame | str:
    """The lid geometry of one eye (``side`` "L" = +X or "R"), or a string saying why there is
    none. canonical: ``(V, 3)`` float; triangles: ``(T, 3)`` int."""
    canonical = np.asarray(canonical, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    skin = largest_component_mask(len(canonical), triangles)
    eyes = find_eye_openings(canonical, triangles, skin)
    balls = find_eyeballs(canonical, triangles, skin)
    eye, ball = eyes.get(side), balls.get(side)
    if eye is None and ball is None:
        return (
            f"no {side} eye opening and no eyeball: the eye is closed at neutral (a scan or sculpt); "
            "the network's blink is kept - cut the lids open to get a geometric blink"
        )
    if eye is not None and eye.max_gap < _CLOSED_EYE * eye.width:
        return f"the {side} eye opening is closed at neutral; the network's blink is kept"
    if ball is not None:
        centre, radius = ball.center.astype(np.float64), float(ball.radius)
        comp = components(len(canonical), triangles)
        # the eyeball and every part inside it (iris, cornea shells) stay rigid
        fixed = np.isin(comp, np.unique(comp[ball.vertices]))
        d = np.linalg.norm(canonical - centre, axis=1)
        for c in np.unique(comp[~skin & ~fixed]):
            members = comp == c
            if d[members].max() < 1.02 * radius:
                fixed |= members
        eyeball = np.flatnonzero(fixed)
    else:
        centre, radius = _estimate_sphere(canonical, eye)
        eyeball = np.zeros(0, dtype=np.int64)
    if eye is not None:
        xs, top, bot = _edges_from_opening(canonical, eye, centre)
        edge_distance = float(np.percentile(np.linalg.norm(canonical[eye.loop] - centre, axis=1), 90))
        socket = False
        margins = (np.asarray(eye.upper[1:-1]), np.asarray(eye.lower[1:-1]))
    else:
        edges = _edges_from_socket(canonical, triangles, skin, ball, centre, radius)
        if edges is None:
            return f"the {side} eyeball is not visible between the lids; the network's blink is kept"
        xs, top, bot, edge_distance, margins = edges
        socket = True
        # the socket's lid edges are where the lids touch the eyeball; a thick lid (a game
        # avatar's: its front bulges ~0.4 radius further out) turns as one piece: the distance
        # falloff starts past its front, else the front lags the margin and the closed lid
        # folds into a crease above it (an opening's margins are the lids' front already)
        edge_distance = max(edge_distance, _lid_front_distance(canonical, skin, centre, radius, xs, top, bot))
    return LidFrame(
        centre, radius, xs, top, bot, socket, eyeball, ball, edge_distance=edge_distance,
        upper_margin=margins[0], lower_margin=margins[1], opening=eye,
    )  # fmt: skip


def _lid_front_distance(
    canonical: np.ndarray, skin: np.ndarray, centre: np.ndarray, radius: float, xs: np.ndarray,
    top: np.ndarray, bot: np.ndarray,
) -> float:  # fmt: skip
    """How far the lids' skin next to their edges lies from the eyeball's centre: the furthest
    skin vertex within :data:`_LID_BAND` radians of an edge on its lid's side, across the eye,
    closer than 2 radii (the front of the thicker lid), 0 when there is none."""
    pts = canonical[skin]
    _, phi = _angles(pts, centre)
    dist = np.linalg.norm(pts - centre, axis=1)
    x = pts[:, 0]
    top_x, bot_x = np.interp(x, xs, top), np.interp(x, xs, bot)
    across = (x > xs[0]) & (x < xs[-1]) & (dist < 2.0 * radius)
    upper = (phi >= top_x) & (phi <= top_x + _LID_BAND)
    lower = (phi <= bot_x) & (phi >= bot_x - _LID_BAND)
    near = across & (upper | lower)
    return float(dist[near].max()) if near.any() else 0.0


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def lid_deltas(
    canonical: np.ndarray,
    frame: LidFrame,
    triangles: np.ndarray | None = None,
    upper: float = 1.0,
    lower: float = 1.0,
    meet: float = MEET,
    falloff: Falloff | None = None,
) -> np.ndarray:
    """Displacements ``(V, 3) float32`` that rotate the lids about the eyeball's X axis.

    upper: share of the way the upper lid edge goes to the meeting line (1 = meets it, negative
    = opens wider); lower: the same for the lower lid. The blink is ``upper = lower = 1`` (plus
    the :data:`SHORTFALL`). With ``triangles (T, 3)`` the rotation is smoothed where a triangle
    would flip. falloff: the bands the turn fades over (None: the default ones, wide enough for
    any lid).
    """
    pts = np.asarray(canonical, dtype=np.float64)
    c, r = frame.centre, frame.radius
    rho, phi = _angles(pts, c)
    x = pts[:, 0]
    # the turns on a grid reaching past the canthi (zero there: the opening has no height)
    width = float(frame.xs[-1] - frame.xs[0])
    # the canthi are grid nodes, so the turn is exactly zero there
    grid = frame.xs[0] + np.arange(-78, 130 + 78 + 1) * (width / 130)
    inside = (np.arange(len(grid)) >= 78) & (np.arange(len(grid)) <= 78 + 130)
    top_g = np.interp(grid, frame.xs, frame.phi_top)
    bot_g = np.interp(grid, frame.xs, frame.phi_bot)
    gap_g = np.where(inside, np.clip(top_g - bot_g, 0.0, None), 0.0)
    meet_g = bot_g + meet * gap_g
    extra_g = np.zeros_like(grid) if frame.extra is None else np.interp(grid, frame.xs, frame.extra) * inside
    turn_up_g = upper * (top_g - meet_g) + (extra_g - SHORTFALL * gap_g if upper >= 1.0 else 0.0)
    turn_low_g = lower * (meet_g - bot_g) + (extra_g - SHORTFALL * gap_g if lower >= 1.0 else 0.0)
    top, bot = np.interp(x, grid, top_g), np.interp(x, grid, bot_g)
    gap = np.interp(x, grid, gap_g)
    # falloff bands in angle away from each edge: the upper lid's towards the brow, the lower
    # lid's towards the cheek; both stretch the skin (never fold it) for a closing lid, and are
    # kept 1.6x wider than an opening turn (eyeWide), where they compress it
    plateau = plateau_up = plateau_low = _LID_BAND
    band_up, band_low = 0.65, 0.55
    start, reach = max(1.15 * r, 1.02 * frame.edge_distance), 0.8 * r
    if falloff is not None:
        # a falloff measured on a head (:class:`Falloff`): the bands in opening heights
        opening = float(np.max(gap_g, initial=0.0))
        plateau_up, band_up = falloff.plateau_up * opening, falloff.band_up * opening
        plateau_low, band_low = falloff.plateau_low * opening, falloff.band_low * opening
        start, reach = max(falloff.start * r, 1.02 * frame.edge_distance), falloff.reach * r
    band_up = max(band_up, 1.6 * float(np.max(-turn_up_g, initial=0.0)))
    band_low = max(band_low, 1.6 * float(np.max(-turn_low_g, initial=0.0)))
    depth_up = np.clip((phi - top - plateau_up) / band_up, 0.0, 1.0)
    depth_low = np.clip((bot - phi - plateau_low) / band_low, 0.0, 1.0)
    # the further from the edge, the smoother the turn across the eye (a harmonic-like spread:
    # no shear lines running from the canthi up to the brow)
    spacing = float(grid[1] - grid[0])
    sigmas = np.array([0.0, 0.08, 0.16, 0.3]) * width

    def spread(profile: np.ndarray, depth: np.ndarray) -> np.ndarray:
        levels = []
        for sigma in sigmas:
            if sigma == 0.0:
                blurred = profile
            else:
                k = np.arange(-int(3 * sigma / spacing) - 1, int(3 * sigma / spacing) + 2) * spacing
                kernel = np.exp(-0.5 * (k / sigma) ** 2)
                blurred = np.convolve(profile, kernel / kernel.sum(), mode="same")
            levels.append(np.interp(x, grid, blurred))
        levels = np.stack(levels, axis=1)
        pos = depth * (len(sigmas) - 1)
        lo = np.clip(np.floor(pos).astype(int), 0, len(sigmas) - 2)
        frac = pos - lo
        rows = np.arange(len(x))
        return (1.0 - frac) * levels[rows, lo] + frac * levels[rows, lo + 1]

    turn_up = spread(turn_up_g, depth_up)
    turn_low = spread(turn_low_g, depth_low)
    angle = np.zeros(len(pts))
    above = phi >= top
    below = phi <= bot
    between = ~above & ~below
    angle[above] = -(turn_up * (1.0 - _smoothstep(depth_up)))[above]
    angle[below] = (turn_low * (1.0 - _smoothstep(depth_low)))[below]
    # between the edges (the socket lining, the fold of a closed socket): blend the edge turns
    t = np.where(gap > 0, (phi - bot) / np.maximum(gap, 1e-12), 0.5)
    angle[between] = ((1.0 - t) * turn_low - t * turn_up)[between]
    # behind the eyeball's centre nothing moves (the back of the socket, the skull)
    angle[np.abs(phi) > 0.5 * np.pi + 0.3] = 0.0
    # the lid skin near the eyeball moves fully; the brow and the cheek further out hardly at all
    dist = np.linalg.norm(pts - c, axis=1)
    angle *= 1.0 - _smoothstep((dist - start) / reach)
    angle[frame.eyeball] = 0.0
    if triangles is not None and frame.socket:
        # on a coarse lid one row of vertices carries the falloff from the turning lid to the
        # still brow and creases there (an avatar's closed upper lid): spread it along the mesh
        # (the lids of an opening, on meshes like ICT-FaceKit's, keep the analytic falloff)
        band = (above & (phi > top + plateau)) | (below & (phi < bot - plateau))
        for margin in (frame.upper_margin, frame.lower_margin):  # the lid edges hold their line
            if margin is not None:
                band[margin] = False
        angle = _spread_band(np.asarray(triangles, dtype=np.int64), angle, band & (angle != 0.0))
    if triangles is not None:
        angle = _unflip(pts, np.asarray(triangles, dtype=np.int64), rho, phi, c, angle, frame.eyeball)
    return _rotate(pts, rho, phi, c, angle).astype(np.float32)


def _spread_band(
    tris: np.ndarray, angle: np.ndarray, band: np.ndarray, rounds: int = _SPREAD_ROUNDS
) -> np.ndarray:
    """The turn ``angle (V,)`` over the falloff bands (``band (V,) bool``: moving vertices past
    the plateau) evened out along the mesh: ``rounds`` of setting each band vertex to the mean
    of its neighbours (the plateau, the lid edges and the still skin around hold). The analytic
    falloff is smooth in space, but where the skin bulges (a thick lid under a brow ridge) it
    falls from full to none across one row of a coarse mesh, and the closed lid creases there
    (the largest growth of an edge's fold above the closed lid, Rocketbox 01 / 02: 28 / 30
    degrees before, 11 / 19 after)."""
    if not band.any():
        return angle.copy()
    # a band vertex reads only its neighbours, all in the triangles around it: the patch
    patch, _, adj = _patch_adjacency(tris, band[tris].any(axis=1))
    degree = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1.0)
    out = angle.copy()
    values, inside = out[patch], band[patch]
    for _ in range(rounds):
        mean = (adj @ values) / degree
        values[inside] = mean[inside]
    out[patch] = values
    return out


def _patch_adjacency(tris: np.ndarray, active: np.ndarray):
    """``(patch (P,) int64 sorted vertex ids, sub (A, 3) the active triangles renumbered into the
    patch, adj (P, P) csr float64 0/1 symmetric adjacency)`` of the triangles ``active (T,)
    bool``. Sorted ids keep every row's column order, so products on the patch sum in the same
    order as on the whole mesh (bit for bit)."""
    import scipy.sparse as sp

    patch = np.unique(tris[active])
    sub = np.searchsorted(patch, tris[active])
    n = len(patch)
    rows = np.concatenate([sub[:, 0], sub[:, 1], sub[:, 2]])
    cols = np.concatenate([sub[:, 1], sub[:, 2], sub[:, 0]])
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    return patch, sub, ((adj + adj.T) > 0).astype(np.float64)


def _corner_of(num_vertices: int, tris: np.ndarray):
    """(V, T) CSR bool: which triangles each vertex is a corner of."""
    import scipy.sparse as sp

    rows = tris.ravel()
    cols = np.repeat(np.arange(len(tris)), tris.shape[1])
    return sp.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=(num_vertices, len(tris)))


def _rotate(pts, rho, phi, centre, angle) -> np.ndarray:
    """Displacements of ``pts`` rotated by ``angle`` about the X axis through ``centre``."""
    new_phi = phi + angle
    out = np.zeros_like(pts)
    out[:, 1] = centre[1] + rho * np.sin(new_phi) - pts[:, 1]
    out[:, 2] = centre[2] + rho * np.cos(new_phi) - pts[:, 2]
    out[angle == 0.0] = 0.0
    return out


class _Flips:
    """Triangles whose normal turns by more than 90 degrees (degenerate ones skipped), for many
    moved copies of one ``pts (n, 3)`` and ``tris (T, 3)``: the neutral normals and the
    degenerate test are computed once."""

    def __init__(self, pts: np.ndarray, tris: np.ndarray):
        self.tris = tris
        self.n0 = self._normals(pts)
        area = np.linalg.norm(self.n0, axis=1)
        self.ok = area > 1e-12 * max(float(area.max()), 1e-30)

    def _normals(self, p: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        t = self.tris if rows is None else self.tris[rows]
        e1, e2 = p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]]
        # the cross product written out: np.cross's products and differences (the same bits),
        # without its axis shuffling (two thirds of a test's time on a lid's small patch)
        n = np.empty_like(e1)
        n[:, 0] = e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1]
        n[:, 1] = e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2]
        n[:, 2] = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        return n

    def __call__(self, moved: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """(T,) bool flipped triangles of ``moved (n, 3)``; with ``rows`` (R,) int, those rows'
        only (R,) (the same values as the whole call's, row by row)."""
        if rows is None:
            return self.ok & ((self.n0 * self._normals(moved)).sum(axis=1) < 0.0)
        return self.ok[rows] & ((self.n0[rows] * self._normals(moved, rows)).sum(axis=1) < 0.0)


def _unflip(pts, tris, rho, phi, centre, angle, fixed, iterations: int = 200) -> np.ndarray:
    """Where a triangle is too coarse for the warp (it straddles the squeezed band between the
    lid edges, or a canthus) and flips, smooth the rotation over its vertices and their
    neighbours until none flips: the continuous warp never folds, only its sampling can.

    Only the triangles touching a turning vertex can flip and only their vertices change, so
    the rounds run on that patch (its vertices renumbered in order: the same sums in the same
    order as on the whole mesh, bit for bit), not on the whole head."""

    moving = np.flatnonzero(angle != 0.0)
    if len(moving) == 0:
        return angle
    patch, sub, adj = _patch_adjacency(tris, (angle != 0.0)[tris].any(axis=1))
    n = len(patch)
    p, rho_p, phi_p = pts[patch], rho[patch], phi[patch]
    degree = np.asarray(adj.sum(axis=1)).ravel()
    full = angle
    angle = angle[patch]  # a copy
    # what the warp leaves still (the canthi, everything outside the orbit) stays still
    frozen = angle == 0.0
    still = np.zeros(len(full), dtype=bool)
    still[fixed] = True
    frozen |= still[patch]
    flipped = _Flips(p, sub)
    # averaged over the moving neighbours only: a still vertex far behind (the apex of a
    # socket's fan) must not drag a whole lid edge back open (the weights and their sums are
    # the same every round)
    free = (~frozen).astype(np.float64)
    moving_neighbours = np.maximum(adj @ free, 1.0)
    may_turn = ~frozen & (degree > 0)
    for _ in range(iterations):
        # (the whole patch each round: re-testing only the triangles around the turned vertices
        # cost more in indexing than it saved on a patch this small)
        bad = flipped(p + _rotate(p, rho_p, phi_p, centre, angle))
        if not bad.any():
            break
        region = np.zeros(n, dtype=bool)
        region[sub[bad].ravel()] = True
        region |= (adj @ region.astype(np.float64)) > 0
        region &= may_turn
        mean = (adj @ (angle * free)) / moving_neighbours
        angle[region] = 0.5 * angle[region] + 0.5 * mean[region]
    for _ in range(20):
        # slivers that still flip: turn each one rigidly (its vertices share one angle)
        bad = flipped(p + _rotate(p, rho_p, phi_p, centre, angle))
        if not bad.any():
            break
        for tri in sub[bad]:
            free = tri[~frozen[tri]]
            angle[free] = angle[tri].mean()
    out = full.copy()
    out[patch] = angle
    return out


@memoize
def blink_deltas(
    canonical: np.ndarray,
    triangles: np.ndarray,
    side: str,
    frame: LidFrame | str | None = None,
    falloff: Falloff | None = None,
) -> tuple[np.ndarray | None, str]:
    """The geometric blink of one eye.

    canonical: ``(V, 3)`` float vertices in the canonical frame; triangles ``(T, 3)`` int;
    side: ``"L"`` (+X, the subject's left) or ``"R"``; frame: that eye's :func:`lid_frame`
    when already found (it is not changed), else found here; falloff: see :func:`lid_deltas`.
    Returns ``(deltas (V, 3) float32, "")``, or ``(None, reason)`` when the eye has no lid to
    close (closed at neutral, no eyeball).
    """
    if frame is None:
        frame = lid_frame(canonical, triangles, side)
    if isinstance(frame, str):
        return None, frame
    frame = replace(frame)  # closing a socket sets its extra turn: on a copy
    deltas = lid_deltas(canonical, frame, triangles, falloff=falloff)
    if frame.socket and frame.ball is not None:
        deltas = _close_socket(canonical, triangles, frame, deltas)
    return deltas, ""


def _close_socket(canonical, triangles, frame: LidFrame, deltas: np.ndarray, rounds: int = 20) -> np.ndarray:
    """A closed socket's lid edges are estimated from the skin in front of the eyeball, and
    the lids' thickness varies: where a column of the eyeball's opening (what shows at neutral)
    still shows between the closed lids (seen from the front), turn both lids a little further
    there and solve again."""

    pts = np.asarray(canonical, dtype=np.float64)
    tris = np.asarray(triangles, dtype=np.int64)
    skin = largest_component_mask(len(pts), tris)
    gap = frame.phi_top - frame.phi_bot
    frame.extra = np.zeros_like(frame.xs)
    # only the opening counts: where a stretched lid lets the eyeball show elsewhere (a coarse
    # lid's long triangles dipping behind it), turning the lids further would not close that
    opening = visible_eyeball(pts, tris, skin, frame.ball)
    for _ in range(rounds):
        shown = visible_eyeball(pts + deltas, tris, skin, frame.ball) & opening
        # a slit one sample high is closed (the rig check's rule)
        shown[1:-1] &= shown[:-2] & shown[2:]
        shown[[0, -1]] = False
        columns = shown.any(axis=0)
        if not columns.any():
            break
        samples = frame.centre[0] + frame.radius * np.linspace(-1.0, 1.0, shown.shape[1])
        open_x = samples[columns]
        near = np.abs(frame.xs[:, None] - open_x[None, :]).min(axis=1) <= 2.0 * (samples[1] - samples[0])
        bump = np.convolve(np.pad(near.astype(np.float64), 3, mode="edge"), np.ones(7) / 7.0, mode="valid")
        frame.extra = frame.extra + 0.06 * gap * bump  # a smooth bump: no notch in the margin
        deltas = lid_deltas(canonical, frame, triangles)
    return deltas


def apply_eyelids(
    canonical: np.ndarray,
    triangles: np.ndarray,
    deltas: np.ndarray,
    names: tuple[str, ...] = ICT_NAMES,
    frames: dict | None = None,
    blend: bool = True,
) -> tuple[np.ndarray, list[str]]:
    """Replace the blink shapes of a baked rig by the geometric blink.

    canonical: ``(V, 3)``; triangles ``(T, 3)``; deltas: ``(S, V, 3)`` additive shapes in the
    canonical frame, named by ``names``; frames: ``{side: LidFrame | str}`` already found by
    :func:`lid_frame` (the missing ones are found here); blend: on eye openings, carry the given
    blink where it moves the lids the solver's way (:func:`model.blink_blend.blend_blinks`: the
    solver's blink only closes what it leaves open), else replace it. Returns ``(deltas (S, V,
    3) float32, notes)``: a copy with ``eyeBlink_L/R`` replaced where the eye can be closed geometrically
    (else the network's shape is kept), and one note per eye that was kept and why.
    """
    from .blink_blend import blend_blinks

    frames = dict(frames or {})
    out = np.array(deltas, dtype=np.float32, copy=True)
    notes = []
    solved = {}
    for name, side in BLINK_SIDES.items():
        if name not in names:
            continue
        if frames.get(side) is None:
            frames[side] = lid_frame(canonical, triangles, side)
        blink, reason = blink_deltas(canonical, triangles, side, frames[side])
        if blink is None:
            notes.append(f"{name}: {reason}")
            continue
        solved[name] = blink
    if blend and solved:
        # where the network's blink already moves the lids, its falloff is ICT's: carry it
        rows = {BLINK_SIDES[n]: list(names).index(n) for n in solved}
        blinks, _, _ = blend_blinks(
            canonical, triangles, frames, {s: out[r] for s, r in rows.items()},
            {BLINK_SIDES[n]: b for n, b in solved.items()},
        )  # fmt: skip
        solved = {n: blinks[BLINK_SIDES[n]] for n in solved}
    for name, blink in solved.items():
        out[list(names).index(name)] = blink
    return out, notes


def prime_lids(canonical: np.ndarray, triangles: np.ndarray) -> None:
    """Find both eyes' lid frames and geometric blinks (the solver's and the tight one the blend
    reads, :func:`model.blink_blend.blend_blinks`) of the network's canonical mesh (V, 3)
    float32 and triangles (T, 3) int64, as :func:`with_eyelids` will ask for them, so that the
    bake finds them kept (:mod:`model.memo`: by their arguments' bytes, so the bake's result is
    the same). Run by :meth:`model.api.FaceModel.finish_registration` while the registration
    still runs (:meth:`model.api.FaceModel.defer_geometry`): 0.25 s of a 20k head's cold bake."""
    from .blink_blend import ICT_FALLOFF

    for side in BLINK_SIDES.values():
        frame = lid_frame(canonical, triangles, side)
        if isinstance(frame, str):
            continue
        blink_deltas(canonical, triangles, side, frame)  # apply_eyelids' call
        # blend_blinks' call (when it trusts the network's blink): its float64 arguments
        pts, tris = np.asarray(canonical, dtype=np.float64), np.asarray(triangles, dtype=np.int64)
        blink_deltas(pts, tris, side, frame, falloff=ICT_FALLOFF)


def eye_turn(prepared) -> np.ndarray | None:
    """``(3, 3)`` the turn about X that stands a :class:`model.api.PreparedMesh`'s face upright
    (its pitch, :attr:`model.face_alignment.Alignment.face_pitch`, less
    :data:`LID_PITCH_FREE_DEGREES` towards 0), ``None`` when it has none.

    The lid solver, the lid follow and the lid line (:func:`with_eyelids`,
    :meth:`model.api.FaceModel._smooth_lid_lines`) look at the eye from the front: the lid
    edges are found per column of the eyeball seen along +Z, the socket is closed until no
    column shows, the margins are put on a line seen from the front. The front is the face's,
    not the mesh's axes': a head modelled nodding (Rocketbox Adult_01 turned 10 degrees in
    pitch) closed its lids along a line tilted against the eye, and seen from the face's front
    the eyeball showed (worst column 67 %) and the margins zig-zagged (4.8 %). They work in the
    canonical frame turned by this (vertices ``canonical @ turn.T``); a face without a pitch
    keeps the canonical frame bit for bit (the meshes as they come: :data:`LID_PITCH_FREE_DEGREES`)."""
    alignment = getattr(prepared, "_tensors", {}).get("face_alignment")  # (a stand-in may have none)
    degrees = 0.0 if alignment is None else float(np.degrees(alignment.face_pitch))
    excess = np.sign(degrees) * max(abs(degrees) - LID_PITCH_FREE_DEGREES, 0.0)
    if not excess:
        return None
    from .orientation import rotation_about_x

    return rotation_about_x(float(np.radians(excess)))


def eye_points(prepared, turn: np.ndarray | None) -> np.ndarray:
    """The prepared mesh's canonical vertices (V, 3) float32 in the eye's upright frame
    (:func:`eye_turn`), kept on the prepared mesh (the lid frames' memo reads its bytes)."""
    if turn is None:
        return prepared.canonical
    hit = prepared._tensors.get("eye_points")
    if hit is None or not np.array_equal(hit[0], turn):
        pts = (np.asarray(prepared.canonical, np.float64) @ turn.T).astype(np.float32)
        hit = prepared._tensors["eye_points"] = (turn, pts)
    return hit[1]


def solved_blink_rows(prepared) -> list[int]:
    """ICT shape indices of the blinks :func:`with_eyelids` solved on ``prepared`` in its latest
    bake (the geometric blinks; none before a bake)."""
    hit = prepared._tensors.get("eyelid_blinks")
    return [] if hit is None else list(hit[1])


def with_eyelids(prepared, deltas: np.ndarray) -> np.ndarray:
    """:func:`apply_eyelids` on a :class:`model.api.PreparedMesh`'s canonical mesh, for the
    network's bake ``deltas (53, V, 3)`` (canonical frame), then the lids made to follow the
    eyes in ``eyeLookUp/Down`` and ``eyeWide`` (:func:`model.lid_follow.follow_lids`). The
    lid frames are found once per mesh, the blinks once per mesh and incoming blinks (kept on
    the prepared mesh; the notes under ``prepared._tensors["eyelid_notes"]``)."""
    import hashlib

    from .lid_follow import follow_lids

    key = "eyelid_blinks"
    # the lids work upright with the face (eye_turn); only the shapes they change are turned
    # back, so the others keep their bits
    turn = eye_turn(prepared)
    canonical = eye_points(prepared, turn)
    given = deltas
    if turn is not None:
        deltas = (np.asarray(deltas, np.float64) @ turn.T).astype(np.float32)
    # one lid frame per eye for the blinks and the lid follow (found once: ~40 ms at 20k), in
    # the eye's upright frame
    frames = prepared._tensors.setdefault("eyelid_frames", {})
    # the lids' own surface: lash strips welded to a lid margin left out (PreparedMesh.skin_triangles)
    triangles = prepared.skin_triangles()
    # the solved blinks blend in the incoming ones (their falloff), so they are kept for those
    # incoming blinks only: a bake by another method or with repainted weights solves again
    # (it took the first bake's blink: the network after a mixed bake got mixed's lids)
    incoming = np.ascontiguousarray(deltas[[ICT_NAMES.index(n) for n in BLINK_SIDES]], dtype=np.float32)
    digest = hashlib.blake2b(incoming.tobytes(), digest_size=16).digest()
    hit = prepared._tensors.get(key)
    if hit is None or hit[0] != digest:
        for side in BLINK_SIDES.values():
            if side not in frames:
                frames[side] = lid_frame(canonical, triangles, side)
        fixed, notes = apply_eyelids(canonical, triangles, deltas, frames=frames)
        rows = [ICT_NAMES.index(n) for n in BLINK_SIDES if not any(note.startswith(n) for note in notes)]
        prepared._tensors[key] = (digest, rows, fixed[rows])
        prepared._tensors["eyelid_notes"] = notes
    _, rows, blinks = prepared._tensors[key]
    out = np.array(deltas, dtype=np.float32, copy=True)
    out[rows] = blinks
    out = follow_lids(canonical, triangles, out, ICT_NAMES, frames)
    if turn is None:
        return out
    changed = np.flatnonzero(np.any(out != deltas, axis=(1, 2)))
    back = np.array(given, dtype=np.float32, copy=True)
    back[changed] += ((out[changed].astype(np.float64) - deltas[changed]) @ turn).astype(np.float32)
    return back
