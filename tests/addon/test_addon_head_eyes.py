"""Head and eye pose of ARKit captures: parsing (units, signs, NaN), keys through
``face_skinning.import_arkit`` on the demo head and eyeball objects or bones, and live frames."""

from __future__ import annotations

import math
import pathlib

import bpy
import numpy as np
import pytest
from mathutils import Matrix

from blender_addon.core import animation, capture_import, capture_pose, head_eyes
from blender_addon.core.errors import CaptureFormatError
from blender_addon.core.mesh_io import new_mesh_object
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared/real-dev next to the checkout (or next to the folder of worktrees)
REAL_TAKE = next(
    (p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared")
     if (p / "real-dev" / "captures" / "llf_alex_rom_4.csv").is_file()),
    ROOT.parent / "shared",
) / "real-dev" / "captures" / "llf_alex_rom_4.csv"  # fmt: skip
ROT_COLS = ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
            "RightEyeYaw", "RightEyePitch", "RightEyeRoll"]  # fmt: skip


def write_llf(path, rot: np.ndarray, fps: int = 30) -> pathlib.Path:
    """A Live Link Face CSV: JawOpen ramp + the nine rotation columns ``rot`` (T, 9) radians."""
    lines = [",".join(["Timecode", "BlendShapeCount", "JawOpen", *ROT_COLS])]
    for i, row in enumerate(rot):
        s, ff = divmod(i, fps)
        tc = f"10:00:{s:02d}:{ff:02d}.000"
        lines.append(",".join([tc, "61", f"{i / len(rot):.4f}", *(f"{v:.6f}" for v in row)]))
    path.write_text("\n".join(lines) + "\n")
    return path


