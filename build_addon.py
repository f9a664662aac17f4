"""Build the Blender add-on zip: ``python build_addon.py`` -> ``dist/neural_face_skinning-<version>.zip``.

The zip installs both ways Blender offers:

* as a Blender 4.2+ extension (``Edit > Preferences > Get Extensions > Install from Disk``,
  ``bpy.ops.extensions.package_install_files``), and
* as a legacy add-on (``Install...`` in the Add-ons tab, ``bpy.ops.preferences.addon_install``).

Both are satisfied by one top-level folder ``neural_face_skinning/`` holding the add-on
(``__init__.py`` with ``bl_info``, ``blender_manifest.toml``, ``core/``, ``operators/``, ...),
the ``model`` package vendored as a subpackage (``neural_face_skinning/model``, found by
``blender_addon/core/_model_import.py``) and the network weights in
``neural_face_skinning/model/data/weights`` (found by ``model.weights.shipped_weights_dir``).
Blender's extension installer accepts a single folder in the archive; its legacy installer
requires one.

The version has one source of truth, ``model/__init__.py``'s ``__version__``: the manifest is
generated from it, and ``pyproject.toml`` and the add-on's ``bl_info`` are checked against it.
``blender_addon/blender_manifest.toml`` (for running the add-on from a checkout) must equal the
generated manifest; ``--write-manifest`` rewrites it.

The weights' sha256 is verified against their ``config.json``; a mismatch fails the build. The
add-on runs the torch-free numpy runtime (:mod:`model.runtime`) from ``model.npz``, which is
verified the same way (and must be exported from the shipped ``model.pt``).

The archive is deterministic: sorted entries, fixed timestamps and permissions, fixed
compression, so the same tree gives the same bytes.

``--wheels PLATFORM`` (``linux-x64``, ``windows-x64``, ``macos-arm64``) bundles the runtime
wheels for Blender's Python 3.11 (scipy, robust-laplacian and what they need, except numpy, which
Blender ships; never torch), downloaded with ``pip download --only-binary=:all:`` or taken from
``--wheel-dir``, lists them in the manifest's ``wheels`` and sets ``platforms``; the output is
``dist/neural_face_skinning-<version>-<platform>.zip``. Without wheels, the add-on needs scipy
and robust-laplacian installed into Blender's Python and says how.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent
ADDON_ID = "neural_face_skinning"
MANIFEST = "blender_manifest.toml"
PYTHON_VERSION = "3.11"  # Blender 4.2-4.5's Python: bundled wheels must be cp311

# Blender platform name -> pip --platform tags (newest first; pip takes any of them)
PLATFORMS: dict[str, tuple[str, ...]] = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_14_0_arm64", "macosx_13_0_arm64", "macosx_12_0_arm64", "macosx_11_0_arm64"),
}
# What the numpy runtime needs beyond Blender's own numpy (no torch: model.runtime)
# (scipy < 1.16: 1.16 needs numpy >= 1.25.2, newer than some Blender 4.x ship)
RUNTIME_REQUIREMENTS = ("scipy>=1.10,<1.16", "robust-laplacian>=0.2.7")
# Blender ships these: a bundled copy would shadow Blender's own
PROVIDED_BY_BLENDER = {"numpy"}
# never bundled: the add-on does not use it, and it is gigabytes
NOT_BUNDLED = {"torch"}

# Fixed metadata of every archive entry: the earliest time a zip can hold, rw-r--r--.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644
WEIGHT_FILES = (
    "model.pt",
    "config.json",
    "model.pt.sha256",
    "model.npz",
    "model.npz.sha256",
    "MODEL_CARD.md",
)
# Never shipped, wherever they appear.
EXCLUDED_DIRS = {"__pycache__", "tests", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", ".swp", ".blend1")
# Development-only parts of the source tree that the add-on never imports.
ADDON_DEV_ONLY = {MANIFEST}  # the demo renderer lives outside the add-on (demo/)
MODEL_DEV_ONLY = {"data"}  # model/data: the demo head and its license (weights are added apart)
# ... except what the add-on reads at run time: the ICT template of the classical bake methods
# (derived from ICT-FaceKit, MIT) and its licence notice
MODEL_DATA_SHIPPED = ("ict_template.npz", "ICT_TEMPLATE_LICENSE.txt")


class BuildError(Exception):
    """The tree cannot be packaged as it is; the message says why and how to fix it."""


def read_version(root: pathlib.Path) -> str:
    """``__version__`` of ``root/model/__init__.py`` (parsed, not imported)."""
    text = (root / "model" / "__init__.py").read_text()
    m = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not m:
        raise BuildError("model/__init__.py has no __version__ = '...': add it (the one version source)")
    version = m.group(1)
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise BuildError(f"__version__ {version!r} is not MAJOR.MINOR.PATCH, which Blender requires")
    return version


def check_versions(root: pathlib.Path, version: str) -> None:
    """``pyproject.toml`` and ``bl_info`` must carry ``version``; raise BuildError otherwise."""
    import tomllib

    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        declared = tomllib.loads(pyproject.read_text()).get("project", {}).get("version")
        if declared is not None and declared != version:
            raise BuildError(
                f"pyproject.toml version {declared!r} != model.__version__ {version!r}: "
                "set both to the same value"
            )
    init = root / "blender_addon" / "__init__.py"
    if not init.is_file():
        raise BuildError("blender_addon/__init__.py is missing: the add-on has no entry point to package")
    bl_info = _literal_assignment(init, "bl_info")
    if bl_info is None:
        raise BuildError(
            "blender_addon/__init__.py has no literal bl_info dict: add one so the zip also "
            "installs as a legacy add-on"
        )
    bl_version = tuple(bl_info.get("version", ()))
    if bl_version != tuple(int(x) for x in version.split(".")):
        raise BuildError(
            f"bl_info['version'] {bl_version} in blender_addon/__init__.py != model.__version__ "
            f"{version!r}: set bl_info['version'] = {tuple(int(x) for x in version.split('.'))}"
        )


def _literal_assignment(path: pathlib.Path, name: str):
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and node.value is not None:
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def manifest_text(version: str, wheels: list[str] | None = None, platform: str | None = None) -> str:
    """The ``blender_manifest.toml`` for ``version`` (plus bundled wheels for one platform)."""
    lines = [
        "# Generated by build_addon.py from model.__version__; edit build_addon.py, not this file.",
        'schema_version = "1.0.0"',
        "",
        f'id = "{ADDON_ID}"',
        f'version = "{version}"',
        'name = "Neural Face Skinning"',
        'tagline = "Predict face skinning, bake FACS shape keys, clone expressions"',
        'maintainer = "Neural Face Skinning contributors"',
        'type = "add-on"',
        'tags = ["Animation", "Rigging", "Mesh"]',
        'blender_version_min = "4.2.0"',
        'license = ["SPDX:GPL-3.0-or-later"]',
    ]
    if platform is not None:
        lines.append(f'platforms = ["{platform}"]')
    if wheels:
        lines.append("wheels = [")
        lines += [f'  "./wheels/{w}",' for w in sorted(wheels)]
        lines.append("]")
    lines += [
        "",
        "[permissions]",
        'files = "reading weights, CSV captures, exporting FBX/glTF"',
        'network = "receiving live face capture from Live Link Face or Face Cap"',
        "",
    ]
    return "\n".join(lines)


def verify_weights(weights_dir: pathlib.Path) -> list[pathlib.Path]:
    """Check ``model.pt`` against the sha256 in ``config.json`` and ``model.pt.sha256``.

    Returns the files to ship. Raises BuildError naming the mismatch and the fix.
    """
    missing = [f for f in ("model.pt", "config.json") if not (weights_dir / f).is_file()]
    if missing:
        raise BuildError(
            f"weights folder {weights_dir} lacks {', '.join(missing)}: pass --weights DIR with a "
            "folder written by `python -m training train` (or training.torch_weights.save_random_model)"
        )
    try:
        config = json.loads((weights_dir / "config.json").read_text())
    except json.JSONDecodeError as exc:
        raise BuildError(f"{weights_dir / 'config.json'} is not valid JSON ({exc}); restore it") from exc
    h = hashlib.sha256()
    with open(weights_dir / "model.pt", "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    if config.get("sha256") != digest:
        raise BuildError(
            f"{weights_dir / 'model.pt'} has sha256 {digest[:16]}... but config.json says "
            f"{str(config.get('sha256'))[:16]}...: the weights and their config do not belong "
            "together; restore the folder from the release or retrain"
        )
    sha_file = weights_dir / "model.pt.sha256"
    if sha_file.is_file() and sha_file.read_text().split()[:1] != [digest]:
        raise BuildError(f"{sha_file} disagrees with model.pt: restore the weights folder or retrain")
    _verify_numpy_weights(weights_dir, config, digest)
    return [weights_dir / f for f in WEIGHT_FILES if (weights_dir / f).is_file()]


def _verify_numpy_weights(weights_dir: pathlib.Path, config: dict, pt_digest: str) -> None:
    """``model.npz`` (what the add-on runs) must exist, match its sha256 in ``config.json`` and
    ``model.npz.sha256``, and come from this ``model.pt``."""
    fix = "run `python -m training export-numpy --weights DIR` (needs torch) and commit the result"
    entry = config.get("numpy_weights")
    npz = weights_dir / "model.npz"
    if not isinstance(entry, dict) or not npz.is_file():
        raise BuildError(f"{weights_dir} has no numpy weights (model.npz) for the add-on's runtime: {fix}")
    if entry.get("source_sha256") != pt_digest:
        raise BuildError(f"{npz} was exported from another model.pt: {fix}")
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    if entry.get("sha256") != digest:
        raise BuildError(f"{npz} has sha256 {digest[:16]}... but config.json says otherwise: {fix}")
    sha_file = weights_dir / "model.npz.sha256"
    if sha_file.is_file() and sha_file.read_text().split()[:1] != [digest]:
        raise BuildError(f"{sha_file} disagrees with model.npz: {fix}")


def _walk(base: pathlib.Path, skip_top: set[str]) -> list[pathlib.Path]:
    """Files under ``base`` that belong in the package (sorted, relative to ``base``)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = pathlib.Path(dirpath).relative_to(base)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in EXCLUDED_DIRS
            and not d.startswith(".")
            and not (rel_dir == pathlib.Path(".") and d in skip_top)
        )
        for name in filenames:
            if name.startswith(".") or name.endswith(EXCLUDED_SUFFIXES):
                continue
            if rel_dir == pathlib.Path(".") and name in skip_top:
                continue
            out.append(rel_dir / name)
    return sorted(out, key=lambda p: p.as_posix())


