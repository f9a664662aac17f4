"""Loading a real-dev mesh in a test (../shared/real-dev), skipping with the reason when absent."""

from __future__ import annotations

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load_realdev_mesh(name: str) -> dict:
    """``benchmarks/_realdev.load_mesh`` of ``meshes/<name>`` (vertices, triangles, head_ids,
    head_triangles, up, forward); skips the test when the real-dev set or, for an FBX, ``bpy``
    is missing."""
    # appended, not put first: benchmarks/demo.py would otherwise shadow the demo package for
    # every later test in the session (test_cli_contract imports demo.run)
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.append(str(ROOT / "benchmarks"))
    from _realdev import load_mesh, realdev_dir

    realdev = realdev_dir()
    path = None if realdev is None else realdev / "meshes" / name
    if path is None or not path.is_file():
        pytest.skip(f"real-dev meshes not available ({name}; see ../shared/real-dev/README.md)")
    if path.suffix.lower() == ".fbx":
        pytest.importorskip("bpy")
    return load_mesh(path)


def prepared_realdev_head(name: str, materials: bool = False):
    """``(FaceModel, PreparedMesh, head vertices, head triangles, loaded data)`` of a real-dev
    mesh's head (its axes; ``materials``: with the FBX's per-triangle materials), skipping as
    :func:`load_realdev_mesh` does."""
    from model.api import FaceModel

    data = load_realdev_mesh(name)
    v = data["vertices"] if data["head_ids"] is None else data["vertices"][data["head_ids"]]
    t = data["head_triangles"]
    fm = FaceModel.load()
    mats = data.get("head_materials") if materials else None
    return fm, fm.prepare(v, t, up=data["up"], forward=data["forward"], materials=mats), v, t, data