def take(n: int = 31) -> np.ndarray:
    """(n, 9): head yaw ramps 0 -> 0.6 with pitch 0.2 and roll -0.1 in the second half; the left
    eye yaws +0.3, the right eye pitches +0.25 (look down)."""
    rot = np.zeros((n, 9))
    rot[:, 0] = np.linspace(0.0, 0.6, n)
    rot[n // 2 :, 1] = 0.2
    rot[n // 2 :, 2] = -0.1
    rot[:, 3] = 0.3
    rot[:, 7] = 0.25
    return rot


def demo_head():
    """The bundled demo head as one Blender object (metres, Z up, facing -Y), active."""
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v = m.vertices * 0.01
    obj = new_mesh_object(
        "Head", np.stack([v[:, 0], -v[:, 2], v[:, 1]], 1), m.face_indices, m.face_sizes, bpy.context.scene
    )
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def eyeball(name: str, x: float):
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.012, location=(x, -0.06, 0.04))
    eye = bpy.context.active_object
    eye.name = name
    return eye


@pytest.fixture
def scene(addon):
    """Demo head (active, with sliders) + two eyeball objects set as targets; 30 fps scene."""
    eye_l, eye_r = eyeball("EyeL", 0.032), eyeball("EyeR", -0.032)  # subject's left is +X
    head = demo_head()
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base, sc.frame_start = 30, 1.0, 1
    s = sc.nfs_settings
    s.capture_head, s.capture_eye_left, s.capture_eye_right = head, eye_l, eye_r
    return head, eye_l, eye_r


def world_rot(obj, frame: int) -> np.ndarray:
    bpy.context.scene.frame_set(frame)
    return np.array(obj.matrix_world.to_3x3())


def expected(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Independent of capture_pose: turn to the subject's right is about -Z, down about +X, the
    top toward the subject's right about -Y (forward)."""
    m = Matrix.Rotation(-yaw, 3, "Z") @ Matrix.Rotation(pitch, 3, "X") @ Matrix.Rotation(-roll, 3, "Y")
    return np.array(m)


def gaze(obj, frame: int) -> np.ndarray:
    return world_rot(obj, frame) @ np.array([0.0, -1.0, 0.0])


# ------------------------------------------------------------------------------- parsing


def test_live_link_rotations_are_read_in_radians(tmp_path):
    rot = take()
    cap = capture_import.read_capture(write_llf(tmp_path / "t.csv", rot))
    np.testing.assert_allclose(cap.head_rotation, rot[:, 0:3], atol=1e-6)
    np.testing.assert_allclose(cap.eye_left, rot[:, 3:6], atol=1e-6)
    np.testing.assert_allclose(cap.eye_right, rot[:, 6:9], atol=1e-6)
    assert cap.head_position is None  # Live Link Face has no head position
    frames = capture_import.pose_to_frames(cap, 60.0, 1)  # resampled like the weights
    assert frames["head_rotation"].shape == (61, 3)
    np.testing.assert_allclose(frames["head_rotation"][1, 0], 0.01, atol=1e-6)  # halfway 0 -> 0.02


def test_nan_in_a_head_column_is_refused_with_its_line(tmp_path):
    p = write_llf(tmp_path / "t.csv", take())
    lines = p.read_text().splitlines()
    fields = lines[5].split(",")
    fields[3 + ROT_COLS.index("HeadPitch")] = "nan"
    lines[5] = ",".join(fields)
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(CaptureFormatError, match=r"HeadPitch = nan at line 6.*Fix"):
        capture_import.read_capture(p)


def test_face_cap_pose_units_and_signs(tmp_path):
    lines = ["bs,jawOpen,eyeBlink_L"]
    for i in range(4):
        # head pos cm; head rot deg (x pitch, y yaw, z roll); eye rot deg left x,y right x,y
        transform = [1.0 * i, 2.0, -30.0, 10.0, 20.0 * i, 5.0, -8.0, 12.0, 4.0, 6.0]
        lines.append(",".join(["k", str(i * 100), *map(str, transform), "0.5", "0.1"]))
    p = tmp_path / "fc.txt"
    p.write_text("\n".join(lines) + "\n")
    cap = capture_import.read_capture(p)
    np.testing.assert_allclose(cap.head_position[:, 0], [0.0, 0.01, 0.02, 0.03])
    np.testing.assert_allclose(cap.head_position[0], [0.0, 0.02, -0.30])
    r = math.radians
    # right-handed turn about up (+y) turns the face to its own left: negative yaw in our convention
    np.testing.assert_allclose(cap.head_rotation[2], [-r(40.0), r(10.0), r(5.0)], atol=1e-9)
    np.testing.assert_allclose(cap.eye_left[0], [-r(12.0), r(-8.0), 0.0], atol=1e-9)
    np.testing.assert_allclose(cap.eye_right[0], [-r(6.0), r(4.0), 0.0], atol=1e-9)
    bad = p.read_text().replace("k,200,2.0", "k,200,inf")
    p.write_text(bad)
    with pytest.raises(CaptureFormatError, match=r"head.position.x = inf at line 4"):
        capture_import.read_capture(p)


def test_blender_axes_of_the_convention():
    fwd, up = np.array([0.0, -1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    assert (capture_pose.blender_rotations([0.4, 0, 0]) @ fwd)[0] < -0.3  # yaw +: subject's right (-X)
    assert (capture_pose.blender_rotations([0, 0.4, 0]) @ fwd)[2] < -0.3  # pitch +: down
    assert (capture_pose.blender_rotations([0, 0, 0.4]) @ up)[0] < -0.3  # roll +: top to the right
    m = capture_pose.mirror_pose({"eye_left": np.array([[0.1, 0.2, 0.3]]), "head_position": np.ones((1, 3))})
    np.testing.assert_allclose(m["eye_right"], [[-0.1, 0.2, -0.3]])
    np.testing.assert_allclose(m["head_position"], [[-1.0, 1.0, 1.0]])
    assert "eye_left" not in m


@pytest.mark.skipif(not REAL_TAKE.is_file(), reason="real-dev take not available")
def test_real_take_eyes_are_radians_and_head_is_flagged():
    cap = capture_import.read_capture(REAL_TAKE)
    eyes = np.abs(np.concatenate([cap.eye_left[:, :2], cap.eye_right[:, :2]]))
    assert 0.3 < eyes.max() < 1.2  # 17-70 degrees: radians (as degrees they would be < 1.2 degrees)
    assert not cap.head_rotation.any()
    assert not any("head" in n for n in cap.notes)  # only said when a head target is keyed
    # positive yaw looks to the subject's right: the left eye looks in, the right eye looks out
    i = np.argmax(cap.eye_left[:, 0])
    assert cap.arkit[i, capture_import.facs.ARKIT_NAMES.index("eyeLookInLeft")] > 0.5


# ------------------------------------------------------------------------------- keying


def test_operator_keys_head_and_eyes_matching_the_file(scene, tmp_path):
    head, eye_l, eye_r = scene
    rot = take()
    before_loc = [np.array(e.matrix_world.translation) for e in (eye_l, eye_r)]
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", rot))) == {
        "FINISHED"
    }
    for frame in (1, 11, 24, 31):
        y, p, r = rot[frame - 1, :3]
        np.testing.assert_allclose(world_rot(head, frame), expected(y, p, r), atol=1e-5)
    assert gaze(head, 31)[0] < -0.5  # head yaw 0.6: turned to the subject's right (-X)
    np.testing.assert_allclose(world_rot(eye_l, 5), expected(0.3, 0.0, 0.0), atol=1e-5)
    np.testing.assert_allclose(world_rot(eye_r, 5), expected(0.0, 0.25, 0.0), atol=1e-5)
    assert gaze(eye_r, 5)[2] < -0.2  # pitch +0.25: looks down
    for e, loc in zip((eye_l, eye_r), before_loc, strict=True):
        np.testing.assert_allclose(e.matrix_world.translation, loc, atol=1e-6)  # turns in place
    fc = animation.find_fcurve(head, "delta_rotation_euler", 2)
    assert fc.group.name == head_eyes.GROUP and len(fc.keyframe_points) == 31
    assert animation.find_fcurve(head, "delta_location", 0) is None  # LLF: no head position
    assert animation.find_fcurve(head, "nfs_facs.jawOpen") is not None  # sliders still keyed


def test_mirror_swaps_eyes_and_negates_yaw(scene, tmp_path):
    head, eye_l, eye_r = scene
    bpy.context.scene.nfs_settings.capture_mirror = True
    rot = take()
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", rot))) == {
        "FINISHED"
    }
    y, p, r = rot[30, :3]
    np.testing.assert_allclose(world_rot(head, 31), expected(-y, p, -r), atol=1e-5)
    np.testing.assert_allclose(world_rot(eye_r, 5), expected(-0.3, 0.0, 0.0), atol=1e-5)  # was left
    np.testing.assert_allclose(world_rot(eye_l, 5), expected(0.0, 0.25, 0.0), atol=1e-5)  # was right


def test_disabled_channels_write_nothing(scene, tmp_path):
    head, eye_l, eye_r = scene
    s = bpy.context.scene.nfs_settings
    s.capture_use_eyes = False
    s.capture_use_head_rotation = False
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", take()))) == {
        "FINISHED"
    }
    for obj in (head, eye_l, eye_r):
        for path in ("delta_rotation_euler", "delta_rotation_quaternion", "delta_location"):
            assert animation.find_fcurve(obj, path, 0) is None
    assert eye_l.animation_data is None and eye_r.animation_data is None


def test_reimport_replaces_and_keeps_the_artists_curves(scene, tmp_path):
    head, eye_l, _ = scene
    head.location = (0.0, 0.0, 0.0)
    head.keyframe_insert("location", frame=1)
    head.location = (0.0, 0.0, 0.5)
    head.keyframe_insert("location", frame=80)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "a.csv", take()))) == {
        "FINISHED"
    }
    rot2 = take()
    rot2[:, 0] = -0.2
    rot2[:, 3] = -0.1
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "b.csv", rot2))) == {
        "FINISHED"
    }
    fcurves = list(animation.fcurve_collection(head, create=False))
    paths = [(fc.data_path, fc.array_index) for fc in fcurves]
    assert len(paths) == len(set(paths))  # no duplicated curve
    fc = animation.find_fcurve(head, "delta_rotation_euler", 2)
    assert len(fc.keyframe_points) == 31
    np.testing.assert_allclose(fc.evaluate(10), 0.2, atol=1e-6)  # second take (yaw -0.2 -> z +0.2)
    np.testing.assert_allclose(
        animation.find_fcurve(eye_l, "delta_rotation_euler", 2).evaluate(3), 0.1, atol=1e-6
    )
    artist = animation.find_fcurve(head, "location", 2)
    assert artist is not None
    assert artist.group is None or artist.group.name != head_eyes.GROUP
    assert [tuple(k.co) for k in artist.keyframe_points] == [(1.0, 0.0), (80.0, 0.5)]


