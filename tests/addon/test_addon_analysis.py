"""Analyze Mesh: FSP_ groups (head region, parts) the artist can correct, the report, the bake."""

from __future__ import annotations

import pathlib

import bpy
import numpy as np
import pytest

from blender_addon.core import analysis, shape_keys, vertex_groups
from blender_addon.core.mesh_io import new_mesh_object
from model.facs import ICT_NAMES
from model.mesh_io import read_mesh

ROOT = pathlib.Path(__file__).resolve().parents[2]


def demo_head():
    """The bundled demo head (two eyeballs) as a Blender object: metres, Z up, facing -Y."""
    m = read_mesh(ROOT / "model" / "data" / "demo_head.obj")
    v = m.vertices * 0.01
    obj = new_mesh_object(
        "Head", np.stack([v[:, 0], -v[:, 2], v[:, 1]], 1), m.face_indices, m.face_sizes, bpy.context.scene
    )
    bpy.context.view_layer.objects.active = obj
    obj.select_set(True)
    return obj


def _draw_analysis_panel() -> list[str]:
    texts = []

    class Layout:
        def column(self, **kw):
            return self

        def label(self, text="", **kw):
            texts.append(text)

        def operator(self, idname, **kw):
            texts.append(idname)

    fake = type("P", (), {"layout": Layout()})()
    bpy.types.FACE_SKINNING_PT_analysis.draw(fake, bpy.context)
    return texts


def test_analyze_writes_groups_report_and_keeps_artist_groups(addon):
    obj = demo_head()
    mine = obj.vertex_groups.new(name="MyGroup")
    mine.add([0, 1], 0.5, "REPLACE")
    assert bpy.ops.face_skinning.analyze_mesh() == {"FINISHED"}
    owned = analysis.owned_groups(obj)
    assert owned == ["FSP_head", "FSP_eyeball_L", "FSP_eyeball_R"]
    w = vertex_groups.read_groups(obj, owned)
    assert np.all(w[:, 0] == 1.0)  # a head without a body
    assert w[:, 1].sum() > 50 and w[:, 2].sum() > 50 and not np.any((w[:, 1] > 0) & (w[:, 2] > 0))
    # the left eyeball (the subject's left) is at +X in Blender too
    co = np.array([v.co[:] for v in obj.data.vertices])
    assert co[w[:, 1] > 0, 0].mean() > 0 > co[w[:, 2] > 0, 0].mean()
    assert obj.vertex_groups["MyGroup"].weight(1) == pytest.approx(0.5)
    report = analysis.stored_report(obj)
    assert report["eyes"] == {"L": "open", "R": "open"} and report["lips"] == "touching"
    texts = _draw_analysis_panel()
    assert "face_skinning.analyze_mesh" in texts and any("lips" in t for t in texts)
    # re-run: the same groups, replaced, nothing duplicated
    assert bpy.ops.face_skinning.analyze_mesh() == {"FINISHED"}
    assert analysis.owned_groups(obj) == owned
    assert len(obj.vertex_groups) == len(owned) + 1


def test_analyze_refuses_an_artist_group_with_its_name(addon):
    obj = demo_head()
    theirs = obj.vertex_groups.new(name="FSP_eyeball_L")
    theirs.add([0], 1.0, "REPLACE")
    with pytest.raises(RuntimeError, match="FSP_eyeball_L that Analyze Mesh did not make: rename"):
        bpy.ops.face_skinning.analyze_mesh()
    assert obj.vertex_groups["FSP_eyeball_L"].weight(0) == 1.0
    assert analysis.owned_groups(obj) == []


def test_bake_follows_the_corrected_groups(loaded):
    obj = demo_head()
    assert bpy.ops.face_skinning.analyze_mesh() == {"FINISHED"}
    co = np.array([v.co[:] for v in obj.data.vertices])
    below = np.flatnonzero(co[:, 2] < co[:, 2].min() + 0.3 * np.ptp(co[:, 2]))
    obj.vertex_groups["FSP_head"].remove(below.tolist())  # the artist paints the neck out
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    d = shape_keys.read_key_deltas(obj, list(ICT_NAMES))
    assert np.all(d[:, below] == 0.0)
    assert np.abs(d).max() > 0
    eye = np.flatnonzero(vertex_groups.read_groups(obj, ["FSP_eyeball_L"])[:, 0] > 0)
    look = ICT_NAMES.index("eyeLookUp_L")
    assert np.abs(d[look, eye]).max() > 0  # the eyeball turns for eyeLookUp_L ...
    assert np.all(d[ICT_NAMES.index("jawOpen"), eye] == 0.0)  # ... and holds still for the jaw
