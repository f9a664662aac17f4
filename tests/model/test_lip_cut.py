"""Cut Lip Line (model.lip_cut, ``python -m model cut-lips``): the demo head's parted lips welded
shut, then cut open again along the lip line."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest
from lip_helpers import pair_into_quads, seal_lip_slit

from model.cli import main
from model.errors import MeshError
from model.lip_cut import LipsNotSealedError, cut_along, cut_lip_line
from model.mesh_io import read_mesh, write_obj
from model.topology import boundary_loops

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "model" / "data" / "demo_head.obj"


def _edges(t):
    return {tuple(sorted(e)) for a, b, c in t.tolist() for e in ((a, b), (b, c), (c, a))}


@pytest.fixture(scope="module")
def demo():
    m = read_mesh(DEMO)
    return m.vertices, m.triangles()


@pytest.fixture(scope="module")
def sealed(demo):
    return seal_lip_slit(*demo)


@pytest.fixture(scope="module")
def fm():
    from model.api import FaceModel

    return FaceModel.load()


@pytest.fixture(scope="module")
def cut(sealed, fm):
    v, t, _ = sealed
    return cut_lip_line(v, t, fm)


def test_welding_seals_the_demo_head(demo, sealed):
    v, t, _ = sealed
    assert len(boundary_loops(*demo)) == len(boundary_loops(v, t)) + 1  # the mouth hole is gone


def test_the_lip_line_runs_corner_to_corner_along_the_welded_slit(demo, sealed, cut):
    v, t, slit = sealed
    path = cut.line.vertices
    width = np.ptp(v[slit, 0])  # the mouth's width (4.3 cm)
    # the two ends are the mouth corners: the slit's lateral extremes (the welded corners are
    # crumpled: the line ends 0.35 cm = 8 % of the mouth's width from them)
    corners = slit[[np.argmin(v[slit, 0]), np.argmax(v[slit, 0])]]
    ends = v[path[[0, -1]]]
    ends = ends[np.argsort(ends[:, 0])]
    assert np.all(np.linalg.norm(ends - v[corners], axis=1) < 0.1 * width)
    # the path follows the welded slit: it spans it, and most of its vertices are slit vertices
    assert v[path, 0].min() < v[corners[0], 0] + 0.05 * width
    assert v[path, 0].max() > v[corners[1], 0] - 0.05 * width
    assert np.isin(path, slit).mean() > 0.6
    # consecutive path vertices are mesh edges
    edges = {
        tuple(sorted(e)) for tri in t.tolist() for e in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0]))
    }
    assert all(tuple(sorted(e)) in edges for e in cut.line.edges.tolist())
    np.testing.assert_array_equal(cut.line.edges[:, 0], path[:-1])
    np.testing.assert_array_equal(cut.line.edges[:, 1], path[1:])


def test_the_cut_opens_the_slit(sealed, cut):
    v, t, _ = sealed
    path = cut.line.vertices
    inner = path.size - 2
    assert cut.triangles.shape == t.shape  # triangle count (and order) unchanged
    assert cut.vertices.shape[0] == v.shape[0] + inner  # one copy per interior path vertex
    # index map: identity on the input, then the interior path vertices in order
    np.testing.assert_array_equal(cut.index_map[: v.shape[0]], np.arange(v.shape[0]))
    np.testing.assert_array_equal(cut.index_map[v.shape[0] :], path[1:-1])
    np.testing.assert_allclose(cut.vertices[: v.shape[0]], v)
    # the copies sit a hairline below their originals (above the weld tolerance, far below a mm)
    gap = np.linalg.norm(cut.vertices[v.shape[0] :] - v[path[1:-1]], axis=1)
    assert np.all(gap > 1e-4) and np.all(gap < 0.05)  # centimetres
    # the mouth is a hole again: a boundary loop through the corners and both sides of the line
    loops = boundary_loops(cut.vertices, cut.triangles)
    mouth = [lp for lp in loops if np.isin(path[1:-1], lp).all()]
    assert len(mouth) == 1
    assert np.isin(np.arange(v.shape[0], cut.vertices.shape[0]), mouth[0]).all()
    assert np.isin(path[[0, -1]], mouth[0]).all()
    # the copies belong to the triangles below the line, the originals to those above
    below = np.isin(cut.triangles, np.arange(v.shape[0], cut.vertices.shape[0])).any(1)
    above = np.isin(cut.triangles, path[1:-1]).any(1)
    assert below.any() and above.any() and not (below & above).any()
    assert (
        cut.vertices[cut.triangles[below]].mean((0, 1))[1]
        < cut.vertices[cut.triangles[above]].mean((0, 1))[1]
    )


def test_cut_along_keeps_the_surface_and_the_ends(sealed):
    v, t, slit = sealed
    order = slit[np.argsort(v[slit, 0])]
    # a plain path along the slit's vertices that are joined by edges
    edges = {
        tuple(sorted(e)) for tri in t.tolist() for e in ((tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0]))
    }
    path = [order[0]]
    for k in order[1:]:
        if tuple(sorted((path[-1], k))) in edges:
            path.append(k)
    path = np.array(path)
    assert path.size >= 3
    nv, nt, imap = cut_along(v, t, path)
    np.testing.assert_allclose(nv, v[imap])  # gap 0: copies in place
    np.testing.assert_array_equal(imap[nt], np.where(nt < v.shape[0], nt, imap[nt]))
    # every triangle keeps its corners' positions (the surface did not change)
    np.testing.assert_allclose(nv[nt], v[t])
    assert not np.isin(path[[0, -1]], np.arange(v.shape[0], nv.shape[0])).any()


def test_cut_along_refuses_a_path_that_is_not_an_edge_path(sealed):
    v, t, slit = sealed
    far = np.array([slit[0], 0, slit[1]])
    with pytest.raises(MeshError, match="not joined by a mesh edge"):
        cut_along(v, t, far)


def test_parted_lips_are_refused(demo, fm):
    with pytest.raises(LipsNotSealedError, match="not sealed"):
        cut_lip_line(*demo, fm)


def test_jaw_open_parts_the_cut_lips(sealed, cut, fm):
    from model.facs import ICT_NAMES

    v, t, _ = sealed
    jaw = ICT_NAMES.index("jawOpen")
    path = cut.line.vertices
    mid = path.size // 2
    deltas = fm.bake(fm.prepare(cut.vertices, cut.triangles))[jaw]
    upper, lower = path[mid], v.shape[0] + mid - 1
    gap = (cut.vertices[upper] + deltas[upper]) - (cut.vertices[lower] + deltas[lower])
    assert gap[1] > 0.3  # cm: the lower lip drops below the upper one


def test_cli_cut_lips(sealed, demo, tmp_path, capsys):
    v, t, _ = sealed
    src = tmp_path / "sealed.obj"
    write_obj(src, v, t)
    out = tmp_path / "cut.obj"
    assert main(["cut-lips", str(src), str(out)]) == 0
    said = capsys.readouterr().out
    assert "cut the lip line" in said and "units long" in said
    m = read_mesh(out)
    assert m.triangles().shape == t.shape and m.vertices.shape[0] > v.shape[0]
    # parted lips: one line, exit 2, nothing written
    parted = tmp_path / "parted.obj"
    write_obj(parted, *demo)
    out2 = tmp_path / "cut2.obj"
    assert main(["cut-lips", str(parted), str(out2)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not sealed" in err[0] and "nothing was cut" in err[0]
    assert not out2.exists()


def test_a_cut_mouth_is_not_cut_again(cut, fm):
    # the cut lips are no longer sealed: the bake's warning is gone and a second run refuses
    prep = fm.prepare(cut.vertices, cut.triangles)
    assert not any("sealed" in w for w in prep.warnings)
    with pytest.raises(LipsNotSealedError, match="nothing was cut"):
        cut_lip_line(cut.vertices, cut.triangles, fm)


def test_cli_keeps_quads(sealed, tmp_path, capsys):
    from model.lip_cut import polygon_edges
    from model.mesh_io import Mesh

    v, t, _ = sealed
    indices, sizes = pair_into_quads(t)
    assert (sizes == 4).mean() > 0.8
    src, out = tmp_path / "quads.obj", tmp_path / "cut.obj"
    write_obj(src, v, Mesh(v, indices, sizes))
    assert main(["cut-lips", str(src), str(out)]) == 0
    capsys.readouterr()
    m = read_mesh(out)
    np.testing.assert_array_equal(m.face_sizes, sizes)  # every quad is still a quad
    added = m.num_vertices - v.shape[0]
    assert added >= 10
    np.testing.assert_allclose(m.vertices[: v.shape[0]], v, atol=1e-6)

    # the cut runs along quad edges: one slit of 2 * (added + 1) new border edges
    def borders(idx, sz):
        e = np.sort(polygon_edges(idx, sz), axis=1)
        _, count = np.unique(e, axis=0, return_counts=True)
        return int((count == 1).sum())

    assert borders(m.face_indices, m.face_sizes) == borders(indices, sizes) + 2 * (added + 1)
