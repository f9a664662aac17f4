"""Typed errors. Every message names the problem and how to fix it.

The CLI turns any :class:`FaceSkinningError` into one line on stderr and exit code 2; the
Blender add-on turns it into one report. Nothing else should be caught broadly.
"""


class FaceSkinningError(Exception):
    """Base class of every error this package raises on purpose."""


class MeshError(FaceSkinningError, ValueError):
    """The input mesh cannot be used as it is."""


class MeshFormatError(MeshError):
    """The file is not a readable OBJ/PLY (wrong extension, truncated, malformed line)."""


class EmptyMeshError(MeshError):
    """The mesh has no vertices."""


class NoFacesError(MeshError):
    """The mesh has vertices but no faces (a point cloud)."""


class NonFiniteVerticesError(MeshError):
    """Some vertex coordinates are NaN or infinite."""


class FaceIndexError(MeshError):
    """A face refers to a vertex index outside the vertex list."""


class DegenerateMeshError(MeshError):
    """The mesh is too small or flat to be a face (e.g. a single triangle, zero area)."""


class AxisError(FaceSkinningError, ValueError):
    """Up/forward axes are not valid (unknown name, or parallel to each other)."""


class ICTDataError(FaceSkinningError):
    """The ICT-FaceKit folder is missing or incomplete."""


class WeightsError(FaceSkinningError):
    """A weights file is missing, corrupt, has the wrong hash or does not match its config."""


class CacheError(FaceSkinningError):
    """A geometry cache entry is unreadable; it is recomputed, this is only raised if that fails."""


class CaptureFormatError(FaceSkinningError, ValueError):
    """A facial capture file (ARKit CSV, Face Cap TXT, codes CSV) is malformed."""


class MissingDependencyError(FaceSkinningError, ImportError):
    """A training-only dependency (e.g. pymeshlab) is not installed; install the ``train`` extra."""


class OutputPathError(FaceSkinningError):
    """An output path cannot be written (a folder where a file is wanted, an unwritable folder,
    a full disk); checked before computing where possible."""


class DeviceError(FaceSkinningError, ValueError):
    """The torch device asked for (e.g. ``cuda``) is unknown or not available on this machine."""