def test_artists_keys_on_the_same_channel_refuse_the_import(scene, tmp_path):
    head, _, _ = scene
    head.delta_rotation_euler = (0.0, 0.0, 0.1)
    head.keyframe_insert("delta_rotation_euler", frame=1)
    with pytest.raises(RuntimeError, match=r"'Head' already has keys on delta_rotation_euler.*Fix"):
        bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", take())))
    assert animation.find_fcurve(head, "nfs_facs.jawOpen") is None  # nothing keyed
    assert len(animation.find_fcurve(head, "delta_rotation_euler", 2).keyframe_points) == 1


def test_undo_restores(scene, tmp_path):
    path = write_llf(tmp_path / "t.csv", take())
    bpy.ops.ed.undo_push(message="before import")
    assert bpy.ops.face_skinning.import_arkit("EXEC_DEFAULT", True, filepath=str(path)) == {"FINISHED"}
    assert animation.find_fcurve(bpy.data.objects["EyeL"], "delta_rotation_euler", 2) is not None
    bpy.ops.ed.undo()
    assert animation.find_fcurve(bpy.data.objects["EyeL"], "delta_rotation_euler", 2) is None
    assert animation.find_fcurve(bpy.data.objects["Head"], "delta_rotation_euler", 2) is None


def test_nan_head_column_through_the_operator_keys_nothing(scene, tmp_path):
    head, _, _ = scene
    rot = take()
    rot[7, 0] = np.nan
    with pytest.raises(RuntimeError, match=r"HeadYaw = nan at line 9"):
        bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", rot)))
    assert head.animation_data is None


