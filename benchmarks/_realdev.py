"""Shared loading of the real third-party development meshes (``../shared/real-dev``).

Never commit the meshes or anything derived from them; benchmarks print numbers and write renders
outside the repository. The FBX avatars need ``bpy`` (Blender as a Python module).
"""

from __future__ import annotations

import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
# the head of a Rocketbox avatar: everything within this height of the top (metres, Z up); the
# chin sits ~0.22 m below the crown, so this keeps the head and upper neck; 0.30 takes the
# collar of the clothes in, which changes the network's bake a lot (REALDEV_HEAD_HEIGHT
# overrides it, to measure how much the crop matters)
HEAD_HEIGHT = float(os.environ.get("REALDEV_HEAD_HEIGHT", "0.25"))
# axes of each mesh as found (looked at): (up, forward)
AXES = {
    "rocketbox_Female_Adult_02_ARKit.fbx": ("Z", "-Y"),
    "rocketbox_Female_Adult_01.fbx": ("Z", "-Y"),
    "demosthenes_bust_scan.obj": ("Y", "Z"),
    "nefertiti_bust_scan.obj": ("Y", "Z"),
}


def realdev_dir() -> pathlib.Path | None:
    """The real-dev folder (``$REALDEV``, /work/shared/real-dev or ../shared/real-dev), or None."""
    for p in (os.environ.get("REALDEV"), "/work/shared/real-dev", ROOT.parent / "shared" / "real-dev"):
        if p and (pathlib.Path(p) / "meshes").is_dir():
            return pathlib.Path(p)
    return None


def require_realdev() -> pathlib.Path:
    d = realdev_dir()
    if d is None:
        print("SKIP: ../shared/real-dev is absent (set REALDEV=PATH); nothing measured")
        sys.exit(0)
    return d


def load_fbx(path: pathlib.Path) -> dict:
    """The first mesh object of an FBX, rest pose, world coordinates (metres, Z up, face to -Y).

    Returns ``{"vertices" (V,3), "triangles" (T,3), "materials" (T,) material index of each
    triangle, "shape_keys" {name: (V,3) positions}}``.
    """
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(path))
    obj = max((o for o in bpy.data.objects if o.type == "MESH"), key=lambda o: len(o.data.vertices))
    me = obj.data
    n = len(me.vertices)
    m = np.array(obj.matrix_world)

    def world(co_flat):
        co = co_flat.reshape(-1, 3)
        return co @ m[:3, :3].T + m[:3, 3]

    co = np.empty(n * 3)
    me.vertices.foreach_get("co", co)
    me.calc_loop_triangles()
    tris = np.empty(len(me.loop_triangles) * 3, dtype=np.int64)
    me.loop_triangles.foreach_get("vertices", tris)
    materials = np.empty(len(me.loop_triangles), dtype=np.int64)
    me.loop_triangles.foreach_get("material_index", materials)
    keys = {}
    if me.shape_keys:
        for kb in me.shape_keys.key_blocks:
            k = np.empty(n * 3)
            kb.data.foreach_get("co", k)
            keys[kb.name] = world(k)
    return {
        "vertices": world(co),
        "triangles": tris.reshape(-1, 3),
        "materials": materials,
        "shape_keys": keys,
    }


def head_submesh(vertices: np.ndarray, triangles: np.ndarray, up_axis: int = 2, height: float = HEAD_HEIGHT):
    """Vertices within ``height`` of the top along ``up_axis`` and the triangles among them.

    Returns ``(vertex_ids (n,), triangles (T,3) indexing vertex_ids)``.
    """
    top = vertices[:, up_axis].max()
    keep = vertices[:, up_axis] > top - height
    tris = triangles[keep[triangles].all(axis=1)]
    ids = np.unique(tris)
    remap = np.full(len(vertices), -1)
    remap[ids] = np.arange(ids.size)
    return ids, remap[tris]


