"""The Blender half of ``python -m demo`` (run as ``python -m demo.scene``).

Registers the add-on from the checkout, imports the demo head, drives the add-on only through
its operators (load model -> predict weights -> bake shape keys -> import the ARKit capture ->
export glTF) and writes ``demo.blend``, ``demo.glb`` and ``contact_sheet.png`` (Workbench,
headless): the neutral head, the predicted skinning regions in colour, and a grid of labelled
FACS shapes. Development-only: not part of the packaged add-on.
"""

from __future__ import annotations

import argparse
import colorsys
import math
import os
import pathlib
import sys
import time

import numpy as np

ADDON_MODULE = "blender_addon"

# (label, {ICT shape: weight}) of the contact sheet's expression panels, symmetric units paired.
SHEET_SHAPES: tuple[tuple[str, dict[str, float]], ...] = (
    ("jawOpen", {"jawOpen": 1.0}),
    ("mouthSmile", {"mouthSmile_L": 1.0, "mouthSmile_R": 1.0}),
    ("mouthPucker", {"mouthPucker": 1.0}),
    ("mouthFunnel", {"mouthFunnel": 1.0}),
    ("mouthFrown", {"mouthFrown_L": 1.0, "mouthFrown_R": 1.0}),
    ("mouthStretch", {"mouthStretch_L": 1.0, "mouthStretch_R": 1.0}),
    ("mouthLeft", {"mouthLeft": 1.0}),
    ("mouthRollLower", {"mouthRollLower": 1.0}),
    ("eyeBlink", {"eyeBlink_L": 1.0, "eyeBlink_R": 1.0}),
    ("eyeWide", {"eyeWide_L": 1.0, "eyeWide_R": 1.0}),
    ("browInnerUp", {"browInnerUp_L": 1.0, "browInnerUp_R": 1.0}),
    ("browDown", {"browDown_L": 1.0, "browDown_R": 1.0}),
    ("browOuterUp_L", {"browOuterUp_L": 1.0}),
    ("cheekPuff", {"cheekPuff_L": 1.0, "cheekPuff_R": 1.0}),
    ("noseSneer", {"noseSneer_L": 1.0, "noseSneer_R": 1.0}),
    ("jawLeft", {"jawLeft": 1.0}),
)
HERO_SHAPES: tuple[tuple[str, dict[str, float]], ...] = (
    ("smile", {"mouthSmile_L": 1.0, "mouthSmile_R": 1.0, "cheekSquint_L": 0.5, "cheekSquint_R": 0.5}),
    ("surprise", {"jawOpen": 0.6, "browInnerUp_L": 1.0, "browInnerUp_R": 1.0, "browOuterUp_L": 1.0,
                  "browOuterUp_R": 1.0, "eyeWide_L": 0.8, "eyeWide_R": 0.8}),
    ("pucker + blink", {"mouthPucker": 1.0, "eyeBlink_L": 1.0}),
)  # fmt: skip

SKIN = (0.80, 0.78, 0.76, 1.0)
EYE = (0.93, 0.93, 0.92, 1.0)
INK = (0.08, 0.08, 0.10, 1.0)
BACKGROUND = (0.33, 0.35, 0.39)


def _log(t0: float, what: str) -> None:
    print(f"[demo {time.perf_counter() - t0:6.1f} s] {what}", flush=True)


def atomic_path(path: pathlib.Path):
    """:func:`model.atomic_write.atomic_path`, from wherever ``model`` lives (checkout or zip)."""
    from blender_addon.core._model_import import submodule

    return submodule("atomic_write").atomic_path(path)


def _run_op(op, **kwargs) -> None:
    """Call an operator; anything but FINISHED is an error (its reports are already printed)."""
    result = op(**kwargs)
    if "FINISHED" not in result:
        raise RuntimeError(f"{op.idname_py()} returned {sorted(result)}")


def enable_addon(module: str = ADDON_MODULE) -> None:
    """Enable the add-on from the checkout (its folder must be importable, e.g. on PYTHONPATH)."""
    import addon_utils

    mod = addon_utils.enable(module, default_set=True, handle_error=None)
    if mod is None:
        raise RuntimeError(f"could not enable the add-on {module!r}: see the traceback above")


