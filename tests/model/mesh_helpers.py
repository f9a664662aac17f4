"""Small meshes and data folders built in code, shared by the model tests (no data files)."""

from __future__ import annotations

import json
import pathlib

import numpy as np

from model.facs import ICT_NAMES
from model.weld import weld


def grid_face(n: int = 25, bump: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy height field over [-1, 1]^2 (Y up, looking to +Z), (n*n, 3) and triangles."""
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    z = 0.6 * np.exp(-(x**2 + y**2)) + bump * np.exp(-8 * ((x - 0.1) ** 2 + (y + 0.1) ** 2))
    v = np.stack([x, y, z], -1).reshape(-1, 3)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    t = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    return v, t.astype(np.int64)


def uv_sphere() -> tuple[np.ndarray, np.ndarray]:
    """A unit UV sphere about the origin (an eyeball): (242, 3) float64 (the +Z pole first,
    11 rings of 24, the -Z pole last) and (480, 3) int64 triangles, facing out."""
    u, w = np.meshgrid(np.linspace(0, np.pi, 13)[1:-1], np.linspace(0, 2 * np.pi, 25)[:-1], indexing="ij")
    pts = np.stack([np.sin(u) * np.cos(w), np.sin(u) * np.sin(w), np.cos(u)], -1).reshape(-1, 3)
    pts = np.vstack([[0, 0, 1.0], pts, [0, 0, -1.0]])
    ring = np.arange(24)
    tris = [np.stack([np.zeros(24, int), 1 + ring, 1 + (ring + 1) % 24], 1)]
    for r in range(10):
        a, b = 1 + r * 24 + ring, 1 + r * 24 + (ring + 1) % 24
        tris += [np.stack([a, a + 24, b], 1), np.stack([b, a + 24, b + 24], 1)]
    tris.append(np.stack([np.full(24, 241), 1 + 240 + (ring + 1) % 24 - 24, 1 + 240 + ring - 24], 1))
    return pts, np.concatenate(tris).astype(np.int64)


def face_patch(n_vertices: int, seed: int = 0, jitter: float = 0.3, flat: bool = False):
    """Open, face-like patch (ellipsoid cap + nose bump) with an irregular triangulation of about
    ``n_vertices`` vertices: (V, 3) float64 and (T, 3) int64. Also used by benchmarks/geometry.py."""
    rng = np.random.default_rng(seed)
    nu = int(round(np.sqrt(n_vertices * 1.1)))
    nv = max(3, int(round(n_vertices / nu)))
    u, v = np.meshgrid(np.linspace(-1.1, 1.1, nu), np.linspace(-0.9, 1.2, nv))
    u = u + rng.uniform(-jitter, jitter, u.shape) * 2.2 / (nu - 1)
    v = v + rng.uniform(-jitter, jitter, v.shape) * 2.1 / (nv - 1)
    if flat:
        pts = np.stack([u.ravel(), v.ravel(), np.zeros(u.size)], 1)
    else:
        x = 0.8 * np.sin(u) * np.cos(0.6 * v)
        y = 1.1 * np.sin(v)
        z = 0.9 * np.cos(u) * np.cos(0.6 * v) + 0.25 * np.exp(-((u / 0.18) ** 2 + ((v - 0.1) / 0.35) ** 2))
        pts = np.stack([x.ravel(), y.ravel(), z.ravel()], 1)
    i, j = np.meshgrid(np.arange(nv - 1), np.arange(nu - 1), indexing="ij")
    a = (i * nu + j).ravel()
    flip = rng.random(a.size) < 0.5
    t1 = np.where(flip[:, None], np.stack([a, a + 1, a + nu + 1], 1), np.stack([a, a + 1, a + nu], 1))
    t2 = np.where(
        flip[:, None], np.stack([a, a + nu + 1, a + nu], 1), np.stack([a + 1, a + nu + 1, a + nu], 1)
    )
    return pts, np.concatenate([t1, t2]).astype(np.int64)


def fake_ict(root: pathlib.Path) -> pathlib.Path:
    """A tiny ICT-FaceKit folder under ``root`` (4 vertices, 1 quad, constant shapes; enough for
    the loading and cache logic). Returns its ``FaceXModel`` folder; ``load_ict(root)`` reads it."""
    fx = root / "FaceXModel"
    fx.mkdir(parents=True)
    (fx / "vertex_indices.json").write_text(json.dumps({"expressions": list(ICT_NAMES)}))
    quad = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1/1 2/2 3/3 4/4\n"
    for name in ["generic_neutral_mesh"] + [f"identity{i:03d}" for i in range(100)] + list(ICT_NAMES):
        (fx / f"{name}.obj").write_text(quad)
    return fx


def fill_hole(v, t, loop):
    """Close a hole with a fan to its centroid, wound like the surface around it."""
    n = v.shape[0]
    fan = np.stack([loop, np.roll(loop, -1), np.full(loop.size, n)], 1)
    a, b = loop[0], loop[1]
    owner = t[(t == a).any(1) & (t == b).any(1)][0]
    i = list(owner).index(a)
    if owner[(i + 1) % 3] == b:  # the surface runs a -> b: the fan must run b -> a
        fan = fan[:, [1, 0, 2]]
    return np.vstack([v, v[loop].mean(0)]), np.concatenate([t, fan])


def split_in_four(v: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every triangle split in four at its edge midpoints (shared midpoints welded): the same
    surface at twice the density, as a subdivided sculpt or a dense scan brings it."""
    t = np.asarray(t, dtype=np.int64)
    edges = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    uniq, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = len(v) + inverse.reshape(3, -1).T  # (T, 3): the midpoints of edges 01, 12, 20
    a, b, c = t.T
    ab, bc, ca = mid.T
    quads = ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))
    tris = np.concatenate([np.stack(q, axis=1) for q in quads])
    return np.concatenate([v, 0.5 * (v[uniq[:, 0]] + v[uniq[:, 1]])]), tris