def load_mesh(path: pathlib.Path) -> dict:
    """Any real-dev mesh: ``vertices, triangles, shape_keys, up, forward, head_ids`` (the face
    part the rig is baked on; the whole mesh for the busts), ``head_triangles`` and
    ``head_materials`` (their per-triangle material indices; None for an OBJ without ``usemtl``)."""
    up, forward = AXES[path.name]
    if path.suffix.lower() == ".fbx":
        data = load_fbx(path)
        ids, tris = head_submesh(data["vertices"], data["triangles"])
        top = data["vertices"][:, 2].max()  # the same cut as head_submesh (Z up)
        kept = (data["vertices"][:, 2] > top - HEAD_HEIGHT)[data["triangles"]].all(axis=1)
        data.update(up=up, forward=forward, head_ids=ids, head_triangles=tris)
        data["head_materials"] = data["materials"][kept]
        return data
    from model.mesh_io import read_mesh

    mesh = read_mesh(path)
    return {
        "vertices": mesh.vertices,
        "triangles": mesh.triangles(),
        "shape_keys": {},
        "up": up,
        "forward": forward,
        "head_ids": np.arange(mesh.num_vertices),
        "head_triangles": mesh.triangles(),
        "head_materials": mesh.triangle_materials(),
    }


def bake(fm, vertices: np.ndarray, triangles: np.ndarray, up: str, forward: str):
    """(deltas (53,V,3), skin (V,K)) from the shipped network."""
    deltas, skin = bake_methods(fm, vertices, triangles, up, forward, ("network",))
    return deltas["network"], skin


def bake_methods(
    fm, vertices: np.ndarray, triangles: np.ndarray, up: str, forward: str, methods, materials=None
):
    """({method: deltas (53,V,3)}, skin (V,K)) for the bake methods of :meth:`FaceModel.bake`
    from one prepared mesh (the registration runs once; the classical methods use the shipped
    ICT template)."""
    prep = fm.prepare(vertices, triangles, up=up, forward=forward, materials=materials)
    skin = fm.predict_skin_weights(prep)
    return {m: fm.bake(prep, skin, method=m) for m in methods}, skin


ARTIST_AVATAR = "rocketbox_Female_Adult_02_ARKit.fbx"


def artist_avatar(realdev: pathlib.Path) -> tuple[dict, np.ndarray, dict]:
    """The avatar with the artist's 52 ARKit shape keys: (:func:`load_mesh`'s data, its head's
    neutral (V, 3), {ARKit name (lower camel case): artist's deltas (V, 3) on the head}), the
    keys named ``AK_NN_<Name>``."""
    import re

    data = load_mesh(realdev / "meshes" / ARTIST_AVATAR)
    ids = data["head_ids"]
    neutral = data["vertices"][ids]
    artist = {}
    for key, pos in data["shape_keys"].items():
        m = re.match(r"AK_\d\d_(\w+)$", key)
        if m:
            artist[m.group(1)[0].lower() + m.group(1)[1:]] = pos[ids] - neutral
    return data, neutral, artist


MESH_SUFFIXES = (".fbx", ".obj")


def mesh_paths(realdev: pathlib.Path, match: str = "") -> list[pathlib.Path]:
    """The real-dev mesh files (FBX / OBJ, sorted by name) whose name contains ``match``; the
    folder also holds the README and the capture, which no benchmark bakes."""
    return [
        p
        for p in sorted((realdev / "meshes").iterdir())
        if match in p.name and p.suffix.lower() in MESH_SUFFIXES
    ]


def head_items(realdev: pathlib.Path, match: str, demo: bool) -> list[tuple]:
    """``(name, head vertices (V, 3), triangles, up, forward, materials or None)`` of the
    real-dev meshes whose file name contains ``match``, after the demo head when ``demo``."""
    items = []
    if demo:
        from model.mesh_io import read_mesh

        mesh = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
        items.append(("demo_head.obj", mesh.vertices, mesh.triangles(), "Y", "Z", None))
    for path in mesh_paths(realdev, match):
        data = load_mesh(path)
        v = data["vertices"][data["head_ids"]]
        up, forward = data["up"], data["forward"]
        items.append((path.name, v, data["head_triangles"], up, forward, data.get("head_materials")))
    return items