def test_face_cap_head_position_keyed_as_offsets(scene, tmp_path):
    head, _, _ = scene
    lines = ["bs,jawOpen"]
    for i in range(31):  # 30 fps; subject moves 1 cm per frame toward their left (+x ARKit)
        transform = [0.1 * i, 3.0, -30.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        lines.append(",".join(["k", f"{i * 1000 / 30:.4f}", *map(str, transform), "0.2"]))
    p = tmp_path / "fc.txt"
    p.write_text("\n".join(lines) + "\n")
    assert bpy.ops.face_skinning.import_arkit(filepath=str(p)) == {"FINISHED"}
    bpy.context.scene.frame_set(11)
    np.testing.assert_allclose(head.matrix_world.translation, (0.01, 0.0, 0.0), atol=1e-5)


def test_head_and_eye_bones(addon, tmp_path):
    head = demo_head()
    bpy.ops.object.armature_add(location=(0, 0, 0))
    arm = bpy.context.active_object
    bpy.ops.object.mode_set(mode="EDIT")
    bone = arm.data.edit_bones[0]
    bone.name = "head"
    bone.head, bone.tail, bone.roll = (0, 0, 0), (0, 0, 0.1), 0.3  # rest axes differ from the armature's
    eye = arm.data.edit_bones.new("eye.L")
    eye.head, eye.tail = (0.03, -0.06, 0.04), (0.03, -0.09, 0.04)  # pointing forward
    bpy.ops.object.mode_set(mode="OBJECT")
    arm.pose.bones["eye.L"].rotation_mode = "XYZ"
    s = bpy.context.scene.nfs_settings
    s.capture_head, s.capture_head_bone = arm, "head"
    s.capture_eye_left, s.capture_eye_left_bone = arm, "eye.L"
    bpy.context.view_layer.objects.active = head
    head.select_set(True)
    rot = take()
    assert bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", rot))) == {
        "FINISHED"
    }
    assert animation.find_fcurve(arm, 'pose.bones["head"].rotation_quaternion', 0) is not None
    assert animation.find_fcurve(arm, 'pose.bones["eye.L"].rotation_euler', 0) is not None
    bpy.context.scene.frame_set(31)
    for name, (y, p, r) in (("head", rot[30, :3]), ("eye.L", rot[30, 3:6])):
        rest = np.array(arm.data.bones[name].matrix_local.to_3x3())
        posed = np.array(arm.pose.bones[name].matrix.to_3x3())
        np.testing.assert_allclose(posed, expected(y, p, r) @ rest, atol=1e-5)  # turned in armature space
    s.capture_head_bone = "nope"
    with pytest.raises(RuntimeError, match=r"no bone 'nope'"):
        bpy.ops.face_skinning.import_arkit(filepath=str(write_llf(tmp_path / "t.csv", rot)))


