"""Auto axes in the add-on, the orientation shown in the panel, and the warning for wrong axes."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np

from blender_addon.core import model_cache, skinning
from blender_addon.core.mesh_io import new_mesh_object
from model.mesh_io import read_mesh

DEMO = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _demo_head_y_up():
    """The demo head with the OBJ's axes as Blender world axes: Y up, face toward +Z."""
    m = read_mesh(DEMO)
    obj = new_mesh_object("Head", m.vertices * 0.01, m.face_indices, m.face_sizes, bpy.context.scene)
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def test_blender_axes_on_a_y_up_head_warn(loaded):
    obj = _demo_head_y_up()
    model_cache.pop_warning()
    skinning.predict_weights(obj, up="Z", forward="-Y")
    warning = model_cache.pop_warning()
    assert "differ by" in warning and "auto" in warning, warning
    found = model_cache.orientation()
    assert found["auto"] is False and found["axes"].startswith("up Y")
    # the right axes: no warning
    skinning.predict_weights(obj, up="Y", forward="Z")
    assert model_cache.pop_warning() == ""


def test_auto_axes_operator_and_panel(loaded):
    obj = _demo_head_y_up()
    s = bpy.context.scene.nfs_settings
    s.up_axis, s.forward_axis = "AUTO", "AUTO"
    assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    found = model_cache.orientation()
    assert found["auto"] is True and found["axes"].startswith("up Y") and "forward Z" in found["axes"]
    assert 0.0 <= found["confidence"] <= 1.0
    assert any(g.name.startswith("FS_") for g in obj.vertex_groups)
    weights = np.zeros(len(obj.data.vertices))
    assert weights.shape[0] == len(read_mesh(DEMO).vertices)
