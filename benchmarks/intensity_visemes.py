"""Timings of the intensity gains (driver cost), capture calibration and Bake Visemes, in bpy.

    .venv/bin/python benchmarks/intensity_visemes.py

On the tests' non-ICT face at ~20k vertices with a random model of the shipped architecture
(timings do not depend on the weights): Bake Visemes (15 keys from 53), the depsgraph time per
frame of an animated face with the gain drivers (slider x unit gain x region gain, 159 driver
variables) against the older slider-only drivers (53), and a 10,000-frame ARKit import plain
against calibrated (Minimum, rescale) with per-region smoothing. Prints one table.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "addon"))


def _per_frame(scene, frames: int) -> float:
    t0 = time.perf_counter()
    for f in range(1, frames + 1):
        scene.frame_set(f)
    return (time.perf_counter() - t0) / frames


def _legacy_drivers(obj) -> None:
    from blender_addon.core import shape_keys, sliders

    key = obj.data.shape_keys
    for name in sliders.key_names("ICT"):
        key.animation_data.drivers.remove(key.animation_data.drivers.find(shape_keys.key_data_path(name)))
        drv = key.key_blocks[name].driver_add("value").driver
        drv.type = "SCRIPTED"
        var = drv.variables.new()
        var.name = "a"
        var.targets[0].id = obj
        var.targets[0].data_path = sliders.slider_path(name)
        drv.expression = "a"


def main() -> int:
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="nfs-bench-"))
    os.environ["NFS_CACHE_DIR"] = str(tmp / "cache")
    import bpy
    from addon import _write_csv
    from addon_helpers import make_face

    import blender_addon
    from blender_addon.core import sliders
    from training.torch_weights import save_random_model

    weights = str(save_random_model(tmp / "weights", seed=0))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    assert bpy.ops.face_skinning.load_model(filepath=weights) == {"FINISHED"}
    face = make_face("Face20k", 200, 100)
    nv = len(face.data.vertices)
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    rows = []
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        assert bpy.ops.face_skinning.bake_visemes() == {"FINISHED"}
        times.append(time.perf_counter() - t0)
    rows.append(("Bake Visemes (15 keys), median of 3", f"{nv} verts", float(np.median(times))))

    scene = bpy.context.scene
    frames = 60
    rng = np.random.default_rng(0)
    sliders.key_sliders(face, np.arange(1, frames + 1, dtype=float), rng.uniform(0, 1, (frames, 53)))
    _per_frame(scene, 5)  # warm-up
    rows.append(("frame evaluation, gain drivers", f"{nv} verts", _per_frame(scene, frames)))
    _legacy_drivers(face)
    _per_frame(scene, 5)
    rows.append(("frame evaluation, slider-only drivers", f"{nv} verts", _per_frame(scene, frames)))

    csv_path = tmp / "take.csv"
    _write_csv(csv_path, 10_000)
    for label in ("plain", "calibrated + per-region smoothing"):
        if label != "plain":
            c = scene.nfs_capture
            c.neutral, c.rescale, c.use_region_smoothing, c.smoothing_mouth = "MINIMUM", True, True, 5
        t0 = time.perf_counter()
        assert bpy.ops.face_skinning.import_arkit(filepath=str(csv_path)) == {"FINISHED"}
        rows.append((f"import ARKit CSV, {label}", "10000 frames", time.perf_counter() - t0))
    print(f"{'step':<54}{'size':<16}{'seconds':>10}")
    for label, size, dt in rows:
        print(f"{label:<54}{size:<16}{dt:>10.4f}")
    blender_addon.unregister()
    sys.stdout.flush()
    os._exit(0)  # bpy's static destructors can hang at exit (see tests/addon/conftest.py)


if __name__ == "__main__":
    raise SystemExit(main())
