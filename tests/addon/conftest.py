"""Fixtures for the Blender add-on tests: real ``bpy`` (headless), add-on registered from the checkout.

Every test starts from ``read_factory_settings(use_empty=True)`` with the add-on freshly
registered, and unregisters it afterwards.

bpy 4.5 as a Python module can deadlock in its C++ static destructors at interpreter exit (a
``delayed_close`` thread still waiting on a condition variable that ``~GlobalState`` destroys; seen
after a glTF export in a process that imported torch, and while Python operators are still
registered). The test process therefore ends with ``os._exit(<pytest's exit status>)`` once pytest
has finished, skipping those destructors; nothing is lost (reports are written by then).
"""

from __future__ import annotations

import atexit
import os
import pathlib
import sys

import pytest

bpy = pytest.importorskip("bpy", reason="the add-on tests need Blender as a module: pip install bpy==4.5.*")

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import blender_addon  # noqa: E402

_session = {"exitstatus": None}


def pytest_report_header(config) -> str:
    """Which Blender the add-on tests run on (``python -m tests.blender_versions`` checks it)."""
    return f"bpy {bpy.app.version_string} from {pathlib.Path(bpy.__file__).parent}"


def pytest_sessionfinish(session, exitstatus):
    _session["exitstatus"] = int(exitstatus)


def _exit_without_static_destructors() -> None:
    blender_addon.unregister()
    if _session["exitstatus"] is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_session["exitstatus"])


atexit.register(_exit_without_static_destructors)


@pytest.fixture
def addon():
    """The add-on registered on a clean factory-settings session (no objects)."""
    blender_addon.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    yield blender_addon
    blender_addon.unregister()


@pytest.fixture(scope="session")
def weights_dir(tmp_path_factory) -> pathlib.Path:
    """A tiny randomly initialised weights folder (config.json + model.pt + model.npz)."""
    from training.torch_weights import save_random_model

    d = tmp_path_factory.mktemp("random-weights")
    save_random_model(d, seed=0)
    return d


@pytest.fixture
def loaded(addon, weights_dir):
    """Add-on registered and the random model loaded through the operator."""
    assert bpy.ops.face_skinning.load_model(filepath=str(weights_dir)) == {"FINISHED"}
    return addon
