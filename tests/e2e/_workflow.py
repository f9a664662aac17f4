"""Run by tests/e2e/test_addon_e2e.py in a fresh Python with bpy: install the built zip the way
Blender does and drive the add-on only through its operator ids. Writes facts to a JSON file;
the test asserts on them (so a failure shows every number, not just the first wrong one).

    python tests/e2e/_workflow.py extension ZIP HEAD_OBJ OUT_DIR RESULT_JSON
    python tests/e2e/_workflow.py legacy ZIP RESULT_JSON

The environment (set by the test) points BLENDER_USER_RESOURCES, HOME and NFS_CACHE_DIR at temp
folders, so nothing touches the user's Blender or caches.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pathlib
import sys
import time
import traceback

import numpy as np

EXT_MODULE = "bl_ext.user_default.neural_face_skinning"
LEGACY_MODULE = "neural_face_skinning"
OUR_PROPS = {"Object": "nfs_facs", "Scene": "nfs_settings"}


def registered_state() -> dict:
    """What the add-on registers, as seen from bpy: our classes and our RNA properties."""
    import bpy

    classes = sorted(n for n in dir(bpy.types) if n.startswith(("FACE_SKINNING", "NFS_", "VIEW3D_PT_face")))
    props = sorted(f"{t}.{p}" for t, p in OUR_PROPS.items() if hasattr(getattr(bpy.types, t), p))
    ops = sorted(n for n in dir(bpy.ops.face_skinning) if not n.startswith("_"))
    live_ops = []
    for n in ops:
        try:
            getattr(bpy.ops.face_skinning, n).get_rna_type()
            live_ops.append(n)
        except KeyError:
            pass
    return {"classes": classes, "props": props, "ops": live_ops}


def op(name: str, **kwargs) -> str:
    import bpy

    result = getattr(bpy.ops.face_skinning, name)(**kwargs)
    return ",".join(sorted(result))


def evaluated_vertices(obj) -> np.ndarray:
    import bpy

    # Python property writes do not tag the object for the drivers that read it (the UI does);
    # scripts tag it, as here.
    obj.update_tag()
    bpy.context.view_layer.update()
    ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    me = ev.data
    co = np.empty(len(me.vertices) * 3, dtype=np.float32)
    me.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def key_co(obj, name: str) -> np.ndarray:
    kb = obj.data.shape_keys.key_blocks[name]
    co = np.empty(len(kb.data) * 3, dtype=np.float32)
    kb.data.foreach_get("co", co)
    return co.reshape(-1, 3)


def world_extent(obj) -> list[float]:
    """World-space bounding-box size (3,) of the undeformed mesh: axes and units after a round trip."""
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float64)
    obj.data.vertices.foreach_get("co", co)
    m = np.array(obj.matrix_world, dtype=np.float64)
    world = co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]
    return (world.max(axis=0) - world.min(axis=0)).tolist()


def gltf_morph_facts(path: pathlib.Path) -> dict:
    """From a .gltf JSON: the key names in each morph mesh's extras, and which morph-target
    attributes were written (NORMAL when morph normals are on)."""
    gltf = json.loads(path.read_text())
    meshes = [m for m in gltf["meshes"] if m["primitives"][0].get("targets")]
    return {
        "meshes": len(meshes),
        "target_names": [m.get("extras", {}).get("targetNames") for m in meshes],
        "target_attributes": sorted({a for m in meshes for t in m["primitives"][0]["targets"] for a in t}),
    }


def imported_morph_values(path: pathlib.Path, importer: str, frames: list[int]) -> dict:
    """Import ``path`` into an empty file; the shape-key names and per-frame values of the mesh
    with the most shape keys."""
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0  # as exported; the empty file is at 24 fps
    if importer == "gltf":
        bpy.ops.import_scene.gltf(filepath=str(path))
    else:
        # FBX keys are at absolute times; the importer's default shifts them one frame later
        bpy.ops.import_scene.fbx(filepath=str(path), anim_offset=0.0)
    meshes = [o for o in bpy.data.objects if o.type == "MESH" and o.data.shape_keys is not None]
    if not meshes:
        return {"names": [], "values": [], "animated": False}
    obj = max(meshes, key=lambda o: len(o.data.shape_keys.key_blocks))
    key = obj.data.shape_keys
    names = [kb.name for kb in key.key_blocks[1:]]
    animated = key.animation_data is not None and key.animation_data.action is not None
    values = []
    for f in frames:
        scene.frame_set(f)
        values.append([kb.value for kb in key.key_blocks[1:]])
    return {
        "names": names,
        "values": values,
        "animated": animated,
        "vertices": len(obj.data.vertices),
        "frame_range": [scene.frame_start, scene.frame_end],
        "world_extent": world_extent(obj),
    }


def extension_workflow(facts: dict, zip_path: str, head: str, out_dir: str) -> None:
    import bpy  # noqa: I001  (bpy first: it puts Blender's addon_utils on sys.path)
    import addon_utils

    facts["timings"] = {}
    t0 = time.perf_counter()

    def lap(name: str) -> None:
        facts["timings"][name] = round(time.perf_counter() - t0, 2)

    out = pathlib.Path(out_dir)
    bpy.ops.wm.read_homefile(use_empty=True)
    facts["before_install"] = registered_state()
    facts["install"] = ",".join(
        sorted(
            bpy.ops.extensions.package_install_files(
                filepath=zip_path, repo="user_default", enable_on_install=True
            )
        )
    )
    facts["enabled_modules"] = [a.module for a in bpy.context.preferences.addons]
    addon = importlib.import_module(EXT_MODULE)
    facts["addon_file"] = addon.__file__
    facts["after_install"] = registered_state()
    lap("install")

    # the model package must be the vendored copy inside the installed extension
    vendored = importlib.import_module(EXT_MODULE + ".model")
    facts["model_file"] = vendored.__file__
    demo_capture = importlib.import_module(EXT_MODULE + ".model.demo_capture")
    facs = importlib.import_module(EXT_MODULE + ".model.facs")

    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    bpy.ops.wm.obj_import(filepath=head)
    meshes = sorted((o for o in scene.objects if o.type == "MESH"), key=lambda o: -len(o.data.vertices))
    face = meshes[0]
    for o in scene.objects:
        o.select_set(o is face)
    bpy.context.view_layer.objects.active = face
    facts["vertices"] = len(face.data.vertices)

    facts["load_model"] = op("load_model")
    model_cache = importlib.import_module(EXT_MODULE + ".core.model_cache")
    facts["model_status"] = {k: str(v) for k, v in model_cache.status().items()}
    lap("load_model")

    facts["predict_weights"] = op("predict_weights")
    vertex_groups = importlib.import_module(EXT_MODULE + ".core.vertex_groups")
    groups = vertex_groups.owned_groups(face)
    facts["fs_groups"] = groups
    w = vertex_groups.read_groups(face, groups)
    facts["weight_row_sums"] = [float(w.sum(axis=1).min()), float(w.sum(axis=1).max())]
    facts["regions"] = list(model_cache.get().region_names)
    lap("predict_weights")

    facts["bake_shape_keys"] = op("bake_shape_keys")
    key = face.data.shape_keys
    facts["shape_keys"] = [kb.name for kb in key.key_blocks] if key else []
    lap("bake_shape_keys")

    # sliders drive the keys: set two, mirror them with the operator, compare the evaluated mesh
    basis = key_co(face, key.reference_key.name)
    face.nfs_facs.jawOpen = 0.7
    face.nfs_facs.mouthSmile_L = 0.4
    facts["mirror_sliders"] = op("mirror_sliders")
    facts["after_mirror"] = {
        n: float(getattr(face.nfs_facs, n)) for n in ("jawOpen", "mouthSmile_L", "mouthSmile_R")
    }
    expected = basis + 0.7 * (key_co(face, "jawOpen") - basis) + 0.4 * (key_co(face, "mouthSmile_R") - basis)
    got = evaluated_vertices(face)
    facts["slider_error"] = float(np.abs(got - expected).max())
    facts["slider_motion"] = float(np.abs(expected - basis).max())
    facts["reset_sliders"] = op("reset_sliders")
    facts["after_reset_error"] = float(np.abs(evaluated_vertices(face) - basis).max())
    lap("sliders")

    csv_path = out / "capture.csv"
    arkit = demo_capture.write_demo_capture(csv_path, seconds=2.0, fps=30.0)
    facts["import_arkit"] = op("import_arkit", filepath=str(csv_path))
    facts["scene_range"] = [scene.frame_start, scene.frame_end]
    lap("import_arkit")

    glb, fbx = out / "face.glb", out / "face.fbx"
    facts["export_glb"] = op("export", filepath=str(glb), export_format="GLB")
    facts["export_fbx"] = op("export", filepath=str(fbx), export_format="FBX")
    facts["glb_bytes"] = glb.stat().st_size if glb.is_file() else 0
    facts["fbx_bytes"] = fbx.stat().st_size if fbx.is_file() else 0
    facts["world_extent"] = world_extent(face)
    # the engine presets, each format; .gltf (not .glb) so the JSON can be read as written
    preset_files = {}
    facts["presets"] = {}
    for preset in ("DEFAULT", "UNITY", "UNREAL"):
        for fmt, suffix in (("FBX", ".fbx"), ("GLTF", ".gltf")):
            path = out / f"face_{preset.lower()}{suffix}"
            preset_files[preset, fmt] = path
            facts["presets"][f"{preset}/{fmt}"] = {
                "export": op("export", filepath=str(path), export_format=fmt, preset=preset),
                "bytes": path.stat().st_size if path.is_file() else 0,
            }
    lap("export")

    # expected morph weights per capture frame: the ICT sliders the capture maps to
    facts["expected_ict"] = facs.arkit_to_ict_weights(arkit).tolist()
    facts["ict_names"] = list(facs.ICT_NAMES)
    sample = [0, 7, 15, 22, 30, 45, 59]
    facts["sample_capture_frames"] = sample
    start = facts["scene_range"][0]
    facts["glb"] = imported_morph_values(glb, "gltf", [start + i for i in sample])
    facts["fbx"] = imported_morph_values(fbx, "fbx", [start + i for i in sample])
    for (preset, fmt), path in preset_files.items():
        entry = facts["presets"][f"{preset}/{fmt}"]
        if fmt == "GLTF":
            entry["json"] = gltf_morph_facts(path)
        entry["imported"] = imported_morph_values(
            path, "gltf" if fmt == "GLTF" else "fbx", [start + i for i in sample]
        )
    lap("reimport")

    # disable, re-enable: nothing stale, everything back
    addon_utils.disable(EXT_MODULE, default_set=True)
    facts["after_disable"] = registered_state()
    addon_utils.enable(EXT_MODULE, default_set=True)
    facts["after_reenable"] = registered_state()
    lap("disable_enable")


def legacy_workflow(facts: dict, zip_path: str) -> None:
    import bpy  # noqa: I001  (bpy first: it puts Blender's addon_utils on sys.path)
    import addon_utils

    bpy.ops.wm.read_homefile(use_empty=True)
    facts["install"] = ",".join(sorted(bpy.ops.preferences.addon_install(filepath=zip_path)))
    facts["addon_paths"] = [str(p) for p in addon_utils.paths()]
    mod = addon_utils.enable(LEGACY_MODULE, default_set=True)
    facts["enabled"] = mod is not None
    facts["addon_file"] = getattr(mod, "__file__", None)
    facts["after_enable"] = registered_state()
    facts["load_model"] = op("load_model")
    model_cache = importlib.import_module(LEGACY_MODULE + ".core.model_cache")
    facts["model_status"] = {k: str(v) for k, v in model_cache.status().items()}
    addon_utils.disable(LEGACY_MODULE, default_set=True)
    facts["after_disable"] = registered_state()


def main(argv: list[str]) -> int:
    mode, zip_path = argv[0], argv[1]
    result_path = pathlib.Path(argv[-1])
    facts: dict = {"ok": False, "bpy_origin": importlib.util.find_spec("bpy").origin}
    try:
        if mode == "extension":
            extension_workflow(facts, zip_path, argv[2], argv[3])
        else:
            legacy_workflow(facts, zip_path)
        facts["ok"] = True
    except Exception:  # recorded, with the facts gathered so far, for the test's failure message
        facts["error"] = traceback.format_exc()
    result_path.write_text(json.dumps(facts, indent=1))
    sys.stdout.flush()
    sys.stderr.flush()
    # bpy-as-a-module can hang in its exit handlers after the glTF/FBX add-ons ran (seen with
    # bpy 4.5): the facts are written, so leave without them.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
