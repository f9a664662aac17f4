"""Blender-side error types: subclasses of ``model.errors`` so one ``except`` catches them all.

Each message names the problem and the fix; operators turn any
:class:`~model.errors.FaceSkinningError` into one report without a traceback.
"""

from __future__ import annotations

from ._model_import import errors as _errors

FaceSkinningError = _errors.FaceSkinningError
CaptureFormatError = _errors.CaptureFormatError
WeightsError = _errors.WeightsError
MeshError = _errors.MeshError
EmptyMeshError = _errors.EmptyMeshError
NoFacesError = _errors.NoFacesError


class ObjectError(FaceSkinningError, ValueError):
    """The Blender object cannot be used (missing, not a mesh, linked from a library, shared data)."""


class DependencyError(FaceSkinningError):
    """A Python dependency (torch) is missing from Blender's Python."""


class ModelNotLoadedError(FaceSkinningError):
    """An operation needs the network but no model is loaded yet."""


class ExportError(FaceSkinningError):
    """FBX/glTF export failed or the exporter is unavailable."""
