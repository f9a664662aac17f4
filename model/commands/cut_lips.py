"""``python -m model cut-lips IN.obj OUT.obj``: cut the lip line of a mesh with sealed lips.

Finds the seam between the upper and the lower lip from one mouth corner to the other
(:func:`model.lip_cut.find_lip_line`), duplicates its inner vertices so the lower lip gets its
own edge (the corners stay joined) and opens a hairline gap (:data:`model.lip_cut.GAP`) so the
bake's welding keeps the lips apart; then ``bake`` can part them with ``jawOpen``. The output
keeps every input vertex in order (the copies are appended) and the triangle count; it is
written as triangles. Lips already parted (or two separate surfaces that touch): one line saying
so on stderr, nothing written, exit code 2.
"""

from __future__ import annotations

import argparse

from ._common import add_axes, add_weights, check_device, load_model, output_path, reporting_write_errors

HELP = "cut the lip line of a mesh with sealed lips so jawOpen can part them (writes a new .obj)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("mesh", help="face, head or bust mesh with sealed lips (.obj or .ply)")
    parser.add_argument("out", help="output .obj: the mesh with its lip line cut open")
    add_axes(parser)
    add_weights(parser)


def run(args: argparse.Namespace) -> int:
    from ..lip_cut import cut_lip_line
    from ..mesh_io import read_mesh, write_obj

    out = output_path(args.out, ".obj", option="OUT")  # refused before any work
    check_device(args)
    mesh = read_mesh(args.mesh)
    fm = load_model(args)
    cut = cut_lip_line(mesh.vertices, mesh.triangles(), fm, up=args.up, forward=args.forward)
    with reporting_write_errors(out, option="OUT"):
        write_obj(out, cut.vertices, cut.triangles)  # atomic: an interruption keeps the old file
    line = cut.line
    print(
        f"cut the lip line: {line.vertices.size} vertices ({line.vertices.size - 2} split, the two "
        f"mouth corners kept), {line.length:.4g} units long -> {out} "
        f"({cut.vertices.shape[0]} vertices, {cut.triangles.shape[0]} triangles)"
    )
    return 0
