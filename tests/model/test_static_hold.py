"""The static hold has the last word on the parts the rig check holds still (issue 9 item 2),
after the bake's mirror pass (:meth:`model.api.FaceModel._hold_static`). On a game head
decimated to a third of its triangles (``benchmarks/realdev_variants.py`` decimate; ../shared
/real-dev, skipped where it is absent) the two ears are tessellated differently: a held ear
vertex's mirror partner lies across the static fade, and the mirror pass read the partner's
motion into it: Rocketbox Adult_02's right ear moved 1.4 % of jawOpen in ``mouthSmile_R``,
Adult_01's 1.1 % (the check holds them to 1 %)."""

from __future__ import annotations

import numpy as np
import pytest
from realdev_helpers import load_realdev_mesh


@pytest.mark.parametrize("name", ["rocketbox_Female_Adult_02_ARKit.fbx", "rocketbox_Female_Adult_01.fbx"])
def test_a_decimated_avatars_ears_stay_still_after_the_mirror_pass(name):
    pytest.importorskip("pymeshlab")
    from model.api import FaceModel
    from model.rig_check import THRESHOLDS, check_rig

    data = load_realdev_mesh(name)
    from realdev_variants import variants  # on the path once the mesh is loaded

    ids = data["head_ids"]
    head = np.asarray(data["vertices"][ids], np.float64)
    up, forward = data["up"], data["forward"]
    v, t, mats, _ = variants(head, data["head_triangles"], data["head_materials"], up, forward, {"decimate"})[
        "decimate"
    ]
    fm = FaceModel.load()
    prepared = fm.prepare(v, t, up=data["up"], forward=data["forward"], materials=mats)
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin, method="mixed")
    report = check_rig(v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin,
                       region_names=fm.region_names)  # fmt: skip
    assert report.info["symmetric"]  # the mirror pass ran
    limit = THRESHOLDS["static_leakage_pct"]
    leaks = {r.name: r.static_leakage_pct for r in report.shapes if (r.static_leakage_pct or 0.0) > limit}
    assert not leaks, f"static parts move more than {limit} % of jawOpen: {leaks}"
