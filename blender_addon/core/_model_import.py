"""The one place that decides where the ``model`` package comes from.

Packaged, the extension zip vendors ``model`` as a subpackage (``neural_face_skinning/model``);
in the dev checkout it is the top-level package next to ``blender_addon``. Every other module of
the add-on imports ``model`` through here. ``model.api`` pulls torch, so it is only imported on
demand by :func:`api`.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

_ADDON_PACKAGE = __package__.rpartition(".")[0]

# find_spec first: a bare try/except ImportError would also hide a genuine import error raised
# inside the vendored package.
if importlib.util.find_spec(f"{_ADDON_PACKAGE}.model") is not None:
    model = importlib.import_module(f"{_ADDON_PACKAGE}.model")  # packaged
else:
    model = importlib.import_module("model")  # dev checkout

facs = importlib.import_module(f"{model.__name__}.facs")
errors = importlib.import_module(f"{model.__name__}.errors")


def submodule(name: str) -> ModuleType:
    """Import ``model.<name>`` from wherever ``model`` lives (may import torch for some names)."""
    return importlib.import_module(f"{model.__name__}.{name}")


# import name -> pip requirement. Stock Blender ships numpy but none of these.
RUNTIME_PACKAGES: dict[str, str] = {
    "torch": "torch==2.13.0",
    "scipy": "scipy",
    "robust_laplacian": "robust-laplacian",
}


def torch_available() -> bool:
    """True when torch can be imported in this Python (Blender's own, for the add-on)."""
    return importlib.util.find_spec("torch") is not None


def missing_dependencies() -> list[str]:
    """pip requirements of the runtime packages this Python lacks (empty when all are there)."""
    missing = [
        req
        for name, req in RUNTIME_PACKAGES.items()
        if name != "torch" and importlib.util.find_spec(name) is None
    ]
    if not torch_available():
        missing.insert(0, RUNTIME_PACKAGES["torch"])
    return missing


def install_command(missing: list[str]) -> str:
    """The pip command line that installs ``missing`` into Blender's Python (CPU torch index)."""
    return (
        "<blender python> -m pip install "
        + " ".join(missing)
        + " --extra-index-url https://download.pytorch.org/whl/cpu"
    )


def api() -> ModuleType:
    """``model.api`` (imports torch). Raises :class:`core.errors.DependencyError` when torch,
    scipy or robust-laplacian is missing, naming all of them and the install command."""
    missing = missing_dependencies()
    if missing:
        from .errors import DependencyError

        raise DependencyError(
            f"Blender's Python lacks {', '.join(missing)}, so the network cannot run. Fix: install "
            "the add-on zip built with bundled wheels (python build_addon.py --wheels PLATFORM), "
            f"or run: {install_command(missing)}"
        )
    return submodule("api")
