"""The rig check's ripple (x ICT's same shape) after each stage of the bake, on a real-dev mesh
as it is or split in four.

    PYTHONPATH=. .venv/bin/python benchmarks/ripple_stages.py [--match nefertiti] [--split]
        [--shapes mouthShrugUpper,eyeWide_R] [--method mixed]

Bakes the mesh (``--split``: every triangle split in four, as ``benchmarks/realdev_variants.py``)
with the shipped model and records the shapes after each stage of :meth:`model.api.FaceModel.bake`
(by wrapping the stage functions: the network's raw shapes, the reach, the short edges, the
symmetrize, the eyelids, the lids' symmetrize, the static area, the shape smoothing, the rigid
parts, the last mirror pass, the lid lines, the flip repair), then prints one row per stage and a
column per shape: :func:`model.rig_check.ripple_number` on the input mesh against ICT's reference,
the check's own ratio. The shapes: ``--shapes`` and the check's eight roughest. Stages on the
welded surface (the last mirror pass of a mesh with seams) print no row. Skips (exit 0) without
../shared/real-dev.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import load_mesh, require_realdev  # noqa: E402
from realdev_variants import subdivide  # noqa: E402

# (module, function, label, canonical): the stages in bake order; canonical ones return (53, S, 3)
STAGES = [
    ("model.shape_locality", "apply_reach", "reach", True),
    ("model.short_edges", "move_together", "short edges", True),
    ("model.shape_locality", "symmetrize", "symmetrize", True),
    ("model.eyelids", "with_eyelids", "eyelids", True),
    ("model.static_area", "apply_static", "static area", True),
    ("model.shape_smoothing", "smooth_shapes", "shape smoothing", True),
    ("model.rig_constraints", "apply_rig_constraints", "rigid parts", False),
    ("model.mirror_pass", "symmetrize_pairs", "mirror pass", False),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="nefertiti", help="the mesh whose file name contains this")
    parser.add_argument("--split", action="store_true", help="every triangle split in four")
    parser.add_argument("--shapes", default="", help="comma-separated shape names (and the roughest)")
    parser.add_argument("--method", default="mixed", help="the bake method (model.api.BAKE_METHODS)")
    args = parser.parse_args()
    realdev = require_realdev()
    import importlib

    from model import rig_check
    from model.api import FaceModel
    from model.facs import ICT_NAMES

    path = next(p for p in sorted((realdev / "meshes").iterdir()) if args.match in p.name)
    d = load_mesh(path)
    v, t = np.asarray(d["vertices"][d["head_ids"]], np.float64), d["head_triangles"]
    mats, up, fwd = d["head_materials"], d["up"], d["forward"]
    if args.split:
        v, t = subdivide(v, t)
        mats = None if mats is None else np.repeat(mats[None], 4, 0).reshape(-1)
    fm = FaceModel.load()
    stages: list[tuple[str, np.ndarray]] = []
    box = {}

    def to_input(c):
        return box["prep"].scatter(fm._from_canonical(box["prep"], np.asarray(c, np.float32)), axis=1)

    def wrap(fn, label, canonical):
        def f(*a, **k):
            out = fn(*a, **k)
            stages.append((label, to_input(out) if canonical else np.array(out)))
            return out

        return f

    for module, name, label, canonical in STAGES:
        mod = importlib.import_module(module)
        setattr(mod, name, wrap(getattr(mod, name), label, canonical))
    bake = fm.net.bake
    fm.net.bake = lambda rig: (lambda out: (stages.append(("network", to_input(fm._to_numpy(out)))), out)[1])(
        bake(rig)
    )
    for name, label in (("_smooth_lid_lines", "lid lines"), ("_repair_flips", "flip repair")):
        method = getattr(FaceModel, name)

        def later(*a, _method=method, _label=label):
            out = _method(fm, *a) if _label == "lid lines" else _method(*a)
            stages.append((_label, np.array(out)))
            return out

        setattr(fm, name, later)
    box["prep"] = fm.prepare(v, t, up=up, forward=fwd, materials=mats)
    skin = fm.predict_skin_weights(box["prep"])
    stages.clear()
    final = fm.bake(box["prep"], skin, method=args.method)
    report = rig_check.check_rig(
        v, t, final, up=up, forward=fwd, skin_weights=skin, region_names=fm.region_names
    )
    worst = sorted(((r.ripple_ratio or 0.0, r.name) for r in report.shapes), reverse=True)[:8]
    shapes = [s for s in args.shapes.split(",") if s]
    shapes += [n for _, n in worst if n not in shapes]
    L, mass = rig_check._laplacian_on_referenced(v, np.asarray(t, np.int64))
    inv = rig_check.ripple_inverse_mass(mass, t)
    ref = rig_check._reference()
    unit = report.info["eye_distance"]  # input units: the ratio is scale-free
    print(f"{path.name}{' split in 4' if args.split else ''}: {len(v)} vertices, {args.method}")
    print("| stage | " + " | ".join(shapes) + " |")
    print("|---|" + "---:|" * len(shapes))
    for label, deltas in [*stages, ("final", final)]:
        if deltas.shape[1] != len(v):
            continue  # on the welded surface
        row = []
        for s in shapes:
            ds = np.asarray(deltas[ICT_NAMES.index(s)], np.float64)
            r = rig_check.ripple_number(L @ ds, ds, mass, inv, unit) / ref["ripple"][ref["names"].index(s)]
            row.append(f"{r:.2f}")
        print(f"| {label} | " + " | ".join(row) + " |")
    print("check verdicts:", [line for line in report.verdicts if "ripple" in line])
    return 0


if __name__ == "__main__":
    sys.exit(main())
