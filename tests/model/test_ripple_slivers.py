"""The rig check's ripple reads a sliver's tip as the surface it is (issue 9 item 4): a vertex
with next to no area of its own is not divided by that area
(:func:`model.rig_check.ripple_inverse_mass`)."""

from __future__ import annotations

import numpy as np
from realdev_helpers import load_realdev_mesh

from model.rig_check import ripple_inverse_mass


def _fan(n: int = 8):
    """A flat fan of ``n`` triangles around vertex 0 at the origin, unit radius."""
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    v = np.concatenate([[[0.0, 0.0, 0.0]], np.stack([np.cos(a), np.sin(a), np.zeros(n)], 1)])
    t = np.array([[0, 1 + i, 1 + (i + 1) % n] for i in range(n)])
    return v, t


def test_a_slivers_tip_is_floored_and_an_even_mesh_is_not():
    v, t = _fan()
    mass = np.full(len(v), 1.0)
    assert np.allclose(ripple_inverse_mass(mass, t), 1.0)  # as dense everywhere: its own
    mass[0] = 1e-5  # the tip with next to no area among ordinary neighbours
    inv = ripple_inverse_mass(mass, t)
    assert np.isclose(inv[0], 1.0 / 0.1)  # a tenth of its neighbours' mean
    assert np.allclose(inv[1:], 1.0)
    mass[0] = 0.0  # no area at all: no ripple term
    assert ripple_inverse_mass(mass, t)[0] == 0.0


def test_a_game_avatar_with_its_body_has_no_ripple_verdict():
    """Rocketbox Adult_01 as it comes, body and all (../shared/real-dev; skipped where absent):
    a lip-corner vertex with 4e-5 of the median area read noseSneer_L at 7.2x ICT's ripple, 96 %
    of it at that vertex, and mouthPress_L at 3.6x; nothing shows in the render."""
    from model.api import FaceModel
    from model.rig_check import check_rig

    data = load_realdev_mesh("rocketbox_Female_Adult_01.fbx")
    v, t = data["vertices"], data["triangles"]
    fm = FaceModel.load()
    prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"], materials=data["materials"])
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin, method="mixed")
    report = check_rig(v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin,
                       region_names=fm.region_names)  # fmt: skip
    rough = {r.name: r.ripple_ratio for r in report.shapes if (r.ripple_ratio or 0.0) > 3.0}
    assert not rough, f"ripple over 3x ICT's: {rough}"
