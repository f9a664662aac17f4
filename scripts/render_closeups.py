"""Close-up contact sheet of a rig: eyes, mouth and side view for a few shapes, framed on the face.

    PYTHONPATH=. .venv/bin/python scripts/render_closeups.py MESH.obj [--rig RIG.npz]
        [--up Y --forward Z] [--shapes neutral eyeBlink_L jawOpen ...] -o SHEET.png
    PYTHONPATH=. .venv/bin/python scripts/render_closeups.py --realdev OUT_DIR
        [--methods network registration hybrid] [--match Adult_02]

Rows are shapes at weight 1.0, columns the views: **eyes** (front, both eyes), **mouth** (front)
and **side** (the subject's left profile, the whole head). Framing comes from the rig check's
face anchors (eye openings or eyeball components; :func:`model.rig_check.face_anchors`): the
eye midpoint ``E`` and the eye distance ``u``, so a full body is never shown a few pixels wide.
Without anchors the top of the mesh frames the face (busts: the head is the top 35 %).
Without ``--rig`` the shipped default (mixed) bakes the rig (``--methods``: the bake method(s) of
:meth:`model.api.FaceModel.bake`; one sheet per method). ``--realdev`` renders today's rig on
every mesh of ../shared/real-dev (FBX avatars: the head, the top 0.25 m; ``--match``: only
meshes whose name contains it) into OUT_DIR as ``<mesh>_<method>.png`` (never commit);
``--rigs DIR`` draws rigs baked elsewhere (an older commit, on the OBJs of
``scripts/export_realdev_neutrals.py``) instead; ``--docs LABEL`` writes the README's
before/after sheets ``realdev_<mesh>_<LABEL>.jpg`` (rows: :data:`DOCS_SHAPES`).
Headless Workbench (``bpy``); each tile is rendered alone and the tiles are pasted into one PNG.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_SHAPES = ("neutral", "eyeBlink_L", "eyeBlink_R", "jawOpen", "mouthSmile_L", "mouthPucker")
# the README's before/after sheets (docs/images/realdev_<mesh>_<label>.jpg); browInnerUp is the sum
# of ICT's browInnerUp_L and _R (ARKit's one shape)
DOCS_SHAPES = ("neutral", "eyeBlink_L", "jawOpen", "mouthSmile_L", "eyeLookUp_L", "browInnerUp")
JPEG_QUALITY = 80
TILE = 320
SKIN = (0.80, 0.66, 0.58, 1.0)
BACKGROUND = (0.16, 0.17, 0.19)


def _views(anchors, canonical: np.ndarray) -> list[tuple[str, np.ndarray, float, str]]:
    """(name, canonical centre, ortho width, direction) per view."""
    if anchors.mid is not None and "estimate" in anchors.source:
        # sealed eyes: the nose-tip estimate can sit half an eye distance below the eyes (a
        # long nose, Demosthenes), so the tiles are wider and reach higher to keep both in view
        e, u = anchors.mid, anchors.eye_distance
        return [
            ("eyes", e + np.array([0.0, 0.3 * u, 0.0]), 2.6 * u, "front"),
            ("mouth", e + np.array([0.0, -1.0 * u, 0.0]), 2.0 * u, "front"),
            ("side", e + np.array([0.0, -0.5 * u, -1.1 * u]), 5.0 * u, "left"),
        ]
    if anchors.mid is not None:
        e, u = anchors.mid, anchors.eye_distance
        return [
            ("eyes", e.copy(), 1.9 * u, "front"),
            ("mouth", e + np.array([0.0, -1.2 * u, 0.0]), 1.4 * u, "front"),
            ("side", e + np.array([0.0, -0.9 * u, -1.0 * u]), 4.5 * u, "left"),
        ]
    y = canonical[:, 1]
    top = canonical[y > y.max() - 0.35 * (y.max() - y.min())]
    lo, hi = top.min(axis=0), top.max(axis=0)
    c = (lo + hi) / 2
    h = hi[1] - lo[1]
    return [
        ("eyes (guess)", np.array([c[0], hi[1] - 0.4 * h, hi[2]]), 0.6 * h, "front"),
        ("mouth (guess)", np.array([c[0], hi[1] - 0.75 * h, hi[2]]), 0.5 * h, "front"),
        ("side", c, 1.2 * h, "left"),
    ]


def _render_tile(bpy, obj, centre, width, direction, path: pathlib.Path) -> None:
    scene = bpy.context.scene
    cam = scene.camera
    cam.data.ortho_scale = width
    far = 50.0
    if direction == "front":
        cam.location = (centre[0], centre[1], centre[2] + far)
        cam.rotation_euler = (0.0, 0.0, 0.0)
    else:  # from the subject's left (+X), looking toward -X, Y up
        cam.location = (centre[0] + far, centre[1], centre[2])
        cam.rotation_euler = (0.0, math.pi / 2, 0.0)
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)


def render_closeups(
    vertices: np.ndarray,
    triangles: np.ndarray,
    shapes: dict[str, np.ndarray],
    out: pathlib.Path,
    up: str = "Y",
    forward: str = "Z",
    title: str = "",
    legend: bool = True,
) -> pathlib.Path:
    """Render ``shapes`` (name -> (V, 3) deltas; ``"neutral"`` may map to zeros) to one image.

    vertices (V, 3) any units/axes named by up/forward; triangles (T, 3). ``out`` ending in
    .jpg/.jpeg is written as JPEG (quality 80), else PNG; ``legend`` also writes ``out`` .txt
    (rows, columns, how the face was found).
    """
    import bpy

    from model.rig_check import face_anchors

    anchors = face_anchors(vertices, triangles, up, forward)
    frame, canon = anchors.frame, anchors.canonical
    views = _views(anchors, canon)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    me = bpy.data.meshes.new("face")
    me.from_pydata(canon.tolist(), [], np.asarray(triangles).tolist())
    me.shade_smooth() if hasattr(me, "shade_smooth") else None
    obj = bpy.data.objects.new("face", me)
    scene.collection.objects.link(obj)
    cam = bpy.data.objects.new("cam", bpy.data.cameras.new("cam"))
    cam.data.type = "ORTHO"
    cam.data.clip_end = 200.0
    scene.collection.objects.link(cam)
    scene.camera = cam
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x = scene.render.resolution_y = TILE
    scene.render.image_settings.file_format = "PNG"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "SINGLE"
    scene.display.shading.single_color = SKIN[:3]
    scene.display.shading.show_cavity = True
    scene.display.render_aa = "8"
    world = bpy.data.worlds.new("w")
    world.color = BACKGROUND
    scene.world = world
    scene.view_settings.view_transform = "Standard"

    names = list(shapes)
    sheet = np.zeros((len(names) * TILE, len(views) * TILE, 4), dtype=np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        for r, name in enumerate(names):
            moved = canon + frame.vectors_to_canonical(np.asarray(shapes[name], dtype=np.float64))
            me.vertices.foreach_set("co", moved.astype(np.float32).ravel())
            me.update()
            for c, (_, centre, width, direction) in enumerate(views):
                p = pathlib.Path(tmp) / f"{r}_{c}.png"
                _render_tile(bpy, obj, centre, width, direction, p)
                img = bpy.data.images.load(str(p))
                px = np.empty(TILE * TILE * 4, dtype=np.float32)
                img.pixels.foreach_get(px)
                bpy.data.images.remove(img)
                # Blender images are stored bottom row first
                rows = len(names) - 1 - r
                sheet[rows * TILE : (rows + 1) * TILE, c * TILE : (c + 1) * TILE] = px.reshape(TILE, TILE, 4)
    h, w = sheet.shape[:2]
    img = bpy.data.images.new("sheet", w, h)
    img.pixels.foreach_set(sheet.ravel())
    out.parent.mkdir(parents=True, exist_ok=True)
    img.filepath_raw = str(out)
    if out.suffix.lower() in (".jpg", ".jpeg"):
        img.file_format = "JPEG"
        img.save(quality=JPEG_QUALITY)
    else:
        img.file_format = "PNG"
        img.save()
    if not legend:
        return out
    legend = f"{title}rows: {', '.join(names)}; columns: {', '.join(v[0] for v in views)}"
    out.with_suffix(".txt").write_text(legend + f"\nanchors: {anchors.source}\n")
    return out


def _bake(vertices, triangles, up, forward, methods=("mixed",), materials=None) -> dict:
    """{method: (53, V, 3) deltas} from one prepared mesh (``materials``: (T,) per-triangle
    material indices or None)."""
    from model.api import FaceModel

    fm = FaceModel.load()
    prep = fm.prepare(vertices, triangles, up=up, forward=forward, materials=materials)
    skin = fm.predict_skin_weights(prep)
    return {m: fm.bake(prep, skin, method=m) for m in methods}


def _pick(deltas, names, wanted):
    from model.facs import ICT_NAMES

    index = {n: i for i, n in enumerate(names or ICT_NAMES)}
    out = {}
    for w in wanted:
        if w == "neutral":
            out[w] = np.zeros_like(deltas[0])
        elif w in index:
            out[w] = deltas[index[w]]
        else:  # an ARKit name with ICT halves (browInnerUp): both sides together
            out[w] = deltas[index[f"{w}_L"]] + deltas[index[f"{w}_R"]]
    return out


def _artist_shapes(data: dict, wanted) -> dict | None:
    """The avatar's ``AK_NN_<ArkitName>`` keys as head deltas under the ICT names of ``wanted``
    (``eyeBlink_L`` <- ``eyeBlinkLeft``); None when it has none."""
    import re

    from model.facs import ict_to_arkit_name

    ids = data["head_ids"]
    keys = {}
    for key, pos in data["shape_keys"].items():
        m = re.match(r"AK_\d\d_(\w+)$", key)
        if m:
            keys[m.group(1)[0].lower() + m.group(1)[1:]] = pos[ids] - data["vertices"][ids]
    if not keys:
        return None
    out = {}
    for w in wanted:
        if w == "neutral":
            out[w] = np.zeros((len(ids), 3))
        elif ict_to_arkit_name(w) in keys:
            out[w] = keys[ict_to_arkit_name(w)]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mesh", nargs="?", help="neutral mesh (.obj/.ply)")
    parser.add_argument("--rig", help="rig .npz from `python -m model bake` (default: bake now)")
    parser.add_argument("--up", default="Y")
    parser.add_argument("--forward", default="Z")
    parser.add_argument("--shapes", nargs="+", default=list(DEFAULT_SHAPES))
    parser.add_argument("-o", "--out", help="output PNG")
    parser.add_argument("--realdev", help="render today's rig on every real-dev mesh into this folder")
    parser.add_argument("--match", default="", help="--realdev: only meshes whose file name contains this")
    parser.add_argument(
        "--methods", nargs="+", default=["mixed"], choices=["mixed", "network", "registration", "hybrid"]
    )
    parser.add_argument(
        "--rigs",
        help="--realdev: draw DIR/<mesh>.npz (baked on scripts/export_realdev_neutrals.py's OBJ, "
        "same vertex order) instead of baking now",
    )
    parser.add_argument(
        "--docs",
        metavar="LABEL",
        help="--realdev: the README's sheets: OUT/realdev_<mesh>_<LABEL>.jpg with the README's "
        "shapes, no legend or artist sheet (e.g. --realdev docs/images --docs after)",
    )
    args = parser.parse_args(argv)
    if args.docs and args.shapes == list(DEFAULT_SHAPES):
        args.shapes = list(DOCS_SHAPES)
    if args.realdev:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from _realdev import load_mesh, require_realdev

        realdev = require_realdev()
        demo = ROOT / "model" / "data" / "demo_head.obj"
        meshes = sorted(p for p in (realdev / "meshes").iterdir() if p.suffix.lower() in (".obj", ".fbx"))
        paths = [p for p in (demo, *meshes) if args.match in p.name]
        for path in paths:
            if path == demo:
                from model.mesh_io import read_mesh

                m = read_mesh(path)
                v, t, up, fwd = m.vertices, m.triangles(), "Y", "Z"
                materials = m.triangle_materials()
            else:
                data = load_mesh(path)
                v, t = data["vertices"][data["head_ids"]], data["head_triangles"]
                up, fwd = data["up"], data["forward"]
                materials = data["head_materials"]
            if args.rigs:
                with np.load(pathlib.Path(args.rigs) / f"{path.stem}.npz") as z:
                    names, baked = [str(n) for n in z["names"]], {"rig": z["deltas"]}
                if baked["rig"].shape[1] != len(v):
                    sys.exit(f"{path.stem}.npz has {baked['rig'].shape[1]} vertices, the mesh {len(v)}: "
                             "bake it on scripts/export_realdev_neutrals.py's OBJ")  # fmt: skip
            else:
                names, baked = None, _bake(v, t, up, fwd, args.methods, materials)
            for method, deltas in baked.items():
                out = pathlib.Path(args.realdev) / f"{path.stem}_{method}.png"
                if args.docs:
                    suffix = "" if len(baked) == 1 else f"_{method}"
                    out = pathlib.Path(args.realdev) / f"realdev_{path.stem}_{args.docs}{suffix}.jpg"
                title = f"{path.name} ({method}): "
                shapes = _pick(deltas, names, args.shapes)
                render_closeups(v, t, shapes, out, up, fwd, title=title, legend=not args.docs)
                print(f"wrote {out}")
            if args.docs:
                continue
            artist = _artist_shapes(data, args.shapes) if path.suffix.lower() == ".fbx" else None
            if artist:  # what the artist made, for comparison
                out = pathlib.Path(args.realdev) / f"{path.stem}_artist.png"
                render_closeups(v, t, artist, out, up, fwd, title=f"{path.name} (artist's AK_ keys): ")
                print(f"wrote {out}")
        return 0
    if not args.mesh or not args.out:
        parser.error("give MESH and -o OUT.png, or --realdev OUT_DIR")
    from model.mesh_io import read_mesh

    m = read_mesh(args.mesh)
    if args.rig:
        with np.load(args.rig) as z:
            deltas, names = z["deltas"], [str(n) for n in z["names"]]
    else:
        baked = _bake(m.vertices, m.triangles(), args.up, args.forward, args.methods, m.triangle_materials())
        out = pathlib.Path(args.out)
        for method, deltas in baked.items():
            path = out if len(baked) == 1 else out.with_name(f"{out.stem}_{method}{out.suffix}")
            render_closeups(m.vertices, m.triangles(), _pick(deltas, None, args.shapes), path,
                            args.up, args.forward)  # fmt: skip
            print(f"wrote {path}")
        return 0
    render_closeups(m.vertices, m.triangles(), _pick(deltas, names, args.shapes), pathlib.Path(args.out),
                    args.up, args.forward)  # fmt: skip
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
