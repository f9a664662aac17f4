"""Does a speed change keep the bake? The 53 shapes of the demo head and the real-dev meshes,
saved from one checkout and compared with another.

    PYTHONPATH=. .venv/bin/python benchmarks/bake_parity.py --save /tmp/before.npz
    (switch branch / apply the change)
    PYTHONPATH=. .venv/bin/python benchmarks/bake_parity.py --compare /tmp/before.npz

Meshes: the bundled demo head as shipped and subdivided + decimated to ``--size`` vertices (as
``benchmarks/vs_surface_deform.py``, read as the add-on reads it; needs ``bpy``), and every
real-dev mesh (the Rocketbox avatars' heads through ``bpy``, the busts as OBJ; skipped when
../shared/real-dev is absent).
Each is baked through the model API (``prepare`` + ``predict_skin_weights`` + ``bake``, the
``--method`` bake method, network by default, the registration started in the background as
Predict Weights does, fresh ``NFS_CACHE_DIR``; save and compare with the same method).
``--compare`` prints, per mesh, whether the skin weights and the deltas are bit-identical, and
the largest delta difference relative to the head size (the diagonal of the vertices' bounding
box); exit 1 when any exceeds ``--tolerance`` (1e-6).
Bit-identity needs both checkouts to start ARPACK from the same vector (``model/geometry.py``
does since it starts from a fixed one; before that two runs of one checkout differed by up to
~6e-6 of the head size). The saved file holds deltas of third-party meshes: keep it outside the
repository.
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
sys.path.append(str(ROOT / "benchmarks"))  # after ROOT: benchmarks/demo.py must not shadow demo/


def _demo_meshes(size: int) -> dict[str, tuple[np.ndarray, np.ndarray, str, str]]:
    """{name: (vertices (V,3), triangles (T,3), up, forward)} of the demo head, as shipped and at
    about ``size`` vertices (Blender world space: cm, Z up, face to -Y)."""
    import bpy
    from vs_surface_deform import DEMO_HEAD, build_target

    from blender_addon.core.mesh_io import read_rest_world
    from demo.scene import import_head
    from model.mesh_io import read_mesh

    mesh = read_mesh(DEMO_HEAD)
    out = {"demo_head": (mesh.vertices, mesh.triangles(), "Y", "Z")}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    base, _ = import_head(DEMO_HEAD)
    obj = build_target(base, size, "T")
    vertices, triangles = read_rest_world(obj)  # what the add-on's operators bake
    out[f"demo_head_{len(vertices)}"] = (vertices, triangles, "Z", "-Y")
    return out


def _realdev_meshes() -> dict[str, tuple[np.ndarray, np.ndarray, str, str]]:
    from _realdev import load_mesh, realdev_dir

    folder = realdev_dir()
    if folder is None:
        print("real-dev meshes absent: demo head only")
        return {}
    out = {}
    for path in sorted((folder / "meshes").iterdir()):
        data = load_mesh(path)
        ids = data["head_ids"]
        out[path.stem] = (data["vertices"][ids], data["head_triangles"], data["up"], data["forward"])
    return out


def bake_all(size: int, method: str = "network") -> dict[str, np.ndarray]:
    """{mesh: deltas (53,V,3) float32, mesh + "/skin": (V,K), mesh + "/vertices": (V,3)}."""
    from model.api import FaceModel

    meshes = {**_demo_meshes(size), **_realdev_meshes()}
    fm = FaceModel.load()
    out = {}
    for name, (v, t, up, forward) in meshes.items():
        os.environ["NFS_CACHE_DIR"] = tempfile.mkdtemp(prefix="nfs-parity-")
        t0 = time.perf_counter()
        # as Predict Weights does: the registration on the background thread, started early
        prep = fm.prepare(v, t, up=up, forward=forward, registration=method)
        skin = fm.predict_skin_weights(prep)
        deltas = fm.bake(prep, skin, method=method)
        seconds = time.perf_counter() - t0
        print(f"{name}: {len(v)} vertices, prepare + predict + bake {seconds:.2f} s", flush=True)
        out[name], out[name + "/skin"], out[name + "/vertices"] = deltas, skin, np.asarray(v)
    return out


def compare(saved: dict[str, np.ndarray], now: dict[str, np.ndarray], tolerance: float) -> bool:
    ok = True
    print("| mesh | vertices | skin identical | deltas identical | max diff / head size | shapes differing |")
    print("|---|---:|---|---|---:|---:|")
    for name in (k for k in now if "/" not in k):
        if name not in saved:
            print(f"| {name} | - | not in the saved file | | | |")
            continue
        v = saved[name + "/vertices"]
        size = float(np.linalg.norm(v.max(0) - v.min(0)))
        a, b = saved[name], now[name]
        skin_same = np.array_equal(saved[name + "/skin"], now[name + "/skin"])
        same = np.array_equal(a, b)
        diff = float(np.abs(a.astype(np.float64) - b).max()) / size if a.shape == b.shape else float("inf")
        shapes = int(np.any(a != b, axis=(1, 2)).sum()) if a.shape == b.shape else -1
        print(f"| {name} | {len(v)} | {skin_same} | {same} | {diff:.2e} | {shapes} |")
        ok &= diff <= tolerance
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=pathlib.Path)
    group.add_argument("--compare", type=pathlib.Path)
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--method", default="network", help="the bake method (model.api.BAKE_METHODS)")
    args = parser.parse_args(argv)
    now = bake_all(args.size, args.method)
    if args.save:
        np.savez_compressed(args.save, **now)
        print(f"saved {args.save}")
        return 0
    with np.load(args.compare) as f:
        saved = {k: f[k] for k in f.files}
    return 0 if compare(saved, now, args.tolerance) else 1


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
