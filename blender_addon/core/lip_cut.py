"""Cut Lip Line on a Blender mesh: split the edges of the lip line of sealed lips.

The line is found on the rest shape in world space by :func:`model.lip_cut.cut_lip_line` (the
network's lip regions, the valley between the lips); the edges are split with
``bmesh.ops.split_edges``, which carries shape keys, vertex groups, UVs and every other
attribute over to the duplicates. The lower lip's duplicates then move a hairline down (the same
offset on every shape key, so no key's delta changes) so the bake's welding of coincident
vertices does not seal them again. Nothing is deleted: the mesh gains ``P - 2`` vertices and
keeps its faces.
"""

from __future__ import annotations

import numpy as np

from . import mesh_io
from ._model_import import submodule


def cut_lip_line(obj, model, up: str = "Z", forward: str = "-Y") -> dict:
    """Split the lip line of ``obj`` (a mesh object in Object Mode) in place.

    ``model``: the loaded :class:`model.api.FaceModel`; ``up``/``forward``: world axes of the
    face. Returns ``{"split": interior vertices split (int), "length": line length (float, world
    units), "vertices": vertex count after}``. Raises :class:`model.lip_cut.LipsNotSealedError`
    (nothing changed) when the lips are not sealed, and the object errors of :mod:`.mesh_io`.
    """
    import bmesh

    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    world, triangles = mesh_io.read_rest_world(obj)
    me = obj.data
    # quads and n-gons: the line keeps to the mesh's own edges (not the triangulation's)
    edge_pairs = np.empty(len(me.edges) * 2, dtype=np.int32)
    me.edges.foreach_get("vertices", edge_pairs)
    cut = submodule("lip_cut").cut_lip_line(
        world, triangles, model, up=up, forward=forward, mesh_edges=edge_pairs.reshape(-1, 2)
    )
    line = cut.line
    n = world.shape[0]
    # the hairline offset of each duplicate, world -> object space (a vector: linear part only)
    matrix = mesh_io.world_matrix(obj)
    offset_world = cut.vertices[n:] - world[line.vertices[1:-1]]
    offset_local = offset_world @ np.linalg.inv(matrix[:3, :3]).T
    up_local = np.linalg.inv(matrix[:3, :3]) @ line.up

    bm = bmesh.new()
    try:
        bm.from_mesh(me)
        bm.verts.ensure_lookup_table()
        edges = [bm.edges.get((bm.verts[int(a)], bm.verts[int(b)])) for a, b in line.edges]
        if any(e is None for e in edges):  # the line keeps to mesh_edges: never expected
            raise mesh_io.ObjectError(f"the lip line of '{obj.name}' is not on the mesh's edges")
        bmesh.ops.split_edges(bm, edges=edges)
        bm.verts.ensure_lookup_table()
        shapes = list(bm.verts.layers.shape.values())
        # each inner line vertex now has a twin at the end of the list; the one whose faces lie
        # lower (against the face's up) is the lower lip's and takes the offset
        twins = {tuple(np.round(bm.verts[i].co, 7)): bm.verts[i] for i in range(n, len(bm.verts))}
        for k, i in enumerate(line.vertices[1:-1].tolist()):
            orig = bm.verts[int(i)]
            twin = twins.get(tuple(np.round(orig.co, 7)))
            if twin is None:
                continue
            lower = twin if _height(twin, up_local) < _height(orig, up_local) else orig
            d = offset_local[k]
            lower.co = lower.co + type(lower.co)(d)
            for layer in shapes:  # every key moves alike: its delta from the basis is unchanged
                lower[layer] = lower[layer] + type(lower.co)(d)
        bm.to_mesh(me)
    finally:
        bm.free()
    me.update()
    return {"split": int(line.vertices.size - 2), "length": float(line.length), "vertices": len(me.vertices)}


def _height(vert, up: np.ndarray) -> float:
    """Mean height along ``up`` (object space) of the centres of a BMVert's faces."""
    return float(np.mean([np.dot(np.array(f.calc_center_median()), up) for f in vert.link_faces]))
