"""``python -m model inspect MESH``: the pre-flight report of a mesh, before any bake.

Prints what the rig will make of the mesh (units, head region, parts, eye openings, lips,
symmetry, topology) and what each finding means, in plain words; ``--json`` prints the same as
one JSON object. Exit code 0 whatever the findings (a report, not a gate); bad input: one line
on stderr and exit code 2.
"""

from __future__ import annotations

import argparse

from ._common import add_axes

HELP = "pre-flight report of a face mesh: units, head region, parts, eyes, lips, symmetry, topology"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("mesh", help="face, head, bust or body mesh (.obj or .ply)")
    add_axes(parser)
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")


def run(args: argparse.Namespace) -> int:
    import json

    from ..inspect import inspect_mesh
    from ..mesh_io import read_mesh

    mesh = read_mesh(args.mesh)
    report = inspect_mesh(mesh.vertices, mesh.triangles(), up=args.up, forward=args.forward)
    if args.json:
        print(json.dumps(report.to_dict(), indent=1))
    else:
        print(report.format())
    return 0
