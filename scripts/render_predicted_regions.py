"""Render the network's predicted face regions on a mesh (front and side), headless Workbench.

    .venv/bin/python scripts/render_predicted_regions.py MESH.obj [--up Y --forward Z] -o out.png
    .venv/bin/python scripts/render_predicted_regions.py --realdev OUT_DIR [--match NAME] [--no-placement]

Each triangle takes the argmax region of its corners (the colours of
``scripts/render_segmentation.py``, which draws ICT's own labels). The quickest way to see whether
the network found the face: on Nefertiti's bust without :mod:`model.face_placement` the crown was
forehead and brows and the whole face chin and jaw. ``--no-placement`` draws that older
behaviour. Drawn in the canonical frame of the network's vertices, so every mesh faces the camera
the same way; ``--realdev`` writes ``OUT_DIR/regions_<mesh>.png`` for every real-dev mesh.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def predicted_regions(model, vertices: np.ndarray, triangles: np.ndarray, up: str, forward: str):
    """(canonical vertices (S, 3), triangles (T', 3), argmax label per vertex (S,)) on the
    vertices the network sees (the head of a bust or body)."""
    prepared = model.prepare(vertices, triangles, up=up, forward=forward)
    skin = prepared.network_rows(model.predict_skin_weights(prepared))
    return prepared.canonical.astype(np.float64), prepared.triangles_seen, skin.argmax(axis=1)


def render(canonical: np.ndarray, triangles: np.ndarray, labels: np.ndarray, out: pathlib.Path) -> None:
    """Front and side view side by side, one flat colour per region, into ``out`` (PNG)."""
    import bpy
    from render_segmentation import region_colors

    from model.regions import REGION_NAMES

    # canonical (Y up, +Z forward) -> Blender (Z up, -Y forward)
    verts = np.stack([canonical[:, 0], -canonical[:, 2], canonical[:, 1]], axis=1)
    corner = labels[triangles]
    # a triangle takes the label two of its corners share, else its first corner's
    face_label = np.where(corner[:, 1] == corner[:, 2], corner[:, 1], corner[:, 0])
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    materials = []
    for name, colour in zip(REGION_NAMES, region_colors(REGION_NAMES), strict=True):
        mat = bpy.data.materials.new(name)
        mat.diffuse_color = (*colour, 1.0)
        materials.append(mat)
    half_width = float(np.ptp(verts[:, 0])) * 0.6
    for name, angle, offset in (("front", 0.0, -half_width), ("side", -90.0, half_width)):
        mesh = bpy.data.meshes.new(name)
        mesh.from_pydata(verts.tolist(), [], triangles.tolist())
        for mat in materials:
            mesh.materials.append(mat)
        mesh.polygons.foreach_set("material_index", face_label.astype(np.int32))
        mesh.update()
        obj = bpy.data.objects.new(name, mesh)
        obj.rotation_euler = (0.0, 0.0, math.radians(angle))
        obj.location = (offset, 0.0, 0.0)
        scene.collection.objects.link(obj)
    camera = bpy.data.cameras.new("camera")
    camera.type = "ORTHO"
    camera.ortho_scale = max(4.4 * half_width, 1.2 * float(np.ptp(verts[:, 2])) * 2.0)
    cam = bpy.data.objects.new("camera", camera)
    cam.location = (0.0, -10.0, float(verts[:, 2].min() + verts[:, 2].max()) / 2.0)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    r = scene.render
    r.engine = "BLENDER_WORKBENCH"
    r.resolution_x, r.resolution_y = 1200, 600
    scene.display.shading.light = "FLAT"
    scene.display.shading.color_type = "MATERIAL"
    r.filepath = str(out)
    bpy.ops.render.render(write_still=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mesh", nargs="?", help="neutral mesh (.obj/.ply)")
    parser.add_argument("--up", default="Y")
    parser.add_argument("--forward", default="Z")
    parser.add_argument("-o", "--out", default="regions.png")
    parser.add_argument("--realdev", help="render every real-dev mesh into this folder")
    parser.add_argument("--match", default="", help="--realdev: only meshes whose file name contains this")
    parser.add_argument("--no-placement", action="store_true", help="without model.face_placement")
    args = parser.parse_args()

    from model.api import FaceModel

    model = FaceModel.load()
    model.face_placement = not args.no_placement
    jobs = []
    if args.realdev:
        from _realdev import load_mesh, require_realdev

        out_dir = pathlib.Path(args.realdev)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted((require_realdev() / "meshes").iterdir()):
            if args.match in path.name:
                data = load_mesh(path)
                v = data["vertices"][data["head_ids"]]
                jobs.append(
                    (
                        v,
                        data["head_triangles"],
                        data["up"],
                        data["forward"],
                        out_dir / f"regions_{path.stem}.png",
                    )
                )
    elif args.mesh:
        from model.mesh_io import read_mesh

        mesh = read_mesh(args.mesh)
        jobs.append((mesh.vertices, mesh.triangles(), args.up, args.forward, pathlib.Path(args.out)))
    else:
        parser.error("give a mesh or --realdev DIR")
    for v, t, up, forward, out in jobs:
        render(*predicted_regions(model, v, t, up, forward), out)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # the bpy module can hang at interpreter exit
