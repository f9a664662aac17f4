"""The loaded :class:`model.api.FaceModel`, kept once per Blender session, plus prepared meshes.

Loading needs scipy and robust-laplacian (never torch: the network runs in numpy,
:mod:`model.runtime`), so nothing here runs at add-on registration. Preparing a mesh (canonical
frame + Laplacian eigenbasis) is the expensive step shared by predict and bake, so the last few
prepared meshes are kept in memory keyed by their content.
"""

from __future__ import annotations

import collections
import os
import pathlib

import numpy as np

from ._model_import import api, missing_dependencies, model, submodule, torch_available
from .errors import ModelNotLoadedError, WeightsError

_MAX_PREPARED = 4


class _State:
    model = None
    source: str = ""
    error: str = ""
    prepared: collections.OrderedDict = collections.OrderedDict()
    # the orientation of the last prepared mesh (shown in the Model panel) and a warning the
    # operator that prepared it reports once
    orientation: dict = {}
    warning: str = ""


def shipped_weights_dir() -> pathlib.Path:
    """Where the shipped weights are looked up (``model/data/weights`` when packaged, else the
    repository's ``weights/``; ``NFS_WEIGHTS`` overrides)."""
    return submodule("weights").shipped_weights_dir()


def load(path: str | os.PathLike | None = None):
    """Load the network from a weights folder (or a file inside one); None: the shipped weights.

    Replaces any model loaded before. Raises :class:`WeightsError` (missing/corrupt files) or
    :class:`~core.errors.DependencyError` (no scipy / robust-laplacian). Runs the numpy runtime
    (``model.npz``), never torch.
    """
    api_mod = api()
    folder = None
    if path:
        p = pathlib.Path(os.path.expanduser(str(path)))
        folder = p.parent if p.is_file() else p
    try:
        fm = api_mod.FaceModel.load(folder, runtime="numpy")
    except model.errors.FaceSkinningError as exc:
        _State.error = str(exc)
        raise
    except (OSError, ValueError, RuntimeError, KeyError, EOFError) as exc:
        # Boundary of the add-on: an unreadable weights file must become one clear report.
        _State.error = f"{type(exc).__name__}: {exc}"
        raise WeightsError(
            f"Could not read the weights in '{folder or shipped_weights_dir()}' ({type(exc).__name__}: "
            f"{exc}). Fix: pick a weights folder written by 'python -m training train' (config.json + "
            "model.pt), or reinstall the add-on."
        ) from exc
    _State.model = fm
    _State.source = str(folder or shipped_weights_dir())
    _State.error = ""
    _State.prepared.clear()
    return fm


def get():
    """The loaded FaceModel; raises :class:`ModelNotLoadedError` with the fix when none is."""
    if _State.model is None:
        raise ModelNotLoadedError(
            "No network is loaded: press 'Load Model' in the Face Skinning > Model panel first."
        )
    return _State.model


def is_loaded() -> bool:
    """True when a model is loaded in this session."""
    return _State.model is not None


def status() -> dict:
    """What the Model panel shows: loaded, name, version, regions, source, last error, torch."""
    fm = _State.model
    return {
        "loaded": fm is not None,
        "name": getattr(fm, "name", ""),
        "version": getattr(fm, "version", ""),
        "regions": len(getattr(fm, "region_names", ()) or ()),
        "source": _State.source,
        "error": _State.error,
        "torch": torch_available(),
        "missing": missing_dependencies(),
    }


def unload() -> None:
    """Forget the loaded model and the prepared meshes (frees memory)."""
    _State.model = None
    _State.source = ""
    _State.prepared.clear()


def prepare(
    vertices: np.ndarray,
    triangles: np.ndarray,
    up: str,
    forward: str,
    materials=None,
    registration: bool | str = False,
    name: str = "",
):
    """``FaceModel.prepare`` with an in-memory cache keyed by content and axes.

    vertices (V,3) float (any units), triangles (T,3) int64, ``up``/``forward`` axis names of the
    input ("Z", "-Y" for Blender world space); materials: None or (T,) per-triangle material
    indices (they change the bake, not the preparation: set on the cached mesh on every call).
    ``registration``: the bake method about to run; a mesh not cached starts the classical
    registration as soon as its frame is known when that method needs it (``FaceModel.prepare``'s
    ``registration``). ``name``: the object's, said in its input warnings ("'Sphere' does not
    look like a face").
    """
    materials = submodule("clothing").check_materials(materials, int(np.shape(triangles)[0]))
    fm = get()
    digest = submodule("cache").array_digest(
        np.asarray(vertices, np.float64), np.asarray(triangles, np.int64), extra=f"{up}{forward}{id(fm)}"
    )
    hit = _State.prepared.get(digest)
    if hit is not None:
        _State.prepared.move_to_end(digest)
        _note_orientation(hit, name)
        hit.materials = materials
        return hit
    prepared = fm.prepare(
        vertices, triangles, up=up, forward=forward, materials=materials, registration=registration
    )
    _State.prepared[digest] = prepared
    while len(_State.prepared) > _MAX_PREPARED:
        _State.prepared.popitem(last=False)
    _note_orientation(prepared, name)
    return prepared


def _note_orientation(prepared, name: str = "") -> None:
    named = submodule("input_warnings").name_subject
    _State.warning = "; ".join(named(w, name) for w in prepared.warnings)
    est = prepared.orientation
    if est is None:
        _State.orientation = {}
        return
    orientation = submodule("orientation")
    _State.orientation = {
        "auto": bool(prepared.frame.auto),
        "text": orientation.describe(est),
        "axes": f"up {orientation.axis_name(est.up)}, forward {orientation.axis_name(est.forward)}",
        "confidence": float(est.confidence),
    }
    if prepared.frame.auto and est.confidence < orientation.WARN_CONFIDENCE:
        unsure = (
            f"Auto orientation is unsure (confidence {est.confidence:.2f}: {est.reason}); check the "
            "result, or set Up and Forward to the mesh's axes"
        )
        # first, and the input's own warnings kept after it (a sphere is unsure and no face)
        _State.warning = "; ".join(w for w in (unsure, _State.warning) if w)


def orientation() -> dict:
    """The last prepared mesh's orientation estimate: ``auto`` (bool: used for the frame),
    ``text``, ``axes``, ``confidence``; empty when none was made."""
    return dict(_State.orientation)


def pop_warning() -> str:
    """The input warnings of the last prepare (axes, not a face, pieces, sealed lips), once
    (then cleared)."""
    warning, _State.warning = _State.warning, ""
    return warning
