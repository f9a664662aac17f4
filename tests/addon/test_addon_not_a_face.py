"""The wrong object selected: a UV sphere baked by the operator is a WARNING report that names the
object and the fix (the bake still runs), and the Analyze panel lists it as a problem; the
tests' face (a sphere with a nose) gets no such warning."""

from __future__ import annotations

import bpy
from addon_helpers import make_face

from blender_addon.core import analysis

NOT_A_FACE = "does not look like a face"


def test_baking_a_sphere_reports_that_it_is_no_face(loaded, capfd):
    bpy.ops.mesh.primitive_uv_sphere_add(radius=0.1)
    obj = bpy.context.active_object
    assert obj.name == "Sphere"
    capfd.readouterr()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}  # a warning, not a refusal
    out = capfd.readouterr().out  # Blender prints operator reports in background mode
    assert f"Warning: 'Sphere' {NOT_A_FACE}" in out, out
    assert "Select the head mesh" in out and "Up/Forward" in out
    assert obj.data.shape_keys is not None and len(obj.data.shape_keys.key_blocks) > 50
    report = analysis.analyze_mesh(obj)
    found = [f for f in report["findings"] if f["topic"] == "face"]
    assert len(found) == 1 and found[0]["level"] == "problem" and NOT_A_FACE in found[0]["message"]


def test_baking_a_face_does_not(loaded, capfd):
    obj = make_face("Head")
    capfd.readouterr()
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert NOT_A_FACE not in capfd.readouterr().out
    assert not [f for f in analysis.analyze_mesh(obj)["findings"] if f["topic"] == "face"]
