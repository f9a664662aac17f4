"""mouthClose before/after the split (:mod:`model.mouth_close`): one close-up sheet per mesh.

    PYTHONPATH=$PWD .venv/bin/python scripts/render_mouth_close.py OUT_DIR [--match Adult]

The demo head and the real-dev meshes whose name contains ``--match`` (FBX avatars need bpy),
baked by the shipped network; rows: neutral, mouthClose as baked (ICT's / ARKit's shape), mouthClose
alone after the split, jawOpen + mouthClose as baked and split (+ the corrective), jawOpen 0.5 +
mouthClose 0.5 split, jawOpen 0.3 + mouthClose 0.9 as baked and split. Columns and framing: those
of ``scripts/render_closeups.py``. Writes ``OUT_DIR/<mesh>_mouthclose.png`` (never commit renders
of real-dev meshes).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
# appended: first on the path, benchmarks/demo.py would shadow the demo package for a test
# session that imports this module (tests/model/test_mouth_close.py)
sys.path.append(str(ROOT / "benchmarks"))


def sheet_shapes(deltas: np.ndarray) -> dict[str, np.ndarray]:
    """The sheet's rows: name -> (V, 3) deltas, from a bake's (53, V, 3) deltas."""
    from model.facs import ICT_NAMES
    from model.mouth_close import mix, split_baked

    ci, ji = ICT_NAMES.index("mouthClose"), ICT_NAMES.index("jawOpen")
    split, corrective = split_baked(deltas)

    def after(jaw: float, close: float) -> np.ndarray:
        w = np.zeros(len(ICT_NAMES))
        w[ji], w[ci] = jaw, close
        return mix(split, corrective, w)

    return {
        "neutral": np.zeros_like(deltas[0]),
        "before: mouthClose": deltas[ci],
        "after: mouthClose alone": split[ci],
        "before: jawOpen + mouthClose": deltas[ji] + deltas[ci],
        "after: jawOpen + mouthClose": after(1.0, 1.0),
        "after: jawOpen .5 + mouthClose .5": after(0.5, 0.5),
        "before: jawOpen .3 + mouthClose .9": 0.3 * deltas[ji] + 0.9 * deltas[ci],
        "after: jawOpen .3 + mouthClose .9": after(0.3, 0.9),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder for the sheets")
    parser.add_argument("--match", default="Adult", help="real-dev meshes whose name contains this")
    args = parser.parse_args(argv)
    from _realdev import load_mesh, realdev_dir
    from render_closeups import render_closeups

    from model.api import FaceModel
    from model.mesh_io import read_mesh

    fm = FaceModel.load()
    root = realdev_dir()
    meshes = [] if root is None else sorted((root / "meshes").iterdir())
    paths = [ROOT / "model" / "data" / "demo_head.obj"]
    paths += [p for p in meshes if args.match in p.name and p.suffix.lower() in (".obj", ".fbx")]
    for path in paths:
        if path.parent == ROOT / "model" / "data":
            m = read_mesh(path)
            v, t, up, forward = m.vertices, m.triangles(), "Y", "Z"
        else:
            data = load_mesh(path)
            v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
            up, forward = data["up"], data["forward"]
        prep = fm.prepare(v, t, up=up, forward=forward)
        shapes = sheet_shapes(fm.bake(prep, fm.predict_skin_weights(prep)))
        out = pathlib.Path(args.out) / f"{path.stem}_mouthclose.png"
        render_closeups(v, t, shapes, out, up, forward, title=f"{path.name}: ")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
