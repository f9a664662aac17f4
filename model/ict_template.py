"""The shipped ICT template: what the classical rig (:mod:`model.classical_rig`) needs of
ICT-FaceKit, so the ``registration`` and ``hybrid`` bake methods work without the ICT data.

ICT-FaceKit (MIT licence, USC Institute for Creative Technologies; notice in
``model/data/ICT_TEMPLATE_LICENSE.txt``) is not shipped. ``model/data/ict_template.npz`` is
derived from it and holds only:

- ``neutral`` (n, 3) float32, centimetres, ICT's frame (Y up, +Z forward, +X subject's left):
  ICT's vertices ``[0, 11248)`` (face + head and neck; the crops of :data:`model.ict.CROPS` are
  prefixes of it), then the two eyeballs (1570 vertices each), n = 14388;
- ``face_indices`` (N,) int16 / ``face_sizes`` (F,) int8: ICT's polygons (file order) lying
  entirely in those vertices, re-indexed;
- ``expressions`` (53, n, 3) float16 centimetres, ICT's 53 expression deltas in
  :data:`model.facs.ICT_NAMES` order on those vertices;
- ``eyeballs`` (2, 2) int: half-open ranges of the left / right eyeball in the template.

float16 deltas: measured on the real-dev avatar and held-out ICT heads, the transferred
shapes change by < 1e-3 relative (``tests/model/test_ict_template.py``); the neutral stays
float32 (float16 would move it by up to 0.08 mm and change the registration itself).
``scripts/make_ict_template.py`` regenerates the file from ``$ICT_FACEKIT``.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import numpy as np

from .errors import ICTDataError
from .facs import ICT_NAMES

TEMPLATE_PATH = pathlib.Path(__file__).resolve().parent / "data" / "ict_template.npz"
SKIN_STOP = 11248  # ICT's face + head_and_neck: the largest crop
EYEBALL_PARTS = ("eyeball_left", "eyeball_right")
_FORMAT = "ict-template/1"


@dataclass(eq=False)  # arrays: identity comparison, not element-wise
class ICTTemplate:
    """ICT's skin crops and eyeballs with their 53 expression deltas (see the module docstring).

    neutral: (n, 3) float32 cm; expressions: (53, n, 3) float32 cm (float16 precision when
    loaded from the shipped file); face_indices (N,) int64 / face_sizes (F,) int64 polygons;
    eyeballs: ((start, stop), (start, stop)) left, right.
    """

    neutral: np.ndarray
    expressions: np.ndarray
    face_indices: np.ndarray
    face_sizes: np.ndarray
    eyeballs: tuple[tuple[int, int], tuple[int, int]]

    def crop(self, name: str) -> tuple[int, np.ndarray]:
        """``(n, triangles (T, 3) int64)`` of an ICT vertex-prefix crop, the same triangles in the
        same order as :meth:`model.ict.ICTModel.crop`."""
        from .ict import CROPS, _faces_within, _fan_triangulate, _select_faces

        if name not in CROPS:
            raise KeyError(f"unknown crop {name!r}; choose one of {sorted(CROPS)}")
        n = CROPS[name]
        keep = _faces_within(self.face_indices, self.face_sizes, n)
        return n, _fan_triangulate(*_select_faces(self.face_indices, self.face_sizes, keep))

    def eyeball_ids(self) -> np.ndarray:
        """(E,) int64 template vertex ids of both eyeballs (left, then right)."""
        return np.concatenate([np.arange(a, b, dtype=np.int64) for a, b in self.eyeballs])

    def eyeball_triangles(self) -> np.ndarray:
        """(T, 3) int64 triangles of both eyeballs, indexing :meth:`eyeball_ids`."""
        from .ict import _fan_triangulate

        start = self.eyeballs[0][0]
        tris = _fan_triangulate(self.face_indices, self.face_sizes)
        return tris[(tris >= start).all(axis=1)] - start

    @classmethod
    def from_ict(cls, ict) -> ICTTemplate:
        """The template cut from a loaded :class:`model.ict.ICTModel` (full float32 precision)."""
        from .ict import PARTS, _select_faces

        ranges = [(0, SKIN_STOP)] + [PARTS[p] for p in EYEBALL_PARTS]
        old = np.concatenate([np.arange(a, b) for a, b in ranges])
        remap = np.full(ict.num_vertices, -1, np.int64)
        remap[old] = np.arange(len(old))
        owner = np.repeat(np.arange(len(ict.face_sizes)), ict.face_sizes)
        outside = np.zeros(len(ict.face_sizes), bool)
        np.logical_or.at(outside, owner, remap[ict.face_indices] < 0)
        fi, fs = _select_faces(ict.face_indices, ict.face_sizes, ~outside)
        left = (SKIN_STOP, SKIN_STOP + PARTS["eyeball_left"][1] - PARTS["eyeball_left"][0])
        right = (left[1], left[1] + PARTS["eyeball_right"][1] - PARTS["eyeball_right"][0])
        return cls(
            neutral=np.asarray(ict.neutral[old], np.float32),
            expressions=np.asarray(ict.expressions[:, old], np.float32),
            face_indices=remap[fi].astype(np.int64),
            face_sizes=np.asarray(fs, np.int64),
            eyeballs=(left, right),
        )


def save_template(template: ICTTemplate, path: str | pathlib.Path = TEMPLATE_PATH) -> None:
    """Write the compact file: float16 deltas, float32 neutral, int16/int8 polygons."""
    from .atomic_write import save_npz

    save_npz(
        pathlib.Path(path),
        dict(
            format=np.array(_FORMAT),
            names=np.array(ICT_NAMES),
            neutral=template.neutral.astype(np.float32),
            expressions=template.expressions.astype(np.float16),
            face_indices=template.face_indices.astype(np.int16),
            face_sizes=template.face_sizes.astype(np.int8),
            eyeballs=np.array(template.eyeballs, np.int64),
        ),
        compress=True,
    )


_LOADED: dict[str, ICTTemplate] = {}


def load_template(path: str | pathlib.Path = TEMPLATE_PATH) -> ICTTemplate:
    """The shipped template (read once per process, then cached).

    Raises:
        ICTDataError: the file is missing or not a template file.
    """
    key = str(path)
    if key not in _LOADED:
        fix = "reinstall the add-on / package, or run scripts/make_ict_template.py with ICT_FACEKIT set"
        try:
            with np.load(path) as z:
                if str(z["format"]) != _FORMAT or tuple(z["names"]) != ICT_NAMES:
                    raise ICTDataError(f"{path} is not an {_FORMAT} file for the 53 ICT shapes: {fix}")
                eyeballs = tuple(tuple(int(x) for x in row) for row in z["eyeballs"])
                _LOADED[key] = ICTTemplate(
                    neutral=z["neutral"].astype(np.float32),
                    expressions=z["expressions"].astype(np.float32),
                    face_indices=z["face_indices"].astype(np.int64),
                    face_sizes=z["face_sizes"].astype(np.int64),
                    eyeballs=eyeballs,  # type: ignore[arg-type]
                )
        except (OSError, KeyError, ValueError) as exc:
            raise ICTDataError(f"cannot read the ICT template {path} ({exc}): {fix}") from exc
    return _LOADED[key]


_FROM_ICT: dict[int, tuple[object, ICTTemplate]] = {}


def as_template(ict=None) -> ICTTemplate:
    """An :class:`ICTTemplate` for the classical rig: ``None`` -> the shipped template; an
    :class:`model.ict.ICTModel` -> cut from it at full precision (cached per model); a template
    -> itself."""
    if ict is None:
        return load_template()
    if isinstance(ict, ICTTemplate):
        return ict
    key = id(ict)
    if key not in _FROM_ICT or _FROM_ICT[key][0] is not ict:
        if len(_FROM_ICT) > 4:  # several ICT models loaded: keep the cache bounded
            _FROM_ICT.clear()
        _FROM_ICT[key] = (ict, ICTTemplate.from_ict(ict))  # the model is kept so its id stays unique
    return _FROM_ICT[key][1]
