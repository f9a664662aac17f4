"""The add-on and e2e tiers on the other supported Blender versions (the venv's is 4.5).

Each version runs ``tests/addon`` and ``tests/e2e`` in a child pytest with that bpy first on
PYTHONPATH (``tests/blender_versions.py``); the README's test command installs them first with
``python -m tests.blender_versions install``.
"""

from __future__ import annotations

import importlib.util
import re

import blender_versions as bv  # tests/ is on sys.path (rootdir conftest), as for addon_helpers
import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("bpy") is None or importlib.util.find_spec("torch") is None,
    reason="needs the venv's bpy dependencies (the `test` extra) and torch",
)


@pytest.mark.slow
@pytest.mark.parametrize("version", bv.EXTRA_VERSIONS)
def test_addon_and_e2e_tiers_pass_on(version, tmp_path):
    if bv.installed(version) is None:
        pytest.skip(f"bpy {version} is not installed: run `python -m tests.blender_versions install`")
    proc = bv.run(version, basetemp=tmp_path / "pytest")
    out = proc.stdout + proc.stderr
    # the child really ran on that Blender (tests/addon/conftest.py's report header)
    assert re.search(rf"^bpy {re.escape(version)}\.\d+", out, re.M), out[-3000:]
    assert proc.returncode == 0, f"bpy {version}: the add-on/e2e tiers failed:\n{out[-6000:]}"
    assert re.search(r"\d+ passed", out) and "failed" not in out.splitlines()[-1], out[-3000:]
