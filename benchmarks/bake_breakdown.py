"""Where the time of Predict Weights + Bake Shape Keys (53 keys) goes, through the add-on's operators.

    .venv/bin/python benchmarks/bake_breakdown.py [--sizes 5000 20000 100000] [--runs 3] [--method mixed]

Targets: the bundled demo head subdivided and decimated to about each size (as
``benchmarks/vs_surface_deform.py``). Each run: Load Model (not timed, it also empties the
in-memory prepared meshes), a fresh ``NFS_CACHE_DIR``, then ``face_skinning.predict_weights`` and
``face_skinning.bake_shape_keys`` (cold: eigenbasis computed), then both again on the same mesh
(warm: the prepared mesh kept in memory). The stages are the functions listed in ``STAGES``,
timed by wrapping them; each stage's time is exclusive (a stage called inside another is
subtracted from the outer one; stages run on the registration's background thread are listed
apart and are not part of the total), "rest" is what no stage covers. Prints the median (``--stat
min``: the minimum) over the runs of wall seconds per stage, and the process CPU seconds of the
cold predict + bake. ``--clock cpu``: each stage's CPU seconds on the thread that ran it instead
(``time.thread_time``; what a stage costs, steadier than its wall time on a shared machine,
where the other processes' load moves the wall times by seconds), plus the main thread's CPU.
"""

from __future__ import annotations

import argparse
import collections
import functools
import importlib
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))  # after ROOT: benchmarks/demo.py must not shadow demo/

# (label, module, attribute path): the stages of the operator path, in pipeline order
STAGES = [
    ("read mesh (Blender)", "blender_addon.core.mesh_io", "read_rest_world"),
    ("weld", "model.weld", "weld"),
    ("canonical frame + axes check", "model.api", "_fit"),
    ("head region", "model.head_region", "find_head_region"),
    ("face alignment + placement", "model.face_alignment", "align_face"),
    ("face alignment + placement", "model.face_placement", "place_face"),
    ("eigenbasis + operators", "model.geometry", "compute_operators"),
    ("network trunk (features)", "model.runtime.network", "NumpyFaceNet.target_features"),
    ("network skin + decoder", "model.runtime.network", "NumpyFaceNet.rig"),
    ("rig analysis (parts, head)", "model.rig_constraints", "analyze_rig"),
    ("input warnings (pieces, lips)", "model.input_warnings", "fragmentation_warning"),
    ("input warnings (pieces, lips)", "model.inspect", "sealed_lips_warning"),
    ("write FS_ vertex groups", "blender_addon.core.vertex_groups", "replace_owned_groups"),
    ("read painted FS_/FSP_ groups", "blender_addon.core.skinning", "painted_weights"),
    ("read painted FS_/FSP_ groups", "blender_addon.core.analysis", "painted_analysis"),
    ("wait for the registration", "model.api", "FaceModel._registration_deltas"),
    ("face anchors", "model.shape_locality", "skin_anchors"),
    ("reach mask", "model.shape_locality", "reach_masks"),
    ("mirror map", "model.shape_locality", "mirror_map"),
    ("symmetrize (without map)", "model.shape_locality", "symmetrize"),
    ("eyelids (geometric blink)", "model.eyelids", "with_eyelids"),
    ("static area", "model.static_area", "apply_static"),
    ("shape smoothing", "model.shape_smoothing", "smooth_shapes"),
    ("part constraints", "model.rig_constraints", "apply_rig_constraints"),
    ("flip repair", "model.flip_repair", "repair_flips"),
    ("deltas to object space", "blender_addon.core.mesh_io", "deltas_to_local"),
    ("write 53 shape keys", "blender_addon.core.shape_keys", "write_keys"),
    ("slider drivers", "blender_addon.core.sliders", "add_drivers"),
    # on the background thread (FaceModel.start_registration) when Predict Weights starts it
    ("registration (hybrid, mixed)", "model.classical_rig", "register_ict"),
    ("registration (hybrid, mixed)", "model.classical_rig", "transfer_expressions"),
]
BACKGROUND_STAGES = 2  # the last stages: listed again as run on the background thread
BACKGROUND = " [background thread]"