def nosed_head(segments: int = 32, rings: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The add-on tests' synthetic face (``tests/addon/addon_helpers.make_face``) in OBJ axes (Y up,
    face toward +Z): a UV sphere of radius 0.1 (poles on the Y axis) squashed front to back, with
    a nose bump on its front. (V, 3) float64 and (T, 3) int64 triangles, facing out."""
    theta = np.linspace(0.0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0.0, 2.0 * np.pi, segments + 1)[:-1]
    th, ph = np.meshgrid(theta, phi, indexing="ij")
    ring = np.stack([np.sin(th) * np.sin(ph), np.cos(th), np.sin(th) * np.cos(ph)], -1).reshape(-1, 3)
    v = 0.1 * np.vstack([[0.0, 1.0, 0.0], ring, [0.0, -1.0, 0.0]])
    v[:, 2] *= 0.8
    front = v[:, 2] > 0
    v[:, 2] += 0.03 * np.exp(-((v[:, 0] / 0.03) ** 2 + (v[:, 1] / 0.03) ** 2)) * front
    j = np.arange(segments)
    k = (j + 1) % segments
    bottom = len(v) - 1
    tris = [np.stack([np.zeros(segments, np.int64), 1 + j, 1 + k], 1)]
    for r in range(rings - 2):
        a, b = 1 + r * segments + j, 1 + r * segments + k
        tris += [np.stack([a, a + segments, b], 1), np.stack([b, a + segments, b + segments], 1)]
    last = 1 + (rings - 2) * segments
    tris.append(np.stack([np.full(segments, bottom), last + k, last + j], 1))
    t = np.concatenate(tris).astype(np.int64)
    # wound to face out (positive signed volume)
    if np.einsum("ij,ij->i", v[t[:, 0]], np.cross(v[t[:, 1]], v[t[:, 2]])).sum() < 0:
        t = t[:, ::-1].copy()
    return v, t


# non-faces, as Blender's primitives (Y up, face side +Z): what an artist selects by mistake
def grid_triangles(nu: int, nv: int, closed_u: bool) -> np.ndarray:
    """(T, 3) triangles of an nv x nu vertex grid (rows of nu), wrapping around in u if closed."""
    cols = nu if closed_u else nu - 1
    i, j = np.meshgrid(np.arange(nv - 1), np.arange(cols), indexing="ij")
    a = (i * nu + j).ravel()
    b = (i * nu + (j + 1) % nu).ravel()
    return np.concatenate([np.stack([a, b, a + nu], 1), np.stack([b, b + nu, a + nu], 1)]).astype(np.int64)


def box(n: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A cube of side 2, each side an n x n grid welded at the edges (n = 1: Blender's default cube,
    8 vertices); the sides are not wound alike."""
    vs, ts = [], []
    s = np.linspace(-1.0, 1.0, n + 1)
    a, b = np.meshgrid(s, s, indexing="ij")
    a, b = a.ravel(), b.ravel()
    for axis in range(3):
        for sign in (-1.0, 1.0):
            p = np.zeros((a.size, 3))
            p[:, axis] = sign
            p[:, (axis + 1) % 3], p[:, (axis + 2) % 3] = a, b
            tris = grid_triangles(n + 1, n + 1, False)
            ts.append(tris + sum(len(x) for x in vs))
            vs.append(p)
    w = weld(np.concatenate(vs), np.concatenate(ts))
    return w.vertices, w.triangles


