"""The canonical (model) frame: Y up, face toward +Z, translation and scale removed.

A mesh in any convention is mapped into this frame before the network sees it, and results are
mapped back. Centre and scale are surface (area-weighted) statistics, so the same face gets the
same frame at any resolution or triangulation; unreferenced vertices are ignored.

``to_canonical(p) = scale_inv * R @ (p - center)`` with ``R`` rotating input axes to model axes
and ``scale_inv = 1 / scale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import AxisError
from .memo import memoize
from .mesh_io import validate

AXES: dict[str, tuple[float, float, float]] = {
    "X": (1.0, 0.0, 0.0),
    "Y": (0.0, 1.0, 0.0),
    "Z": (0.0, 0.0, 1.0),
    "-X": (-1.0, 0.0, 0.0),
    "-Y": (0.0, -1.0, 0.0),
    "-Z": (0.0, 0.0, -1.0),
}


def _axis(name: str, role: str) -> np.ndarray:
    if is_auto(name):
        raise AxisError(
            f"{role} axis 'auto' needs the mesh: pass it to fit_frame or prepare, or give an axis name"
        )
    key = str(name).upper().replace("+", "")
    if key not in AXES:
        raise AxisError(
            f"unknown {role} axis {name!r}; use one of {', '.join(AXES)} or 'auto' "
            "(OBJ/ICT: up 'Y', forward 'Z'; Blender: up 'Z', forward '-Y')"
        )
    return np.array(AXES[key])


def axis_rotation(up: str = "Y", forward: str = "Z") -> np.ndarray:
    """Rotation taking input axes to model axes (model: Y up, +Z forward).

    Args:
        up: the input's up axis name (``"X" "Y" "Z" "-X" "-Y" "-Z"``).
        forward: the input's forward axis name (the direction the face looks).

    Returns:
        ``(3, 3)`` float64 proper rotation ``R`` (``det = +1``) with ``R @ up = +Y`` and
        ``R @ forward = +Z``.

    Raises:
        AxisError: unknown name, or ``up`` parallel to ``forward``.
    """
    u, f = _axis(up, "up"), _axis(forward, "forward")
    if abs(float(u @ f)) > 0.5:
        raise AxisError(
            f"up {up!r} and forward {forward!r} are parallel; choose two perpendicular axes "
            "(OBJ/ICT: up 'Y', forward 'Z'; Blender: up 'Z', forward '-Y')"
        )
    # rows are the input-space directions of model X, Y, Z; X completes a right-handed frame
    return np.stack([np.cross(u, f), u, f])


@dataclass
class CanonicalFrame:
    """Similarity transform between an input mesh's space and the canonical model frame.

    Attributes:
        rotation: ``(3, 3)`` float64, input axes -> model axes (proper rotation).
        center: ``(3,)`` float64, in input units and axes.
        scale: float, input units per model unit (area-weighted RMS radius of the surface).
        orientation: the geometric estimate (:class:`model.orientation.OrientationEstimate`)
            when it was computed (always for ``"auto"`` axes), else None.
        auto: True when the rotation came from the estimate (an ``"auto"`` axis).
    """

    rotation: np.ndarray
    center: np.ndarray
    scale: float
    orientation: Any = None
    auto: bool = False

    def to_canonical(self, points: np.ndarray) -> np.ndarray:
        """Input-space points ``(..., 3)`` -> canonical points ``(..., 3)`` float64."""
        p = np.asarray(points, dtype=np.float64)
        return ((p - self.center) @ self.rotation.T) / self.scale

    def from_canonical(self, points: np.ndarray) -> np.ndarray:
        """Canonical points ``(..., 3)`` -> input-space points ``(..., 3)`` float64."""
        p = np.asarray(points, dtype=np.float64)
        return (p * self.scale) @ self.rotation + self.center

    def vectors_to_canonical(self, vectors: np.ndarray) -> np.ndarray:
        """Input-space displacements ``(..., 3)`` -> canonical (rotated and scaled, not moved)."""
        d = np.asarray(vectors, dtype=np.float64)
        return (d @ self.rotation.T) / self.scale

    def vectors_from_canonical(self, vectors: np.ndarray) -> np.ndarray:
        """Canonical displacements ``(..., 3)`` -> input space (rotated and scaled, not moved)."""
        d = np.asarray(vectors, dtype=np.float64)
        return (d * self.scale) @ self.rotation


@memoize
def surface_moments(vertices: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, float]:
    """Area-weighted centroid and RMS distance to it of the triangle surface.

    Exact integrals over the piecewise-linear surface (not vertex averages), so they do not
    depend on resolution or on unreferenced vertices.

    Args:
        vertices: ``(V, 3)`` float.
        triangles: ``(T, 3)`` int.

    Returns:
        ``(center (3,) float64, rms float)`` in input units.
    """
    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    a, b, c = v[t[:, 0]], v[t[:, 1]], v[t[:, 2]]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    total = area.sum()
    center = (area[:, None] * (a + b + c) / 3.0).sum(axis=0) / total
    a, b, c = a - center, b - center, c - center
    # integral of |x|^2 over a triangle = A/6 (|a|^2+|b|^2+|c|^2 + a.b + b.c + c.a)
    sq = (
        np.einsum("ij,ij->i", a, a)
        + np.einsum("ij,ij->i", b, b)
        + np.einsum("ij,ij->i", c, c)
        + np.einsum("ij,ij->i", a, b)
        + np.einsum("ij,ij->i", b, c)
        + np.einsum("ij,ij->i", c, a)
    )
    rms = float(np.sqrt((area * sq).sum() / (6.0 * total)))
    return center, rms


AUTO = "auto"


def is_auto(name: str) -> bool:
    """True for the axis name ``"auto"`` (any case): estimate the axis from the geometry."""
    return str(name).strip().lower() == AUTO


def _complete(given: np.ndarray, found: np.ndarray, given_is_up: bool) -> np.ndarray:
    """Proper rotation (rows X, up, forward) keeping the ``given`` axis exactly and the estimated
    other axis ``found`` made perpendicular to it."""
    other = found - (found @ given) * given
    norm = float(np.linalg.norm(other))
    if norm < 0.3:  # the estimate points along the given axis: they cannot both be right
        role, other_role = ("up", "forward") if given_is_up else ("forward", "up")
        raise AxisError(
            f"the {other_role} found in the mesh is nearly parallel to the given {role} axis; "
            "give both axes, or set both to 'auto'"
        )
    other = other / norm
    u, f = (given, other) if given_is_up else (other, given)
    return np.stack([np.cross(u, f), u, f])


def fit_frame(
    vertices: np.ndarray,
    triangles: np.ndarray,
    up: str = "Y",
    forward: str = "Z",
    estimate: bool = False,
) -> CanonicalFrame:
    """Canonical frame of a mesh given its up/forward axis convention.

    Args:
        vertices: ``(V, 3)`` float, input units and axes.
        triangles: ``(T, 3)`` int.
        up: input up axis (OBJ/ICT ``"Y"``, Blender ``"Z"``), or ``"auto"``: estimated from the
            geometry (:func:`model.orientation.estimate_orientation`).
        forward: input forward axis, where the face looks (OBJ/ICT ``"Z"``, Blender ``"-Y"``),
            or ``"auto"``. With one axis given and the other ``"auto"``, the given one wins and
            the estimate supplies the other (made perpendicular).
        estimate: also estimate the orientation when both axes are given (to check them:
            :func:`model.orientation.axes_warning`).

    Returns:
        :class:`CanonicalFrame` with center = area-weighted surface centroid and
        scale = area-weighted RMS distance to it; ``orientation`` holds the estimate when one
        was made.

    Raises:
        AxisError: bad axis names; the typed errors of :func:`model.mesh_io.validate`.
    """
    auto_up, auto_forward = is_auto(up), is_auto(forward)
    rotation = None if (auto_up or auto_forward) else axis_rotation(up, forward)
    validate(vertices, triangles)
    found = None
    if rotation is None or estimate:
        from .orientation import estimate_orientation

        found = estimate_orientation(vertices, triangles)
    if rotation is None:
        if auto_up and auto_forward:
            from .orientation import choose_by_face

            # the geometric cues read a head's axes; its face (eyes, nose) picks among the readings
            center, rms = surface_moments(vertices, triangles)
            found = choose_by_face(vertices, triangles, found, CanonicalFrame(found.rotation, center, rms))
            rotation = found.rotation.copy()
        elif auto_forward:
            rotation = _complete(_axis(up, "up"), found.forward, given_is_up=True)
        else:
            rotation = _complete(_axis(forward, "forward"), found.up, given_is_up=False)
    center, rms = surface_moments(vertices, triangles)
    return CanonicalFrame(
        rotation=rotation, center=center, scale=rms, orientation=found, auto=auto_up or auto_forward
    )
