"""Cut Lip Line on the real-dev busts: does jawOpen part the lips after the cut?

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_lip_cut.py [--match nefertiti] [--save DIR]

For each OBJ bust of ``../shared/real-dev`` (skips when absent) whose lips are sealed
(:func:`model.inspect.sealed_lips_warning`), the lip line is cut (:func:`model.lip_cut.
cut_lip_line`), both meshes are baked with the shipped network, and it prints: the line (vertices,
length), the gap between the two lips at the middle of the line at jawOpen = 1 (input units and
% of the head height; 0 before: one vertex), the pre-flight report's lips on the jawOpen pose
(rays along the middle line: sealed / parted with its opening), the bake's input warnings
after the cut, and the flipped triangles of jawOpen. ``--save DIR`` writes ``<mesh>_cut.obj``
(never inside the repository: the meshes are third-party).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import AXES, require_realdev  # noqa: E402


def _lips_on_pose(v, t, jaw, frame) -> str:
    from model.inspect import inspect_mesh

    report = inspect_mesh(v + jaw, t, frame=frame)
    said = next((f.message for f in report.findings if f.topic == "lips"), "")
    return f"{report.lips} ({said.split('(')[-1].rstrip(')') if report.lips == 'parted' else '-'})"


def _flips(v, t, jaw) -> int:
    def normals(x):
        return np.cross(x[t[:, 1]] - x[t[:, 0]], x[t[:, 2]] - x[t[:, 0]])

    return int(((normals(v) * normals(v + jaw)).sum(1) < 0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="", help="only meshes whose file name contains this")
    parser.add_argument("--save", default=None, help="folder for the cut meshes (outside the repo)")
    args = parser.parse_args()
    from model.api import FaceModel
    from model.facs import ICT_NAMES
    from model.inspect import sealed_lips_warning
    from model.lip_cut import cut_lip_line
    from model.mesh_io import read_mesh, write_obj

    root = require_realdev()
    fm = FaceModel.load()
    jaw_i = ICT_NAMES.index("jawOpen")
    for path in sorted((root / "meshes").glob("*.obj")):
        if args.match not in path.name:
            continue
        up, forward = AXES.get(path.name, ("Y", "Z"))
        m = read_mesh(path)
        v, t = m.vertices, m.triangles()
        prep = fm.prepare(v, t, up=up, forward=forward)
        analysis = prep.rig_analysis()
        if sealed_lips_warning(v, t, analysis) is None:
            print(f"{path.name}: lips not sealed, nothing to cut")
            continue
        head_h = (analysis.head.top - analysis.head.narrowest) * analysis.frame.scale
        before = fm.bake(prep)[jaw_i]
        cut = cut_lip_line(v, t, fm, up=up, forward=forward)
        prep_cut = fm.prepare(cut.vertices, cut.triangles, up=up, forward=forward)
        after = fm.bake(prep_cut)[jaw_i]
        line = cut.line.vertices
        k = line.size // 2
        upper, lower = line[k], v.shape[0] + k - 1  # the middle vertex and its copy
        gap = np.linalg.norm(cut.vertices[upper] + after[upper] - cut.vertices[lower] - after[lower])
        print(f"{path.name}: head height {head_h:.4g} units")
        print(f"  lip line: {line.size} vertices ({line.size - 2} split), {cut.line.length:.4g} units")
        share = 100 * gap / head_h
        print(f"  lip gap at jawOpen=1, middle of the line: before 0, after {gap:.4g} units ({share:.2f} %)")
        print(f"  lips on the jawOpen pose: before {_lips_on_pose(v, t, before, prep.frame)}, "
              f"after {_lips_on_pose(cut.vertices, cut.triangles, after, prep_cut.frame)}")  # fmt: skip
        print(f"  bake warnings after the cut: {prep_cut.warnings or 'none'}")
        flips = _flips(v, t, before), _flips(cut.vertices, cut.triangles, after)
        print(f"  jawOpen flipped triangles: before {flips[0]}, after {flips[1]}")
        if args.save:
            out = pathlib.Path(args.save)
            out.mkdir(parents=True, exist_ok=True)
            write_obj(out / f"{path.stem}_cut.obj", cut.vertices, cut.triangles)


if __name__ == "__main__":
    main()
