"""Blender mesh <-> numpy, vectorized with ``foreach_get``/``foreach_set`` only.

Axis convention: Blender world space is Z up, the face looking toward -Y (front view). The
network's ``prepare`` takes ``up``/``forward`` axis names and fits its canonical frame itself, so
this module hands over *world-space* coordinates (object transform applied, so unapplied
scale/rotation is respected) together with the axis names, and maps world-space deltas back to
object space with the inverse of the object's linear transform.
"""

from __future__ import annotations

import numpy as np

from .errors import EmptyMeshError, NoFacesError, ObjectError

BLENDER_UP = "Z"
BLENDER_FORWARD = "-Y"


def require_mesh_object(obj, role: str = "active object"):
    """Return ``obj`` if it is a mesh object; raise :class:`ObjectError` naming the fix otherwise."""
    if obj is None:
        raise ObjectError(f"No {role}: select a mesh object (click it in the viewport) and retry.")
    if obj.type != "MESH":
        raise ObjectError(
            f"The {role} '{obj.name}' is a {obj.type.lower()}, not a mesh: select a mesh object."
        )
    return obj


def require_geometry(obj) -> None:
    """Raise the typed mesh errors for an object without vertices or without faces."""
    me = obj.data
    if len(me.vertices) == 0:
        raise EmptyMeshError(f"The mesh '{obj.name}' has no vertices: pick a face mesh with geometry.")
    if len(me.polygons) == 0:
        raise NoFacesError(
            f"The mesh '{obj.name}' has vertices but no faces (a point cloud or wire): fill its faces "
            "(Edit Mode > Face > Fill) or pick a surface mesh."
        )


def require_local(obj) -> None:
    """Refuse an object linked from a library: whatever is written on it (slider values, keys,
    shape keys) is not saved and comes back from the library on reload."""
    if obj.library is not None or not obj.is_editable:
        ref = obj.override_library.reference if obj.override_library is not None else None
        library = obj.library or (ref.library if ref is not None else None)
        lib = library.filepath if library is not None else "?"
        raise ObjectError(
            f"'{obj.name}' is linked from the library '{lib}' and cannot be edited (nothing written "
            "on it would be saved): make it local (Object > Relations > Make Local) first."
        )


def require_writable(obj) -> None:
    """Refuse objects whose mesh data cannot take our shape keys / vertex groups.

    Linked library data is read-only; shared mesh data (linked duplicates, Alt+D) would receive one
    set of keys driven by only one object, so both are refused with the fix.
    """
    require_local(obj)
    if obj.override_library is not None and obj.data.library is not None:
        raise ObjectError(
            f"'{obj.name}' is a library override whose mesh is linked from the library "
            f"'{obj.data.library.filepath}' and cannot be edited: make it local (Object > "
            "Relations > Make Local) first."
        )
    if obj.data.library is not None:
        raise ObjectError(
            f"The mesh data of '{obj.name}' is linked from a library and cannot be edited: "
            "make it local (Object > Relations > Make Local > Selected Objects and Data)."
        )
    users = obj.data.users - (1 if obj.data.use_fake_user else 0)
    if users > 1:
        raise ObjectError(
            f"The mesh data '{obj.data.name}' of '{obj.name}' is shared by {users} objects (linked "
            "duplicates), and shape keys live on the mesh: make it single-user first (Object > "
            "Relations > Make Single User > Object & Data)."
        )


def world_matrix(obj) -> np.ndarray:
    """``(4, 4)`` float64 object-to-world matrix."""
    return np.array(obj.matrix_world, dtype=np.float64)


