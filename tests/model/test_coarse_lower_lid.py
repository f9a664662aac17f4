"""A decimated lid (a low-poly game head's LOD): the lower lid is one margin vertex whose edges run
straight to the face beyond two eyeball radii. Its lid edge is still found, and the blink closes
the eye (the socket's sections used to keep only edges with both ends within two radii of the
eyeball's centre: no lower lid, no geometric blink)."""

from __future__ import annotations

import numpy as np
from test_eyelids import BLINKS, EYE, close_sockets

from model.eyelids import blink_deltas, lid_frame
from model.face_landmarks import find_eyeballs, largest_component_mask, visible_eyeball
from model.lid_margin import socket_edges
from model.rig_check import check_rig

BOTTOM = -0.35  # the lower lid's one margin vertex, below the eyeball's centre
CANTHUS = 2.0  # the canthi's distance from the eye's centre in front view (eyeball radius 1)


def decimated_socket() -> tuple[np.ndarray, np.ndarray]:
    """Two closed sockets (eyeballs of radius 1 at x = +-EYE). The opening of each: 9 upper
    margin vertices from canthus to canthus (the canthi, pointed corners as a collapse leaves
    them, past two radii from the eyeball's centre) and one lower margin vertex; each opening
    vertex joined by a strip of single triangles to a ring of 10 vertices 2.3 radii out (in
    front view), then a coarse grid of face: every edge of the lower lid has an end past two
    radii. Y up, face toward +Z. Returns (vertices, triangles)."""
    from scipy.spatial import Delaunay

    ang = np.linspace(0.0, np.pi, 9)
    upper = np.stack([-CANTHUS * np.cos(ang), 0.3 * np.sin(ang)], 1)  # canthus to canthus
    loop = np.vstack([upper, [[0.0, BOTTOM]]])  # the opening, in walking order
    k = len(loop)
    ring = 2.3 * loop / np.linalg.norm(loop, axis=1, keepdims=True)
    gx, gy = np.meshgrid(np.linspace(-6.0, 6.0, 25), np.linspace(-7.0, 3.0, 21))
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    away = np.minimum(np.hypot(grid[:, 0] - EYE, grid[:, 1]), np.hypot(grid[:, 0] + EYE, grid[:, 1]))
    eyes = [(part * [sx, 1] + [sx * EYE, 0]) for sx in (1, -1) for part in (loop, ring)]
    xy = np.vstack([*eyes, grid[away > 3.0]])
    # the face: the rings and the grid (every ring point lies on one circle about its eye with
    # nothing else inside, so the triangles inside a ring are the ring's own: dropped)
    outer = np.concatenate([np.arange(k, 2 * k), np.arange(3 * k, len(xy))])
    tri = outer[Delaunay(xy[outer]).simplices]
    i = np.arange(k)
    strips = []
    for first in (0, 2 * k):  # each eye: the opening loop, then its ring
        rings = (tri >= first + k) & (tri < first + 2 * k)
        tri = tri[~rings.all(axis=1)]
        a, b = first + i, first + (i + 1) % k
        strips += [np.stack([a, b, b + k], 1), np.stack([a, b + k, a + k], 1)]
    tri = np.vstack([tri, *strips])
    rr = np.minimum(np.hypot(xy[:, 0] - EYE, xy[:, 1]), np.hypot(xy[:, 0] + EYE, xy[:, 1]))
    z = np.sqrt(1.2**2 - np.minimum(rr, 1.19) ** 2) + 0.8 * np.clip(rr - 1.19, 0.0, 0.5)
    v = np.column_stack([xy, z])
    nz = np.cross(v[tri[:, 1]] - v[tri[:, 0]], v[tri[:, 2]] - v[tri[:, 0]])[:, 2]
    tri[nz < 0] = tri[nz < 0][:, [0, 2, 1]]
    return close_sockets(v, tri, (0, 2 * k), k)


def test_the_lower_lid_of_a_decimated_socket_is_found():
    v, t = decimated_socket()
    skin = largest_component_mask(len(v), t)
    ball = find_eyeballs(v, t, skin)["L"]
    # the lower lid's edges: each has an end beyond two radii of the eyeball's centre
    bottom = int(np.flatnonzero(np.all(np.isclose(v[:, :2], [EYE, BOTTOM]), axis=1))[0])
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    others = np.unique(e[(e == bottom).any(axis=1)])
    others = others[(others != bottom) & skin[others] & (v[others, 2] > 0)]
    assert (np.linalg.norm(v[others] - ball.center, axis=1) > 2.0).all()
    found = socket_edges(v, t, skin, ball.center, ball.radius, visible_eyeball(v, t, skin, ball))
    assert found is not None
    ok = found.trusted & (np.abs(found.xs - ball.center[0]) < 0.5 * ball.radius)
    assert ok.sum() >= 8
    # the lower edge at the middle column is the bottom vertex's angle about the eyeball's X axis
    mid = int(np.argmin(np.abs(found.xs - ball.center[0])))
    expect = np.arctan2(v[bottom, 1] - ball.center[1], v[bottom, 2] - ball.center[2])
    assert found.trusted[mid] and abs(found.bot[mid] - expect) < np.radians(2.0)
    assert (found.top[ok] > 0).all() and (found.bot[ok] < 0).all()


def test_a_decimated_socket_blinks_closed():
    v, t = decimated_socket()
    blinks = []
    for side in ("L", "R"):
        frame = lid_frame(v, t, side)
        assert not isinstance(frame, str), frame
        d, reason = blink_deltas(v, t, side, frame)
        assert d is not None, reason
        blinks.append(d)
    report = check_rig(v, t, np.stack(blinks), names=list(BLINKS))
    assert report.info["eyeballs_visible"] == ["L", "R"]
    for shape in report.shapes:
        assert shape.eyeball_cover_pct >= 90.0 and shape.eyeball_cover_min_pct >= 90.0, shape
        assert shape.flipped_triangles == 0, shape
