"""The registration's correspondence keeps each lip (and lid) on its own side of the opening
(:mod:`model.opening_sides`, :func:`model.classical_rig.register_ict`).

On the stylized demo head of ``benchmarks/realdev_variants.py`` 8 upper-lip vertices took their
closest point on the template's lower lip: the registration's (and so the default mixed bake's)
``jawOpen`` dragged them down with the jaw, a shard hanging from the upper lip, and
``mouthShrugUpper`` left them behind, a zig-zag lip line (rendered, session 14)."""

from __future__ import annotations

import pathlib
import sys

import numpy as np

from model.api import FaceModel
from model.classical_rig import _crop_template, register_ict
from model.ict_template import as_template
from model.mesh_io import read_mesh
from model.opening_sides import opening_sides, triangle_sides
from model.openings import find_openings

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _slit_sheet(n: int = 41, gap: float = 0.02) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat sheet in XY with a lens-shaped mouth hole in the middle: (V, 3), (T, 3) and the
    hole's boundary loop. The lips are ``gap`` apart at the middle, touching at the corners."""
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    v = np.stack([x.ravel(), y.ravel(), np.zeros(n * n)], axis=1)
    # squeeze the rows next to y = 0 onto the slit so that the lips nearly touch
    row = np.rint((v[:, 1] + 1) * (n - 1) / 2).astype(int)
    mid = (n - 1) // 2
    inside = np.abs(v[:, 0]) < 0.5
    v[inside & (row == mid + 1), 1] = gap * (1 - (v[inside & (row == mid + 1), 0] / 0.5) ** 2)
    v[inside & (row == mid), 1] = -gap * (1 - (v[inside & (row == mid), 0] / 0.5) ** 2)
    i = np.arange(n * n).reshape(n, n)
    quads = np.stack([i[:-1, :-1], i[:-1, 1:], i[1:, 1:], i[1:, :-1]], axis=-1)
    # remove the quads between rows mid and mid + 1 across the mouth: the hole
    centre_x = 0.5 * (x[:-1, :-1] + x[:-1, 1:])
    hole = (np.arange(n - 1)[:, None] == mid) & (np.abs(centre_x) < 0.5)
    q = quads[~hole].reshape(-1, 4)
    t = np.concatenate([q[:, [0, 1, 2]], q[:, [0, 2, 3]]])
    loops = find_openings_loops(t)
    return v, t, loops


def find_openings_loops(t: np.ndarray) -> np.ndarray:
    from model.openings import boundary_loops

    loops = boundary_loops(t)
    return min(loops, key=len)  # the hole, not the sheet's outer border


def test_opening_sides_follow_the_surface_not_space():
    v, t, loop = _slit_sheet()
    sides = opening_sides(v, t, loop)
    near = (np.abs(v[:, 0]) < 0.3) & (np.abs(v[:, 1]) < 0.2)
    # the lips are 0.02 apart in space at the middle, but each vertex gets its own lip
    assert (sides[near & (v[:, 1] > 1e-9)] == 1).all()
    assert (sides[near & (v[:, 1] < -1e-9)] == -1).all()
    # far from the opening (beyond half its width along the surface): no side
    assert (sides[np.abs(v[:, 1]) > 0.7] == 0).all()
    # a triangle takes its corners' side; triangles on both lips there are none (a hole)
    tri = triangle_sides(sides, t)
    assert set(np.unique(tri)) <= {-1, 0, 1}
    assert (tri == 1).any() and (tri == -1).any()


def _across(reg, canonical: np.ndarray, triangles: np.ndarray) -> dict[str, int]:
    """Target vertices whose registered template point lies across an opening."""
    tmpl = _crop_template(as_template(None), reg.crop)
    out = {}
    for key, loop in find_openings(canonical, triangles).items():
        if key not in tmpl.openings:
            continue
        on_target = opening_sides(canonical, triangles, loop)
        on_template = tmpl.triangle_sides(key)
        on_skin = reg.hits.triangle < len(on_template)  # the rest landed on ICT's eyeballs
        hit = on_template[reg.hits.triangle[on_skin]]
        out[key] = int((on_target[on_skin].astype(int) * hit < 0).sum())
    return out


def _stylized_demo_head() -> tuple[np.ndarray, np.ndarray]:
    sys.path.append(str(ROOT / "benchmarks"))
    from realdev_variants import stylize

    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    t = mesh.triangles()
    return stylize(mesh.vertices.astype(np.float64), t, "Y", "Z"), t


def test_registration_keeps_lips_and_lids_on_their_side():
    """Before: the stylized demo head had 8 lip vertices matched across its mouth and 3 + 1
    lid vertices across its eyes; the head as it comes none (and keeps its bits)."""
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    fm = FaceModel.load()
    for v, t in (_stylized_demo_head(), (demo.vertices, demo.triangles())):
        prep = fm.prepare(v, t)
        canonical = np.asarray(prep.canonical, dtype=np.float64)
        reg = register_ict(None, canonical, prep.triangles_seen)
        across = _across(reg, canonical, prep.triangles_seen)
        assert set(across) == {"mouth", "eye_left", "eye_right"}
        assert not any(across.values()), across


def test_stylized_jaw_opens_the_lower_lip_only():
    """The mixed bake's jawOpen on the stylized demo head: every upper-lip vertex of the mouth
    (within half its width, on the upper side, away from the corners) moves down less than half
    the lower lip's median. Before: the shard's vertices moved 1.8-1.9 cm, the lower lip 2.9 cm,
    the rest of the upper lip 0.3-0.7 cm."""
    v, t = _stylized_demo_head()
    fm = FaceModel.load()
    prep = fm.prepare(v, t)
    skin = fm.predict_skin_weights(prep)
    deltas = fm.bake(prep, skin, method="mixed")
    jaw = deltas[fm.expression_names.index("jawOpen")]
    loop = find_openings(v, t)["mouth"]
    sides = opening_sides(v, t, loop)
    drop = -jaw[:, 1]
    lower = np.median(drop[sides == -1])
    # the middle 70 % of the mouth's width: at the corners both lips move about half as much
    x = v[:, 0] - 0.5 * (v[loop, 0].min() + v[loop, 0].max())
    middle = np.abs(x) < 0.35 * np.ptp(v[loop, 0])
    upper = drop[(sides == 1) & middle]
    assert lower > 1.0, lower
    assert upper.max() < 0.5 * lower, (upper.max(), lower)
