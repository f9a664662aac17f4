"""Mirror symmetry of the shipped bake on a mirror-symmetric game avatar (issue 9 item 5;
../shared/real-dev, skipped where it is absent): each ``_L`` shape the mirror image of its ``_R``
shape within the rig check's 5 %. Before :mod:`model.mirror_pass` Rocketbox Adult_02's network
bake failed 9 pairs (mouthLowerDown 20 %, mouthUpperUp 18 %, noseSneer 11 %, mouthDimple 10 %,
mouthPress 10 %, ...: the lip slit's partners and the welded tongue, see
``benchmarks/mirror_stages.py``). Rocketbox Adult_01 (mirror-built, its symmetry plane 1.6 mm off
``x = 0``) failed 16 pairs at 5-13 % until the plane was refitted to the end and its whole
shapes symmetrized (:func:`model.mirror_pass.is_mirror_built`); now <= 1.3 %. The Nefertiti bust
scan (no vertex twins, 96 % of its face paired by the check) failed 15 pairs at 5-11 % while only
what the constraints changed was symmetrized; every mesh the check judges symmetric now has whole
shapes symmetrized on its partners (session 9), 0.0 %."""

from __future__ import annotations

import numpy as np
import pytest
from realdev_helpers import prepared_realdev_head


def _checked_bake(name: str):
    from model.rig_check import check_rig

    fm, prepared, v, t, data = prepared_realdev_head(name, materials=True)
    skin = fm.predict_skin_weights(prepared)
    deltas = fm.bake(prepared, skin)  # the shipped method: network
    return check_rig(
        v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin, region_names=fm.region_names
    )


AVATARS = ["rocketbox_Female_Adult_02_ARKit.fbx", "rocketbox_Female_Adult_01.fbx", "nefertiti_bust_scan.obj"]


@pytest.fixture(scope="module", params=AVATARS)
def avatar(request):
    return _checked_bake(request.param)


def test_every_pair_is_a_mirror_image_within_5_percent(avatar):
    assert avatar.info["symmetric"]
    errors = {r.name: r.mirror_error_pct for r in avatar.shapes if r.name.endswith("_L")}
    assert len(errors) == 20 and all(e is not None for e in errors.values())
    over = {n: e for n, e in errors.items() if e > 5.0}
    assert not over, f"pairs over 5 % mirror error: {over}"


def test_the_symmetric_bake_flips_no_triangle_and_closes_the_eyes(avatar):
    assert sum(r.flipped_triangles for r in avatar.shapes) == 0
    if not avatar.info["eyeballs_visible"]:
        return  # a bust's sculpted eyes: no eyeball for the lids to cover
    for name in ("eyeBlink_L", "eyeBlink_R"):
        blink = next(r for r in avatar.shapes if r.name == name)
        assert blink.eyeball_cover_pct is not None and blink.eyeball_cover_pct >= 90.0


@pytest.mark.parametrize("turn", ["yaw 10", "roll 10"])
def test_a_turned_avatar_with_a_parted_hairline_is_still_symmetrized(turn):
    """Rocketbox Adult_01 turned by 10 degrees: its hairline, parted to one side, leaves 6-8 %
    of the face without a partner within the mirror error's 0.08 eye distances, and the judging
    used to depend on the frame (a second plane tried from ``x = 0``): turned, it read 94 %, the
    bake skipped its last mirror pass and eyeBlink / browInnerUp came out 6 / 7 % asymmetric
    (``benchmarks/realdev_variants.py``). Judged within 0.12 across the fitted plane, it is
    symmetric in any frame."""
    from model.rig_check import check_rig

    fm, _, v, t, data = prepared_realdev_head("rocketbox_Female_Adult_01.fbx")
    from realdev_variants import variants  # on the path once the mesh is loaded

    mats = data["head_materials"]
    turned, tt, mats, rotation = variants(v, t, mats, data["up"], data["forward"], {turn})[turn]
    prepared = fm.prepare(turned, tt, up=data["up"], forward=data["forward"], materials=mats)
    skin = fm.predict_skin_weights(prepared)
    deltas = np.asarray(fm.bake(prepared, skin, method="mixed")) @ rotation  # back to the mesh as it came
    report = check_rig(v, t, deltas, up=data["up"], forward=data["forward"], skin_weights=skin,
                       region_names=fm.region_names)  # fmt: skip
    assert report.info["symmetric"]
    over = {r.name: r.mirror_error_pct for r in report.shapes if (r.mirror_error_pct or 0.0) > 5.0}
    assert not over, f"pairs over 5 % mirror error after the turn: {over}"
