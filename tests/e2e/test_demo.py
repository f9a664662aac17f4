"""``python -m demo``: the one-command demo, and what it tells a user who lacks bpy."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import struct
import subprocess
import sys

import pytest

from demo import run as demo

ROOT = pathlib.Path(__file__).resolve().parents[2]


def read_glb_json(path: pathlib.Path) -> dict:
    """The JSON chunk of a binary glTF (header: magic, version, length; then chunks)."""
    data = path.read_bytes()
    magic, version, _length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2
    chunk_len, chunk_type = struct.unpack_from("<I4s", data, 12)
    assert chunk_type == b"JSON"
    return json.loads(data[20 : 20 + chunk_len])


def test_demo_without_bpy_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(demo.importlib.util, "find_spec", lambda n, *a: None if n == "bpy" else real(n, *a))
    rc = demo.main(["--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "bpy" in err and ".[blender]" in err


def test_demo_with_missing_head_fails_clearly(tmp_path, capsys):
    rc = demo.main(["--out", str(tmp_path / "out"), "--head", str(tmp_path / "nope.obj")])
    assert rc == 2
    assert "--head" in capsys.readouterr().err


@pytest.mark.skipif(
    importlib.util.find_spec("bpy") is None,
    reason="needs bpy (the `blender` extra)",
)
def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo_out"
    proc = subprocess.run(
        [sys.executable, "-m", "demo", "--out", str(out)],
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for name in ("capture.csv", "demo.blend", "demo.glb", "contact_sheet.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 1000, name
    gltf = read_glb_json(out / "demo.glb")
    meshes = [m for m in gltf["meshes"] if m["primitives"][0].get("targets")]
    assert len(meshes) == 1
    assert len(meshes[0]["primitives"][0]["targets"]) == 53
    assert len(meshes[0]["extras"]["targetNames"]) == 53
    channels = [c for a in gltf.get("animations", []) for c in a["channels"]]
    weight_channels = [c for c in channels if c["target"]["path"] == "weights"]
    assert weight_channels, "the glb has no morph-target animation"
    sampler = gltf["animations"][0]["samplers"][weight_channels[0]["sampler"]]
    frames = gltf["accessors"][sampler["input"]]["count"]
    assert frames >= 100  # the 4 s capture at 30 fps
    png = (out / "contact_sheet.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1200 and height >= 600
