"""Clone from an animated mesh onto the sliders; bake for export; FBX/glTF round trips."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import baked_and_animated, ict_face, make_face, vertices

from blender_addon.core import animation, export, shape_keys, sliders
from model.facs import ICT_NAMES


def _animated_source(name="Src"):
    """A face whose 'open' shape key (lower half pulled down) is keyed 0 at frame 1 -> 1 at frame 10."""
    src = make_face(name, segments=24, rings=12, location=(0.5, 0.0, 0.0))
    src.shape_key_add(name="Basis")
    kb = src.shape_key_add(name="open", from_mix=False)
    co = vertices(src)
    co[:, 2] -= 0.02 * (co[:, 2] < 0) * (co[:, 1] < 0)
    kb.data.foreach_set("co", co.ravel())
    kb.value = 0.0
    kb.keyframe_insert("value", frame=1)
    kb.value = 1.0
    kb.keyframe_insert("value", frame=10)
    return src


def _slider_curve(obj, name):
    fc = animation.find_fcurve(obj, sliders.slider_path(name))
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def test_clone_keys_sliders_over_the_range(loaded):
    src = _animated_source()
    tgt = make_face("Tgt")
    bpy.context.view_layer.objects.active = tgt
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 10
    scene.frame_set(4)
    s = scene.nfs_settings
    s.clone_source, s.rest_frame = src, 1
    assert bpy.ops.face_skinning.clone_from_mesh() == {"FINISHED"}
    assert scene.frame_current == 4  # restored
    for name in ("jawOpen", "eyeBlink_L", "mouthSmile_R"):
        c = _slider_curve(tgt, name)
        np.testing.assert_array_equal(c[:, 0], np.arange(1, 11))
        assert np.all((c[:, 1] >= 0) & (c[:, 1] <= 1))
    # frames differ, so the codes must differ somewhere; the rest frame is the neutral
    allc = np.stack([_slider_curve(tgt, n)[:, 1] for n in ICT_NAMES], 1)
    assert np.abs(allc[-1] - allc[0]).max() > 0
    # re-run over a sub-range replaces only those keys
    s.use_scene_range, s.frame_start, s.frame_end = False, 3, 5
    assert bpy.ops.face_skinning.clone_from_mesh() == {"FINISHED"}
    np.testing.assert_array_equal(_slider_curve(tgt, "jawOpen")[:, 0], np.arange(1, 11))
    # the source keeps its own animation and gets nothing of ours
    assert animation.find_fcurve(src.data.shape_keys, 'key_blocks["open"].value') is not None
    assert animation.find_fcurve(src, sliders.slider_path("jawOpen")) is None


def test_clone_matches_direct_encode(loaded, monkeypatch):
    """The operator's keys equal FaceModel.encode on the world-space frames (no hidden transform);
    chunked sampling (5 frames at a time here) changes nothing."""
    from blender_addon.core import clone, model_cache

    monkeypatch.setattr(clone, "_CHUNK", 5)

    src = _animated_source()
    tgt = make_face("Tgt")
    bpy.context.view_layer.objects.active = tgt
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 10
    scene.nfs_settings.clone_source = src
    assert bpy.ops.face_skinning.clone_from_mesh() == {"FINISHED"}
    fm = model_cache.get()
    key = src.data.shape_keys
    basis = vertices(src).astype(np.float64)
    delta = shape_keys.read_key_deltas(src, ["open"])[0].astype(np.float64)
    values = []
    for f in range(1, 11):
        scene.frame_set(f)
        values.append(key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks["open"].value)
    assert values[0] == 0 and values[-1] == pytest.approx(1.0)
    mw = np.array(src.matrix_world)
    frames = np.stack([basis + v * delta for v in values]) @ mw[:3, :3].T + mw[:3, 3]
    me = src.data
    me.calc_loop_triangles()
    tris = np.empty(len(me.loop_triangles) * 3, np.int32)
    me.loop_triangles.foreach_get("vertices", tris)
    neutral = fm.prepare(frames[0], tris.reshape(-1, 3), up="Z", forward="-Y")
    expect = np.clip(fm.encode(neutral, frames), 0, 1)
    got = np.stack([_slider_curve(tgt, n)[:, 1] for n in ICT_NAMES], 1)
    # Blender mixes shape keys in float32; the random encoder amplifies that rounding slightly
    np.testing.assert_allclose(got, expect, atol=1e-3)
    # the panel's Encoder choice reaches FaceModel.encode
    scene.nfs_settings.clone_method = "LEARNED"
    assert bpy.ops.face_skinning.clone_from_mesh() == {"FINISHED"}
    learned = np.stack([_slider_curve(tgt, n)[:, 1] for n in ICT_NAMES], 1)
    np.testing.assert_allclose(
        learned, np.clip(fm.encode(neutral, frames, method="learned"), 0, 1), atol=1e-3
    )


def test_bake_for_export_matches_the_drivers(loaded):
    obj = baked_and_animated()
    key = obj.data.shape_keys
    mine = obj.shape_key_add(name="MyKey", from_mix=False)  # the artist's key, animated by hand
    mine.value = 0.2
    mine.keyframe_insert("value", frame=2)
    mine.value = 0.9
    mine.keyframe_insert("value", frame=30)
    assert bpy.ops.face_skinning.bake_for_export() == {"FINISHED"}
    my_fc = animation.find_fcurve(key, shape_keys.key_data_path("MyKey"))
    my_keys = [tuple(k.co) for k in my_fc.keyframe_points]
    assert my_keys == [(2.0, pytest.approx(0.2)), (30.0, pytest.approx(0.9))]
    fc = animation.find_fcurve(key, shape_keys.key_data_path("jawOpen"))
    co = np.empty(len(fc.keyframe_points) * 2)
    fc.keyframe_points.foreach_get("co", co)
    co = co.reshape(-1, 2)
    np.testing.assert_array_equal(co[:, 0], np.arange(1, 10))
    np.testing.assert_allclose(co[:, 1], np.interp(np.arange(1, 10), [1, 5, 9], [0, 1, 0]), atol=1e-5)
    for frame in (3, 5, 7):
        bpy.context.scene.frame_set(frame)
        ev = key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks
        assert ev["jawOpen"].value == pytest.approx(fc.evaluate(frame), abs=1e-5)
    assert export.owned_naming(obj) == ("ICT", "")


def _shape_key_animation(obj) -> tuple[int, int]:
    key = obj.data.shape_keys
    fcurves = animation.fcurve_collection(key, create=False) if key else None
    animated = 0 if fcurves is None else sum(1 for fc in fcurves if len(fc.keyframe_points) > 1)
    return (len(key.key_blocks) if key else 0), animated


@pytest.mark.parametrize(("fmt", "suffix"), [("FBX", ".fbx"), ("GLB", ".glb")])
def test_export_then_reimport_has_53_animated_shape_keys(loaded, tmp_path, fmt, suffix):
    obj = baked_and_animated()
    bpy.ops.object.empty_add()  # another object in the scene must not be exported
    bpy.context.view_layer.objects.active = obj
    path = tmp_path / f"head{suffix}"
    assert bpy.ops.face_skinning.export(filepath=str(path), export_format=fmt) == {"FINISHED"}
    assert path.is_file()
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    if fmt == "FBX":
        bpy.ops.import_scene.fbx(filepath=str(path))
    else:
        bpy.ops.import_scene.gltf(filepath=str(path))
    meshes = [o for o in bpy.data.objects if o.type == "MESH"]
    assert len(meshes) == 1
    assert len([o for o in bpy.data.objects if o.type == "EMPTY"]) == 0
    n_keys, n_animated = _shape_key_animation(meshes[0])
    names = [kb.name for kb in meshes[0].data.shape_keys.key_blocks]
    assert n_keys == 54 and set(ICT_NAMES) <= set(names)
    assert n_animated == 53
    key = meshes[0].data.shape_keys
    scene = bpy.context.scene
    got = []
    for frame in range(0, 12):
        scene.frame_set(frame)
        got.append(key.evaluated_get(bpy.context.evaluated_depsgraph_get()).key_blocks["jawOpen"].value)
    # FBX import offsets animation by its 'anim_offset' (1 frame by default): allow a whole-frame shift
    want = np.interp(np.arange(-1, 13), [1, 5, 9], [0, 1, 0])
    errors = [np.abs(np.array(got) - want[1 + s : 13 + s]).max() for s in (-1, 0, 1)]
    assert min(errors) < 1e-3, (got, errors)


@pytest.mark.ict
def test_clone_between_ict_faces(loaded, ict_dir):
    from model.ict import load_ict

    src = ict_face(ict_dir)
    ict = load_ict(ict_dir)
    n = len(src.data.vertices)
    src.shape_key_add(name="Basis")
    kb = src.shape_key_add(name="jaw", from_mix=False)
    d = np.asarray(ict.expressions[ICT_NAMES.index("jawOpen"), :n], dtype=np.float64) * 0.01
    co = vertices(src) + np.stack([d[:, 0], -d[:, 2], d[:, 1]], 1)
    kb.data.foreach_set("co", co.ravel())
    kb.value = 0.0
    kb.keyframe_insert("value", frame=1)
    kb.value = 1.0
    kb.keyframe_insert("value", frame=3)
    tgt = make_face("Tgt")
    bpy.context.view_layer.objects.active = tgt
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 3
    scene.nfs_settings.clone_source = src
    assert bpy.ops.face_skinning.clone_from_mesh() == {"FINISHED"}
    assert len(_slider_curve(tgt, "jawOpen")) == 3


def test_clone_refuses_a_source_whose_topology_changes(loaded):
    src = _animated_source()
    build = src.modifiers.new("Build", "BUILD")  # adds faces (and their vertices) over time
    build.frame_start, build.frame_duration = 1, 8
    tgt = make_face("Tgt")
    bpy.context.view_layer.objects.active = tgt
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 10
    scene.nfs_settings.clone_source = src
    scene.nfs_settings.rest_frame = 6  # half built: has faces
    with pytest.raises(RuntimeError, match="topology must not change"):
        bpy.ops.face_skinning.clone_from_mesh()
    assert animation.find_fcurve(tgt, sliders.slider_path("jawOpen")) is None


@pytest.mark.ict
def test_ict_face_full_pipeline(loaded, ict_dir, tmp_path):
    """ICT-derived face: predict, bake, import a capture, bake for export, FBX round trip."""
    from model.demo_capture import write_demo_capture

    obj = ict_face(ict_dir)
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    csv = tmp_path / "take.csv"
    write_demo_capture(csv, seconds=0.5, fps=30.0)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(csv)) == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_for_export() == {"FINISHED"}
    fbx = tmp_path / "ict.fbx"
    assert bpy.ops.face_skinning.export(filepath=str(fbx), export_format="FBX") == {"FINISHED"}
    n_vertices = len(obj.data.vertices)
    bpy.data.objects.remove(obj)
    bpy.ops.import_scene.fbx(filepath=str(fbx))
    mesh = next(o for o in bpy.data.objects if o.type == "MESH")
    assert len(mesh.data.vertices) == n_vertices
    assert _shape_key_animation(mesh) == (54, 53)