def _loop_triangles(me, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(triangles (T, 3) int64 wound for the vertices mapped by matrix (object-to-world),
    materials (T,) int64 material slot of each: its polygon's material_index)``, read in one
    pass over the mesh's loop triangles.

    A mirroring transform (negative determinant: an odd number of negative scale axes, left
    unapplied) turns the surface inside out in world space, so the mesh's winding would give the
    network inverted normals there; the triangles are flipped to keep normals pointing outward.
    """
    me.calc_loop_triangles()
    tris = np.empty(len(me.loop_triangles) * 3, dtype=np.int32)
    me.loop_triangles.foreach_get("vertices", tris)
    materials = np.empty(len(me.loop_triangles), dtype=np.int32)
    me.loop_triangles.foreach_get("material_index", materials)
    tris = tris.reshape(-1, 3).astype(np.int64)
    if np.linalg.det(matrix[:3, :3]) < 0:
        tris = tris[:, ::-1].copy()
    return tris, materials.astype(np.int64)


def rest_coordinates(obj) -> np.ndarray:
    """``(V, 3)`` float64 object-space rest positions: the Basis shape key if any, else the vertices."""
    me = obj.data
    n = len(me.vertices)
    co = np.empty(n * 3, dtype=np.float32)
    key = me.shape_keys
    if key is not None and key.reference_key is not None:
        key.reference_key.data.foreach_get("co", co)
    else:
        me.vertices.foreach_get("co", co)
    return co.reshape(n, 3).astype(np.float64)


def read_rest_geometry(obj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rest geometry of a mesh object in world space, with the material of each triangle.

    Returns ``(vertices (V,3) float64, Blender world units, Z up / -Y forward;
    triangles (T,3) int64, wound so that normals point outward in world space;
    materials (T,) int64 material slot of each triangle)``, vertex order as in the mesh.
    Modifiers are not applied: shape keys and vertex groups live on the base mesh.
    """
    require_geometry(obj)
    local = rest_coordinates(obj)
    matrix = world_matrix(obj)
    return (to_world(local, matrix), *_loop_triangles(obj.data, matrix))


def read_rest_world(obj) -> tuple[np.ndarray, np.ndarray]:
    """``(vertices (V,3), triangles (T,3))`` of :func:`read_rest_geometry` (no materials)."""
    vertices, triangles, _ = read_rest_geometry(obj)
    return vertices, triangles


def to_world(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(N,3)`` object-space points -> world space with a ``(4,4)`` matrix (float64)."""
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def deltas_to_local(deltas: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(..., 3)`` world-space displacement vectors -> object space (inverse linear part, no translation).

    Raises :class:`ObjectError` when the object's scale is zero on some axis.
    """
    lin = matrix[:3, :3]
    if abs(np.linalg.det(lin)) < 1e-12:
        raise ObjectError("The object's scale is zero on some axis: set a non-zero scale and retry.")
    return deltas @ np.linalg.inv(lin).T


def read_evaluated_world(obj, depsgraph) -> np.ndarray:
    """``(V, 3)`` float64 world-space vertices of the depsgraph-evaluated object (shape keys,
    modifiers, mesh cache applied), at the depsgraph's current frame."""
    ev = obj.evaluated_get(depsgraph)
    me = ev.data
    n = len(me.vertices)
    co = np.empty(n * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    return to_world(co.reshape(n, 3).astype(np.float64), np.array(ev.matrix_world, dtype=np.float64))


def read_evaluated_triangles(obj, depsgraph) -> np.ndarray:
    """``(T, 3)`` int64 triangles of the evaluated object (for a source animated by modifiers),
    wound for its world-space vertices (:func:`read_evaluated_world`)."""
    ev = obj.evaluated_get(depsgraph)
    me = ev.data
    if len(me.vertices) == 0:
        raise EmptyMeshError(f"The evaluated mesh of '{obj.name}' has no vertices: check its modifiers.")
    if len(me.polygons) == 0:
        raise NoFacesError(f"The evaluated mesh of '{obj.name}' has no faces: pick a surface mesh.")
    triangles, _ = _loop_triangles(me, np.array(ev.matrix_world, dtype=np.float64))
    return triangles


def new_mesh_object(name: str, vertices: np.ndarray, face_indices: np.ndarray, face_sizes: np.ndarray, scene):
    """Create and link a mesh object from numpy polygons (bulk ``foreach_set``, no per-vertex loop).

    ``vertices`` (V, 3) float object-space coordinates; ``face_indices`` (N,) int, the vertex
    indices of all polygons concatenated; ``face_sizes`` (F,) int, the corner count of each.
    """
    import bpy

    vertices = np.asarray(vertices, dtype=np.float32)
    face_indices = np.asarray(face_indices, dtype=np.int32)
    face_sizes = np.asarray(face_sizes, dtype=np.int32)
    me = bpy.data.meshes.new(name)
    me.vertices.add(len(vertices))
    me.vertices.foreach_set("co", vertices.ravel())
    me.loops.add(len(face_indices))
    me.loops.foreach_set("vertex_index", face_indices)
    me.polygons.add(len(face_sizes))
    starts = (np.cumsum(face_sizes) - face_sizes).astype(np.int32)
    me.polygons.foreach_set("loop_start", starts)
    me.update(calc_edges=True)
    me.validate(verbose=False)
    obj = bpy.data.objects.new(name, me)
    scene.collection.objects.link(obj)
    return obj
