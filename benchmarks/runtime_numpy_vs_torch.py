"""Numpy runtime (model.runtime, what the add-on runs) vs the torch network, on the CPU.

Times, per runtime, on prepared meshes (operators computed once, outside the timing):

* ``bake network``: the trunk + decoder of all 53 shapes (``FaceModel._rig`` + ``net.bake``,
  feature cache cleared each repeat) on the demo head and on a ~20k-vertex face patch;
* ``bake full``: :meth:`FaceModel.bake` (network + the shared numpy post-processing);
* ``encode 1000``: :meth:`FaceModel.encode` of 1,000 frames of the demo head, including the
  source analysis (default method of the weights) with its cache cleared.

Usage: ``python benchmarks/runtime_numpy_vs_torch.py [--repeats 3]``; prints a table (best of
the repeats, seconds) and the thread counts. Both runtimes use float32 for the target side.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "model"))

from mesh_helpers import face_patch  # noqa: E402 - the test meshes, so the numbers match the tests

from model.api import FaceModel  # noqa: E402
from model.mesh_io import read_mesh  # noqa: E402
from training.torch_weights import load_face_model  # noqa: E402


def _clear(prepared, fm) -> None:
    """Drop what FaceModel caches on a prepared mesh for this model (features, normal equations)."""
    for key in list(prepared._tensors):
        if isinstance(key, tuple) and id(fm.net) in key:
            del prepared._tensors[key]


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import os

    import torch

    fms = {"torch": load_face_model(), "numpy": FaceModel.load(runtime="numpy")}
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    patch_v, patch_t = face_patch(20000, seed=0)
    meshes = {"demo head": (demo.vertices, demo.triangles()), "20k patch": (patch_v, patch_t)}
    prepared = {name: fms["torch"].prepare(v, t) for name, (v, t) in meshes.items()}
    rows = []
    for name, prep in prepared.items():
        for kind in ("network", "full"):
            row = [f"bake {kind}, {name} ({prep.num_vertices} v)"]
            for fm in fms.values():

                def run(fm=fm, prep=prep, kind=kind):
                    _clear(prep, fm)
                    if kind == "network":
                        with fm._no_grad():
                            fm._to_numpy(fm.net.bake(fm._rig(prep, None)))
                    else:
                        fm.bake(prep)

                run()  # warm-up (rig analysis, thread pools)
                row.append(_best(run, args.repeats))
            rows.append(row)
    prep = prepared["demo head"]
    baked = fms["torch"].bake(prep)
    rng = np.random.default_rng(0)
    codes = rng.uniform(0.0, 0.8, (1000, 53)) * (rng.random((1000, 53)) < 0.15)
    frames = (demo.vertices[None] + np.einsum("ts,svc->tvc", codes, baked)).astype(np.float32)
    row = [f"encode 1000 frames, demo head ({fms['torch'].net.config.encode_method})"]
    for fm in fms.values():

        def run(fm=fm):
            _clear(prep, fm)
            fm.encode(prep, frames)

        row.append(_best(run, max(1, args.repeats - 1)))
    rows.append(row)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"torch threads {torch.get_num_threads()}, OPENBLAS_NUM_THREADS {blas}, {os.cpu_count()} CPUs")
    print(f"{'task':52s} {'torch s':>9s} {'numpy s':>9s} {'numpy/torch':>12s}")
    for task, t_torch, t_numpy in rows:
        print(f"{task:52s} {t_torch:9.3f} {t_numpy:9.3f} {t_numpy / t_torch:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
