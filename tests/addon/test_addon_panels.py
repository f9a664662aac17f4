"""Panels draw without errors and only reference properties/operators that exist.

Headless Blender has no UI to draw into, so each panel's ``draw`` runs against a recording
layout that checks every ``prop``/``prop_search`` name on its data and every operator id.
"""

from __future__ import annotations

import bpy
import pytest
from addon_helpers import make_face

from blender_addon.core import model_cache

PANELS = (
    "model",
    "analysis",
    "skinning",
    "shape_keys",
    "sliders",
    "clone",
    "export",
    "gains",
    "capture_options",
    "visemes",
)


class RecordingLayout:
    def __init__(self, log):
        self.log = log

    def _child(self, *args, **kwargs):
        return RecordingLayout(self.log)

    row = column = box = split = _child

    def label(self, text="", **kwargs):
        self.log.append(("label", text))

    def separator(self, **kwargs):
        pass

    def prop(self, data, name, **kwargs):
        assert name in data.bl_rna.properties, f"{data} has no property {name!r}"
        self.log.append(("prop", name))

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        assert name in data.bl_rna.properties and hasattr(search_data, search_name)
        self.log.append(("prop_search", name))

    def operator(self, idname, **kwargs):
        mod, _, op = idname.partition(".")
        assert getattr(getattr(bpy.ops, mod), op).get_rna_type() is not None, idname
        self.log.append(("operator", idname))


def _draw(panel_name):
    cls = getattr(bpy.types, f"FACE_SKINNING_PT_{panel_name}")
    log = []
    fake = type("P", (), {"layout": RecordingLayout(log)})()
    cls.draw(fake, bpy.context)
    return log


@pytest.mark.parametrize("with_mesh", [False, True])
def test_panels_draw(addon, with_mesh):
    if with_mesh:
        make_face()
    for p in PANELS:
        _draw(p)
    ops = [x for p in PANELS for kind, x in _draw(p) if kind == "operator"]
    assert "face_skinning.load_model" in ops


def test_slider_panel_pairs_left_right(addon):
    make_face()
    props = [x for kind, x in _draw("sliders") if kind == "prop"]
    assert len(props) == 53
    assert props.index("eyeBlink_R") == props.index("eyeBlink_L") + 1


def test_model_panel_shows_loaded_model(loaded):
    labels = [x for kind, x in _draw("model") if kind == "label"]
    fm = model_cache.get()
    assert any(fm.name in t and fm.version in t for t in labels)


def test_without_torch_the_model_loads_and_the_panel_asks_for_nothing(addon, weights_dir, monkeypatch):
    # the add-on runs the numpy runtime: torch's absence is no missing dependency
    from blender_addon.core import _model_import

    monkeypatch.setattr(_model_import, "torch_available", lambda: False)
    monkeypatch.setattr(model_cache, "torch_available", lambda: False)
    assert _model_import.missing_dependencies() == []
    assert bpy.ops.face_skinning.load_model(filepath=str(weights_dir)) == {"FINISHED"}
    assert model_cache.get().runtime == "numpy"
    labels = [x for kind, x in _draw("model") if kind == "label"]
    assert not any("Missing" in t or "torch" in t for t in labels)


def test_every_missing_runtime_package_is_named(addon, monkeypatch):
    # Stock Blender lacks scipy and robust-laplacian: every missing package must be named.
    from blender_addon.core import _model_import

    monkeypatch.setitem(_model_import.RUNTIME_PACKAGES, "nfs_no_such_module", "nfs-no-such-module")
    assert _model_import.missing_dependencies() == ["nfs-no-such-module"]
    with pytest.raises(RuntimeError, match="lacks nfs-no-such-module.*pip install nfs-no-such-module"):
        bpy.ops.face_skinning.load_model()
    labels = [x for kind, x in _draw("model") if kind == "label"]
    assert any("nfs-no-such-module" in t for t in labels)
