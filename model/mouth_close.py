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
* ``corrective`` (:data:`CORRECTIVE_SHAPE`, ``jawOpen_mouthClose``): the removed part, applied with
  weight ``min(jawOpen, mouthClose)`` (:func:`corrective_weight`; in Blender a shape key driven by
  the simple expression ``min(a, b)`` of the two sliders).

For a jaw weight ``w`` and a mouthClose weight ``c`` the split rig shows ``w jawOpen + c alone +
min(w, c) corrective``. Where ``c <= w`` (the range ARKit defines mouthClose in: the lips meet at
``c = w``; in the real Live Link take of real-dev mouthClose never exceeds jawOpen by more than
0.044, and by more than 0.01 in 2 % of the frames) that *is* the linear ``w
jawOpen + c mouthClose`` of the unsplit shapes, exactly, so captures, retargeting, visemes and
engines that mix the 52 linear shapes all see the same seal. Where ``c > w`` the undo stops at
the jaw's own opening (sealed lips, never pushed through the upper lip); at ``w = 0`` only the
lips' press is left. A product ``w c`` would agree at ``w = 1`` or ``c = 1`` only: at ``w = c =
0.3`` it undoes 0.09 of a 0.3 opening and leaves captured closed lips 0.21 open.

:func:`fold` puts the corrective back into mouthClose: the unsplit shape, for consumers that drive
only the 52 ARKit names.

numpy only; deltas in any units and axes (the split is per vertex and rotation invariant).
"""

from __future__ import annotations

import numpy as np

from .facs import ICT_NAMES

CLOSE_SHAPE = "mouthClose"
JAW_SHAPE = "jawOpen"
# the name of the corrective shape, and the two shapes whose weights drive it (by their minimum)
CORRECTIVE_SHAPE = "jawOpen_mouthClose"
CORRECTIVE_SOURCES = (JAW_SHAPE, CLOSE_SHAPE)


def corrective_weight(jaw: np.ndarray | float, close: np.ndarray | float) -> np.ndarray:
    """The corrective's weight for jawOpen weights ``jaw`` and mouthClose weights ``close``
    (any broadcastable shapes): ``min(jaw, close)``, the part of the jaw opening that mouthClose
    closes."""
    return np.minimum(np.asarray(jaw, dtype=np.float64), np.asarray(close, dtype=np.float64))


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
    """``(V, 3)`` the mix of split shapes: ``weights @ deltas + min(w_jawOpen, w_mouthClose) *
    corrective`` (float64).

    Args:
        deltas: ``(S, V, 3)`` from :func:`split_baked`; corrective: ``(V, 3)``;
        weights: ``(S,)`` the shape weights (sliders).
    """
    names = tuple(names)
    w = np.asarray(weights, dtype=np.float64)
    both = corrective_weight(w[names.index(JAW_SHAPE)], w[names.index(CLOSE_SHAPE)])
    return np.tensordot(w, np.asarray(deltas, dtype=np.float64), axes=1) + both * corrective


def fold(deltas: np.ndarray, corrective: np.ndarray, names: tuple[str, ...] = ICT_NAMES) -> np.ndarray:
    """Split ``(S, V, 3)`` deltas with the ``(V, 3)`` corrective added back into mouthClose: the
    unsplit (ICT / ARKit) shapes, for a consumer that mixes the named shapes linearly (float32
    copy; ``deltas`` is not modified)."""
    out = np.array(deltas, dtype=np.float32)
    out[tuple(names).index(CLOSE_SHAPE)] += np.asarray(corrective, dtype=np.float32)
    return out
