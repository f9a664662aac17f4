"""The rig check on every real-dev mesh and on the demo head, today's shipped rig.

    PYTHONPATH=. .venv/bin/python benchmarks/realdev_check.py [--verbose] [--methods network,hybrid]

One row per mesh and bake method (default: mixed, the shipped default, then network,
registration, hybrid; the classical
methods use the shipped ICT template; reach uses the network's predicted skin weights as the
regions for every method).

With ``ICT_FACEKIT`` set, the first row is ICT-FaceKit's own ground-truth shapes. The FBX
avatars are full bodies: the rig is baked on the head (top 0.25 m, see
``benchmarks/_realdev.py``) and checked there. Skips (exit 0) when ../shared/real-dev is absent.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import ROOT, bake_methods, load_mesh, mesh_paths, require_realdev  # noqa: E402


def summary(name: str, report) -> str:
    s = {r.name: r for r in report.shapes}

    def f(x, spec="5.1f"):
        return "    -" if x is None else format(x, spec)

    eyes = ",".join(report.info["eyes_found"]) or "-"
    if report.info.get("eyeballs_found"):
        eyes += " (+eyeballs)"
    flips = sum(r.flipped_triangles for r in report.shapes)
    flip_shapes = sum(r.flipped_triangles > 0 for r in report.shapes)
    leak = max((r.static_leakage_pct or 0.0) for r in report.shapes)
    leak_shape = max(report.shapes, key=lambda r: r.static_leakage_pct or 0.0).name
    mirrors = [r.mirror_error_pct for r in report.shapes if r.mirror_error_pct is not None]
    ripple = max((r.ripple_ratio or 0.0) for r in report.shapes)
    tear = max(report.shapes, key=lambda r: r.tear or 0.0)
    reach = [r.reach_outside_pct for r in report.shapes if r.reach_outside_pct is not None]
    return (
        f"| {name} | {report.info['vertices']} | {eyes} | "
        f"{f(s['eyeBlink_L'].lid_closure_pct)} / {f(s['eyeBlink_L'].lid_closure_min_pct)} | "
        f"{f(s['eyeBlink_R'].lid_closure_pct)} / {f(s['eyeBlink_R'].lid_closure_min_pct)} | "
        f"{f(s['eyeBlink_L'].eyeball_cover_pct)} / {f(s['eyeBlink_L'].eyeball_cover_min_pct)} | "
        f"{f(s['eyeBlink_R'].eyeball_cover_pct)} / {f(s['eyeBlink_R'].eyeball_cover_min_pct)} | "
        f"{f(s['jawOpen'].static_leakage_pct, '.2f')} | {leak:.2f} ({leak_shape}) | "
        f"{flips} in {flip_shapes} | "
        f"{'yes' if report.info['symmetric'] else 'no'} ({100 * report.info['symmetric_share']:.0f} %) | "
        f"{f(float(np.median(mirrors)) if mirrors else None)} / {f(max(mirrors) if mirrors else None)} | "
        f"{ripple:.2f} | {tear.tear or 0.0:.3f} ({tear.name}) | "
        f"{f(max(reach) if reach else None)} | {len(report.verdicts)} | "
        f"{f(s['eyeBlink_L'].lid_zigzag_pct, '.2f')} / {f(s['eyeBlink_R'].lid_zigzag_pct, '.2f')} |"
    )


def artist_report(data: dict, check_rig):
    """The rig check on the avatar's artist-made ``AK_NN_<Name>`` keys (ARKit names read as the
    ICT units they split into; browInnerUp / cheekPuff / tongueOut unpaired)."""
    import re

    import numpy as np

    from model.facs import ICT_NAMES, ict_to_arkit_name

    ids = data["head_ids"]
    neutral = data["vertices"][ids]
    names, deltas = [], []
    for key, pos in data["shape_keys"].items():
        m = re.match(r"AK_\d\d_(\w+)$", key)
        if not m:
            continue
        arkit = m.group(1)[0].lower() + m.group(1)[1:]
        halves = [n for n in ICT_NAMES if ict_to_arkit_name(n) == arkit]
        names.append(halves[0] if len(halves) == 1 else (halves[0][:-2] if halves else arkit))
        deltas.append(pos[ids] - neutral)
    return check_rig(neutral, data["head_triangles"], np.stack(deltas), names=names,
                     up=data["up"], forward=data["forward"])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every verdict line")
    parser.add_argument(
        "--methods",
        default="mixed,network,registration,hybrid",
        help="comma-separated bake methods (the first is the shipped default)",
    )
    args = parser.parse_args()
    methods = tuple(args.methods.split(","))
    realdev = require_realdev()
    from model.api import FaceModel
    from model.mesh_io import read_mesh
    from model.rig_check import check_rig

    fm = FaceModel.load()
    rows, details = [], []
    if os.environ.get("ICT_FACEKIT"):
        # ICT-FaceKit's own ground-truth shapes (face, scalp and neck, eye sockets, eyeballs):
        # what the check says about the data the network learns from
        from model.ict import load_ict

        t0 = time.perf_counter()
        ict = load_ict()
        parts = [
            "face",
            "head_and_neck",
            "eye_socket_left",
            "eye_socket_right",
            "eyeball_left",
            "eyeball_right",
        ]
        ids, tris = ict.submesh(parts)
        report = check_rig(ict.neutral[ids], tris, ict.expressions[:, ids])
        rows.append(summary("ICT-FaceKit ground truth (head + sockets + eyeballs)", report))
        details.append(("ICT-FaceKit ground truth", report, time.perf_counter() - t0))
    demo = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    items = [
        (
            "demo_head.obj",
            {
                "vertices": demo.vertices,
                "head_triangles": demo.triangles(),
                "head_ids": None,
                "up": "Y",
                "forward": "Z",
            },
        )
    ]
    items += [(path.name, path) for path in mesh_paths(realdev)]
    for name, item in items:
        t0 = time.perf_counter()
        if name == "rocketbox_Female_Adult_02_ARKit.fbx":
            # a check of the check: the artist's own ARKit shapes on the same head
            report = artist_report(load_mesh(item), check_rig)
            rows.append(summary(name + " (artist's ARKit shapes)", report))
            details.append((name + " (artist)", report, time.perf_counter() - t0))
            t0 = time.perf_counter()
        data = load_mesh(item) if isinstance(item, pathlib.Path) else item
        v = data["vertices"] if data["head_ids"] is None else data["vertices"][data["head_ids"]]
        t = data["head_triangles"]
        # the FBX materials: clothing welded into the skin is held still (model.clothing)
        materials = data.get("head_materials")
        baked, skin = bake_methods(fm, v, t, data["up"], data["forward"], methods, materials)
        for method, deltas in baked.items():
            report = check_rig(
                v,
                t,
                deltas,
                up=data["up"],
                forward=data["forward"],
                skin_weights=skin,
                region_names=fm.region_names,
            )
            rows.append(summary(f"{name} [{method}]", report))
            details.append((f"{name} [{method}]", report, time.perf_counter() - t0))
            t0 = time.perf_counter()
    print(
        "| mesh | V (head) | eyes | blink L lid closure mean/min % | blink R lid closure | "
        "blink L eyeball cover mean/min % | blink R eyeball cover | jawOpen static % | "
        "worst static % | flipped tris | symmetric | mirror % median / worst | worst ripple x ICT | "
        "worst tear | worst reach % | verdicts | blink L / R lid zig-zag % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    for name, report, secs in details:
        print(f"\n## {name} ({secs:.1f} s): {report.info}")
        lines = report.verdicts if args.verbose else report.verdicts[:12]
        for line in lines:
            print("  FAIL", line)
        if len(report.verdicts) > len(lines):
            print(f"  ... {len(report.verdicts) - len(lines)} more (--verbose)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
