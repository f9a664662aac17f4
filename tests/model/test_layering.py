"""The package layering: ``model`` never imports Blender, and stays light to import."""

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_import_model_pulls_no_bpy():
    mods = _modules_after("import model, model.facs, model.errors, model.cli")
    assert "bpy" not in mods
    assert "torch" not in mods, "import model must stay light; torch is imported lazily"


def test_no_bpy_import_anywhere_in_model():
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "model"
    offenders = [
        str(p)
        for p in root.rglob("*.py")
        if any(line.strip().startswith(("import bpy", "from bpy")) for line in p.read_text().splitlines())
    ]
    assert offenders == []
