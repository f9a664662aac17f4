"""Region skinning weights <-> ``FS_`` vertex groups, vectorized.

Blender's Python API only writes one weight per ``VertexGroup.add`` call and has no bulk reader,
so both directions go through attributes: writing converts a float point attribute into a vertex
group (``geometry.attribute_convert``); reading evaluates a throw-away copy of the mesh through a
tiny geometry-nodes tree that stores each group as a named float attribute, then ``foreach_get``.
Only groups named ``FS_*`` are ever created or removed.
"""

from __future__ import annotations

import numpy as np

PREFIX = "FS_"
_READER_TREE = ".FS_read_vertex_groups"


def group_name(region: str) -> str:
    """Vertex-group name of a model region (``"jaw"`` -> ``"FS_jaw"``)."""
    return PREFIX + region


def owned_groups(obj) -> list[str]:
    """Names of the ``FS_`` vertex groups on ``obj``."""
    return [g.name for g in obj.vertex_groups if g.name.startswith(PREFIX)]


def remove_owned_groups(obj) -> int:
    """Remove every ``FS_`` vertex group (never the artist's). Returns how many were removed."""
    names = owned_groups(obj)
    for name in names:
        obj.vertex_groups.remove(obj.vertex_groups[name])
    return len(names)


def write_groups(obj, names: list[str], weights: np.ndarray) -> None:
    """Create vertex groups ``names`` with per-vertex ``weights``.

    ``weights``: ``(V, G)`` float in [0, 1], V = the mesh's vertex count; zero weights leave the
    vertex out of the group. Existing groups with these names are replaced.
    """
    import bpy

    me = obj.data
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (len(me.vertices), len(names)):
        raise ValueError(f"weights {weights.shape} do not match ({len(me.vertices)}, {len(names)})")
    active_index = obj.vertex_groups.active_index
    active_attr = me.attributes.active.name if me.attributes.active is not None else None
    for j, name in enumerate(names):
        if name in obj.vertex_groups:
            obj.vertex_groups.remove(obj.vertex_groups[name])
        # The attribute takes the group's name so that the conversion keeps it.
        attr = me.attributes.new(name, "FLOAT", "POINT")
        attr.data.foreach_set("value", np.ascontiguousarray(weights[:, j]))
        me.attributes.active = attr
        with bpy.context.temp_override(object=obj, active_object=obj):
            bpy.ops.geometry.attribute_convert(mode="VERTEX_GROUP")
        if name in me.attributes:  # conversion failed: do not leave a stray attribute behind
            me.attributes.remove(me.attributes[name])
            raise RuntimeError(f"could not convert attribute {name!r} into a vertex group")
    if 0 <= active_index < len(obj.vertex_groups):
        obj.vertex_groups.active_index = active_index
    if active_attr is not None and active_attr in me.attributes:
        me.attributes.active = me.attributes[active_attr]


def _reader_tree(names: list[str]):
    """Geometry-nodes tree that copies each vertex group ``names[i]`` into attribute ``.fsr_<i>``."""
    import bpy

    old = bpy.data.node_groups.get(_READER_TREE)
    if old is not None:
        bpy.data.node_groups.remove(old)
    ng = bpy.data.node_groups.new(_READER_TREE, "GeometryNodeTree")
    ng.interface.new_socket("Geometry", in_out="INPUT", socket_type="NodeSocketGeometry")
    ng.interface.new_socket("Geometry", in_out="OUTPUT", socket_type="NodeSocketGeometry")
    gin = ng.nodes.new("NodeGroupInput")
    gout = ng.nodes.new("NodeGroupOutput")
    socket = gin.outputs[0]
    for i, name in enumerate(names):
        read = ng.nodes.new("GeometryNodeInputNamedAttribute")
        read.data_type = "FLOAT"
        read.inputs["Name"].default_value = name
        store = ng.nodes.new("GeometryNodeStoreNamedAttribute")
        store.data_type = "FLOAT"
        store.domain = "POINT"
        store.inputs["Name"].default_value = f"fsr_{i}"
        ng.links.new(socket, store.inputs["Geometry"])
        ng.links.new(read.outputs["Attribute"], store.inputs["Value"])
        socket = store.outputs["Geometry"]
    ng.links.new(socket, gout.inputs[0])
    return ng


def read_groups(obj, names: list[str]) -> np.ndarray:
    """``(V, G)`` float32 weights of vertex groups ``names`` on ``obj`` (0 where a vertex is not in
    a group, and for a name that is not a group). V = the base mesh's vertex count."""
    import bpy

    me = obj.data
    n = len(me.vertices)
    out = np.zeros((n, len(names)), dtype=np.float32)
    present = [i for i, name in enumerate(names) if name in obj.vertex_groups]
    if not present or n == 0:
        return out
    tmp_mesh = me.copy()
    # Shape keys are irrelevant to weights and would only cost memory in the copy.
    tmp = bpy.data.objects.new(".FS_weight_reader", tmp_mesh)
    ng = None
    try:
        bpy.context.scene.collection.objects.link(tmp)
        if tmp_mesh.shape_keys is not None:
            tmp.shape_key_clear()
        ng = _reader_tree([names[i] for i in present])
        mod = tmp.modifiers.new("FS_read", "NODES")
        mod.node_group = ng
        ev = tmp.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
        col = np.empty(n, dtype=np.float32)
        for k, i in enumerate(present):
            ev.attributes[f"fsr_{k}"].data.foreach_get("value", col)
            out[:, i] = col
    finally:
        bpy.data.objects.remove(tmp)
        bpy.data.meshes.remove(tmp_mesh)
        if ng is not None:
            bpy.data.node_groups.remove(ng)
    return out
