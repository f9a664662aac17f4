"""The add-on and end-to-end tiers on every Blender version we support, from one venv.

The venv has ``bpy`` 4.5 (``pyproject.toml``'s ``test`` extra). The other versions are installed
with ``pip install --no-deps --target .bpy/<version>`` (cached there, gitignored; about 850 MB
each) and put first on ``PYTHONPATH`` of a child pytest that runs ``tests/addon`` and
``tests/e2e`` only (the model tier does not use bpy, so it runs once). ``--no-deps``: bpy's
dependencies (numpy<2, requests, zstandard, cython) are the venv's, the same for all three
versions; installing them into the target would shadow the venv's numpy with an unpinned one.

    python -m tests.blender_versions install        # cached: a no-op when present
    python -m tests.blender_versions run [4.2 ...]   # the two tiers on those versions (default all)

``tests/test_blender_versions.py`` runs the same child pytest from the main test command.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BPY_DIR = ROOT / ".bpy"
VENV_VERSION = "4.5"  # the test extra's bpy==4.5.*
EXTRA_VERSIONS = ("4.2", "5.0")  # 4.2 LTS: the manifest's blender_version_min; 5.0: the newest
TIERS = ("tests/addon", "tests/e2e")


def target(version: str) -> pathlib.Path:
    """The ``--target`` folder of bpy ``version`` (``"4.2"``): holds ``bpy/`` and its dist-info."""
    return BPY_DIR / version


def installed(version: str) -> str | None:
    """The full bpy version installed in :func:`target` (``"4.2.23"``), None when absent."""
    found = sorted(target(version).glob("bpy-*.dist-info"))
    if not found or not (target(version) / "bpy").is_dir():
        return None
    full = found[-1].name.removeprefix("bpy-").removesuffix(".dist-info")
    return full if full.startswith(version + ".") else None


def install(version: str) -> str:
    """Install ``bpy==<version>.*`` into :func:`target` unless it is there; returns the full version.

    Written to a temporary folder and renamed, so an interrupted install is never taken as done.
    """
    have = installed(version)
    if have is not None:
        return have
    dest = target(version)
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        # Each bpy wheel is ~350 MB: caching three of them (and pip's download buffer for the
        # cache) filled a CI disk once; the target folder is the only copy we need.
        "--no-cache-dir",
        "--no-deps",
        "--target",
        str(tmp),
        f"bpy=={version}.*",
    ]
    subprocess.run(cmd, check=True)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    have = installed(version)
    if have is None:
        raise RuntimeError(f"pip installed no bpy {version}.* into {dest}")
    return have


def child_command(basetemp: pathlib.Path | None = None) -> list[str]:
    """The pytest command line run for each extra version (from :data:`ROOT`)."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *TIERS]  # not -q: shows the bpy header
    if basetemp is not None:
        cmd.append(f"--basetemp={basetemp}")
    return cmd


def child_env(version: str) -> dict[str, str]:
    """This environment with bpy ``version`` first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(target(version)), env.get("PYTHONPATH")) if p)
    return env


def run(
    version: str, basetemp: pathlib.Path | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess:
    """Run the add-on and e2e tiers on bpy ``version`` (installed first); output captured."""
    install(version)
    return subprocess.run(
        child_command(basetemp),
        cwd=str(ROOT),
        env=child_env(version),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("install", "run"):
        print(__doc__, file=sys.stderr)
        return 2
    versions = argv[1:] or list(EXTRA_VERSIONS)
    for version in versions:
        if argv[0] == "install":
            print(f"bpy {version}: {install(version)} in {target(version)}")
        else:
            proc = run(version)
            print(proc.stdout[-4000:] + proc.stderr[-4000:])
            if proc.returncode:
                return proc.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
