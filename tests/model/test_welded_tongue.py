"""A tongue welded into the mouth bag (:mod:`model.welded_tongue`, :mod:`model.tongue_body`): found
below the lip slit where it lags the jaw, and only the tongue's body, never the bag's walls or a
pocket behind a lip corner; a synthetic mouth mesh in the canonical frame."""

from __future__ import annotations

import numpy as np

from model.parts import PART_INDEX
from model.welded_tongue import find_welded_tongue, has_loose_jaw_parts, with_tongue


class _Mesh:
    """Vertices, triangles and per-vertex jawOpen deltas and kinds, built part by part."""

    def __init__(self) -> None:
        self.points, self.moves, self.kinds, self.triangles = [], [], [], []

    def sheet(self, grid: np.ndarray, drop, kind: str, facing) -> None:
        """A quad grid ``(R, C, 3)`` of triangles whose normals point along ``facing`` (3,);
        ``drop``: each point's jawOpen drop (down along y), a number or ``drop(point) -> float``."""
        rows, cols = grid.shape[:2]
        base = len(self.points)
        for p in grid.reshape(-1, 3):
            self.points.append(p)
            self.moves.append([0.0, -(drop(p) if callable(drop) else drop), 0.0])
            self.kinds.append(kind)
        i = base + np.arange(rows * cols).reshape(rows, cols)
        a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
        tris = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
        pts = np.array(self.points)
        n = np.cross(pts[tris[:, 1]] - pts[tris[:, 0]], pts[tris[:, 2]] - pts[tris[:, 0]])
        flip = n @ np.asarray(facing, dtype=float) < 0
        tris[flip] = tris[flip][:, ::-1]
        self.triangles.extend(tris.tolist())

    def arrays(self):
        return np.array(self.points), np.array(self.triangles), np.array(self.moves), np.array(self.kinds)


def _grid(xs, ys, zs) -> np.ndarray:
    """A grid over the two of ``xs, ys, zs`` with more than one value (the third is constant)."""
    axes = [np.atleast_1d(np.asarray(a, dtype=float)) for a in (xs, ys, zs)]
    long = [k for k in range(3) if axes[k].size > 1]
    g = np.meshgrid(axes[long[0]], axes[long[1]], indexing="ij")
    out = np.zeros(g[0].shape + (3,))
    for k in range(3):
        out[..., k] = g[long.index(k)] if k in long else axes[k][0]
    return out


def _mouth():
    """A parted mouth in the canonical frame (the Rocketbox heads' eyes: the lips about 0.5 below
    the eye line) and its jawOpen as the network leaves a welded tongue: the lips' middle column
    (upper lip still, lower lip 30 mm down), the bag's roof (still), its floor (down with the jaw),
    its side walls (still down to just above the floor: they hang from the upper jaw), a tongue
    between them (left behind) and a shelf behind each side wall (a pocket behind a lip corner,
    left behind too)."""
    m = _Mesh()
    zs, column, bag = np.linspace(0.35, 0.78, 5), [-0.04, 0.0, 0.04], np.linspace(-0.25, 0.25, 5)
    m.sheet(_grid(column, np.linspace(-0.16, -0.30, 6), 0.95), 0.003, "upper_lip", [0, 0, 1])
    m.sheet(_grid(column, np.linspace(-0.33, -0.48, 6), 0.95), 0.030, "lower_lip", [0, 0, 1])
    m.sheet(_grid(bag, -0.20, zs), 0.002, "roof", [0, -1, 0])
    m.sheet(_grid(bag, -0.55, zs), 0.025, "floor", [0, 1, 0])
    for side in (-1, 1):
        wall = _grid(0.25 * side, [-0.20, -0.30, -0.40, -0.48, -0.55], zs)
        m.sheet(wall, lambda p: 0.025 if p[1] < -0.5 else 0.002, "wall", [-side, 0, 0])
        m.sheet(_grid(side * np.array([0.26, 0.29]), -0.38, zs), 0.003, "pocket", [0, 1, 0])
    across, down, along = np.linspace(-0.15, 0.15, 4), [-0.38, -0.44, -0.50], np.linspace(0.40, 0.72, 5)
    m.sheet(_grid(across, -0.38, along), 0.002, "tongue", [0, 1, 0])  # top
    for side in (-1, 1):
        m.sheet(_grid(0.15 * side, down, along), 0.002, "tongue", [side, 0, 0])  # sides
    m.sheet(_grid(across, down, 0.72), 0.002, "tongue", [0, 0, 1])  # tip
    return m.arrays()


