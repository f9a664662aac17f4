"""The rig check on a Blender object's baked Face Skinning shape keys (see :mod:`model.rig_check`).

Reads our keys (ICT or ARKit names, with their prefix) and the rest mesh in world space, runs the
check on the masked part when a mask group is given, and writes where the problems are as the
vertex group ``FS_check_problems`` (ours: replaced on every run; an artist's group of another name
is never touched). The ``FS_`` region groups, when present, serve as the skin weights of the
reach check. Needs scipy and robust-laplacian, not torch.
"""

from __future__ import annotations

import numpy as np

from . import corrective_keys, mesh_io, shape_keys, vertex_groups
from ._model_import import facs, submodule
from .errors import ObjectError

PROBLEM_GROUP = vertex_groups.PREFIX + "check_problems"
SUMMARY_PROP = "nfs_check_summary"


def _ict_names(obj) -> tuple[list[str], list[str]]:
    """(key names on the mesh, the ICT-style names the check reads them as)."""
    key = obj.data.shape_keys
    owned = shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP)  # not the viseme keys
    if key is None or not owned:
        raise ObjectError(
            f"'{obj.name}' has no Face Skinning shape keys to check: bake them first "
            "(Shape Keys panel > Bake Shape Keys)."
        )
    prefix = str(key.get(shape_keys.PREFIX_PROP, ""))
    naming = str(key.get(shape_keys.NAMING_PROP, "ICT"))
    keys, names = [], []
    for name in owned:
        bare = name[len(prefix) :] if prefix and name.startswith(prefix) else name
        if bare == corrective_keys.CORRECTIVE:
            continue  # read folded into mouthClose (the check's mouthClose is ICT's, unsplit)
        if naming == "ARKIT":
            # the check knows ICT names; an ARKit key reads as the ICT unit it comes from
            # (browInnerUp and cheekPuff have no side and are checked without a mirror pair)
            halves = [n for n in facs.ICT_NAMES if facs.ict_to_arkit_name(n) == bare]
            if not halves:
                continue
            bare = halves[0] if len(halves) == 1 else halves[0][:-2]
        keys.append(name)
        names.append(bare)
    return keys, names


def check_object(obj, *, mask_group: str = "", up: str = "Z", forward: str = "-Y"):
    """Check ``obj``'s baked keys; write ``FS_check_problems``; return the :class:`RigReport`."""
    from .skinning import gather

    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    keys, names = _ict_names(obj)
    geo = gather(obj, mask_group)
    local = corrective_keys.read_folded(obj, keys).astype(np.float64)[:, geo.index]
    world = local @ geo.matrix[:3, :3].T  # vectors: the linear part only
    regions = submodule("regions").REGION_NAMES
    groups = [vertex_groups.group_name(r) for r in regions]
    skin = None
    if all(g in obj.vertex_groups for g in groups):
        skin = vertex_groups.read_groups(obj, groups)[geo.index]
    report = submodule("rig_check").check_rig(
        geo.vertices,
        geo.triangles,
        world,
        names=names,
        up=up,
        forward=forward,
        skin_weights=skin,
        region_names=regions if skin is not None else None,
    )
    problem = np.zeros((geo.num_vertices, 1), dtype=np.float32)
    problem[geo.index, 0] = report.problem
    if PROBLEM_GROUP in obj.vertex_groups:
        obj.vertex_groups.remove(obj.vertex_groups[PROBLEM_GROUP])
    vertex_groups.write_groups(obj, [PROBLEM_GROUP], problem)
    obj[SUMMARY_PROP] = (
        "Rig check: all checks pass" if report.passed else f"Rig check: {len(report.verdicts)} problems"
    )
    return report
