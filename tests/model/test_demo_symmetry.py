"""The bundled demo head is mirror-built (the exact rule of :func:`model.shape_locality.symmetrize`):
its shapes come out mirror images of each other, and the rig check passes it."""

from __future__ import annotations

import pathlib

import numpy as np

from model.api import FaceModel
from model.mesh_io import read_mesh
from model.rig_check import THRESHOLDS, check_rig

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_demo_head_lip_shapes_are_mirror_images():
    """At the closed mouth's slit a lip row's closest mirror point is the other lip (within the
    exact rule's 1 mm, facing away); averaged with it, mouthLowerDown and mouthUpperUp came out
    8.3 / 5.7 % asymmetric and failed the check (session 6). The facing partner on the same lip:
    3.0 / 1.5 %."""
    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v, t = mesh.vertices, mesh.triangles()
    fm = FaceModel.load()
    prep = fm.prepare(v, t)
    skin = fm.predict_skin_weights(prep)
    report = check_rig(v, t, fm.bake(prep, skin), skin_weights=skin, region_names=fm.region_names)
    assert report.info["symmetric"]
    errors = {s.name: s.mirror_error_pct for s in report.shapes}
    for name in ("mouthLowerDown_L", "mouthUpperUp_L"):
        assert errors[name] <= THRESHOLDS["mirror_error_pct"], (name, errors[name])
    # the neck behind the jaw, just past the exact rule's cut, takes its partners where the exact
    # pairs read it (mouthStretch was 5.7 %): the whole check passes
    assert report.passed, report.verdicts
    # the whole rig's mirror error, median over the L/R pairs (session 6 before this: 2.9 %)
    assert float(np.median([e for n, e in errors.items() if n.endswith("_L") and e is not None])) < 2.0


def test_a_noisy_demo_heads_lip_shapes_are_mirror_images():
    """The demo head with 0.15 % scan-like noise along its normals (``benchmarks/
    realdev_variants.py``): 0.7 % of the mixed bake's motion lies on vertices whose mirror
    partner is over ~2 mm away (the lips' inner rows), where the early symmetrize fades out;
    the last pass left them until its gap threshold came down to 0.005 (it was 0.02), and
    mouthLowerDown / mouthUpperUp read 6.1 / 4.6 % asymmetric."""
    import sys

    sys.path.append(str(ROOT / "benchmarks"))
    from realdev_variants import variants

    mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    name = "noise 0.15 %"
    v, t, _, _ = variants(mesh.vertices.astype(np.float64), mesh.triangles(), None, "Y", "Z", {name})[name]
    fm = FaceModel.load()
    prep = fm.prepare(v, t, up="Y", forward="Z")
    skin = fm.predict_skin_weights(prep)
    deltas = fm.bake(prep, skin, method="mixed")
    report = check_rig(v, t, deltas, up="Y", forward="Z", skin_weights=skin, region_names=fm.region_names)
    assert report.info["symmetric"]
    over = {s.name: s.mirror_error_pct for s in report.shapes if (s.mirror_error_pct or 0.0) > 5.0}
    assert not over, f"pairs over 5 % mirror error on the noisy head: {over}"