def _all(c) -> np.ndarray:
    return np.ones(len(c), bool)


def test_the_lagging_tongue_below_the_slit_is_found_and_nothing_else():
    c, t, d, kind = _mouth()
    ids = find_welded_tongue(c, t, _all(c), d)
    assert set(kind[ids]) == {"tongue"}
    # the tongue's sheets meet along their edges: every point of it, duplicates included
    assert ids.size == (kind == "tongue").sum()


def test_the_bag_walls_and_the_pockets_behind_the_lip_corners_are_left_as_skin():
    """They lag the jaw as the tongue does and lie in its search box (what the search took before
    :mod:`model.tongue_body`, opening gaps at Rocketbox 02's inner mouth corners), but a wall
    faces the mouth's middle and a pocket lies behind a wall."""
    c, t, d, kind = _mouth()
    lagging_walls = (kind == "wall") & (np.linalg.norm(d, axis=1) < 0.25 * 0.030) & (c[:, 1] < -0.33)
    assert lagging_walls.sum() == 20 and (kind == "pocket").sum() == 20  # the search box holds them
    ids = find_welded_tongue(c, t, _all(c), d)
    assert not np.isin(ids, np.flatnonzero(lagging_walls | (kind == "pocket"))).any()


def test_a_mesh_wound_inside_out_finds_the_same_tongue():
    c, t, d, kind = _mouth()
    expected = find_welded_tongue(c, t, _all(c), d)
    assert set(kind[expected]) == {"tongue"}
    np.testing.assert_array_equal(find_welded_tongue(c, t[:, ::-1], _all(c), d), expected)


def test_a_lagging_scrap_off_the_middle_is_not_a_tongue():
    """A tongue is one body across the mouth's middle: with the tongue following the jaw, a
    loose lagging patch beside it (seen from the middle, facing up) is left alone."""
    c, t, d, kind = _mouth()
    d[kind == "tongue"] = [0.0, -0.02, 0.0]
    scrap = (kind == "tongue") & (c[:, 0] > 0.1) & (c[:, 1] > -0.39)  # a strip of the top
    d[scrap] = [0.0, -0.002, 0.0]
    assert find_welded_tongue(c, t, _all(c), d).size == 0


def test_a_tongue_that_follows_the_jaw_is_left_alone():
    c, t, d, kind = _mouth()
    d[kind == "tongue"] = [0.0, -0.02, 0.0]
    assert find_welded_tongue(c, t, _all(c), d).size == 0


def test_a_closed_still_mouth_or_non_skin_gives_nothing():
    c, t, d, kind = _mouth()
    assert find_welded_tongue(c, t, _all(c), np.zeros_like(d)).size == 0
    assert find_welded_tongue(c, t, kind != "tongue", d).size == 0
    # lips that move alike (no slit: a sealed scan) give nothing
    d2 = np.where((kind == "upper_lip")[:, None], [0.0, -0.03, 0.0], d)
    assert find_welded_tongue(c, t, _all(c), d2).size == 0


def test_with_tongue_labels_a_copy():
    from model.parts import Parts
    from model.rig_constraints import RigAnalysis

    analysis = RigAnalysis(frame=None, head=None, parts=Parts(labels=np.zeros(5, dtype=np.int64)))
    out = with_tongue(analysis, np.array([1, 3]))
    assert out.parts.labels.tolist() == [0, PART_INDEX["tongue"], 0, PART_INDEX["tongue"], 0]
    assert analysis.parts.labels.tolist() == [0] * 5
    assert has_loose_jaw_parts(out.parts.labels) and not has_loose_jaw_parts(analysis.parts.labels)


def test_the_tongue_is_measured_in_eye_distances_from_the_eye_line():
    """A face at another scale and height in the canonical frame (a face-only crop fills more of
    it) finds the same tongue when its eyes are given."""
    from model.welded_tongue import REFERENCE_EYES

    c, t, d, kind = _mouth()
    eye_y, u = REFERENCE_EYES
    expected = find_welded_tongue(c, t, _all(c), d)
    assert set(kind[expected]) == {"tongue"}
    for scale, lift in ((0.7, 0.1), (1.4, -0.2)):
        moved = c * scale + [0.0, lift, 0.0]
        eyes = (eye_y * scale + lift, u * scale)
        np.testing.assert_array_equal(find_welded_tongue(moved, t, _all(c), d, eyes), expected)
        # measured with the Rocketbox heads' eyes instead, the tongue is not found as it is
        assert not np.array_equal(find_welded_tongue(moved, t, _all(c), d), expected)
