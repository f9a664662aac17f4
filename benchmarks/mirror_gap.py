"""How much of each mesh's motion the bake's early symmetrize leaves partly sided, and so whether
the bake's last pass symmetrizes whole shapes (:func:`model.mirror_pass.wants_whole`).

    PYTHONPATH=. .venv/bin/python benchmarks/mirror_gap.py [--cases N] [--no-realdev]

Per mesh: the gap (share of the network bake's motion on vertices whose mirror partner lies
over :data:`model.shape_locality.SYMMETRY_TOL`, ~2 mm, away; the early symmetrize fades out
there), whether the mesh is mirror-built, and the last pass's choice (whole / change-only /
none: the early symmetrize found the mesh asymmetric). Meshes: the demo head, the real-dev set
as it is, split in four and with 0.15 % noise (``benchmarks/realdev_variants.py``; skipped
without ../shared/real-dev), and ``--cases`` held-out cases of each evaluation set
(``eval_cases/``, written by ``python -m training evaluate``; skipped when absent). Numbers
picked :data:`model.mirror_pass.SYMMETRY_GAP`.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def meshes(realdev: bool, cases: int):
    """Yield (label, vertices, triangles, up, forward, materials)."""
    from model.mesh_io import read_mesh

    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    yield "demo head", demo.vertices, demo.triangles(), "Y", "Z", None
    if realdev:
        from _realdev import load_mesh, realdev_dir
        from realdev_variants import variants

        folder = realdev_dir()
        for path in sorted((folder / "meshes").iterdir()) if folder else []:
            if path.suffix.lower() not in (".fbx", ".obj"):
                continue
            d = load_mesh(path)
            v, t, m = d["vertices"][d["head_ids"]], d["head_triangles"], d["head_materials"]
            turned = variants(np.asarray(v, np.float64), t, m, d["up"], d["forward"])
            for name, (vv, tt, mm, _) in turned.items():
                if name in ("as is", "split in 4", "noise 0.15 %"):
                    yield f"{path.stem} [{name}]", vv, tt, d["up"], d["forward"], mm
    folder = ROOT / "eval_cases"
    if cases > 0 and folder.is_dir():
        from training.evaluation import load_cases

        for kind in ("unseen", "stylized", "hard_unseen", "hard_stylized"):
            if (folder / kind / "index.json").is_file():
                for c in load_cases(folder / kind)[:cases]:
                    mesh = read_mesh(c["mesh"])
                    yield c["name"], mesh.vertices, mesh.triangles(), "Y", "Z", None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=4, help="held-out cases per evaluation set")
    parser.add_argument("--no-realdev", action="store_true", help="skip ../shared/real-dev")
    args = parser.parse_args()
    from model.api import FaceModel
    from model.mirror_pass import SYMMETRY_GAP, mirror_built, wants_whole

    fm = FaceModel.load()
    print(f"| mesh | vertices | gap (share of motion) | mirror-built | last pass (gap > {SYMMETRY_GAP}) |")
    print("|---|---:|---:|---|---|")
    for label, v, t, up, forward, materials in meshes(not args.no_realdev, args.cases):
        prepared = fm.prepare(v, t, up=up, forward=forward, materials=materials)
        fm.bake(prepared)
        mirror = prepared._tensors.get("mirror_map", {})
        built = mirror_built(mirror)
        if not mirror.get("symmetric"):
            choice, gap = "none (asymmetric)", "-"
        else:
            choice = "whole" if wants_whole(mirror) else "change-only"
            gap = f"{mirror.get('gap', 0.0):.3f}"
        print(f"| {label} | {len(v)} | {gap} | {'yes' if built else 'no'} | {choice} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
