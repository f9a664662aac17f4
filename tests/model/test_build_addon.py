"""build_addon.py: zip layout, manifest, determinism, and the checks that must fail the build.

No bpy here: Blender's own manifest validator (a plain Python file shipped in the bpy wheel) is run
as a subprocess when it is installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("build_addon", ROOT / "build_addon.py")
ba = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ba)

TOP = ba.ADDON_ID + "/"


def _write(path: pathlib.Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)


def _fake_weights(d: pathlib.Path, payload: bytes = b"not really a torch file" * 100) -> pathlib.Path:
    digest = hashlib.sha256(payload).hexdigest()
    npz = b"not really an npz" * 50
    npz_digest = hashlib.sha256(npz).hexdigest()
    _write(d / "model.pt", payload)
    _write(d / "model.npz", npz)
    config = {
        "format": "neural-face-skinning-weights/1",
        "sha256": digest,
        "numpy_weights": {"file": "model.npz", "sha256": npz_digest, "source_sha256": digest},
    }
    _write(d / "config.json", json.dumps(config))
    _write(d / "model.pt.sha256", f"{digest}  model.pt\n")
    _write(d / "model.npz.sha256", f"{npz_digest}  model.npz\n")
    return d


@pytest.fixture
def tree(tmp_path) -> pathlib.Path:
    """A small source tree shaped like the checkout: the real model/ package, a stub add-on."""
    root = tmp_path / "src"
    shutil.copytree(ROOT / "model", root / "model", ignore=shutil.ignore_patterns("__pycache__"))
    _write(root / "model" / "__pycache__" / "facs.cpython-311.pyc", b"junk")
    _write(root / "pyproject.toml", f'[project]\nname = "x"\nversion = "{ba.read_version(ROOT)}"\n')
    version = ba.read_version(root)
    vt = tuple(int(x) for x in version.split("."))
    _write(root / "blender_addon" / "__init__.py", f'bl_info = {{"name": "NFS", "version": {vt}}}\n')
    _write(root / "blender_addon" / "core" / "glue.py", "X = 1\n")
    _write(root / "blender_addon" / "core" / "__pycache__" / "glue.cpython-311.pyc", b"junk")
    _write(root / "blender_addon" / "tests" / "test_glue.py", "def test(): pass\n")
    _write(root / "blender_addon" / ".hidden", "x")
    _write(root / "blender_addon" / ba.MANIFEST, ba.manifest_text(version))
    _fake_weights(root / "weights")
    return root


def _names(path: pathlib.Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def _manifest(path: pathlib.Path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return tomllib.loads(zf.read(TOP + ba.MANIFEST).decode())


def test_zip_layout(tree, tmp_path):
    out = ba.build(tree, tmp_path / "dist")
    assert out.name == f"neural_face_skinning-{ba.read_version(tree)}.zip"
    names = _names(out)
    assert names == sorted(names)
    assert all(n.startswith(TOP) for n in names), "one top folder, for the legacy installer"
    rel = {n[len(TOP) :] for n in names}
    for required in ("__init__.py", "blender_manifest.toml", "core/glue.py", "model/__init__.py",
                     "model/facs.py", "model/data/weights/model.pt", "model/data/weights/config.json",
                     "model/data/weights/model.pt.sha256", "model/data/ict_template.npz",
                     "model/data/weights/model.npz", "model/data/weights/model.npz.sha256",
                     "model/data/ICT_TEMPLATE_LICENSE.txt"):  # fmt: skip
        assert required in rel, required
    assert not [n for n in rel if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in rel if n.startswith("tests/") or "/tests/" in n]
    assert ".hidden" not in rel
    shipped_data = {f"model/data/{name}" for name in ba.MODEL_DATA_SHIPPED}
    data = {n for n in rel if n.startswith("model/data/") and not n.startswith("model/data/weights/")}
    assert data == shipped_data
    # every model source file made it
    sources = {f"model/{p.relative_to(tree / 'model').as_posix()}" for p in (tree / "model").rglob("*.py")}
    sources = {s for s in sources if "__pycache__" not in s}
    assert sources <= rel
    with zipfile.ZipFile(out) as zf:
        for info in zf.infolist():
            assert info.date_time == ba.ZIP_DATE
            assert info.external_attr >> 16 == 0o100644
        assert zf.read(TOP + "model/data/weights/model.pt") == (tree / "weights" / "model.pt").read_bytes()
        template = tree / "model" / "data" / "ict_template.npz"
        assert zf.read(TOP + "model/data/ict_template.npz") == template.read_bytes()
        assert zf.testzip() is None


def test_manifest_fields(tree, tmp_path):
    m = _manifest(ba.build(tree, tmp_path / "dist"))
    assert m["id"] == "neural_face_skinning"
    assert m["version"] == ba.read_version(tree)
    assert m["type"] == "add-on"
    assert m["license"] == ["SPDX:GPL-3.0-or-later"]
    assert m["blender_version_min"] == "4.2.0"
    assert "wheels" not in m and "platforms" not in m
    # Blender's rules for terse strings: <= 64 characters, no trailing punctuation
    for text in (m["tagline"], *m["permissions"].values()):
        assert len(text) <= 64 and text[-1].isalnum(), text
    assert set(m["permissions"]) == {"files", "network"}  # network: live capture (UDP receive)


def test_same_tree_same_bytes(tree, tmp_path):
    a = ba.build(tree, tmp_path / "a").read_bytes()
    # new mtimes and modes, and a copy at another path, must not change a byte
    for p in tree.rglob("*"):
        if p.is_file():
            os.utime(p, (1_700_000_000, 1_700_000_000))
    (tree / "blender_addon" / "core" / "glue.py").chmod(0o755)
    b = ba.build(tree, tmp_path / "b").read_bytes()
    copy = tmp_path / "elsewhere" / "tree"
    shutil.copytree(tree, copy)
    c = ba.build(copy, tmp_path / "c").read_bytes()
    assert a == b == c
    # and a real change does change the bytes
    _write(tree / "blender_addon" / "core" / "glue.py", "X = 2\n")
    assert ba.build(tree, tmp_path / "d").read_bytes() != a


def test_numpy_weights_missing_or_tampered_fail(tree, tmp_path):
    npz = tree / "weights" / "model.npz"
    good = npz.read_bytes()
    npz.write_bytes(b"tampered")
    with pytest.raises(ba.BuildError, match="model.npz has sha256"):
        ba.build(tree, tmp_path / "dist")
    npz.unlink()
    with pytest.raises(ba.BuildError, match="export-numpy"):
        ba.build(tree, tmp_path / "dist")
    npz.write_bytes(good)
    assert ba.build(tree, tmp_path / "dist").is_file()


def test_weights_hash_mismatch_fails(tree, tmp_path):
    (tree / "weights" / "model.pt").write_bytes(b"tampered")
    with pytest.raises(ba.BuildError, match="sha256"):
        ba.build(tree, tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").glob("*.zip"))


def test_missing_weights_fails(tree, tmp_path):
    (tree / "weights" / "model.pt").unlink()
    with pytest.raises(ba.BuildError, match="--weights"):
        ba.build(tree, tmp_path / "dist")


def test_version_mismatches_fail(tree, tmp_path):
    init = tree / "blender_addon" / "__init__.py"
    good = init.read_text()
    init.write_text('bl_info = {"name": "NFS", "version": (9, 9, 9)}\n')
    with pytest.raises(ba.BuildError, match="bl_info"):
        ba.build(tree, tmp_path / "dist")
    init.write_text(good)
    (tree / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.9.9"\n')
    with pytest.raises(ba.BuildError, match="pyproject"):
        ba.build(tree, tmp_path / "dist")


def test_stale_checked_in_manifest_fails(tree, tmp_path):
    path = tree / "blender_addon" / ba.MANIFEST
    path.write_text(path.read_text().replace('version = "', 'version = "1'))
    with pytest.raises(ba.BuildError, match="--write-manifest"):
        ba.build(tree, tmp_path / "dist")


FAKE_WHEELS = (
    "scipy-1.14.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "robust_laplacian-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "polyscope-2.3.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
)


def test_bundled_wheels_are_listed(tree, tmp_path):
    wd = tmp_path / "wheels"
    for name in FAKE_WHEELS:
        _write(wd / name, name.encode() * 10)
    out = ba.build(tree, tmp_path / "dist", platform="linux-x64", wheel_files=ba.wheels_from_dir(wd))
    assert out.name.endswith("-linux_x64.zip")
    m = _manifest(out)
    assert m["platforms"] == ["linux-x64"]
    assert m["wheels"] == [f"./wheels/{n}" for n in sorted(FAKE_WHEELS)]
    names = _names(out)
    for n in FAKE_WHEELS:
        assert TOP + "wheels/" + n in names
    with zipfile.ZipFile(out) as zf:
        assert zf.getinfo(TOP + "wheels/" + FAKE_WHEELS[0]).compress_type == zipfile.ZIP_STORED


def test_wheel_dir_without_the_runtime_with_torch_or_numpy_or_bad_names_fails(tmp_path):
    _write(tmp_path / "a" / "scipy-1.14.1-cp311-cp311-win_amd64.whl", b"x")
    with pytest.raises(ba.BuildError, match="lacks robust-laplacian"):
        ba.wheels_from_dir(tmp_path / "a")
    _write(tmp_path / "a" / "robust_laplacian-1.0.0-cp311-cp311-win_amd64.whl", b"x")
    assert len(ba.wheels_from_dir(tmp_path / "a")) == 2
    for unwanted in ("torch-2.13.0-cp311-cp311-win_amd64.whl", "numpy-1.26.4-cp311-cp311-win_amd64.whl"):
        _write(tmp_path / "a" / unwanted, b"x")
        with pytest.raises(ba.BuildError, match=unwanted.split("-")[0]):
            ba.wheels_from_dir(tmp_path / "a")
        (tmp_path / "a" / unwanted).unlink()
    _write(tmp_path / "b" / "torch.whl", b"x")
    with pytest.raises(ba.BuildError, match="wheel filename"):
        ba.wheels_from_dir(tmp_path / "b")
    with pytest.raises(ba.BuildError, match="platform"):
        ba.build(tmp_path, tmp_path / "dist", platform="linux-x64", wheel_files=[])


def _blender_ext_cli() -> pathlib.Path | None:
    spec = importlib.util.find_spec("bpy")  # locating the wheel does not import Blender
    if spec is None or not spec.submodule_search_locations:
        return None
    base = pathlib.Path(next(iter(spec.submodule_search_locations)))
    hits = sorted(base.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    return hits[-1] if hits else None


@pytest.mark.parametrize("with_wheels", [False, True])
def test_blenders_own_validator_accepts_the_zip(tree, tmp_path, with_wheels):
    cli = _blender_ext_cli()
    if cli is None:
        pytest.skip("bpy (the `blender` extra) is not installed: Blender's manifest validator is unavailable")
    kwargs = {}
    if with_wheels:
        for name in FAKE_WHEELS:
            _write(tmp_path / "w" / name, b"x")
        kwargs = {"platform": "linux-x64", "wheel_files": ba.wheels_from_dir(tmp_path / "w")}
    out = ba.build(tree, tmp_path / "dist", **kwargs)
    valid_tags = cli.parents[3] / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    cmd = [sys.executable, str(cli), "validate", str(out)]
    if valid_tags.is_file():
        cmd += ["--valid-tags", str(valid_tags)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0 and "Success" in res.stdout, res.stdout + res.stderr


def test_checkout_manifest_is_current_and_builds(tmp_path):
    """The real tree: the checked-in manifest is generated from __version__, and it packages."""
    version = ba.read_version(ROOT)
    assert (ROOT / "blender_addon" / ba.MANIFEST).read_text() == ba.manifest_text(version), (
        "blender_addon/blender_manifest.toml is stale: run `python build_addon.py --write-manifest`"
    )
    out = ba.build(ROOT, tmp_path / "dist")
    rel = {n[len(TOP) :] for n in _names(out)}
    assert {"__init__.py", "model/api.py", "model/data/weights/model.pt"} <= rel
    assert not [n for n in rel if n.endswith(".obj") or n.endswith(".pyc")]


def test_wheel_requirements_are_filtered_for_the_target_platform(tmp_path):
    """pip evaluates markers for the host; the build must evaluate them for the target."""
    wheel = tmp_path / "torch-2.13.0-cp311-cp311-win_amd64.whl"
    meta = "\n".join([
        "Metadata-Version: 2.1", "Name: torch", "Version: 2.13.0",
        "Requires-Dist: filelock", "Requires-Dist: sympy>=1.13.3",
        'Requires-Dist: nvidia-nccl-cu13==2.29.7; platform_system == "Linux"',
        'Requires-Dist: pywin-thing>=1; sys_platform == "win32"',
        'Requires-Dist: opt-einsum>=3.3; extra == "opt-einsum"',
        'Requires-Dist: oldlib; python_version < "3.10"',
    ])  # fmt: skip
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("torch-2.13.0.dist-info/METADATA", meta)
    assert ba.wheel_requirements(wheel, "windows-x64") == ["filelock", "sympy>=1.13.3", "pywin-thing>=1"]
    assert ba.wheel_requirements(wheel, "linux-x64") == [
        "filelock",
        "sympy>=1.13.3",
        "nvidia-nccl-cu13==2.29.7",
    ]
    assert ba.wheel_requirements(wheel, "macos-arm64") == ["filelock", "sympy>=1.13.3"]
