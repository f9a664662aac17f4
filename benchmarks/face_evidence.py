"""Does the input look like a face? The evidence behind the "does not look like a face" warning
(:mod:`model.input_warnings`) on faces and on the objects an artist selects by mistake.

    PYTHONPATH=. .venv/bin/python benchmarks/face_evidence.py [--no-variants] [--no-eval]

Faces: the demo head, the add-on tests' nosed sphere, the real-dev meshes as the benchmarks bake
them (the avatars' heads, and whole with their bodies), their ``benchmarks/realdev_variants.py``
variants (turned 10 degrees, cm, split, noise, decimate, stylize) and the held-out ICT cases
(``eval_cases/``, when present). Non-faces: Blender's primitives as ``tests/model/mesh_helpers``
builds them (UV sphere, cube, subdivided box, torus, cylinder, plane grid), the tests' bumpy
height field, and the real-dev avatars' bodies without their heads. Each mesh is prepared as the
bake prepares it (the shipped weights; the warning reads geometry only) and one row says which
eyes were found, in how many of the 12 directions around the most forward point the front falls
back as around a nose (computed even when eyes are found), and whether it was warned. The last
lines give the margin. The real-dev rows skip without ../shared/real-dev.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import ROOT, load_mesh, mesh_paths, realdev_dir  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "model"))
from mesh_helpers import box, cylinder, grid_face, nosed_head, plane_grid, torus, uv_sphere  # noqa: E402

NOT_A_FACE = "does not look like a face"


def items(variants: bool, held_out: bool):
    """(name, vertices, triangles, up, forward, is a face) of every mesh measured."""
    from model.mesh_io import read_mesh

    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    faces = [("demo head", demo.vertices, demo.triangles(), "Y", "Z")]
    faces.append(("nosed sphere (add-on tests)", *nosed_head(), "Y", "Z"))
    others = [(name, *make(), "Y", "Z") for name, make in (
        ("UV sphere", uv_sphere), ("cube (8 vertices)", box), ("subdivided box", lambda: box(12)),
        ("torus", torus), ("cylinder", cylinder), ("plane grid", plane_grid),
        ("bumpy height field", grid_face),
    )]  # fmt: skip
    heads = [faces[0]]
    realdev = realdev_dir()
    if realdev is not None:
        for path in mesh_paths(realdev):
            d = load_mesh(path)
            v, t, ids = d["vertices"], d["triangles"], d["head_ids"]
            head = (path.stem, v[ids], d["head_triangles"], d["up"], d["forward"])
            faces.append(head)
            heads.append(head)
            if len(ids) < len(v):
                faces.append((f"{path.stem} [with body]", v, t, d["up"], d["forward"]))
                # the body without its head: everything 0.27 m below the top (Z up, metres)
                keep = v[:, 2] < v[:, 2].max() - 0.27
                kept = t[keep[t].all(1)]
                used, inverse = np.unique(kept, return_inverse=True)
                others.append((f"{path.stem} [body, no head]", v[used], inverse.reshape(-1, 3), "Z", "-Y"))
    if variants:
        from realdev_variants import variants as make_variants

        for name, v, t, up, forward in heads:
            made = make_variants(np.asarray(v, np.float64), t, None, up, forward)
            for vname, (vv, tt, _, _) in made.items():
                if vname != "as is":
                    faces.append((f"{name} [{vname}]", vv, tt, up, forward))
    if held_out:
        for path in sorted((ROOT / "eval_cases").glob("*/*.obj")):
            m = read_mesh(path)
            faces.append((path.stem, m.vertices, m.triangles(), "Y", "Z"))
    return [(*f, True) for f in faces] + [(*o, False) for o in others]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-variants", action="store_true", help="skip the real-dev variants")
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out ICT cases")
    args = parser.parse_args()
    from model.api import FaceModel
    from model.input_warnings import NOSE_SECTORS, nose_share

    fm = FaceModel.load()
    rows = []
    print(f"| mesh | vertices | face | eyes found | nose directions of {NOSE_SECTORS} | warned |")
    print("|---|---|---|---|---|---|")
    for name, v, t, up, forward, is_face in items(not args.no_variants, not args.no_eval):
        prepared = fm.prepare(np.asarray(v, np.float64), np.asarray(t, np.int64), up=up, forward=forward)
        evidence = prepared.face_evidence()
        alignment = prepared._tensors.get("face_alignment")
        pitch = 0.0 if alignment is None else alignment.face_pitch
        share = nose_share(prepared.canonical, prepared.triangles_seen, prepared.skin_component(), pitch)
        directions = int(round(share * NOSE_SECTORS))
        warned = any(NOT_A_FACE in w for w in prepared.warnings)
        axes = prepared.axes_warning is not None
        said = "yes" if warned else "axes warning" if axes else "no"
        rows.append((name, is_face, evidence.eyes, directions, warned, axes))
        face = "yes" if is_face else "no"
        print(f"| {name} | {len(v)} | {face} | {evidence.eyes or '-'} | {directions} | {said} |")
        sys.stdout.flush()
    faces = [r for r in rows if r[1]]
    others = [r for r in rows if not r[1]]
    eyeless = [r[3] for r in faces if r[2] is None]
    print(f"\nfaces warned: {sum(r[4] for r in faces)} of {len(faces)}")
    said = sum(r[4] or r[5] for r in others)
    print(f"non-faces warned (or given the axes warning): {said} of {len(others)}")
    if eyeless:
        span = f"{min(eyeless)}-{max(eyeless)}"
        print(f"nose directions, faces without eyes found: {span} ({len(eyeless)} meshes)")
    print(f"nose directions, non-faces: {min(r[3] for r in others)}-{max(r[3] for r in others)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
