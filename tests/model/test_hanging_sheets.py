"""model.topology.hanging_sheets: strips welded onto a surface by non-manifold edges or single
vertices (lashes after a *Merge by Distance*) are found; a clean surface, a seam split by an
importer and a strip that continues the surface across manifold edges are not."""

from __future__ import annotations

import numpy as np

from model.topology import hanging_sheets


def grid(nx: int, ny: int, z: float = 0.0, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """An (nx x ny)-vertex grid in the plane z, unit spacing; triangles offset by ``offset``."""
    x, y = np.meshgrid(np.arange(nx, dtype=np.float64), np.arange(ny, dtype=np.float64))
    v = np.stack([x.ravel(), y.ravel(), np.full(x.size, z)], axis=1)
    tris = []
    for j in range(ny - 1):
        for i in range(nx - 1):
            a = j * nx + i
            tris += [[a, a + 1, a + nx + 1], [a, a + nx + 1, a + nx]]
    return v, np.asarray(tris, dtype=np.int64) + offset


def strip_on_row(
    sheet_v: np.ndarray, row: int, nx: int, rows: int = 3, cols: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A strip standing up from grid row ``row`` between columns ``cols`` (its root row *is*
    those vertices, shared; None: the whole row), ``rows`` vertices high; returns (new
    vertices, triangles on the combined index)."""
    n0 = len(sheet_v)
    lo_col, hi_col = (0, nx) if cols is None else cols
    root = np.arange(row * nx + lo_col, row * nx + hi_col)
    nx = root.size
    new = []
    for r in range(1, rows):
        new.append(sheet_v[root] + [0.0, 0.0, float(r)])
    new_v = np.concatenate(new)
    ids = [root] + [n0 + (r - 1) * nx + np.arange(nx) for r in range(1, rows)]
    tris = []
    for r in range(rows - 1):
        lo, hi = ids[r], ids[r + 1]
        for i in range(nx - 1):
            tris += [[lo[i], lo[i + 1], hi[i + 1]], [lo[i], hi[i + 1], hi[i]]]
    return new_v, np.asarray(tris, dtype=np.int64)


def test_clean_surface_has_no_hanging_sheet():
    v, t = grid(8, 8)
    assert hanging_sheets(v, t, np.ones(len(v), bool)) == []


def test_seam_split_surface_has_no_hanging_sheet():
    """An importer's UV seam duplicates vertices; by position the two halves are one sheet."""
    v, t = grid(8, 8)
    left = t[(v[t, 0].max(axis=1) <= 4)]
    right = t[(v[t, 0].min(axis=1) >= 4)]
    seam = np.flatnonzero(v[:, 0] == 4)
    dup = np.arange(len(v), len(v) + seam.size)
    remap = np.arange(len(v))
    remap[seam] = dup
    v2 = np.concatenate([v, v[seam]])
    t2 = np.concatenate([left, remap[right]])
    assert hanging_sheets(v2, t2, np.ones(len(v2), bool)) == []


def test_strip_merged_onto_an_interior_row_is_found_without_its_root():
    """As lashes on a lid margin: the strip's root edges are the surface's edges (three
    triangles each), short of the surface's border (a row across all of it cuts it in two)."""
    v, t = grid(10, 10)
    sv, st = strip_on_row(v, 5, 10, rows=4, cols=(2, 8))
    v2, t2 = np.concatenate([v, sv]), np.concatenate([t, st])
    sheets = hanging_sheets(v2, t2, np.ones(len(v2), bool))
    assert len(sheets) == 1
    # the strip's own rows, not its root row (the surface's vertices)
    assert np.array_equal(np.sort(sheets[0]), np.arange(len(v), len(v2)))


def test_strip_touching_at_one_vertex_is_found():
    v, t = grid(6, 6)
    root = 2 * 6 + 2  # vertex (2, 2)
    fan = np.array([[2.0, 2.0 + k, 1.0] for k in range(4)])  # four vertices of its own
    v2 = np.concatenate([v, fan])
    n = len(v)
    t2 = np.concatenate([t, [[root, n, n + 1], [root, n + 1, n + 2], [root, n + 2, n + 3]]])
    sheets = hanging_sheets(v2, t2, np.ones(len(v2), bool))
    assert len(sheets) == 1 and set(sheets[0]) == {n, n + 1, n + 2, n + 3}


def test_a_decimations_fin_is_not_a_sheet():
    """A fin of one or two triangles (a collapse's leftover, 1-3 vertices of its own) stays part
    of the surface: a lash strip keeps a row of vertices or more."""
    v, t = grid(6, 6)
    tip = np.array([[2.0, 2.0, 1.0], [3.0, 2.0, 1.0]])
    v2 = np.concatenate([v, tip])
    t2 = np.concatenate([t, [[2 * 6 + 2, len(v), len(v) + 1]]])
    assert hanging_sheets(v2, t2, np.ones(len(v2), bool)) == []


def test_strip_continuing_the_surface_at_its_border_is_not_hanging():
    """A strip on the surface's open border row continues it across manifold edges: one sheet."""
    v, t = grid(10, 10)
    sv, st = strip_on_row(v, 0, 10, rows=3)
    v2, t2 = np.concatenate([v, sv]), np.concatenate([t, st])
    assert hanging_sheets(v2, t2, np.ones(len(v2), bool)) == []


def test_only_the_given_piece_is_looked_at():
    v, t = grid(10, 10)
    sv, st = strip_on_row(v, 5, 10, cols=(2, 8))
    v2, t2 = np.concatenate([v, sv]), np.concatenate([t, st])
    assert len(hanging_sheets(v2, t2, np.ones(len(v2), bool))) == 1
    piece = np.zeros(len(v2), bool)
    piece[: len(v)] = True  # the strip's triangles have corners outside: not in the piece
    assert hanging_sheets(v2, t2, piece) == []
