"""The folder layout is the architecture: ``model`` (the runtime the add-on vendors) never imports
``training`` (torch, ICT-derived data, evaluation), ``demo`` or ``bpy``; the add-on never imports
torch or training; the zip vendors exactly the runtime package."""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _imports(path: pathlib.Path) -> set[str]:
    """Top-level names of every absolute import in a file (relative ones stay in their package)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _py_files(package: str) -> list[pathlib.Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("model", {"training", "demo", "torch", "bpy", "blender_addon", "pymeshlab"}),
        ("blender_addon", {"training", "demo", "torch", "pymeshlab"}),
        ("training", {"bpy", "blender_addon", "demo"}),
    ],
)
def test_imports_flow_one_way(package, forbidden):
    bad = {
        f"{p.relative_to(ROOT)}: {sorted(_imports(p) & forbidden)}"
        for p in _py_files(package)
        if _imports(p) & forbidden
    }
    assert not bad, f"{package} must not import {sorted(forbidden)}: {sorted(bad)}"


def test_relative_imports_stay_inside_their_package():
    """``from ..x`` in model/ must not climb out of ``model`` (e.g. into a sibling package)."""
    for package in ("model", "training", "blender_addon"):
        for p in _py_files(package):
            depth = len(p.relative_to(ROOT / package).parts) - 1  # folders below the package root
            for node in ast.walk(ast.parse(p.read_text())):
                if isinstance(node, ast.ImportFrom) and node.level:
                    assert node.level - 1 <= depth, f"{p.relative_to(ROOT)} climbs out of {package}"


def test_the_zip_vendors_exactly_the_runtime_package(tmp_path):
    import zipfile

    import build_addon

    zip_path = build_addon.build(out_dir=tmp_path)
    with zipfile.ZipFile(zip_path) as zf:
        names = [n.split("/", 1)[1] for n in zf.namelist() if "/" in n]
        sources = {
            n: zf.read(next(z for z in zf.namelist() if z.endswith("/" + n)))
            for n in names
            if n.endswith(".py")
        }
    runtime = {f"model/{p.relative_to(ROOT / 'model').as_posix()}" for p in _py_files("model")}
    vendored = {n for n in names if n.startswith("model/") and n.endswith(".py")}
    assert vendored == runtime
    assert not [n for n in names if n.startswith(("training/", "demo/"))]
    assert "demo_scene.py" not in {pathlib.PurePosixPath(n).name for n in names}
    for name, text in sources.items():
        tree = ast.parse(text)
        imported = {
            (a.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0)
            for a in (node.names if isinstance(node, ast.Import) else [node])
        }
        assert not imported & {"torch", "training", "demo"}, (
            f"{name} imports {imported & {'torch', 'training'}}"
        )
