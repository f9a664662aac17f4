"""End-to-end timings of the Blender add-on, inside bpy (headless), through its operators.

    .venv/bin/python benchmarks/addon.py [--weights DIR]

Without ``--weights`` a randomly initialised model of the shipped architecture is written to a
temp folder (the timings do not depend on the weight values). The geometry cache goes to a fresh
temp ``NFS_CACHE_DIR``, so the first predict+bake is cold (Laplacian eigenbasis computed); the
second run on the same mesh is warm (likewise for the clone source). Prints one table with the
targets. The cold numbers are dominated by the Laplacian eigenbasis (model.geometry), which is
sensitive to other load on the machine.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _write_csv(path: pathlib.Path, frames: int, fps: int = 60) -> None:
    from model.demo_capture import LIVE_LINK_BLENDSHAPES, LIVE_LINK_ROTATIONS

    rng = np.random.default_rng(0)
    t = np.arange(frames)[:, None] / fps
    vals = 0.5 + 0.5 * np.sin(t * rng.uniform(0.5, 3.0, len(LIVE_LINK_BLENDSHAPES)))
    lines = [",".join(["Timecode", "BlendShapeCount", *LIVE_LINK_BLENDSHAPES, *LIVE_LINK_ROTATIONS])]
    zeros = ",".join(["0"] * len(LIVE_LINK_ROTATIONS))
    for i in range(frames):
        s, ff = divmod(i, fps)
        h, m, sec = 10 + s // 3600, (s // 60) % 60, s % 60
        row = ",".join(f"{v:.5f}" for v in vals[i])
        lines.append(f"{h:02d}:{m:02d}:{sec:02d}:{ff:02d}.000,61,{row},{zeros}")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", help="weights folder (default: random weights in a temp dir)")
    args = parser.parse_args(argv)

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="nfs-bench-"))
    os.environ["NFS_CACHE_DIR"] = str(tmp / "cache")

    import bpy

    sys.path.insert(0, str(ROOT / "tests" / "addon"))
    from addon_helpers import make_face  # the tests' non-ICT face, so the numbers match the tests

    import blender_addon

    weights = args.weights
    if not weights:
        from training.torch_weights import save_random_model

        weights = str(save_random_model(tmp / "weights", seed=0))

    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    rows: list[tuple[str, str, float, float | None]] = []

    def timed(label: str, size: str, target: float | None, fn):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        assert result == {"FINISHED"}, (label, result)
        rows.append((label, size, dt, target))
        return dt

    timed("load model", "-", None, lambda: bpy.ops.face_skinning.load_model(filepath=weights))

    face = make_face("Face20k", 200, 100)
    nv = len(face.data.vertices)
    for run in ("cold", "warm"):
        t0 = time.perf_counter()
        timed(f"  predict weights ({run})", f"{nv} verts", None, bpy.ops.face_skinning.predict_weights)
        timed(f"  bake 53 shape keys ({run})", f"{nv} verts", None, bpy.ops.face_skinning.bake_shape_keys)
        rows.append((f"predict + bake ({run})", f"{nv} verts", time.perf_counter() - t0, 4.0))

    csv_path = tmp / "take.csv"
    _write_csv(csv_path, 10_000)
    timed(
        "import ARKit CSV",
        "10000 frames",
        2.0,
        lambda: bpy.ops.face_skinning.import_arkit(filepath=str(csv_path)),
    )
    settings = bpy.context.scene.nfs_settings
    for prop in ("capture_head", "capture_eye_left", "capture_eye_right"):  # head + eyeball objects
        setattr(settings, prop, bpy.data.objects.new(prop, None))
        bpy.context.scene.collection.objects.link(getattr(settings, prop))
    timed(
        "import ARKit CSV + head/eyes",
        "10000 frames",
        2.0,
        lambda: bpy.ops.face_skinning.import_arkit(filepath=str(csv_path)),
    )
    for prop in ("capture_head", "capture_eye_left", "capture_eye_right"):
        setattr(settings, prop, None)

    src = make_face("Source10k", 140, 72)
    src.location.x = 0.5
    src.shape_key_add(name="Basis")
    kb = src.shape_key_add(name="open", from_mix=False)
    co = np.empty(len(src.data.vertices) * 3, dtype=np.float32)
    kb.data.foreach_get("co", co)
    co = co.reshape(-1, 3)
    co[:, 2] -= 0.02 * (co[:, 2] < 0)
    kb.data.foreach_set("co", co.ravel())
    kb.value = 0.0
    kb.keyframe_insert("value", frame=1)
    kb.value = 1.0
    kb.keyframe_insert("value", frame=250)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 250
    scene.nfs_settings.clone_source = src
    bpy.context.view_layer.objects.active = face
    ns = len(src.data.vertices)
    for run in ("cold", "warm"):  # cold: the source's eigenbasis is computed on the first run
        timed(
            f"clone from mesh ({run})", f"250 frames, {ns} verts", 15.0, bpy.ops.face_skinning.clone_from_mesh
        )
    timed("bake for export", "250 frames", None, bpy.ops.face_skinning.bake_for_export)
    fbx = tmp / "face.fbx"
    timed("export FBX", f"{nv} verts", None, lambda: bpy.ops.face_skinning.export(filepath=str(fbx)))

    print(f"\nNeural Face Skinning add-on, bpy {bpy.app.version_string}, {os.cpu_count()} CPU cores")
    print(f"{'step':34s} {'size':24s} {'seconds':>8s} {'target':>7s}  ok")
    for label, size, dt, target in rows:
        tgt = f"{target:.1f}" if target else "-"
        ok = ("yes" if dt <= target else "NO") if target else ""
        print(f"{label:34s} {size:24s} {dt:8.2f} {tgt:>7s}  {ok}")
    blender_addon.unregister()
    return 0


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
