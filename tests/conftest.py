"""Shared fixtures. Data-dependent tests read ``ICT_FACEKIT`` and skip with a reason without it."""

from __future__ import annotations

import os
import pathlib

import pytest

# bpy before anything else when it is installed: pymeshlab (the test extra) ships an older
# libembree4, and once it is loaded bpy's import fails ("undefined symbol rtcGetSceneTraversable"),
# so every real-dev FBX test after tests/model/test_augment.py failed when the model tier ran on
# its own (25 false failures; the whole suite runs tests/addon, which imports bpy, first)
try:
    import bpy  # noqa: F401
except ImportError:
    pass

ROOT = pathlib.Path(__file__).resolve().parents[1]


def ict_path() -> pathlib.Path | None:
    p = os.environ.get("ICT_FACEKIT")
    if p and (pathlib.Path(p) / "FaceXModel" / "generic_neutral_mesh.obj").is_file():
        return pathlib.Path(p)
    return None


@pytest.fixture(scope="session")
def ict_dir() -> pathlib.Path:
    p = ict_path()
    if p is None:
        pytest.skip(
            "ICT-FaceKit not available: set ICT_FACEKIT to an unpacked ICT-FaceKit folder, "
            "e.g. ICT_FACEKIT=$(../shared/ICT-FaceKit/unpack)"
        )
    return p


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Geometry/ICT caches go to a per-session temp dir, never the user's cache."""
    cache = tmp_path_factory.getbasetemp() / "nfs-cache"
    monkeypatch.setenv("NFS_CACHE_DIR", str(cache))