def import_head(path: pathlib.Path):
    """Import the OBJ; returns ``(face_object, other_mesh_objects)`` (face = most vertices)."""
    import bpy

    before = set(bpy.data.objects)
    _run_op(bpy.ops.wm.obj_import, filepath=str(path))
    meshes = [o for o in bpy.data.objects if o not in before and o.type == "MESH"]
    if not meshes:
        raise RuntimeError(f"{path} contains no mesh")
    meshes.sort(key=lambda o: len(o.data.vertices), reverse=True)
    for o in meshes:
        for p in o.data.polygons:
            p.use_smooth = True
    return meshes[0], meshes[1:]


def make_active(obj) -> None:
    import bpy

    for o in bpy.context.view_layer.objects:
        o.select_set(False)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj


# ---------------------------------------------------------------------------------------------
# contact sheet


def _key_lookup(obj) -> dict[str, str]:
    """ICT name -> shape-key name on ``obj`` (our baked keys, any prefix; ICT or ARKit naming)."""
    from blender_addon.core import shape_keys
    from blender_addon.core._model_import import facs

    owned = shape_keys.owned_keys(obj)
    out = {}
    for ict in facs.ICT_NAMES:
        for cand in (ict, facs.ict_to_arkit_name(ict)):
            hits = [k for k in owned if k.endswith(cand)]
            if hits:
                out[ict] = min(hits, key=len)
                break
    return out


def posed_vertices(obj, weights: dict[str, float]) -> np.ndarray:
    """``(V, 3)`` local coordinates of the basis plus the weighted baked keys (drivers bypassed,
    so the sheet shows the keys themselves whatever the sliders or their animation say)."""
    keys = obj.data.shape_keys
    n = len(obj.data.vertices)
    base = np.empty(n * 3, dtype=np.float32)
    keys.reference_key.data.foreach_get("co", base)
    out = base.astype(np.float64)
    lookup = _key_lookup(obj)
    co = np.empty(n * 3, dtype=np.float32)
    for name, w in weights.items():
        if name not in lookup:
            raise RuntimeError(f"no baked shape key for {name}: bake the shape keys first")
        keys.key_blocks[lookup[name]].data.foreach_get("co", co)
        out += w * (co - base)
    return out.reshape(n, 3)


def region_colours(obj) -> np.ndarray:
    """``(V, 4)`` RGBA: the ``FS_`` skinning weights mixing one saturated colour per region, so
    crisp regions show flat colours and blended boundaries show gradients."""
    from blender_addon.core import vertex_groups

    names = sorted(vertex_groups.owned_groups(obj))
    if not names:
        raise RuntimeError("no FS_ vertex groups: predict the skinning weights first")
    w = vertex_groups.read_groups(obj, names)
    # hues stepped by a stride coprime with the count, so regions with neighbouring indices
    # (often neighbours on the face too) get far-apart hues; two brightness levels alternate
    k = len(names)
    stride = next(s for s in (7, 5, 3, 1) if np.gcd(s, k) == 1)
    hues = (np.arange(k) * stride % k) / k
    values = np.where(np.arange(k) % 2 == 0, 0.95, 0.72)
    palette = np.array([colorsys.hsv_to_rgb(h, 0.7, v) for h, v in zip(hues, values, strict=True)])
    total = w.sum(axis=1, keepdims=True)
    rgb = np.where(total > 1e-6, (w @ palette) / np.maximum(total, 1e-6), np.array(SKIN[:3]))
    return np.concatenate([np.clip(rgb, 0, 1), np.ones((len(rgb), 1))], axis=1)


