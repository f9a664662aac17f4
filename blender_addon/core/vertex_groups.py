"""Region skinning weights <-> ``FS_`` vertex groups, vectorized, and which groups are ours.

Blender's Python API only writes one weight per ``VertexGroup.add`` call and has no bulk reader,
so both directions go through attributes: writing converts a float point attribute into a vertex
group (``geometry.attribute_convert``); reading evaluates a throw-away object that *shares* the
mesh (no copy: copying a mesh also copies its shape keys, which leaked a Key data-block) through a
tiny geometry-nodes tree that stores each group as a named float attribute, then ``foreach_get``.

Ownership: the names of the groups the add-on wrote are recorded on the mesh
(``Mesh["nfs_owned_groups"]``, a JSON list; vertex groups live on the mesh data), so it travels
with save/reload and undo. Only recorded groups are ever replaced or removed; an artist's group or
attribute that has the name of one of ours is a clash, refused with the fix.
"""

from __future__ import annotations

import json

import numpy as np

from .errors import ObjectError

PREFIX = "FS_"
OWNED_PROP = "nfs_owned_groups"
_READER_TREE = ".FS_read_vertex_groups"


def group_name(region: str) -> str:
    """Vertex-group name of a model region (``"jaw"`` -> ``"FS_jaw"``)."""
    return PREFIX + region


def owned_groups(obj) -> list[str]:
    """Names of the vertex groups made by the add-on that still exist on ``obj``, in group order."""
    try:
        recorded = set(json.loads(obj.data.get(OWNED_PROP, "[]")))
    except (TypeError, ValueError):
        recorded = set()
    return [g.name for g in obj.vertex_groups if g.name in recorded]


def _set_owned(obj, names: list[str]) -> None:
    obj.data[OWNED_PROP] = json.dumps(sorted(set(names)))


def check_names_free(obj, names: list[str]) -> None:
    """Raise :class:`ObjectError` if any of ``names`` is taken by the artist: a vertex group not
    made by the add-on, or a mesh attribute (the conversion into a group goes through one)."""
    ours = set(owned_groups(obj))
    groups = [n for n in names if n in obj.vertex_groups and n not in ours]
    if groups:
        raise ObjectError(
            f"'{obj.name}' already has vertex group(s) {', '.join(repr(n) for n in groups[:5])}"
            f"{' ...' if len(groups) > 5 else ''} not made by Face Skinning (none recorded on this "
            "mesh); they are never overwritten. Fix: rename your group(s) (the add-on's region "
            "groups are FS_<region>), or delete them if an older version of the add-on made them."
        )
    attrs = [n for n in names if obj.data.attributes.get(n) is not None]
    if attrs:
        raise ObjectError(
            f"The mesh of '{obj.name}' has the attribute{'s' if len(attrs) > 1 else ''} "
            f"{', '.join(repr(n) for n in attrs[:5])} named like a Face Skinning region group; "
            "attributes are never overwritten. Fix: rename the attribute (Object Data > Attributes)."
        )


def remove_owned_groups(obj, keep: tuple[str, ...] = ()) -> int:
    """Remove the add-on's vertex groups except ``keep`` (never the artist's). Returns the count."""
    names = [n for n in owned_groups(obj) if n not in keep]
    for name in names:
        obj.vertex_groups.remove(obj.vertex_groups[name])
    _set_owned(obj, [n for n in owned_groups(obj) if n not in names])
    return len(names)


def replace_owned_groups(obj, names: list[str], weights: np.ndarray) -> None:
    """Make ``names`` (with ``weights``, see :func:`write_groups`) the add-on's only groups.

    Checks every name first (:func:`check_names_free`), so a clash changes nothing; then our
    groups not in ``names`` are removed and ``names`` are written and recorded as ours.
    """
    check_names_free(obj, names)
    remove_owned_groups(obj, keep=tuple(names))
    write_groups(obj, names, weights)


def write_groups(obj, names: list[str], weights: np.ndarray) -> None:
    """Create vertex groups ``names`` with per-vertex ``weights`` and record them as the add-on's.

    ``weights``: ``(V, G)`` float in [0, 1], V = the mesh's vertex count; zero weights leave the
    vertex out of the group. Our existing groups with these names are replaced; a name taken by
    the artist (group or attribute) raises :class:`ObjectError` before anything changes.
    """
    import bpy

    me = obj.data
    weights = np.asarray(weights, dtype=np.float32)
    if weights.shape != (len(me.vertices), len(names)):
        raise ValueError(f"weights {weights.shape} do not match ({len(me.vertices)}, {len(names)})")
    check_names_free(obj, names)
    active_index = obj.vertex_groups.active_index
    active_attr = me.attributes.active.name if me.attributes.active is not None else None
    owned = owned_groups(obj)
    for j, name in enumerate(names):
        if name in obj.vertex_groups:  # ours (checked above)
            obj.vertex_groups.remove(obj.vertex_groups[name])
        # The attribute takes the group's name so that the conversion keeps it.
        attr = me.attributes.new(name, "FLOAT", "POINT")
        attr_name = attr.name
        attr.data.foreach_set("value", np.ascontiguousarray(weights[:, j]))
        me.attributes.active = attr
        with bpy.context.temp_override(object=obj, active_object=obj):
            bpy.ops.geometry.attribute_convert(mode="VERTEX_GROUP")
        if attr_name in me.attributes or name not in obj.vertex_groups:
            # Conversion failed: remove only what this call made, so nothing stray is left behind.
            if attr_name in me.attributes:
                me.attributes.remove(me.attributes[attr_name])
            for made in names[:j]:
                if made in obj.vertex_groups:
                    obj.vertex_groups.remove(obj.vertex_groups[made])
            _set_owned(obj, [n for n in owned if n not in names])
            raise RuntimeError(f"could not convert attribute {name!r} into a vertex group")
    _set_owned(obj, [*owned, *names])
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
    a group, and for a name that is not a group). V = the base mesh's vertex count.

    A temporary object shares ``obj``'s mesh (vertex groups live on the mesh data) and evaluates
    the reader tree; nothing is copied, and the object and tree are removed before returning.
    """
    import bpy

    me = obj.data
    n = len(me.vertices)
    out = np.zeros((n, len(names)), dtype=np.float32)
    present = [i for i, name in enumerate(names) if name in obj.vertex_groups]
    if not present or n == 0:
        return out
    tmp = bpy.data.objects.new(".FS_weight_reader", me)
    ng = None
    try:
        bpy.context.scene.collection.objects.link(tmp)
        # Weights do not depend on the shape keys: evaluate the Basis alone, not their mix.
        tmp.show_only_shape_key = True
        tmp.active_shape_key_index = 0
        ng = _reader_tree([names[i] for i in present])
        mod = tmp.modifiers.new("FS_read", "NODES")
        mod.node_group = ng
        ev = tmp.evaluated_get(bpy.context.evaluated_depsgraph_get()).data
        if len(ev.vertices) != n:
            raise RuntimeError(f"the weight reader saw {len(ev.vertices)} vertices instead of {n}")
        col = np.empty(n, dtype=np.float32)
        for k, i in enumerate(present):
            ev.attributes[f"fsr_{k}"].data.foreach_get("value", col)
            out[:, i] = col
    finally:
        bpy.data.objects.remove(tmp)
        if ng is not None:
            bpy.data.node_groups.remove(ng)
    return out