class Timer:
    """Exclusive wall time per label of the wrapped functions (nested calls subtracted), per
    thread: a stage that runs on another thread (the registration Predict Weights starts in the
    background) is counted under its label + :data:`BACKGROUND`, outside the operators' total."""

    def __init__(self, clock=time.perf_counter) -> None:
        self.clock = clock  # time.thread_time: each stage's CPU seconds on its own thread
        self.totals: dict[str, float] = collections.defaultdict(float)
        self._local = threading.local()  # .stack: [start, time spent in nested stages] per call

    def wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append([self.clock(), 0.0])
            try:
                return fn(*args, **kwargs)
            finally:
                start, nested = stack.pop()
                spent = self.clock() - start
                key = label if threading.current_thread() is threading.main_thread() else label + BACKGROUND
                self.totals[key] += spent - nested
                if stack:
                    stack[-1][1] += spent

        return timed

    def install(self) -> None:
        for label, module, path in STAGES:
            owner = importlib.import_module(module)
            *outer, name = path.split(".")
            for part in outer:
                owner = getattr(owner, part)
            setattr(owner, name, self.wrap(label, getattr(owner, name)))


def one_run(obj, timer: Timer, tmp: pathlib.Path) -> dict[str, dict[str, float]]:
    import bpy
    from vs_surface_deform import _make_active

    assert bpy.ops.face_skinning.load_model(filepath="") == {"FINISHED"}  # empties the prepared meshes
    from model.memo import clear_all

    clear_all()  # and the kept topology results (model.memo): each run's cold phase computes them
    os.environ["NFS_CACHE_DIR"] = tempfile.mkdtemp(dir=tmp)
    _make_active(obj)
    out = {}
    for phase in ("cold", "warm"):
        timer.totals.clear()
        c0, t0, m0 = time.process_time(), time.perf_counter(), timer.clock()
        assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
        t1 = time.perf_counter()
        assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
        t2 = time.perf_counter()
        row = dict(timer.totals)
        row["total"], row["predict"], row["bake"] = t2 - t0, t1 - t0, t2 - t1
        row["cpu"] = time.process_time() - c0
        row["main"] = timer.clock() - m0  # the main thread's time (its CPU with --clock cpu)
        row["rest"] = row["main"] - sum(v for k, v in timer.totals.items() if not k.endswith(BACKGROUND))
        out[phase] = row
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 100000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="per cell over the runs (min: on a busy machine)",
    )
    parser.add_argument(
        "--method",
        choices=("network", "registration", "hybrid", "mixed"),
        default=None,
        help="the Shape Keys panel's Method (default: the add-on's default)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="stage times as wall seconds, or as CPU seconds of the thread that ran them (cpu: "
        "steadier on a shared machine; rest is then the main thread's CPU outside the stages, "
        "predict, bake and total stay wall)",
    )
    args = parser.parse_args(argv)

    import bpy
    from vs_surface_deform import DEMO_HEAD, build_target

    import blender_addon
    from demo.scene import import_head

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="nfs-breakdown-"))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    if args.method:
        bpy.context.scene.nfs_settings.bake_method = args.method.upper()
    timer = Timer(time.thread_time if args.clock == "cpu" else time.perf_counter)
    timer.install()
    base, extras = import_head(DEMO_HEAD)
    for o in extras:
        bpy.data.objects.remove(o)
    base.hide_set(True)
    labels = list(dict.fromkeys(label for label, _, _ in STAGES)) + ["rest"]
    labels += [
        label + BACKGROUND for label in dict.fromkeys(label for label, _, _ in STAGES[-BACKGROUND_STAGES:])
    ]
    results = {}
    for size in args.sizes:
        obj = build_target(base, size, f"T{size}")
        runs = [one_run(obj, timer, tmp) for _ in range(args.runs)]
        results[len(obj.data.vertices)] = runs
        totals = [round(r["cold"]["total"], 2) for r in runs]
        print(f"{len(obj.data.vertices)} vertices: cold totals {totals}", flush=True)
        me = obj.data
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(me)

    reduce = statistics.median if args.stat == "median" else min

    def med(runs, phase, key) -> float:
        return reduce(r[phase].get(key, 0.0) for r in runs)

    def cells(key: str, digits: int) -> str:
        pairs = [(med(results[n], "cold", key), med(results[n], "warm", key)) for n in sizes]
        return " | ".join(f"{c:.{digits}f} | {w:.{digits}f}" for c, w in pairs)

    sizes = list(results)
    print(
        f"\nbpy {bpy.app.version_string}, {os.cpu_count()} CPU cores, {args.stat} of {args.runs} runs, "
        f"{args.clock} s"
    )
    print("| stage | " + " | ".join(f"{n} cold | {n} warm" for n in sizes) + " |")
    print("|---|" + "---:|---:|" * len(sizes))
    for label in labels:
        print(f"| {label} | {cells(label, 3)} |")
    keys = ("predict", "bake", "total", "cpu") + (("main",) if args.clock == "cpu" else ())
    for key in keys:
        name = {"cpu": "total, process CPU s", "main": "main thread, CPU s"}.get(key, key)
        print(f"| **{name}** | {cells(key, 2)} |")
    blender_addon.unregister()
    return 0


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