def _mesh_arrays(obj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(loop_start (P,), loop_total (P,), loop_vertex (L,))`` int arrays of ``obj``'s polygons."""
    me = obj.data
    P, L = len(me.polygons), len(me.loops)
    start, total, lv = np.empty(P, np.int32), np.empty(P, np.int32), np.empty(L, np.int32)
    me.polygons.foreach_get("loop_start", start)
    me.polygons.foreach_get("loop_total", total)
    me.loops.foreach_get("vertex_index", lv)
    return start, total, lv


def _world(obj, local: np.ndarray) -> np.ndarray:
    m = np.array(obj.matrix_world)
    return local @ m[:3, :3].T + m[:3, 3]


def _local_vertices(obj) -> np.ndarray:
    n = len(obj.data.vertices)
    co = np.empty(n * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(n, 3).astype(np.float64)


def _static_copy(scene, src, name: str, vertices: np.ndarray | None, colours, min_z: float):
    """A new mesh object in ``scene``: ``src`` cut by the horizontal plane at world height
    ``min_z`` (the sheet shows faces, not shoulders), at ``vertices`` (local ``(V, 3)``; None:
    the rest positions), coloured by ``colours`` (``(V, 4)`` RGBA or one RGBA). Built with
    ``foreach_set`` on flat arrays (no shape keys or groups), then cut cleanly with bmesh."""
    import bmesh
    import bpy
    from mathutils import Vector

    local = _local_vertices(src) if vertices is None else np.asarray(vertices, dtype=np.float64)
    rest_world = _world(src, _local_vertices(src))
    # drop what is well below the cut first, so the bisect only works on a band of faces
    margin = 0.05 * (rest_world[:, 2].max() - rest_world[:, 2].min())
    keep_v = rest_world[:, 2] >= min_z - margin
    start, total, lv = _mesh_arrays(src)
    poly_of_loop = np.repeat(np.arange(len(start)), total)
    keep_p = np.ones(len(start), dtype=bool)
    np.logical_and.at(keep_p, poly_of_loop, keep_v[lv])
    keep_l = keep_p[poly_of_loop]
    used = np.zeros(len(local), dtype=bool)
    used[lv[keep_l]] = True
    remap = np.cumsum(used) - 1
    me = bpy.data.meshes.new(name)
    me.vertices.add(int(used.sum()))
    me.vertices.foreach_set("co", np.ascontiguousarray(local[used], dtype=np.float32).ravel())
    new_lv = remap[lv[keep_l]].astype(np.int32)
    new_total = total[keep_p].astype(np.int32)
    me.loops.add(len(new_lv))
    me.loops.foreach_set("vertex_index", new_lv)
    me.polygons.add(len(new_total))
    me.polygons.foreach_set("loop_start", (np.cumsum(new_total) - new_total).astype(np.int32))
    me.polygons.foreach_set("use_smooth", np.ones(len(new_total), dtype=bool))
    me.update(calc_edges=True)
    cols = np.broadcast_to(np.asarray(colours, dtype=np.float32), (len(local), 4))[used]
    attr = me.color_attributes.new("sheet", "FLOAT_COLOR", "POINT")
    attr.data.foreach_set("color", np.ascontiguousarray(cols).ravel())
    me.color_attributes.active_color = attr
    inverse = src.matrix_world.inverted()
    plane_co = inverse @ Vector((0.0, 0.0, min_z))
    plane_no = (inverse.to_3x3().transposed().inverted() @ Vector((0.0, 0.0, 1.0))).normalized()
    bm = bmesh.new()
    bm.from_mesh(me)
    geom = bm.verts[:] + bm.edges[:] + bm.faces[:]
    bmesh.ops.bisect_plane(bm, geom=geom, plane_co=plane_co, plane_no=plane_no, clear_inner=True)
    bm.to_mesh(me)
    bm.free()
    obj = bpy.data.objects.new(name, me)
    obj.matrix_world = src.matrix_world.copy()
    scene.collection.objects.link(obj)
    return obj


def _label(scene, text: str, location, size: float):
    """A text label as a mesh (so it takes a colour attribute like everything else)."""
    import bpy

    curve = bpy.data.curves.new(f"label_{text}", "FONT")
    curve.body = text
    curve.align_x = "CENTER"
    curve.size = size
    tmp = bpy.data.objects.new("tmp_label", curve)
    scene.collection.objects.link(tmp)
    tmp.rotation_euler = (math.pi / 2, 0, 0)  # stand the text up, facing -Y like the head
    tmp.location = location
    view_layer = scene.view_layers[0]
    view_layer.update()  # the label lives in the sheet scene, so evaluate that scene's depsgraph
    me = bpy.data.meshes.new_from_object(tmp.evaluated_get(view_layer.depsgraph))
    obj = bpy.data.objects.new(f"label_{text}", me)
    obj.matrix_world = tmp.matrix_world.copy()
    scene.collection.objects.link(obj)
    bpy.data.objects.remove(tmp)
    bpy.data.curves.remove(curve)
    attr = me.color_attributes.new("sheet", "FLOAT_COLOR", "POINT")
    attr.data.foreach_set("color", np.tile(np.asarray(INK, np.float32), len(me.vertices)))
    me.color_attributes.active_color = attr
    return obj


def _face_box(obj) -> tuple[np.ndarray, np.ndarray]:
    """World-space ``(lo, hi)`` of the face part of ``obj`` (top of the head to below the chin)."""
    world = _world(obj, _local_vertices(obj))
    lo, hi = world.min(axis=0), world.max(axis=0)
    height = hi[2] - lo[2]
    # the demo head goes down to the shoulders: keep the top ~74%, the face and a bit of neck
    lo = lo.copy()
    lo[2] = hi[2] - 0.74 * height
    return lo, hi


def render_sheet(
    face,
    extras,
    panels: list[tuple[str, object]],
    path: pathlib.Path,
    columns: int,
    cell_px: int = 300,
    yaw_deg: float = 18.0,
    compression: int = 15,
) -> pathlib.Path:
    """Render ``panels`` (``(label, weights dict | "regions")``) of ``face`` in a grid to ``path``.

    Builds a separate scene (the artist's scene is untouched), one static copy of the face (and
    of ``extras``, e.g. eyeballs) per panel, a text label under each, an orthographic camera,
    and renders once with Workbench. ``compression``: PNG zlib effort 0-100 (lossless either
    way; 100 makes ~25% smaller files and costs seconds, worth it for committed images).
    """
    import bpy
    from mathutils import Matrix, Vector

    scene = bpy.data.scenes.new(f"sheet_{path.stem}")
    lo, hi = _face_box(face)
    size = hi - lo
    cell_w, cell_h = size[0] * 1.12, size[2] * 1.28
    rows = math.ceil(len(panels) / columns)
    centre = (lo + hi) / 2
    for i, (label, spec) in enumerate(panels):
        r, c = divmod(i, columns)
        offset = np.array([c * cell_w, 0.0, -r * cell_h])
        if spec == "regions":
            copy = _static_copy(scene, face, f"p{i}", None, region_colours(face), lo[2])
        else:
            posed = posed_vertices(face, spec) if spec else None
            copy = _static_copy(scene, face, f"p{i}", posed, SKIN, lo[2])
        parts = [copy] + [_static_copy(scene, e, f"p{i}_{e.name}", None, EYE, lo[2]) for e in extras]
        # turn each panel about its own vertical axis, then move it to its cell
        place = (
            Matrix.Translation(Vector(centre + offset))
            @ Matrix.Rotation(math.radians(yaw_deg), 4, "Z")
            @ Matrix.Translation(Vector(-centre))
        )
        for p, src in zip(parts, [face, *extras], strict=True):
            p.matrix_world = place @ src.matrix_world
        _label(scene, label, (centre[0] + offset[0], lo[1] - 5.0, lo[2] + offset[2] - 0.075 * cell_h),
               size=0.085 * cell_h)  # fmt: skip

    cam_data = bpy.data.cameras.new("sheet_cam")
    cam_data.type = "ORTHO"
    grid_w, grid_h = columns * cell_w, rows * cell_h
    cam_data.ortho_scale = max(grid_w, grid_h)
    cam = bpy.data.objects.new("sheet_cam", cam_data)
    scene.collection.objects.link(cam)
    cam.location = (centre[0] + (columns - 1) * cell_w / 2, lo[1] - 10 * size[1] - 100,
                    centre[2] - (rows - 1) * cell_h / 2 - 0.07 * cell_h)  # fmt: skip
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    cam_data.clip_end = 10 * (size[1] + 100) + 1000
    scene.camera = cam

    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = int(round(cell_px * columns))
    scene.render.resolution_y = int(round(cell_px * columns * grid_h / grid_w))
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.compression = compression
    scene.render.film_transparent = False
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.color_type = "VERTEX"
    shading.show_cavity = True
    shading.cavity_type = "BOTH"
    shading.show_specular_highlight = False
    scene.display.render_aa = "8"
    world = bpy.data.worlds.new("sheet_world")
    world.color = BACKGROUND
    scene.world = world
    scene.view_settings.view_transform = "Standard"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:  # an interrupted render never leaves a broken PNG
        scene.render.filepath = str(tmp)
        with bpy.context.temp_override(scene=scene):
            bpy.ops.render.render(write_still=True, scene=scene.name)
    return path


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.scene", description=__doc__.splitlines()[0])
    parser.add_argument("--head", required=True, help="face mesh OBJ")
    parser.add_argument("--capture", required=True, help="Live Link Face CSV")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--weights", default="", help="weights folder (default: the shipped weights)")
    parser.add_argument("--no-render", action="store_true", help="skip the contact sheet")
    parser.add_argument("--hero", default=None, help="also render a wide hero image to this PNG")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import bpy

    _log(t0, f"Blender {bpy.app.version_string} (bpy module)")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    enable_addon()
    scene = bpy.context.scene
    scene.render.fps = 30
    face, extras = import_head(pathlib.Path(args.head))
    make_active(face)
    _log(t0, f"imported {face.name}: {len(face.data.vertices)} vertices (+{len(extras)} other meshes)")

    ops = bpy.ops.face_skinning
    _run_op(ops.load_model, **({"filepath": args.weights} if args.weights else {}))
    _log(t0, "model loaded")
    _run_op(ops.predict_weights)
    _log(t0, "skinning weights predicted (FS_ vertex groups)")
    _run_op(ops.bake_shape_keys)
    _log(t0, f"shape keys baked: {len(face.data.shape_keys.key_blocks) - 1}")
    _run_op(ops.import_arkit, filepath=str(pathlib.Path(args.capture).resolve()))
    from blender_addon.core.export import slider_range

    keyed = slider_range(face)
    if keyed is not None:  # play exactly the capture in the saved .blend
        scene.frame_start, scene.frame_end = keyed
    _log(t0, f"ARKit capture imported: frames {scene.frame_start}-{scene.frame_end}")
    glb = out.resolve() / "demo.glb"
    with atomic_path(glb) as tmp:  # an interrupted export never leaves a broken file
        _run_op(ops.export, filepath=str(tmp), export_format="GLB")
    _log(t0, f"wrote {glb}")
    make_active(face)
    blend = out / "demo.blend"
    # Blender itself saves to "demo.blend@" and renames it, so this one is atomic already
    bpy.ops.wm.save_as_mainfile(filepath=str(blend.resolve()), check_existing=False)
    _log(t0, f"wrote {blend}")

    if not args.no_render:
        panels = [("neutral", {}), ("skinning regions", "regions"), *SHEET_SHAPES]
        sheet = render_sheet(face, extras, panels, out / "contact_sheet.png", columns=6)
        _log(t0, f"wrote {sheet}")
    if args.hero:
        panels = [("neutral", {}), ("skinning regions", "regions"), *HERO_SHAPES]
        hero = render_sheet(
            face,
            extras,
            panels,
            pathlib.Path(args.hero),
            columns=5,
            cell_px=400,
            yaw_deg=22.0,
            compression=100,
        )
        _log(t0, f"wrote {hero}")
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except RuntimeError as exc:  # an operator's error report: its message already names the fix
        message = str(exc).strip()
        print(f"error: {message.removeprefix('Error: ')}", file=sys.stderr)
        code = 1
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # bpy-as-a-module can hang in its exit handlers after the glTF exporter ran (bpy 4.5);
    # everything is written and flushed, so skip them.
    os._exit(code)
