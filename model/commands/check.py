"""``python -m model check MESH [--rig RIG.npz]``: the rig check, per shape and with verdicts.

Without ``--rig`` the shipped (or ``--weights``) network bakes the rig first. The rig file is the
``bake`` command's npz (``names``, ``deltas (S, V, 3)``, optional ``skin_weights`` and
``regions``). ``--static-mask`` takes a ``.npy`` of V booleans (or 0/1) marking vertices that must
not move; without it a heuristic picks the ears, back of the head, scalp and neck base (see
:mod:`model.rig_check`).

Exit code: 0 when every check passes, 1 when any check fails (the verdict lines say which and
where), 2 for bad input (one line on stderr naming the fix).
"""

from __future__ import annotations

import argparse
import json
import sys

from ._common import add_axes, add_weights, load_model, prepare

HELP = (
    "check a baked rig: lid closure, static leakage, flips, mirror error, ripple, tears, reach (exit 1 on "
    "failure)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("mesh", help="neutral face mesh (.obj or .ply) the rig belongs to")
    parser.add_argument("--rig", default=None, help="rig .npz from `bake` (default: bake one now)")
    parser.add_argument("--static-mask", default=None, help=".npy of V flags: vertices that must not move")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    add_axes(parser)
    add_weights(parser)


def _load_rig(path: str, num_vertices: int):
    import numpy as np

    from ..errors import FaceSkinningError

    try:
        with np.load(path) as z:
            names = [str(n) for n in z["names"]]
            deltas = z["deltas"]
            skin = z["skin_weights"] if "skin_weights" in z else None
            regions = [str(r) for r in z["regions"]] if "regions" in z else None
    except (OSError, ValueError, KeyError) as exc:
        raise FaceSkinningError(
            f"cannot read rig {path!r} ({exc}); pass an .npz written by `python -m model bake`"
        ) from exc
    if deltas.ndim != 3 or deltas.shape[1] != num_vertices:
        raise FaceSkinningError(
            f"rig {path!r} has deltas {deltas.shape} but the mesh has {num_vertices} vertices; "
            "bake the rig on this mesh"
        )
    return names, deltas, skin, regions


def _load_mask(path: str, num_vertices: int):
    import numpy as np

    from ..errors import FaceSkinningError

    try:
        mask = np.load(path)
    except (OSError, ValueError) as exc:
        raise FaceSkinningError(f"cannot read static mask {path!r} ({exc}); pass a .npy of V flags") from exc
    if mask.shape != (num_vertices,):
        raise FaceSkinningError(
            f"static mask {path!r} has shape {mask.shape}, the mesh has {num_vertices} vertices; "
            "pass one flag per vertex"
        )
    return mask.astype(bool)


def format_report(report) -> str:
    """A table (one row per shape) and the verdict lines."""

    def f(x, spec):
        return "-" if x is None else format(x, spec)

    lines = [
        f"{'shape':18s} {'max d':>9s} {'lid %':>6s} {'lid min':>7s} {'static %':>8s} "
        f"{'flips':>5s} {'mirror %':>8s} {'ripple':>6s} {'tear':>5s} {'reach %':>7s}"
    ]
    for s in report.shapes:
        lines.append(
            f"{s.name:18s} {s.max_displacement:9.4f} {f(s.lid_closure_pct, '6.1f')} "
            f"{f(s.lid_closure_min_pct, '7.1f')} {f(s.static_leakage_pct, '8.2f')} "
            f"{s.flipped_triangles:5d} {f(s.mirror_error_pct, '8.1f')} {f(s.ripple_ratio, '6.2f')} "
            f"{f(s.tear, '5.2f')} {f(s.reach_outside_pct, '7.1f')}"
        )
    info = report.info
    lines.append(
        f"eyes found: {','.join(info['eyes_found']) or 'none'}; static: {info['static_source']} "
        f"({info['static_vertices']} vertices); symmetric: {info['symmetric']} "
        f"({100 * info['symmetric_share']:.0f} % of the face's area with a mirror partner)"
    )
    lines.extend(f"FAIL {v}" for v in report.verdicts)
    lines.append("PASS: every check passes" if report.passed else f"{len(report.verdicts)} problems")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..mesh_io import read_mesh
    from ..rig_check import check_rig

    mesh = read_mesh(args.mesh)
    tris = mesh.triangles()
    if args.rig:
        names, deltas, skin, regions = _load_rig(args.rig, mesh.num_vertices)
    else:
        from ..facs import ICT_NAMES

        fm = load_model(args)
        # as bake: OBJ usemtl holds clothing still; the input warnings (axes, not a face, pieces,
        # sealed lips) go to stderr, one line each
        prep = prepare(fm, mesh, args, args.mesh)
        skin = fm.predict_skin_weights(prep)
        deltas = fm.bake(prep, skin)
        names, regions = list(ICT_NAMES), list(fm.region_names)
    static = _load_mask(args.static_mask, mesh.num_vertices) if args.static_mask else None
    report = check_rig(
        mesh.vertices,
        tris,
        deltas,
        names=names,
        up=args.up,
        forward=args.forward,
        static_mask=static,
        skin_weights=skin,
        region_names=regions,
    )
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(format_report(report))
    return 0 if report.passed else 1