def test_apply_head_eye_frame_sets_the_pose_without_keys(scene):
    head, eye_l, eye_r = scene
    s = bpy.context.scene.nfs_settings
    done = head_eyes.apply_head_eye_frame(s, [0.3, -0.1, 0.05], [0.0, 0.0, 0.02], [0.2, 0.1, 0.0], None)
    assert len(done) == 3  # head rotation, head position, left eye; right eye not given
    bpy.context.view_layer.update()
    np.testing.assert_allclose(np.array(head.matrix_world.to_3x3()), expected(0.3, -0.1, 0.05), atol=1e-5)
    np.testing.assert_allclose(head.delta_location, (0.0, -0.02, 0.0), atol=1e-6)  # toward camera: -Y
    np.testing.assert_allclose(np.array(eye_l.matrix_world.to_3x3()), expected(0.2, 0.1, 0.0), atol=1e-5)
    assert head.animation_data is None and eye_l.animation_data is None
    assert tuple(eye_r.delta_rotation_euler) == (0.0, 0.0, 0.0)
    targets = head_eyes.targets_from_settings(s)
    targets.mirror = True
    head_eyes.apply_head_eye_frame(targets, None, None, [0.2, 0.1, 0.0], None)
    bpy.context.view_layer.update()
    np.testing.assert_allclose(np.array(eye_r.matrix_world.to_3x3()), expected(-0.2, 0.1, 0.0), atol=1e-5)


def test_head_with_its_own_rotation_turns_about_the_scene_up_axis(scene, tmp_path):
    head, _, _ = scene
    head.rotation_euler = (0.3, 0.0, 0.5)  # the artist's own placement of the head
    own = np.array(head.rotation_euler.to_matrix())
    rot = take()
    path = write_llf(tmp_path / "t.csv", rot)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    y, p, r = rot[30, :3]
    np.testing.assert_allclose(world_rot(head, 31), expected(y, p, r) @ own, atol=1e-5)
    assert tuple(head.rotation_euler) == pytest.approx((0.3, 0.0, 0.5))  # its own channel untouched


def test_a_still_head_is_reported(scene):
    head, _, _ = scene
    targets = head_eyes.HeadEyeTargets(head=head, use_head_position=False, use_eyes=False)
    frames = np.array([1.0, 2.0, 3.0])
    done = head_eyes.key_pose(targets, frames, {"head_rotation": np.zeros((3, 3))})
    assert done == ["head rotation (0 throughout: recorded with head rotation off?) on 'Head'"]
    done = head_eyes.key_pose(targets, frames, {"head_rotation": np.full((3, 3), 0.1)})
    assert done == ["head rotation on 'Head'"]
    assert len(animation.find_fcurve(head, "delta_rotation_euler", 2).keyframe_points) == 3


def test_quaternion_head_gets_delta_quaternion_and_axis_angle_is_refused(scene, tmp_path):
    head, eye_l, _ = scene
    head.rotation_mode = "QUATERNION"
    rot = take()
    path = write_llf(tmp_path / "t.csv", rot)
    assert bpy.ops.face_skinning.import_arkit(filepath=str(path)) == {"FINISHED"}
    assert all(animation.find_fcurve(head, "delta_rotation_quaternion", i) for i in range(4))
    assert animation.find_fcurve(head, "delta_rotation_euler", 0) is None
    y, p, r = rot[20, :3]
    np.testing.assert_allclose(world_rot(head, 21), expected(y, p, r), atol=1e-5)
    eye_l.rotation_mode = "AXIS_ANGLE"
    with pytest.raises(RuntimeError, match=r"left eye object 'EyeL' uses Axis Angle.*Fix"):
        bpy.ops.face_skinning.import_arkit(filepath=str(path))


def test_clone_panel_shows_targets_and_bone_pickers(scene):
    from test_addon_panels import _draw

    drawn = [x for kind, x in _draw("clone") if kind in ("prop", "prop_search")]
    for name in ("capture_head", "capture_eye_left", "capture_eye_right", "capture_mirror",
                 "capture_use_head_rotation", "capture_use_head_position", "capture_use_eyes"):  # fmt: skip
        assert name in drawn
    assert "capture_head_bone" not in drawn  # the head is an object: no bone picker
    bpy.ops.object.armature_add()
    bpy.context.scene.nfs_settings.capture_head = bpy.context.active_object
    drawn = [x for kind, x in _draw("clone") if kind == "prop_search"]
    assert drawn == ["capture_head_bone"]
