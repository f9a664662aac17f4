"""``python -m model cut-lips IN.obj OUT.obj``: cut the lip line of a mesh with sealed lips.

Finds the seam between the upper and the lower lip from one mouth corner to the other
(:func:`model.lip_cut.find_lip_line`), duplicates its inner vertices so the lower lip gets its
own edge (the corners stay joined) and opens a hairline gap (:data:`model.lip_cut.GAP`) so the
bake's welding keeps the lips apart; then ``bake`` can part them with ``jawOpen``. The output
keeps every input vertex in order (the copies are appended) and the polygons (quads stay quads:
the line runs along the polygons' own edges). Lips already parted (or two separate surfaces that
touch): one line saying so on stderr, nothing written, exit code 2.
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
    import dataclasses

    from ..lip_cut import cut_lip_line, cut_polygons, polygon_edges
    from ..mesh_io import read_mesh, write_obj

    out = output_path(args.out, ".obj", option="OUT")  # refused before any work
    check_device(args)
    mesh = read_mesh(args.mesh)
    fm = load_model(args)
    triangles = mesh.triangles()
    # the line keeps to the polygons' own edges, so quads and n-gons stay as they are
    edges = polygon_edges(mesh.face_indices, mesh.face_sizes)
    cut = cut_lip_line(mesh.vertices, triangles, fm, up=args.up, forward=args.forward, mesh_edges=edges)
    corners = cut_polygons(mesh.face_indices, mesh.face_sizes, triangles, cut.triangles)
    result = dataclasses.replace(mesh, vertices=cut.vertices, face_indices=corners)
    with reporting_write_errors(out, option="OUT"):
        write_obj(out, cut.vertices, result)  # atomic: an interruption keeps the old file
    line = cut.line
    print(
        f"cut the lip line: {line.vertices.size} vertices ({line.vertices.size - 2} split, the two "
        f"mouth corners kept), {line.length:.4g} units long -> {out} "
        f"({cut.vertices.shape[0]} vertices, {mesh.num_faces} faces)"
    )
    return 0
