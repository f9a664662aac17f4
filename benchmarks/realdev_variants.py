"""The rig check on the real-dev meshes as other users might bring them: turned, in other units,
denser, noisier, low-poly, caricatured, cropped to the face.

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_variants.py [--match NAME] [--variants a,b] [--verbose]
        [--method mixed] [--save DIR] [--ict-parts complete,head+eyes+lashes]

Each real-dev mesh (and the demo head) is transformed (turned 10 degrees about each axis through its
centre, scaled to centimetres, every triangle split in four, 0.15 % scan-like noise along the
normals, decimated to a third of its triangles, warped into a caricature, cropped to the face;
the FBX avatars also whole, body and clothes, as a user selects them: ``with body``) and baked by
the shipped default, mixed (``--method``: another bake method), with the axes the user would
give; the rig check runs on the mesh as it came, the deltas mapped back (turns, units), or on the
variant itself (split, noise, decimate, stylize, face crop, face mask, with body);
``--ict-parts`` adds ICT-FaceKit's held-out head with part sets of ``benchmarks/ict_parts.py``
(a film head: eye sockets, mouth bag, lashes, shells, teeth; session 19 found the lashes and a
pitched head's mouth bag breaking what the real-dev meshes never showed). One row per
mesh and variant, the same columns as ``benchmarks/realdev_check.py``; a variant that adds
verdicts the mesh as it comes does not have is a robustness problem. ``--save DIR`` writes each
variant's mesh and rig for ``scripts/render_closeups.py MESH.obj --rig RIG.npz``. Skips (exit 0)
without ../shared/real-dev.

* ``centre seam``: the UVs of the two halves mirrored (a game head's usual layout): a seam
  down the middle of the face, each vertex on it duplicated, one copy per half (session 21).
* ``merged``: *Merge by Distance* as an artist tidies a mesh (vertices within 1e-5 of the
  bounding-box diagonal become one: a game mesh's UV seams close, and a film head's lash strips,
  tear lines and occlusion shells, whose edges lie on the lid margin, become one surface with
  the lids: session 21).
* ``decimate``: a low-poly game head (a game's LOD). Seam duplicates welded (a game mesh's UV
  seams would otherwise be boundaries the collapse must keep on both sides), then quadric edge
  collapse (pymeshlab, a training extra imported only for this variant) to a third of the
  triangles, boundaries (eye and mouth openings, the crop) preserved with a heavy weight,
  topology and normals preserved, so separate parts (eyeballs, teeth, lashes) stay separate and
  are decimated too; each new triangle takes the material of the nearest old one.
  Deterministic (meshlab's collapse is).
* ``stylize``: a smooth caricature in face units (u = the eye distance of
  :func:`model.rig_check.face_anchors` on the mesh, in its canonical frame): each eye region
  (eyeball, lids, within 0.35 u of the eye centre, fading out by 1.1 u) 25 % bigger about its
  centre and moved 0.06 u outward; the head 10 % wider from the eyes up, the jaw 12 % narrower
  1.6 u below the eyes (a smooth blend between, fading out again below the chin); the nose
  0.12 u longer (forward) and 0.04 u lower around its tip (Gaussian, 0.3 u). Displacements are
  functions of position, so seam duplicates and a part touching the skin move together.
* ``face crop``: the front of the face only, as a scan, a 3DMM fit or a photogrammetry crop
  comes (a face mask with an open boundary all round). In face units upright with the face
  (:func:`model.rig_check.face_units` of :func:`model.rig_check.face_anchors`, the pitch fitted
  as the rig check fits it): the triangles whose three vertices lie in front of a plane through
  the ears (``z > -1.5 u``, the rig check's ``_BACK_Z``: on the demo head its ears stand out
  from the skull between -1.7 and -1.1 u, so the back of the head goes and the ears are cut
  through) and above a cut at mid-neck (``y > -2.8 u``: ICT's chin underside lies 2.3 u below
  the eyes, its neck base 3.3 u). Of what is left, the largest piece and every separate part
  kept whole (eyeballs, teeth, lashes inside the kept volume); crumbs of a part the cut went
  through (an ear's rim, half a mouth bag) are dropped, as a crop tool keeps the connected
  mask. Unreferenced vertices removed.
* ``face mask``: the same, tighter: in front of the ears (``z > -1.0 u``: no ears at all, the
  back of the cheeks cut) and just under the chin (``y > -2.4 u``).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "model"))  # mesh_helpers
from _realdev import ROOT, bake_methods, load_mesh, mesh_paths, require_realdev  # noqa: E402
from realdev_check import summary  # noqa: E402

AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}


def _turn(axis: np.ndarray, degrees: float) -> np.ndarray:
    """(3, 3) rotation about the unit ``axis`` by ``degrees`` (Rodrigues)."""
    a = axis / np.linalg.norm(axis)
    t = np.radians(degrees)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + np.sin(t) * k + (1 - np.cos(t)) * k @ k


def _axis(name: str) -> np.ndarray:
    v = np.zeros(3)
    v[AXIS_INDEX[name.lstrip("-")]] = -1.0 if name.startswith("-") else 1.0
    return v


def subdivide(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every triangle split in four at its edge midpoints (shared midpoints welded)."""
    t = np.asarray(triangles, dtype=np.int64)
    edges = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    uniq, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = 0.5 * (vertices[uniq[:, 0]] + vertices[uniq[:, 1]])
    m = len(vertices) + inverse.reshape(3, -1).T  # (T, 3): midpoints of edges 01, 12, 20
    a, b, c = t.T
    ab, bc, ca = m.T
    tris = np.concatenate(
        [np.stack(x, axis=1) for x in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))]
    )
    return np.concatenate([vertices, mid]), tris


