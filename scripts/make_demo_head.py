"""Derive the bundled demo head ``model/data/demo_head.obj`` from ICT-FaceKit.

Usage::

    python scripts/make_demo_head.py --ict /path/to/ICT-FaceKit [--out model/data/demo_head.obj]

(``--ict`` defaults to the ``ICT_FACEKIT`` environment variable.) Needs ``pymeshlab`` (the
``train`` extra).

What it builds, and why:

* a fixed, non-generic identity (a blend of the first ICT identity modes with fixed
  coefficients), so the demo does not show the generic ICT face;
* the "head" region (face + head and neck, ICT vertices ``[0, 11248)``) decimated with quadric
  edge collapse into a triangle mesh, so the result has none of ICT's topology (the network
  must work on an arbitrary mesh, and the demo should show that). Triangles, not quads: pairing
  the decimated triangles into quads made ~250 non-planar quads whose split folds over (dark
  specks in renders);
* both eyeballs, decimated, as separate components (real artist heads have them, and the
  network must cope with several components).

The output is deterministic: same ICT files, same bytes. Units are ICT's centimetres, axes are
ICT's (Y up, face toward +Z), which is also the OBJ convention Blender's importer expects.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import sys

import numpy as np

HEAD_VERTICES = 11248  # ICT "head" crop: face [0, 9409) + head and neck [9409, 11248)
EYEBALLS = ((21451, 23021), (23021, 24591))  # left, right eyeball vertex ranges in ICT order
# Identity-mode coefficients (in units of each mode as stored by ICT-FaceKit): an arbitrary,
# fixed, plausible face that is clearly not the generic mean.
IDENTITY_COEFFS = (1.4, -0.9, 0.8, 0.6, -1.1, 0.5, -0.4, 0.7, -0.6, 0.3)
HEAD_TARGET_FACES = 8400  # triangles; about 4.3k vertices
EYE_TARGET_FACES = 320  # triangles per eyeball

MIT_NOTICE = """\
MIT License

Copyright (c) 2020 USC Institute for Creative Technologies

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def read_obj_vertices(path: pathlib.Path) -> np.ndarray:
    """``v`` lines of an OBJ as ``(V, 3)`` float64 (texture/normal lines ignored)."""
    rows = [line[2:] for line in path.read_text().splitlines() if line.startswith("v ")]
    return np.loadtxt(rows, dtype=np.float64).reshape(-1, 3)


def read_obj_triangles(path: pathlib.Path) -> np.ndarray:
    """Faces of an OBJ (ICT-FaceKit: quads and a few triangles), fan-split: ``(T, 3)`` int64."""
    tris = []
    for line in path.read_text().splitlines():
        if line.startswith("f "):
            f = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
            tris += [(f[0], f[k], f[k + 1]) for k in range(1, len(f) - 1)]
    return np.asarray(tris, dtype=np.int64)


def submesh(vertices: np.ndarray, tris: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertices ``[lo, hi)`` and the triangles entirely inside them, reindexed."""
    keep = np.all((tris >= lo) & (tris < hi), axis=1)
    return vertices[lo:hi].copy(), tris[keep] - lo


def simplify(vertices: np.ndarray, triangles: np.ndarray, target_faces: int):
    """Quadric decimation (boundaries kept). Returns ``(vertices (V, 3), triangles (T, 3))``."""
    import pymeshlab

    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=vertices, face_matrix=triangles.astype(np.int32)))
    ms.meshing_decimation_quadric_edge_collapse(
        targetfacenum=target_faces,
        qualitythr=0.6,
        preserveboundary=True,
        boundaryweight=2.0,
        preservenormal=True,
        optimalplacement=True,
        planarquadric=True,
    )
    ms.meshing_remove_unreferenced_vertices()
    m = ms.current_mesh()
    return np.asarray(m.vertex_matrix(), dtype=np.float64), np.asarray(m.face_matrix(), dtype=np.int64)


def build(ict: pathlib.Path) -> str:
    """The demo head as OBJ text (deterministic)."""
    fx = ict / "FaceXModel"
    neutral = read_obj_vertices(fx / "generic_neutral_mesh.obj")
    tris = read_obj_triangles(fx / "generic_neutral_mesh.obj")
    verts = neutral.copy()
    for i, c in enumerate(IDENTITY_COEFFS):
        verts += c * (read_obj_vertices(fx / f"identity{i:03d}.obj") - neutral)

    parts = [("head", *submesh(verts, tris, 0, HEAD_VERTICES), HEAD_TARGET_FACES)]
    for name, (lo, hi) in zip(("eye_L", "eye_R"), EYEBALLS, strict=True):
        parts.append((name, *submesh(verts, tris, lo, hi), EYE_TARGET_FACES))

    out_v, groups = [], []
    offset = 0
    for name, v, t, target in parts:
        sv, st = simplify(v, t, target)
        out_v.append(sv)
        groups.append((name, st + offset))
        offset += len(sv)
    allv = np.concatenate(out_v)

    lines = ["# Neural Face Skinning demo head (generated by scripts/make_demo_head.py)."]
    lines.append("# Derived from ICT-FaceKit (USC Institute for Creative Technologies), MIT License:")
    lines += ["# " + line if line else "#" for line in MIT_NOTICE.splitlines()]
    lines.append(
        f"# A blend of ICT identity modes 0-{len(IDENTITY_COEFFS) - 1}, head crop and eyeballs, "
        "decimated: not ICT topology."
    )
    lines.append(f"# Units: centimetres. Axes: Y up, face toward +Z. {len(allv)} vertices.")
    lines += [f"v {x:.4f} {y:.4f} {z:.4f}" for x, y, z in allv]
    for name, faces in groups:
        lines.append(f"o {name}")
        lines += [f"f {a} {b} {c}" for a, b, c in (faces + 1).tolist()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ict", default=os.environ.get("ICT_FACEKIT"), help="ICT-FaceKit folder")
    root = pathlib.Path(__file__).resolve().parents[1]
    parser.add_argument("--out", default=str(root / "model" / "data" / "demo_head.obj"))
    args = parser.parse_args(argv)
    if not args.ict or not (pathlib.Path(args.ict) / "FaceXModel").is_dir():
        print("error: ICT-FaceKit not found: pass --ict PATH or set ICT_FACEKIT", file=sys.stderr)
        return 2
    text = build(pathlib.Path(args.ict))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    (out.parent / "DEMO_HEAD_LICENSE.txt").write_text(
        "model/data/demo_head.obj is derived from ICT-FaceKit\n"
        "(https://github.com/ICT-VGL/ICT-FaceKit) and distributed under its license:\n\n" + MIT_NOTICE
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    print(f"wrote {out} ({len(text) / 1e6:.2f} MB, sha256 {digest}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
