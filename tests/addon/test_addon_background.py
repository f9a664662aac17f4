"""Predict Weights runs the classical registration on a background thread (for the bake methods
that need it) and waits for it before it calls ``bpy`` or returns: Blender's API is not
thread-safe (a registration thread still running when control went back to Blender crashed it)."""

from __future__ import annotations

import bpy
import pytest
from addon_helpers import bake_method, make_face

from blender_addon.core import model_cache


def _pending(prepared) -> list:
    return [k for k in prepared._tensors if isinstance(k, tuple) and k[0] == "pending"]


@pytest.mark.parametrize("method", ["HYBRID", "MIXED", "NETWORK"])
def test_predict_weights_leaves_no_thread_running(loaded, method, monkeypatch):
    from model.api import FaceModel

    calls = []
    original = FaceModel.finish_registration

    def spy(self, prepared, ict=None):
        calls.append(_pending(prepared))
        return original(self, prepared, ict)

    monkeypatch.setattr(FaceModel, "finish_registration", spy)
    make_face()
    with bake_method(method):
        assert bpy.ops.face_skinning.predict_weights() == {"FINISHED"}
    prepared = next(reversed(model_cache._State.prepared.values()))
    assert not _pending(prepared)
    key = ("registration", None)
    if method == "HYBRID":
        assert calls == [[("pending", key)]]  # started while the network predicted, then waited for
        assert key in prepared._tensors
    else:
        # the network needs none; mixed none on this face without eye openings (nothing to pin)
        assert calls == [[]] and key not in prepared._tensors