def decimate(
    vertices: np.ndarray, triangles: np.ndarray, materials: np.ndarray | None, keep: float = 1.0 / 3.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The mesh reduced to ``keep`` of its triangles by quadric edge collapse (see the module
    docstring, ``decimate``); returns (vertices, triangles, materials or None)."""
    import pymeshlab  # a training extra: only this variant needs it
    from scipy.spatial import cKDTree

    from model.topology import position_ids

    ids = position_ids(vertices)
    first = np.zeros(int(ids.max()) + 1, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids))[::-1]  # the first vertex at each position
    welded_t = ids[np.asarray(triangles, np.int64)]
    welded_t = welded_t[(welded_t[:, 0] != welded_t[:, 1]) & (welded_t[:, 1] != welded_t[:, 2])
                        & (welded_t[:, 2] != welded_t[:, 0])]  # fmt: skip
    ms = pymeshlab.MeshSet()
    ms.add_mesh(pymeshlab.Mesh(vertex_matrix=vertices[first], face_matrix=welded_t.astype(np.int32)))
    ms.meshing_decimation_quadric_edge_collapse(
        targetfacenum=int(round(len(triangles) * keep)),
        preserveboundary=True,
        boundaryweight=10.0,
        preservenormal=True,
        preservetopology=True,
        optimalplacement=True,
        autoclean=True,
    )
    m = ms.current_mesh()
    v = np.asarray(m.vertex_matrix(), dtype=np.float64)
    t = np.asarray(m.face_matrix(), dtype=np.int64)
    mats = None
    if materials is not None:
        old = vertices[np.asarray(triangles, np.int64)].mean(axis=1)
        _, near = cKDTree(old).query(v[t].mean(axis=1))
        mats = np.asarray(materials)[near]
    return v, t, mats


def merge_by_distance(
    vertices: np.ndarray, triangles: np.ndarray, materials: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The mesh after Blender's *Merge by Distance* (module docstring, ``merged``): vertices
    within 1e-5 of the bounding-box diagonal become one, collapsed triangles dropped; returns
    (vertices, triangles, materials or None)."""
    from model.weld import weld

    w = weld(vertices, triangles, tolerance=1e-5)
    if materials is None:
        return w.vertices, w.triangles, None
    tw = w.index[np.asarray(triangles, dtype=np.int64)]
    kept = (tw[:, 0] != tw[:, 1]) & (tw[:, 1] != tw[:, 2]) & (tw[:, 0] != tw[:, 2])
    return w.vertices, w.triangles, np.asarray(materials)[kept]


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """0 below 0, 1 above 1, C1 in between (the weights of :func:`stylize`)."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def stylize(vertices: np.ndarray, triangles: np.ndarray, up: str, forward: str) -> np.ndarray:
    """The caricature warp of the module docstring (``stylize``): (V, 3) warped vertices, or the
    vertices unchanged when no eye midpoint is found."""
    from model.rig_check import face_anchors

    anchors = face_anchors(vertices, triangles, up=up, forward=forward, align=True)
    if anchors.mid is None:
        return vertices
    frame, mid, u = anchors.frame, anchors.mid, float(anchors.eye_distance)
    p = (anchors.canonical - mid) / u  # face units about the eye midpoint: x left, y up, z forward
    d = np.zeros_like(p)
    for side in (1.0, -1.0):
        centre = np.array([0.5 * side, 0.0, 0.0])
        r = np.linalg.norm(p - centre, axis=1)
        w = 1.0 - _smoothstep((r - 0.35) / 0.75)
        d += w[:, None] * (0.25 * (p - centre) + np.array([0.06 * side, 0.0, 0.0]))
    # wider above the eyes, narrower at the jaw, back to as-is well below the chin
    widen = 0.10 - 0.22 * _smoothstep((-0.4 - p[:, 1]) / 1.2) + 0.12 * _smoothstep((-2.2 - p[:, 1]) / 0.8)
    d[:, 0] += widen * p[:, 0]
    skin = anchors.skin
    near_nose = skin & (np.abs(p[:, 0]) < 0.25) & (p[:, 1] < -0.2) & (p[:, 1] > -1.2)
    if near_nose.any():
        tip = p[np.flatnonzero(near_nose)[np.argmax(p[near_nose, 2])]]
        g = np.exp(-((np.linalg.norm(p - tip, axis=1) / 0.3) ** 2))
        d += g[:, None] * np.array([0.0, -0.04, 0.12])
    return frame.from_canonical(anchors.canonical + d * u)


# the crops' planes in face units, (z of the ears' plane, y of the neck's cut): see the module
# docstring, ``face crop`` and ``face mask``
CROPS = {"face crop": (-1.5, -2.8), "face mask": (-1.0, -2.4)}


def face_crop(
    vertices: np.ndarray,
    triangles: np.ndarray,
    materials: np.ndarray | None,
    up: str,
    forward: str,
    ears_z: float = CROPS["face crop"][0],
    neck_y: float = CROPS["face crop"][1],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """The crop of the module docstring (``face crop``, ``face mask``: the planes ``ears_z``,
    ``neck_y`` in face units): (vertices, triangles, materials or None), or None when no eye
    midpoint is found."""
    from model.face_landmarks import components
    from model.rig_check import face_anchors, face_units

    t = np.asarray(triangles, dtype=np.int64)
    anchors = face_anchors(vertices, t, up=up, forward=forward, align=True, pitch=None)
    if anchors.mid is None:
        return None
    p = face_units(anchors.canonical, anchors.mid, float(anchors.eye_distance), anchors.pitch)
    inside = (p[:, 2] > ears_z) & (p[:, 1] > neck_y)
    kept = inside[t].all(axis=1)
    comp = components(len(vertices), t)
    tri_comp = comp[t[:, 0]]
    n_comp = int(comp.max()) + 1
    whole = np.bincount(tri_comp[kept], minlength=n_comp) == np.bincount(tri_comp, minlength=n_comp)
    # pieces of the cut mesh: the largest, and parts that came through whole
    sub = t[kept]
    cut_comp = components(len(vertices), sub)
    sub_comp = cut_comp[sub[:, 0]]
    largest = np.argmax(np.bincount(sub_comp))
    keep_tri = (sub_comp == largest) | whole[tri_comp[kept]]
    sub = sub[keep_tri]
    used = np.unique(sub)
    remap = np.full(len(vertices), -1, dtype=np.int64)
    remap[used] = np.arange(used.size)
    mats = None if materials is None else np.asarray(materials)[kept][keep_tri]
    return np.asarray(vertices)[used], remap[sub], mats


def variants(
    vertices, triangles, materials, up: str, forward: str, wanted=frozenset(), turns=(10.0,)
) -> dict:
    """{name: (vertices, triangles, materials, linear)} of one mesh; ``linear`` (3, 3): the
    variant's vertices are ``linear`` times the mesh's about its centre (None: not a linear map).
    ``wanted``: only these names (empty: all); ``turns``: the angles (degrees, signed) of the
    yaw / pitch / roll variants."""
    from model.geometry import vertex_normals

    centre = 0.5 * (vertices.min(0) + vertices.max(0))
    size = float(np.linalg.norm(vertices.max(0) - vertices.min(0)))
    up_v, fwd_v = _axis(up), _axis(forward)
    side_v = np.cross(up_v, fwd_v)
    out = {"as is": (vertices, triangles, materials, None)}
    for degrees in turns:
        for name, axis in (("yaw", up_v), ("pitch", side_v), ("roll", fwd_v)):
            label = f"{name} {degrees:g}"
            if not wanted or label in wanted:
                r = _turn(axis, degrees)
                out[label] = ((vertices - centre) @ r.T + centre, triangles, materials, r)
    out["x100 units"] = (vertices * 100.0, triangles, materials, 100.0 * np.eye(3))
    sv, st = subdivide(vertices, triangles)
    out["split in 4"] = (
        sv,
        st,
        None if materials is None else np.repeat(materials[None], 4, 0).reshape(-1),
        None,
    )
    # scan-like noise along the normals, one offset per surface point: vertices at one position
    # (a game mesh's UV and normal seams) move together, as one point of a scanned surface would
    # (until session 9 each duplicate had its own offset, which split every seam open)
    from model.topology import position_ids

    rng = np.random.default_rng(0)
    ids = position_ids(vertices)
    normal = np.zeros((int(ids.max()) + 1, 3))
    np.add.at(normal, ids, vertex_normals(vertices, triangles))
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-300)
    amount = rng.normal(0.0, 0.0015 * size, len(normal))
    out["noise 0.15 %"] = (vertices + (normal * amount[:, None])[ids], triangles, materials, None)
    if not wanted or "centre seam" in wanted:
        from mesh_helpers import centre_seam

        seamed, seamed_tris, _ = centre_seam(vertices, triangles, np.cross(_axis(up), _axis(forward)))
        out["centre seam"] = (seamed, seamed_tris, materials, None)
    if not wanted or "merged" in wanted:
        out["merged"] = (*merge_by_distance(vertices, triangles, materials), None)
    if not wanted or "decimate" in wanted:
        out["decimate"] = (*decimate(vertices, triangles, materials), None)
    if not wanted or "stylize" in wanted:
        out["stylize"] = (stylize(vertices, triangles, up, forward), triangles, materials, None)
    for name, (ears_z, neck_y) in CROPS.items():
        if not wanted or name in wanted:
            cropped = face_crop(vertices, triangles, materials, up, forward, ears_z, neck_y)
            if cropped is not None:
                out[name] = (*cropped, None)
    return out


def _ict_item(part_set: str) -> tuple:
    """An item of :func:`main`'s list: ICT-FaceKit's held-out head (``benchmarks/ict_parts.py``'s
    identity) with the parts of ``part_set`` (:data:`ict_parts.SETS`), Y up, facing +Z."""
    import os

    from ict_parts import SETS, held_out_identity

    from model.ict import load_ict

    if not os.environ.get("ICT_FACEKIT"):
        raise SystemExit("--ict-parts needs ICT_FACEKIT=$(../shared/ICT-FaceKit/unpack)")
    ict = load_ict(os.environ["ICT_FACEKIT"])
    ids, tris = ict.submesh(SETS[part_set])
    v = ict.compose(held_out_identity()).astype(np.float64)[ids]
    return (f"ict_{part_set}", (v, tris, None, "Y", "Z"), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", default="", help="only meshes whose file name contains this")
    parser.add_argument("--variants", default="", help="comma-separated variant names (default all)")
    parser.add_argument(
        "--turns",
        default="10",
        help="comma-separated angles in degrees (signed) of the yaw / pitch / roll variants "
        "(a scan's head is often tilted 15-25 degrees)",
    )
    parser.add_argument("--verbose", action="store_true", help="print every verdict line")
    parser.add_argument(
        "--judge-variant",
        action="store_true",
        help="run the check on each variant as it is (the check's robustness too), not mapped back",
    )
    parser.add_argument(
        "--method",
        default="mixed",
        choices=("mixed", "network", "registration", "hybrid"),
        help="the bake method (model.api.BAKE_METHODS)",
    )
    parser.add_argument(
        "--ict-parts",
        default="",
        metavar="SETS",
        help="also ICT-FaceKit's held-out head with these part sets of benchmarks/ict_parts.py "
        "(comma-separated, e.g. complete,head+eyes+lashes; needs ICT_FACEKIT): film heads with eye "
        "sockets, a mouth bag, lashes, shells, teeth",
    )
    parser.add_argument(
        "--save",
        metavar="DIR",
        help="write each variant's mesh and rig (DIR/<mesh>_<variant>.obj and .npz, deltas and names) "
        "for scripts/render_closeups.py --rig; outside the repository (real-dev data)",
    )
    args = parser.parse_args()
    realdev = require_realdev()
    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from model.rig_check import check_rig

    fm = FaceModel.load()
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    items = [("demo_head.obj", (demo.vertices, demo.triangles(), None, "Y", "Z"), None)]
    for path in mesh_paths(realdev):
        d = load_mesh(path)
        ids = d["head_ids"]
        head = (d["vertices"][ids], d["head_triangles"], d["head_materials"], d["up"], d["forward"])
        # an avatar as a user selects it: the whole mesh, body and clothes (the FBX's)
        whole = (d["vertices"], d["triangles"], d["materials"]) if len(ids) < len(d["vertices"]) else None
        items.append((path.name, head, whole))
    for part_set in [p.strip() for p in args.ict_parts.split(",") if p.strip()]:
        items.append(_ict_item(part_set))
    wanted = {v.strip() for v in args.variants.split(",") if v.strip()}
    rows, details = [], []
    for name, (v, t, mats, up, fwd), whole in items:
        if args.match and args.match not in name:
            continue
        turns = tuple(float(a) for a in args.turns.split(",") if a.strip())
        made = variants(np.asarray(v, np.float64), t, mats, up, fwd, wanted, turns)
        if whole is not None and (not wanted or "with body" in wanted):
            made["with body"] = (np.asarray(whole[0], np.float64), whole[1], whole[2], None)
        for vname, (vv, tt, mm, lin) in made.items():
            if wanted and vname not in wanted:
                continue
            t0 = time.perf_counter()
            try:
                baked, skin = bake_methods(fm, vv, tt, up, fwd, (args.method,), mm)
            except Exception as e:  # a refusal is a result too
                rows.append(f"| {name} [{vname}] | refused: {type(e).__name__}: {e} |")
                continue
            deltas = baked[args.method]
            if lin is not None and not args.judge_variant:
                # judged as the mesh came (the bake's robustness, not the check's): the deltas
                # mapped back by the inverse of the variant's linear map
                deltas = deltas @ np.linalg.inv(lin).T
                vv = np.asarray(v, np.float64)
            if args.save:
                from model.facs import ICT_NAMES
                from model.mesh_io import write_obj

                out = pathlib.Path(args.save)
                out.mkdir(parents=True, exist_ok=True)
                stem = f"{pathlib.Path(name).stem}_{vname.replace(' ', '_').replace('%', 'pc')}"
                write_obj(out / f"{stem}.obj", vv, tt)
                np.savez_compressed(
                    out / f"{stem}.npz", deltas=deltas.astype(np.float32), names=np.array(ICT_NAMES)
                )
            report = check_rig(vv, tt, deltas, up=up, forward=fwd, skin_weights=skin,
                               region_names=fm.region_names)  # fmt: skip
            rows.append(summary(f"{name} [{vname}]", report))
            details.append((f"{name} [{vname}]", report, time.perf_counter() - t0))
            print(rows[-1], flush=True)
    print("\n".join(rows))
    for label, report, secs in details:
        lines = report.verdicts if args.verbose else report.verdicts[:8]
        print(f"\n## {label} ({secs:.1f} s), {len(report.verdicts)} verdicts")
        for line in lines:
            print("  FAIL", line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
