"""Split ``mouthClose`` into what it does alone and a ``jawOpen x mouthClose`` corrective.

ICT-FaceKit's ``mouthClose`` (ARKit's definition) is a corrective of ``jawOpen``: on the lower lip,
the chin and the mouth socket it is almost exactly ``-jawOpen`` (measured on ICT-FaceKit: the
lower lip moves 3.8 cm up and 1.7 cm forward in mouthClose, 3.5 cm down in jawOpen; the mouth
socket 3.8 cm; what is left once that undo is removed is at most 0.63 cm), so ``jawOpen +
mouthClose`` seals the lips of an open jaw. Alone, the same delta lifts the lower lip and
everything behind it by the full jaw opening: up and forward over the upper lip, through the
nose base and cheeks. Blend shapes are linear, so no single ``mouthClose`` delta can both seal the
lips on top of ``jawOpen`` and stay behind the upper lip alone; the two uses need two shapes:

* ``alone``: the mouthClose delta with, per vertex, the part that undoes ``jawOpen`` removed (its
  component along ``-jawOpen``, at most ``|jawOpen|``): the lips' own pressing motion;
* ``corrective``: the removed part, to be applied with weight ``jawOpen * mouthClose`` (a shape key
  driven by the product of the two sliders). For any jaw weight ``w`` and mouthClose weight ``c``,
  ``w jawOpen + c alone + w c corrective``: at ``w = 1`` it is the original ``jawOpen +
  c mouthClose`` exactly; at ``w = 0`` nothing undoes a jaw that did not open; between, the
  corrective brings back ``w`` of the undo, matching the ``w`` of jawOpen it undoes.

numpy only; deltas in any units and axes (the split is per vertex and rotation invariant).
"""

from __future__ import annotations

import numpy as np

from .facs import ICT_NAMES

CLOSE_SHAPE = "mouthClose"
JAW_SHAPE = "jawOpen"
# the name of the corrective shape (driven by jawOpen * mouthClose)
CORRECTIVE_SHAPE = "jawOpen_mouthClose"


def split_mouth_close(close: np.ndarray, jaw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(alone, corrective)`` with ``alone + corrective == close`` (float64, shapes of ``close``).

    Args:
        close: ``(V, 3)`` the mouthClose delta; jaw: ``(V, 3)`` the jawOpen delta (same units).

    Returns:
        ``corrective``: per vertex the component of ``close`` along ``-jaw`` clipped to
        ``[0, |jaw|]`` (what undoes the jaw's motion, never more than the jaw moved the vertex);
        ``alone``: ``close - corrective``.
    """
    c = np.asarray(close, dtype=np.float64)
    j = np.asarray(jaw, dtype=np.float64)
    if c.shape != j.shape or c.shape[-1] != 3:
        raise ValueError(f"mouthClose and jawOpen deltas must both be (V, 3); got {c.shape} and {j.shape}")
    length = np.linalg.norm(j, axis=-1)
    unit = j / np.maximum(length, 1e-30)[..., None]
    undo = np.clip(-(c * unit).sum(-1), 0.0, length)
    corrective = -undo[..., None] * unit
    return c - corrective, corrective


def split_baked(deltas: np.ndarray, names: tuple[str, ...] = ICT_NAMES) -> tuple[np.ndarray, np.ndarray]:
    """A bake's ``(S, V, 3)`` deltas with ``mouthClose`` replaced by what it does alone, and the
    ``(V, 3)`` :data:`CORRECTIVE_SHAPE` delta (float32 both; ``deltas`` is not modified).

    Raises:
        ValueError: ``names`` lacks ``mouthClose`` or ``jawOpen``.
    """
    names = tuple(names)
    if CLOSE_SHAPE not in names or JAW_SHAPE not in names:
        raise ValueError(
            f"splitting mouthClose needs the shapes {CLOSE_SHAPE!r} and {JAW_SHAPE!r}; got {len(names)} "
            "shapes without them (pass the bake's shape names)"
        )
    out = np.array(deltas, dtype=np.float32)
    ci, ji = names.index(CLOSE_SHAPE), names.index(JAW_SHAPE)
    alone, corrective = split_mouth_close(out[ci], out[ji])
    out[ci] = alone
    return out, corrective.astype(np.float32)


def mix(
    deltas: np.ndarray,
    corrective: np.ndarray,
    weights: np.ndarray,
    names: tuple[str, ...] = ICT_NAMES,
) -> np.ndarray:
    """``(V, 3)`` the mix of split shapes: ``weights @ deltas + w_jawOpen * w_mouthClose * corrective``.

    Args:
        deltas: ``(S, V, 3)`` from :func:`split_baked`; corrective: ``(V, 3)``;
        weights: ``(S,)`` the shape weights (sliders).
    """
    names = tuple(names)
    w = np.asarray(weights, dtype=np.float64)
    product = w[names.index(JAW_SHAPE)] * w[names.index(CLOSE_SHAPE)]
    return np.tensordot(w, np.asarray(deltas, dtype=np.float64), axes=1) + product * corrective
