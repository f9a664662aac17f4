"""README image: a real Live Link Face take driving the demo head's sliders, head and eyeballs.

    PYTHONPATH=. .venv/bin/python scripts/render_capture_head_eyes.py CAPTURE.csv -o OUT.png

Builds the demo head through the add-on's operators (load model, predict weights, bake), sets
the head object and the two eyeball objects (origins moved to their centres, a dark pupil
parented to each so the gaze shows) as the Clone panel's head/eye targets, imports the take with
``face_skinning.import_arkit``, and renders two frames side by side from the front (Workbench,
headless): the frame where the subject looks furthest to their own left (viewer's right) and the
one furthest to their right, eyes open. The chosen frames and their angles are printed.
Development-only.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PANEL = (400, 364)
SKIN, EYE, PUPIL = (0.80, 0.70, 0.64, 1.0), (0.95, 0.95, 0.93, 1.0), (0.05, 0.06, 0.09, 1.0)


def _eye_setup(bpy, eye):
    """Origin at the eyeball's centre (it turns about it) and a pupil disc on its front (-Y)."""
    from mathutils import Vector

    for o in bpy.context.view_layer.objects:
        o.select_set(o == eye)
    bpy.context.view_layer.objects.active = eye
    bpy.ops.object.origin_set(type="ORIGIN_GEOMETRY", center="BOUNDS")
    corners = np.array([eye.matrix_world @ Vector(c) for c in eye.bound_box])
    r = (corners.max(0) - corners.min(0))[0] / 2
    centre = np.array(eye.matrix_world.translation)
    bpy.ops.mesh.primitive_cylinder_add(
        radius=0.42 * r, depth=0.25 * r, location=tuple(centre + [0.0, -0.97 * r, 0.0]),
        rotation=(math.pi / 2, 0.0, 0.0),
    )  # fmt: skip
    pupil = bpy.context.active_object
    pupil.name = f"{eye.name}_pupil"
    pupil.color = PUPIL
    pupil.parent = eye
    pupil.matrix_parent_inverse = eye.matrix_world.inverted()
    eye.color = EYE


def _pick_frames(capture: pathlib.Path, fps: float) -> tuple[int, int, np.ndarray]:
    """Frames (1-based scene frames) of the furthest look to the subject's left and right with
    both eyes open; and the left eye's (F, 3) yaw/pitch/roll."""
    from blender_addon.core import capture_import
    from model.facs import ICT_NAMES

    frames, ict, cap = capture_import.capture_to_frames(capture, fps, 1)
    pose = capture_import.pose_to_frames(cap, fps, 1)
    blink = np.maximum(ict[:, ICT_NAMES.index("eyeBlink_L")], ict[:, ICT_NAMES.index("eyeBlink_R")])
    yaw = np.where(blink < 0.3, pose["eye_left"][:, 0], 0.0)
    return int(frames[np.argmin(yaw)]), int(frames[np.argmax(yaw)]), pose["eye_left"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", help="Live Link Face CSV")
    parser.add_argument("-o", "--out", required=True, help="PNG to write")
    args = parser.parse_args(argv)

    import bpy

    from demo.scene import _run_op, enable_addon, import_head, make_active

    bpy.ops.wm.read_factory_settings(use_empty=True)
    enable_addon()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    face, extras = import_head(ROOT / "model" / "data" / "demo_head.obj")
    eyes = sorted(extras, key=lambda o: -np.mean([(o.matrix_world @ v.co).x for v in o.data.vertices]))
    eye_left, eye_right = eyes  # the subject's left eye is on +X (the head faces -Y)
    for e in eyes:
        _eye_setup(bpy, e)
    face.color = SKIN
    make_active(face)
    ops = bpy.ops.face_skinning
    _run_op(ops.load_model)
    _run_op(ops.predict_weights)
    _run_op(ops.bake_shape_keys)
    s = scene.nfs_settings
    s.capture_head, s.capture_eye_left, s.capture_eye_right = face, eye_left, eye_right
    _run_op(ops.import_arkit, filepath=str(pathlib.Path(args.capture).resolve()))

    to_left, to_right, eye_pose = _pick_frames(pathlib.Path(args.capture), 30.0)
    for name, f in (("subject's left", to_left), ("subject's right", to_right)):
        y, p, r = eye_pose[f - 1]
        print(f"look to the {name}: frame {f}, left eye yaw {y:+.3f} pitch {p:+.3f} roll {r:+.3f} rad")

    corners = np.array([face.matrix_world @ v.co for v in face.data.vertices])
    lo, hi = corners.min(0), corners.max(0)
    cam_data = bpy.data.cameras.new("cam")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = (hi[2] - lo[2]) * 0.62
    cam = bpy.data.objects.new("cam", cam_data)
    scene.collection.objects.link(cam)
    cam.location = ((lo[0] + hi[0]) / 2, lo[1] - 1.0, lo[2] + (hi[2] - lo[2]) * 0.62)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looks along +Y: the face from the front
    scene.camera = cam
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = PANEL
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.compression = 100
    shading = scene.display.shading
    shading.light, shading.color_type = "STUDIO", "OBJECT"
    shading.show_cavity, shading.show_specular_highlight = True, False
    scene.display.render_aa = "8"
    scene.world = bpy.data.worlds.new("w")
    scene.world.color = (0.33, 0.35, 0.39)
    scene.view_settings.view_transform = "Standard"

    panels = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate((to_left, to_right)):
            scene.frame_set(f)
            scene.render.filepath = str(pathlib.Path(tmp) / f"p{i}.png")
            bpy.ops.render.render(write_still=True)
            img = bpy.data.images.load(scene.render.filepath)
            px = np.empty(len(img.pixels), dtype=np.float32)
            img.pixels.foreach_get(px)
            panels.append(px.reshape(img.size[1], img.size[0], 4))
    gap = np.ones((PANEL[1], 6, 4), dtype=np.float32)
    sheet = np.concatenate([panels[0], gap, panels[1]], axis=1)
    out = bpy.data.images.new("sheet", sheet.shape[1], sheet.shape[0])
    out.pixels.foreach_set(sheet.ravel())
    out.filepath_raw = str(pathlib.Path(args.out).resolve())
    out.file_format = "PNG"
    out.save()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    import os

    code = main()
    sys.stdout.flush()
    os._exit(code)  # bpy-as-a-module can hang in its exit handlers (see demo_scene)
