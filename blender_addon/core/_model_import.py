"""The one place that decides where the ``model`` package comes from.

Packaged, the extension zip vendors ``model`` as a subpackage (``neural_face_skinning/model``);
in the dev checkout it is the top-level package next to ``blender_addon``. Every other module of
the add-on imports ``model`` through here. The add-on runs the network in numpy
(:mod:`model.runtime`): nothing it imports reaches torch. ``model.api`` needs scipy and
robust-laplacian, so it is only imported on demand by :func:`api`.
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
    """Import ``model.<name>`` from wherever ``model`` lives (the runtime package: no torch in it;
    training, which has the torch network, is never shipped)."""
    return importlib.import_module(f"{model.__name__}.{name}")


# import name -> pip requirement. Stock Blender ships numpy but none of these; torch is not
# needed (the add-on runs the numpy runtime, model.runtime).
RUNTIME_PACKAGES: dict[str, str] = {
    "scipy": "scipy",
    "robust_laplacian": "robust-laplacian",
}


def torch_available() -> bool:
    """True when torch could be imported in this Python (informational: the add-on never uses it)."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):  # an import hook refusing torch: absent
        return False


def missing_dependencies() -> list[str]:
    """pip requirements of the runtime packages this Python lacks (empty when all are there)."""
    return [req for name, req in RUNTIME_PACKAGES.items() if importlib.util.find_spec(name) is None]


def install_command(missing: list[str]) -> str:
    """The pip command line that installs ``missing`` into Blender's Python."""
    return "<blender python> -m pip install " + " ".join(missing)


def api() -> ModuleType:
    """``model.api`` (torch-free; the add-on loads models with ``runtime="numpy"``). Raises
    :class:`core.errors.DependencyError` when scipy or robust-laplacian is missing, naming them
    and the install command."""
    missing = missing_dependencies()
    if missing:
        from .errors import DependencyError

        raise DependencyError(
            f"Blender's Python lacks {', '.join(missing)}, so the network cannot run. Fix: install "
            "the add-on zip built with bundled wheels (python build_addon.py --wheels PLATFORM), "
            f"or run: {install_command(missing)}"
        )
    return submodule("api")
