"""The rig check's mirror error per ``_L``/``_R`` pair after each stage of the network bake.

    PYTHONPATH=. .venv/bin/python benchmarks/mirror_stages.py [--match rocketbox] [--pairs all]

Replays :meth:`model.api.FaceModel.bake` (method ``network``) stage by stage on each real-dev
mesh whose name contains ``--match`` (and the demo head with ``--demo``) and measures, after
each stage, the mirror error the rig check reports (:func:`model.rig_check.mirror_errors`,
the check's own correspondence, on the input vertices and axes). One table per mesh: a row
per pair whose error passes 2 % at some stage (``--pairs all``: every pair), a column per
stage, the last the shipped bake (``fm.bake``) as a cross-check of the replay.
Skips (exit 0) when ../shared/real-dev is absent.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _realdev import head_items, require_realdev  # noqa: E402


def stages(fm, prep, skin_in):
    """[(stage name, (53, V, 3) input deltas)] of the network bake replayed stage by stage."""
    from model.facs import ICT_NAMES
    from model.shape_locality import apply_reach, skin_anchors, symmetrize

    out = []
    rig = fm._rig(prep, skin_in)
    skin = fm._to_numpy(rig["skin"])
    anchors = skin_anchors(prep.canonical, prep.triangles_seen, skin)
    mirror = prep._tensors.setdefault("mirror_map", {})

    def to_input(canonical):
        return prep.scatter(fm._from_canonical(prep, canonical), axis=1)

    c = fm._to_numpy(fm.net.bake(rig))
    out.append(("raw", to_input(c)))
    c = apply_reach(c, prep.canonical, prep.triangles_seen, skin, anchors)
    out.append(("reach", to_input(c)))
    c = symmetrize(c, prep.canonical, prep.triangles_seen, mirror=mirror)
    out.append(("symm", to_input(c)))
    # (the opt-in focus, model.shape_focus, is the bake's last stage: in the shipped column only)
    if fm.eyelids:
        from model.eyelids import with_eyelids

        c = with_eyelids(prep, c)
        c = fm._symmetrize_lids(prep, c)
        out.append(("lids", to_input(c)))
    c = np.asarray(c, dtype=np.float32)
    base = to_input(c)  # what the last symmetrization evens out is the change from here
    if fm.static_area:
        from model.static_area import apply_static

        c = apply_static(c, prep.canonical, prep.triangles_seen, skin, anchors)
        out.append(("static", to_input(c)))
    d = to_input(c)
    from model.parts import PART_INDEX
    from model.rig_constraints import apply_rig_constraints

    analysis = prep.rig_analysis()
    if fm.welded_tongue:
        analysis = fm._with_welded_tongue(prep, analysis, d)
    d = apply_rig_constraints(d, prep.vertices, analysis, ICT_NAMES)
    out.append(("rigid", d))
    welding = prep.welding

    def work(x):  # per input vertex -> per welded vertex, as the bake (model.api.FaceModel.bake)
        return x if welding is None else welding.gather(x, axis=1 if x.ndim == 3 else 0)

    partners = fm._check_partners(prep, work(d), skin, skin_in)
    if partners is not None:
        from model.mirror_pass import symmetrize_pairs, wants_whole

        soft = np.isin(analysis.parts.labels, [PART_INDEX[n] for n in ("skin", "tongue")])
        follow = np.isin(analysis.parts.labels, [PART_INDEX[n] for n in ("lashes", "brows")])
        if analysis.head is not None and analysis.head.has_body:
            soft &= analysis.head.weights > 0
            follow &= analysis.head.weights > 0
        before, wb = d, work(base)
        if wants_whole(prep._tensors.get("mirror_map", {})):  # whole shapes, the blink too
            w = symmetrize_pairs(work(d), partners, work(soft | follow), keep_sided=())
        else:
            evened = wb + symmetrize_pairs(work(d) - wb, partners, work(soft))
            w = symmetrize_pairs(evened, partners, work(follow))
        d = w if welding is None else before + welding.spread(w - work(before), axis=1)
        out.append(("mirror", d))
    if fm.clothing_hold and prep.materials is not None:
        from model.clothing import apply_clothing

        d = apply_clothing(d, fm.clothing(prep, anchors))
        out.append(("cloth", d))
    if fm.eyelids:  # the closed lids' margins on a smooth line (model.lid_line)
        d = fm._smooth_lid_lines(prep, d)
        out.append(("lidline", d))
    if fm.flip_repair:
        d = fm._repair_flips(prep, d)
        out.append(("flips", d))
    out.append(("bake", fm.bake(prep, skin_in, method="network")))  # the replayed path's end
    return out


def mesh_arguments(parser: argparse.ArgumentParser) -> None:
    """The stage benchmarks' mesh options (``--match``, ``--demo``)."""
    parser.add_argument("--match", default="rocketbox", help="substring of the real-dev mesh names")
    parser.add_argument("--demo", action="store_true", help="the demo head too")


def prepared_heads(args):
    """``(fm, name, vertices, triangles, up, forward, prepared, skin weights)`` per mesh of
    ``args`` (:func:`mesh_arguments`), the shipped model's skin weights predicted."""
    from model.api import FaceModel

    fm = FaceModel.load()
    for name, v, t, up, forward, materials in head_items(require_realdev(), args.match, args.demo):
        prep = fm.prepare(v, t, up=up, forward=forward, materials=materials)
        yield fm, name, v, t, up, forward, prep, fm.predict_skin_weights(prep)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mesh_arguments(parser)
    parser.add_argument("--pairs", default="", help="'all': every pair, not only those over 2 %%")
    args = parser.parse_args()
    from model.facs import ICT_NAMES
    from model.rig_check import mirror_errors

    for fm, name, v, t, up, forward, prep, skin in prepared_heads(args):
        table = []
        for stage, deltas in stages(fm, prep, skin):
            errs = mirror_errors(v, t, deltas, ICT_NAMES, up, forward, skin, fm.region_names)
            table.append((stage, errs))
        pairs = list(table[0][1])
        print(f"\n## {name}: check's mirror error % per pair after each bake stage")
        print("| pair | " + " | ".join(s for s, _ in table) + " |")
        print("|---|" + "---|" * len(table))
        for p in pairs:
            row = [e.get(p) for _, e in table]
            if args.pairs != "all" and max((x for x in row[2:] if x is not None), default=0.0) <= 2.0:
                continue
            print(f"| {p} | " + " | ".join("-" if x is None else f"{x:.1f}" for x in row) + " |")
        for stage, errs in table:
            vals = [x for x in errs.values() if x is not None]
            print(f"{stage:>7}: median {np.median(vals):5.2f} %  max {max(vals):5.2f} %  "
                  f"pairs > 5 %: {sum(x > 5.0 for x in vals)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