def torus(major: float = 1.0, minor: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Blender's default torus (48 x 12), lying flat: its axis is up (Y)."""
    u, w = np.meshgrid(np.linspace(0, 2 * np.pi, 49)[:-1], np.linspace(0, 2 * np.pi, 13)[:-1], indexing="ij")
    r = major + minor * np.cos(w)
    v = np.stack([r * np.cos(u), minor * np.sin(w), r * np.sin(u)], -1).reshape(-1, 3)
    # rows of 12 around the tube, 48 rows around the ring: close both ways
    t = grid_triangles(12, 49, True)
    t = np.where(t >= 48 * 12, t - 48 * 12, t)
    return v, t


def cylinder(segments: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Blender's default cylinder (32 sides, radius 1, depth 2, capped) standing on its axis (Y)."""
    phi = np.linspace(0, 2 * np.pi, segments + 1)[:-1]
    ring = np.stack([np.cos(phi), np.zeros(segments), np.sin(phi)], -1)
    v = np.concatenate([ring + [0, -1, 0], ring + [0, 1, 0], [[0, -1, 0], [0, 1, 0]]])
    side = grid_triangles(segments, 2, True)
    j = np.arange(segments)
    k = (j + 1) % segments
    caps = [
        np.stack([np.full(segments, 2 * segments), k, j], 1),
        np.stack([np.full(segments, 2 * segments + 1), segments + j, segments + k], 1),
    ]
    return v, np.concatenate([side, *caps]).astype(np.int64)


def plane_grid(n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """A flat grid facing forward (+Z)."""
    x, y = np.meshgrid(np.linspace(-1, 1, n + 1), np.linspace(-1, 1, n + 1))
    return np.stack([x.ravel(), y.ravel(), np.zeros(x.size)], 1), grid_triangles(n + 1, n + 1, False)


def face_crop(
    vertices: np.ndarray,
    triangles: np.ndarray,
    ears_z: float,
    neck_y: float,
    up: str = "Y",
    forward: str = "Z",
) -> tuple[np.ndarray, np.ndarray]:
    """A face mask of a head (``benchmarks/realdev_variants.py``'s ``face crop``): the triangles
    in front of ``z = ears_z`` and above ``y = neck_y`` (face units upright with the face,
    :func:`model.rig_check.face_units`), the largest remaining piece and the parts kept whole;
    (vertices, triangles) with the unreferenced vertices removed."""
    from model.face_landmarks import components
    from model.rig_check import face_anchors, face_units

    t = np.asarray(triangles, dtype=np.int64)
    a = face_anchors(vertices, t, up=up, forward=forward, align=True, pitch=None)
    p = face_units(a.canonical, a.mid, float(a.eye_distance), a.pitch)
    kept = ((p[:, 2] > ears_z) & (p[:, 1] > neck_y))[t].all(axis=1)
    comp = components(len(vertices), t)
    tri_comp = comp[t[:, 0]]
    n = int(comp.max()) + 1
    whole = np.bincount(tri_comp[kept], minlength=n) == np.bincount(tri_comp, minlength=n)
    sub = t[kept]
    sub_comp = components(len(vertices), sub)[sub[:, 0]]
    sub = sub[(sub_comp == np.argmax(np.bincount(sub_comp))) | whole[tri_comp[kept]]]
    used = np.unique(sub)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    return np.asarray(vertices)[used], remap[sub]


def centre_seam(
    vertices: np.ndarray, triangles: np.ndarray, side: np.ndarray = (1.0, 0.0, 0.0)
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seam down the middle of a mesh, as mirrored UVs leave a head: the triangles on the
    negative ``side`` (3,) of the middle of the vertices' extent along it take copies of the
    vertices they share with the rest (appended); returns (vertices (V + n, 3), triangles
    (T, 3), copied (n,) the input index of each copy)."""
    x = np.asarray(vertices, dtype=np.float64) @ np.asarray(side, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    right = x[t].mean(axis=1) < 0.5 * (x.min() + x.max())
    shared = np.intersect1d(np.unique(t[right]), np.unique(t[~right]))
    copy = np.full(len(vertices), -1)
    copy[shared] = len(vertices) + np.arange(shared.size)
    out = t.copy()
    out[right] = np.where(copy[out[right]] >= 0, copy[out[right]], out[right])
    return np.concatenate([vertices, np.asarray(vertices)[shared]]), out, shared


def socket_face(
    eyeballs: bool = True, mouth_pocket: float | None = None
) -> tuple[np.ndarray, np.ndarray, dict]:
    """A flat face (z = 0 over [-1, 1]^2, facing +Z) with two eye holes whose rims continue into
    sockets behind the face (rings widening backward, closed by a fan), an eyeball in each when
    ``eyeballs``, and a mouth: a plain hole, or with ``mouth_pocket`` its rim continued into a
    pocket of that depth the same way (a mouth bag). Returns vertices (V, 3), triangles (T, 3)
    int64 and each opening's rim vertices ({"eye_left", "eye_right", "mouth"}: sets of ids)."""
    from model.openings import boundary_loops

    n = 41
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    v = np.stack([x.ravel(), y.ravel(), np.zeros(n * n)], axis=1)
    corners = [i * n + j for i in range(n - 1) for j in range(n - 1)]
    t = np.array([[a, a + 1, a + n + 1] for a in corners] + [[a, a + n + 1, a + n] for a in corners])
    centroid = v[t].mean(axis=1)[:, :2]
    keep = np.ones(len(t), dtype=bool)
    for cx, cy in ((0.4, 0.3), (-0.4, 0.3), (0.0, -0.5)):
        keep &= np.hypot(centroid[:, 0] - cx, centroid[:, 1] - cy) > 0.15
    t = t[keep]
    rims, pieces, verts, count = {}, [t], [v], len(v)
    for loop in boundary_loops(t):
        c = v[loop].mean(axis=0)
        if np.ptp(v[loop, 0]) > 1.0:
            continue  # the outer rim
        key = "mouth" if abs(c[0]) < 0.1 else ("eye_left" if c[0] > 0 else "eye_right")
        rims[key] = set(loop.tolist())
        depth = 0.4 if key != "mouth" else mouth_pocket
        if depth is None:
            continue
        # the pocket: three rings behind the rim, each wider, then a fan to its bottom
        previous, nxt = loop, np.roll(np.arange(len(loop)), -1)
        for share, widen in ((0.25, 1.3), (0.5, 1.5), (0.75, 1.4)):
            ring = c + (v[loop] - c) * widen
            ring[:, 2] = -share * depth
            ids = count + np.arange(len(loop))
            verts.append(ring)
            count += len(loop)
            pieces.append(np.stack([previous, previous[nxt], ids[nxt]], axis=1))
            pieces.append(np.stack([previous, ids[nxt], ids], axis=1))
            previous = ids
        verts.append(np.array([[c[0], c[1], -depth]]))
        pieces.append(np.stack([previous, np.full(len(loop), count), previous[nxt]], axis=1))
        count += 1
        if eyeballs and key != "mouth":
            ball, ball_t = uv_sphere()
            verts.append(ball * 0.14 + np.array([c[0], c[1], -0.16]))
            pieces.append(ball_t + count)
            count += len(ball)
    return np.concatenate(verts), np.concatenate(pieces).astype(np.int64), rims
