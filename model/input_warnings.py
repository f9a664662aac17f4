"""Warnings about inputs the network reads badly, said before the bake instead of discovered by
scrubbing sliders: a surface broken into many separate pieces (each piece is read on its own,
so regions come out wrong). The orientation check lives in :mod:`model.orientation`.
"""

from __future__ import annotations

import numpy as np

# a surface counts as fragmented when its largest piece holds less than this share of the area
# and there are at least FRAGMENT_MIN_PIECES pieces of more than FRAGMENT_PIECE_SHARE of it each
# (eyeballs, teeth, lashes are a few small pieces beside one large skin: never fragmented)
FRAGMENT_LARGEST_SHARE = 0.5
FRAGMENT_MIN_PIECES = 6
FRAGMENT_PIECE_SHARE = 0.02


def fragmentation_warning(vertices: np.ndarray, triangles: np.ndarray) -> str | None:
    """One line when the surface is broken into many similar-sized pieces, else None.

    vertices (V, 3) float, any units; triangles (T, 3) int64. Pieces are connected by shared
    vertices or by seams (:func:`model.topology.components`), so a mesh split at its UV seams
    is one piece (the bake welds it). Only pieces that really lie apart count.
    """
    from .topology import components, triangle_areas

    n, labels = components(vertices, triangles)
    if n < FRAGMENT_MIN_PIECES or len(triangles) == 0:
        return None
    area = np.bincount(
        labels[np.asarray(triangles)[:, 0]], weights=triangle_areas(vertices, triangles), minlength=n
    )
    share = area / max(float(area.sum()), 1e-30)
    big = int((share > FRAGMENT_PIECE_SHARE).sum())
    if share.max() >= FRAGMENT_LARGEST_SHARE or big < FRAGMENT_MIN_PIECES:
        return None
    return (
        f"the face surface is in {n} separate pieces (the largest holds {100 * share.max():.0f}% of "
        "the area); the network reads each piece on its own and the rig will likely be wrong: join "
        "the pieces into one surface (Blender: Edit Mode > Merge by Distance) before baking"
    )
