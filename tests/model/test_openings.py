"""Eye/mouth openings as boundary loops: the automatic landmarks of the classical rig."""

from __future__ import annotations

import pathlib

import numpy as np
from mesh_helpers import grid_face

from model.frame import fit_frame
from model.mesh_io import read_mesh
from model.openings import boundary_loops, find_openings, loop_correspondence

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _uv_sphere(n: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A closed sphere (poles + rings), (V, 3) and (T, 3)."""
    theta = np.linspace(0, np.pi, n + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, 2 * n, endpoint=False)
    th, ph = np.meshgrid(theta, phi, indexing="ij")
    ring = np.stack([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)], -1).reshape(-1, 3)
    v = np.vstack([[0, 1, 0], ring, [0, -1, 0]])
    m = 2 * n
    tris = []
    for j in range(m):
        tris.append([0, 1 + (j + 1) % m, 1 + j])
    for i in range(n - 2):
        for j in range(m):
            a, b = 1 + i * m + j, 1 + i * m + (j + 1) % m
            tris += [[a, b, a + m], [b, b + m, a + m]]
    last = len(v) - 1
    for j in range(m):
        a = 1 + (n - 2) * m
        tris.append([a + j, a + (j + 1) % m, last])
    return v, np.asarray(tris, np.int64)


def test_boundary_loop_of_a_grid_is_its_rim():
    n = 9
    v, t = grid_face(n)
    loops = boundary_loops(t)
    assert len(loops) == 1
    assert len(loops[0]) == 4 * (n - 1)
    rim = (np.abs(v[:, 0]) == 1) | (np.abs(v[:, 1]) == 1)
    assert set(loops[0].tolist()) == set(np.flatnonzero(rim).tolist())


def test_demo_head_has_two_eyes_and_a_mouth():
    mesh = read_mesh(DEMO)
    t = mesh.triangles()
    c = fit_frame(mesh.vertices, t).to_canonical(mesh.vertices)
    found = find_openings(c, t)
    assert set(found) == {"eye_left", "eye_right", "mouth"}
    left, right, mouth = (c[found[k]].mean(axis=0) for k in ("eye_left", "eye_right", "mouth"))
    assert left[0] > 0 > right[0]  # +X is the subject's left
    assert abs(left[1] - right[1]) < 0.05 * (left[0] - right[0])
    assert mouth[1] < min(left[1], right[1]) and abs(mouth[0]) < 0.1 * (left[0] - right[0])


def test_closed_mesh_and_single_rim_have_no_openings():
    v, t = _uv_sphere()
    assert boundary_loops(t) == []
    assert find_openings(v, t) == {}
    gv, gt = grid_face(15)
    assert find_openings(gv, gt) == {}  # one outer rim, no eyes


def test_demo_head_with_sealed_openings_has_none():
    """Cap the three openings with fans: the same head, now closed there, yields no landmarks
    (the caps wound as the skin round them, facing out as a sealed scan's lids do: the eyeballs
    behind them then hold no socket, model.openings.socket_eyes)."""
    mesh = read_mesh(DEMO)
    t = mesh.triangles()
    c = fit_frame(mesh.vertices, t).to_canonical(mesh.vertices)
    found = find_openings(c, t)
    v = c.copy()
    caps = []
    for loop in found.values():
        centre = len(v)
        v = np.vstack([v, c[loop].mean(axis=0)])
        caps.append(np.stack([np.roll(loop, -1), loop, np.full(len(loop), centre)], 1))
    assert find_openings(v, np.vstack([t] + caps)) == {}


def test_a_horizontal_ring_below_the_eyes_is_not_a_mouth():
    """Sealed lips and an open tube where a mouth would be (like the neck cut of a full-body
    avatar's head crop, which is as deep as it is wide): eyes, but no mouth."""
    mesh = read_mesh(DEMO)
    t = mesh.triangles()
    c = fit_frame(mesh.vertices, t).to_canonical(mesh.vertices)
    found = find_openings(c, t)
    loop = found["mouth"]
    v = np.vstack([c, c[loop].mean(axis=0)])
    t = np.vstack([t, np.stack([loop, np.roll(loop, -1), np.full(len(loop), len(c))], 1)])
    assert set(find_openings(v, t)) == {"eye_left", "eye_right"}
    # an open tube along Y (two horizontal rims) centred where the mouth was
    left, right = (c[found[k]].mean(axis=0) for k in ("eye_left", "eye_right"))
    radius, m = 0.3 * (left[0] - right[0]), 24
    phi = np.linspace(0, 2 * np.pi, m, endpoint=False)
    centre = c[loop].mean(axis=0)
    rims = [
        np.stack([radius * np.cos(phi), np.full(m, dy), radius * np.sin(phi)], 1) + centre
        for dy in (-0.02, 0.02)
    ]
    base = len(v)
    v = np.vstack([v, *rims])
    j, k = np.arange(m), (np.arange(m) + 1) % m
    tube = np.vstack(
        [np.stack([base + j, base + k, base + m + j], 1), np.stack([base + k, base + m + k, base + m + j], 1)]
    )
    assert len(boundary_loops(np.vstack([t, tube]))) == len(boundary_loops(t)) + 2
    assert set(find_openings(v, np.vstack([t, tube]))) == {"eye_left", "eye_right"}


def test_loop_correspondence_ignores_start_and_orientation():
    s = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    loop = np.stack([2 * np.cos(s), np.sin(s), np.zeros_like(s)], 1)
    shuffled = np.roll(loop[::-1], 7, axis=0)  # other start vertex, opposite winding
    idx, dst = loop_correspondence(loop, shuffled, samples=16)
    np.testing.assert_allclose(dst, loop[idx], atol=1e-9)