def collect(
    root: pathlib.Path, weights_dir: pathlib.Path, wheel_files: list[pathlib.Path]
) -> dict[str, pathlib.Path]:
    """Archive name (inside the top folder) -> source file, for everything that ships."""
    entries: dict[str, pathlib.Path] = {}
    for rel in _walk(root / "blender_addon", ADDON_DEV_ONLY):
        entries[rel.as_posix()] = root / "blender_addon" / rel
    for rel in _walk(root / "model", MODEL_DEV_ONLY):
        entries[f"model/{rel.as_posix()}"] = root / "model" / rel
    for name in MODEL_DATA_SHIPPED:
        src = root / "model" / "data" / name
        if not src.is_file():
            raise BuildError(f"{src} is missing: run scripts/make_ict_template.py (needs ICT_FACEKIT)")
        entries[f"model/data/{name}"] = src
    for f in verify_weights(weights_dir):
        entries[f"model/data/weights/{f.name}"] = f
    for w in wheel_files:
        entries[f"wheels/{w.name}"] = w
    if (root / "LICENSE").is_file():
        entries["LICENSE"] = root / "LICENSE"
    return entries


def write_zip(path: pathlib.Path, files: dict[str, bytes]) -> None:
    """Deterministic zip: sorted names, fixed time and mode, deflate level 9 (wheels stored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3  # unix, so external_attr is read as a mode everywhere
            info.external_attr = FILE_MODE << 16
            if name.endswith(".whl"):
                info.compress_type = zipfile.ZIP_STORED  # already compressed; deflating costs minutes
                zf.writestr(info, files[name])
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, files[name], compresslevel=9)
    os.replace(tmp, path)


# Marker environment of Blender's Python on each platform. pip download evaluates dependency
# markers against the Python running it, not the --platform target, so wheels are fetched
# without dependencies and their requirements are filtered with these environments.
MARKER_ENV = {
    "linux-x64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "windows-x64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
}


def _packaging():
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors it
        from pip._vendor.packaging.requirements import Requirement
    return Requirement


def wheel_requirements(wheel: pathlib.Path, platform: str) -> list[str]:
    """``Requires-Dist`` of a wheel that apply on ``platform`` with Python 3.11 and no extras,
    as requirement strings without markers."""
    Requirement = _packaging()
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        lines = zf.read(meta).decode("utf-8", "replace").splitlines()
    env = {
        "python_version": PYTHON_VERSION,
        "python_full_version": PYTHON_VERSION + ".0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "nt" if platform == "windows-x64" else "posix",
        "extra": "",
        **MARKER_ENV[platform],
    }
    out = []
    for line in lines:
        if not line.startswith("Requires-Dist:"):
            continue
        req = Requirement(line.split(":", 1)[1].strip())
        if req.marker is None or req.marker.evaluate(env):
            out.append(f"{req.name}{req.specifier}")
    return out


def _dist_name(wheel_or_requirement: str) -> str:
    """Normalised distribution name of a wheel file name or a requirement string."""
    if wheel_or_requirement.endswith(".whl"):  # name-version-...: names use "_" for "-"
        name = wheel_or_requirement.split("-", 1)[0]
    else:
        name = re.split(r"[<>=!~ ;\[(]", wheel_or_requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def download_wheels(platform: str, dest: pathlib.Path) -> None:
    """``pip download`` the runtime wheels for ``platform`` and Python 3.11 into ``dest``, one
    at a time without dependencies, then their requirements filtered for the target platform
    (see :data:`MARKER_ENV`), except what Blender ships (numpy) and torch."""
    cmd = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", PYTHON_VERSION]
    cmd += ["--implementation", "cp", "--dest", str(dest), "--no-deps"]
    for tag in PLATFORMS[platform]:
        cmd += ["--platform", tag]
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("*.whl"):  # wheels of an older build must not ship with this one
        stale.unlink()
    queue, seen = list(RUNTIME_REQUIREMENTS), set()
    while queue:
        req = queue.pop(0)
        name = _dist_name(req)
        if name in seen or name in PROVIDED_BY_BLENDER | NOT_BUNDLED:
            continue
        seen.add(name)
        print("running:", " ".join([*cmd, req]))
        result = subprocess.run([*cmd, req])
        if result.returncode != 0:
            raise BuildError(
                f"pip download of {req} for {platform} failed (exit {result.returncode}): check the "
                "network/index, or download the wheels yourself and pass --wheel-dir DIR"
            )
        wheel = next((w for w in sorted(dest.glob("*.whl")) if _dist_name(w.name) == name), None)
        if wheel is None:
            raise BuildError(f"pip did not download a {name} wheel for {platform}: pass --wheel-dir DIR")
        queue += wheel_requirements(wheel, platform)


def wheels_from_dir(wheel_dir: pathlib.Path) -> list[pathlib.Path]:
    """The ``*.whl`` files of a folder; names must follow the wheel spec (Blender checks them)."""
    wheels = sorted(wheel_dir.glob("*.whl"))
    if not wheels:
        raise BuildError(f"no .whl files in {wheel_dir}: download them first (see --help)")
    for w in wheels:
        if not 5 <= len(w.name[:-4].split("-")) <= 6:
            raise BuildError(f"{w.name} is not a valid wheel filename; use wheels as pip downloads them")
    names = {_dist_name(w.name) for w in wheels}
    needed = {_dist_name(r) for r in RUNTIME_REQUIREMENTS}
    if not needed <= names:
        raise BuildError(
            f"{wheel_dir} lacks {', '.join(sorted(needed - names))} wheels: the add-on cannot run "
            "without them"
        )
    unwanted = names & (PROVIDED_BY_BLENDER | NOT_BUNDLED)
    if unwanted:
        raise BuildError(
            f"{wheel_dir} holds {', '.join(sorted(unwanted))} wheels: Blender ships numpy and the add-on "
            "never uses torch; remove them"
        )
    return wheels


def build(
    root: pathlib.Path = ROOT,
    out_dir: pathlib.Path | None = None,
    weights_dir: pathlib.Path | None = None,
    platform: str | None = None,
    wheel_files: list[pathlib.Path] | None = None,
    check_manifest: bool = True,
) -> pathlib.Path:
    """Build the zip from the tree at ``root``; returns its path.

    ``weights_dir`` defaults to ``root/weights``; ``platform`` + ``wheel_files`` bundle wheels.
    ``check_manifest``: require ``blender_addon/blender_manifest.toml`` to equal the generated one.
    """
    root = pathlib.Path(root)
    out_dir = pathlib.Path(out_dir) if out_dir is not None else root / "dist"
    weights_dir = pathlib.Path(weights_dir) if weights_dir is not None else root / "weights"
    if (platform is None) != (not wheel_files):
        raise BuildError("wheels need a platform and a platform needs wheels: pass both or neither")
    if platform is not None and platform not in PLATFORMS:
        raise BuildError(f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    version = read_version(root)
    check_versions(root, version)
    checked_in = root / "blender_addon" / MANIFEST
    if check_manifest and (not checked_in.is_file() or checked_in.read_text() != manifest_text(version)):
        raise BuildError(
            f"{checked_in.relative_to(root)} is missing or stale (not generated from version "
            f"{version}): run `python build_addon.py --write-manifest` and commit it"
        )
    wheel_files = list(wheel_files or [])
    entries = collect(root, weights_dir, wheel_files)
    files = {f"{ADDON_ID}/{name}": src.read_bytes() for name, src in entries.items()}
    manifest = manifest_text(version, [w.name for w in wheel_files], platform)
    files[f"{ADDON_ID}/{MANIFEST}"] = manifest.encode()
    suffix = f"-{platform.replace('-', '_')}" if platform else ""
    out = out_dir / f"{ADDON_ID}-{version}{suffix}.zip"
    write_zip(out, files)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(ROOT / "dist"), help="where the zip goes (default dist/)")
    parser.add_argument("--weights", default=None, help="weights folder (default weights/)")
    parser.add_argument("--wheels", choices=sorted(PLATFORMS), help="bundle runtime wheels for PLATFORM")
    parser.add_argument("--wheel-dir", help="take the wheels from this folder instead of pip download")
    parser.add_argument(
        "--write-manifest", action="store_true", help="rewrite blender_addon/blender_manifest.toml and exit"
    )
    args = parser.parse_args(argv)
    try:
        if args.write_manifest:
            path = ROOT / "blender_addon" / MANIFEST
            path.write_text(manifest_text(read_version(ROOT)))
            print(f"wrote {path}")
            return 0
        wheel_files: list[pathlib.Path] = []
        if args.wheels:
            if args.wheel_dir:
                wheel_files = wheels_from_dir(pathlib.Path(args.wheel_dir))
            else:
                dest = ROOT / "build" / "wheels" / args.wheels
                download_wheels(args.wheels, dest)
                wheel_files = wheels_from_dir(dest)
        elif args.wheel_dir:
            raise BuildError("--wheel-dir needs --wheels PLATFORM (the platform the wheels are for)")
        out = build(
            ROOT,
            pathlib.Path(args.out_dir),
            pathlib.Path(args.weights) if args.weights else None,
            args.wheels,
            wheel_files,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
