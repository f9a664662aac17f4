"""Issue 11 item 8 in Blender: an unusable cache folder costs speed, never a failed operator."""

from __future__ import annotations

import bpy
import pytest
from addon_helpers import make_face

from blender_addon.core import _model_import


def test_predict_and_bake_with_an_unusable_cache_folder(loaded, tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NFS_CACHE_DIR", str(blocker / "cache"))  # no folder can be made there
    cache = _model_import.submodule("cache")
    monkeypatch.setattr(cache, "_warned", False, raising=False)
    obj = make_face()
    with pytest.warns(cache.CacheWarning, match="NFS_CACHE_DIR"):  # once, to the console
        assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    assert bpy.ops.face_skinning.bake_shape_keys() == {"FINISHED"}
    assert len(obj.data.shape_keys.key_blocks) > 50
