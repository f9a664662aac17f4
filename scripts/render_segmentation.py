"""Render the ICT face-region segmentation (front + three-quarter view) with headless Blender.

Usage (the venv has Blender as the ``bpy`` module):
    ICT_FACEKIT=/path/to/ICT-FaceKit .venv/bin/python scripts/render_segmentation.py \
        [-o docs/images/segmentation.png] [--labels model/data/ict_regions.npz] [--size 1600]

Draws the face+head crop of the neutral twice (front, 35 degrees turned toward the subject's
left) with one flat colour per region and a legend. Workbench engine, falls back to Cycles.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# sRGB colours per region (hand-picked so neighbours differ); _R twins are a little darker.
PALETTE = {
    "scalp": "#b8b2aa", "neck": "#8a8f99", "forehead": "#9ccf5a", "brow": "#e0559a",
    "upper_lid": "#40c4c4", "lower_lid": "#f0a040", "nose": "#6a5fd6", "cheek": "#4fb06a",
    "upper_lip": "#e04848", "lower_lip": "#3a8ee0", "mouth_corner": "#f2dc40", "chin_jaw": "#b27ad6",
    "eye": "#ffffff", "mouth_interior": "#a03a3a",
}  # fmt: skip


def region_colors(names: tuple[str, ...]) -> np.ndarray:
    """(K, 3) linear RGB (Blender material colours are linear)."""
    cols = np.zeros((len(names), 3))
    for k, n in enumerate(names):
        base = n[:-2] if n.endswith(("_L", "_R")) else n
        h = PALETTE.get(base, "#808080")
        rgb = np.array([int(h[i : i + 2], 16) / 255.0 for i in (1, 3, 5)])
        if n.endswith("_R"):
            rgb = rgb * 0.8
        cols[k] = rgb**2.2
    return cols


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "images" / "segmentation.png"))
    parser.add_argument("--labels", default=None, help="region table npz (default: the committed one)")
    parser.add_argument("--recompute", action="store_true", help="derive the labels anew, ignore the table")
    parser.add_argument("--size", type=int, default=1600, help="image width in pixels")
    parser.add_argument("--crop", default="head", help="ICT crop to draw (narrow, face, head)")
    args = parser.parse_args()

    import bpy

    from model.ict import CROPS, load_ict
    from model.regions import REGION_NAMES, ict_region_labels, load_region_table
    from training.regions_derivation import compute_region_labels

    ict = load_ict(args.ict)
    if args.recompute:
        labels = compute_region_labels(ict)
    else:
        labels = load_region_table(args.labels)[0] if args.labels else ict_region_labels(ict)
    n, fi, fs = ict.crop(args.crop, polygons=True)
    assert n == CROPS[args.crop]
    verts = ict.neutral[:n].astype(np.float64)
    # ICT: Y up, +Z forward -> Blender: Z up, -Y forward.
    verts = np.stack([verts[:, 0], -verts[:, 2], verts[:, 1]], axis=1)
    starts = np.concatenate([[0], np.cumsum(fs)[:-1]])
    # A face takes the majority label of its corners (ties: the first corner's).
    corner_lab = labels[fi]
    face_lab = np.empty(fs.shape[0], dtype=np.int64)
    for size in np.unique(fs):
        sel = np.flatnonzero(fs == size)
        lab = corner_lab[starts[sel][:, None] + np.arange(size)]
        counts = (lab[:, :, None] == lab[:, None, :]).sum(2)
        face_lab[sel] = lab[np.arange(sel.size), counts.argmax(1)]

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    colors = region_colors(REGION_NAMES)
    mats = []
    for k, name in enumerate(REGION_NAMES):
        mat = bpy.data.materials.new(name)
        mat.diffuse_color = (*colors[k], 1.0)
        mats.append(mat)
    black = bpy.data.materials.new("text")
    black.diffuse_color = (0.02, 0.02, 0.02, 1.0)

    def add_head(name: str, angle_deg: float, offset_x: float) -> None:
        mesh = bpy.data.meshes.new(name)
        mesh.vertices.add(n)
        mesh.vertices.foreach_set("co", verts.ravel())
        mesh.loops.add(fi.shape[0])
        mesh.loops.foreach_set("vertex_index", fi.astype(np.int32))
        mesh.polygons.add(fs.shape[0])
        mesh.polygons.foreach_set("loop_start", starts.astype(np.int32))
        mesh.polygons.foreach_set("loop_total", fs.astype(np.int32))
        for m in mats:
            mesh.materials.append(m)
        mesh.polygons.foreach_set("material_index", face_lab.astype(np.int32))
        mesh.polygons.foreach_set("use_smooth", np.ones(fs.shape[0], dtype=bool))
        mesh.update()
        obj = bpy.data.objects.new(name, mesh)
        obj.rotation_euler = (0.0, 0.0, math.radians(angle_deg))
        obj.location = (offset_x, 0.0, 0.0)
        scene.collection.objects.link(obj)

    add_head("front", 0.0, -14.0)
    add_head("three_quarter", -35.0, 14.0)  # turned so the subject's left (+X) side shows

    # Legend: a colour swatch and the name of each region, right of the heads.
    lx, top, step = 31.0, 14.0, 1.55
    for k, name in enumerate(REGION_NAMES):
        z = top - k * step
        bpy.ops.mesh.primitive_plane_add(size=1.0, location=(lx, -20.0, z), rotation=(math.pi / 2, 0, 0))
        sw = bpy.context.object
        sw.data.materials.append(mats[k])
        txt = bpy.data.curves.new(f"t{k}", "FONT")
        txt.body = name
        txt.size = 1.0
        tobj = bpy.data.objects.new(f"t{k}", txt)
        tobj.location = (lx + 1.0, -20.0, z - 0.35)
        tobj.rotation_euler = (math.pi / 2, 0, 0)
        tobj.data.materials.append(black)
        scene.collection.objects.link(tobj)

    cam_data = bpy.data.cameras.new("cam")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = 76.0
    cam = bpy.data.objects.new("cam", cam_data)
    cam.location = (6.0, -80.0, -2.0)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam

    r = scene.render
    r.resolution_x = args.size
    r.resolution_y = int(args.size * 0.5)
    r.resolution_percentage = 100
    r.image_settings.file_format = "PNG"
    r.image_settings.color_mode = "RGB"
    r.image_settings.compression = 100
    world = bpy.data.worlds.new("w")
    world.color = (1.0, 1.0, 1.0)
    scene.world = world
    scene.view_settings.view_transform = "Standard"
    r.filepath = str(Path(args.output).resolve())
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    try:
        r.engine = "BLENDER_WORKBENCH"
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.color_type = "MATERIAL"
        shading.show_cavity = False
        shading.background_type = "WORLD" if hasattr(shading, "background_type") else shading.background_type
        bpy.ops.render.render(write_still=True)
    except RuntimeError as exc:
        print(f"workbench failed ({exc}); using Cycles", file=sys.stderr)
        r.engine = "CYCLES"
        scene.cycles.samples = 16
        scene.cycles.device = "CPU"
        for m in mats + [black]:
            m.use_nodes = True
            m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = m.diffuse_color
        bpy.ops.render.render(write_still=True)
    print(f"wrote {args.output} ({Path(args.output).stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
