"""Check Rig: runs on the baked keys, reports, marks problems in its own vertex group."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from addon_helpers import make_face

from blender_addon.core import rig_check, vertex_groups


def _problems(obj) -> np.ndarray:
    return vertex_groups.read_groups(obj, [rig_check.PROBLEM_GROUP])[:, 0]


def test_check_rig_writes_its_group_and_flags_a_broken_key(loaded):
    obj = make_face()
    mine = obj.vertex_groups.new(name="MyGroup")
    mine.add([0, 1], 0.5, "REPLACE")
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert bpy.ops.face_skinning.check_rig() == {"FINISHED"}
    assert rig_check.PROBLEM_GROUP in obj.vertex_groups
    assert str(obj[rig_check.SUMMARY_PROP]).startswith("Rig check")
    # break one key on purpose: push a vertex through the far side of the head
    kb = obj.data.shape_keys.key_blocks["mouthPucker"]
    k = 100
    co = np.array(kb.data[k].co)
    kb.data[k].co = (-3.0 * co[0], -3.0 * co[1], -3.0 * co[2])
    assert bpy.ops.face_skinning.check_rig() == {"FINISHED"}
    report = rig_check.check_object(obj)
    assert any(line.startswith("mouthPucker:") and "flip" in line for line in report.verdicts)
    assert _problems(obj)[k] == 1.0
    # re-running replaces its own group; the artist's group is untouched
    assert [g.name for g in obj.vertex_groups].count(rig_check.PROBLEM_GROUP) == 1
    assert obj.vertex_groups["MyGroup"].weight(1) == 0.5


def test_check_rig_without_keys_names_the_fix(loaded):
    make_face()
    with pytest.raises(RuntimeError, match="no Face Skinning shape keys.*bake them first"):
        bpy.ops.face_skinning.check_rig()
    assert rig_check.PROBLEM_GROUP not in bpy.context.active_object.vertex_groups


def test_check_rig_marks_a_shard(loaded):
    """A vertex and its neighbours dragged two head radii out of the surface in one key: a tear
    verdict naming that key, its membrane in the problem group (:mod:`model.rig_check`, tear)."""
    obj = make_face()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    me = obj.data
    k = 100
    ring = sorted({i for p in me.polygons if k in p.vertices for i in p.vertices})
    kb = obj.data.shape_keys.key_blocks["browInnerUp_L"]
    for i in ring:
        co = np.array(kb.data[i].co)
        rest = np.array(me.vertices[i].co)
        kb.data[i].co = co + 2.0 * rest  # rest is ~0.1 from the sphere's centre
    assert bpy.ops.face_skinning.check_rig() == {"FINISHED"}
    report = rig_check.check_object(obj)
    lines = [line for line in report.verdicts if ": tear / shard:" in line]
    assert [line.split(":")[0] for line in lines] == ["browInnerUp_L"], report.verdicts
    assert (_problems(obj)[[i for i in ring if i != k]] == 1.0).all()
