"""``python -m model bake TARGET -o RIG.npz``: predict skinning weights and bake the 53 ICT
expression shapes of any face mesh.

Output npz: ``names (53,)`` ICT names, ``deltas (53, V, 3) float32`` additive deltas in the
input's units and axes, index-aligned with the file's vertices (every vertex, loose parts too),
``skin_weights (V, K) float32`` (rows sum to 1), ``regions (K,)`` region names.
``deltas`` are the linear ICT / ARKit shapes (``weights @ deltas``; ``mouthClose`` as ICT and ARKit
define it: a corrective of ``jawOpen`` that alone lifts the lower lip through the upper lip). For a
rig with correctives (:mod:`model.mouth_close`) the file also carries ``corrective_names (C,)``
(``jawOpen_mouthClose``), ``corrective_deltas (C, V, 3) float32`` and ``corrective_sources (C, 2)``
(the two shapes whose *minimum* weight drives each): such a rig uses ``mouthClose - corrective``
as the mouthClose shape and adds the corrective at ``min(w_jawOpen, w_mouthClose)``, which equals
the linear mix wherever ``w_mouthClose <= w_jawOpen`` and keeps mouthClose alone behind the lips.
``--method`` (default ``mixed``, :data:`model.api.DEFAULT_BAKE_METHOD`) chooses how the shapes
are made (:meth:`model.api.FaceModel.bake`): all but ``network`` register the ICT template onto
the mesh, with the shipped template (``model/data/ict_template.npz``), or ICT-FaceKit itself with
``--ict DIR`` (development).
"""

from __future__ import annotations

import argparse

from ._common import (
    add_axes,
    add_weights,
    check_device,
    load_model,
    output_path,
    prepare,
    reporting_write_errors,
)

HELP = "bake 53 FACS expression shapes (+ skinning weights) for a face mesh into an .npz rig"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..api import BAKE_METHODS, DEFAULT_BAKE_METHOD

    parser.add_argument("target", help="target neutral face mesh (.obj or .ply), any units/position")
    parser.add_argument("-o", "--out", required=True, help="output rig .npz")
    add_axes(parser)
    add_weights(parser)
    parser.add_argument(
        "--method",
        choices=list(BAKE_METHODS),
        default=DEFAULT_BAKE_METHOD,
        help="mixed (default): hybrid on the shapes the eye and mouth openings pin the template "
        "for (upper face; jaw and mouth where the lips are open), network elsewhere; network: the "
        "network's decoder alone; registration: the ICT template registered onto the mesh, its "
        "shapes carried over; hybrid: registration where the template fits, network elsewhere",
    )
    parser.add_argument(
        "--focus",
        action="store_true",
        help="local, ARKit-style shapes: drop each shape's low tail (model.shape_focus; "
        "further from ICT-FaceKit's own shapes)",
    )
    parser.add_argument(
        "--ict",
        default=None,
        help="ICT-FaceKit folder for registration/hybrid instead of the shipped template "
        "(development; $ICT_FACEKIT is not read here)",
    )


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..atomic_write import save_npz
    from ..facs import ICT_NAMES
    from ..mesh_io import read_mesh

    out = output_path(args.out, ".npz")  # refused before any work
    check_device(args)
    mesh = read_mesh(args.target)
    fm = load_model(args)
    fm.shape_focus = args.focus
    prep = prepare(fm, mesh, args, args.target)
    skin = fm.predict_skin_weights(prep)
    ict = None  # the shipped template
    if args.method != "network" and args.ict is not None:
        from ..ict import load_ict

        ict = load_ict(args.ict)  # typed ICTDataError (one line, exit 2) when missing
    from ..mouth_close import CORRECTIVE_SHAPE, CORRECTIVE_SOURCES, split_baked

    deltas = fm.bake(prep, skin, method=args.method, ict=ict)  # the linear shapes
    corrective = split_baked(deltas)[1]  # rides along for consumers of the split
    with reporting_write_errors(out):  # atomic: an interruption keeps the old rig
        save_npz(
            out,
            dict(
                names=np.array(ICT_NAMES),
                deltas=deltas.astype(np.float32),
                skin_weights=skin.astype(np.float32),
                regions=np.array(fm.region_names),
                corrective_names=np.array([CORRECTIVE_SHAPE]),
                corrective_deltas=corrective[None].astype(np.float32),
                corrective_sources=np.array([CORRECTIVE_SOURCES]),
            ),
        )
    print(f"baked {len(ICT_NAMES)} shapes on {mesh.num_vertices} vertices ({args.method}) -> {out}")
    return 0
