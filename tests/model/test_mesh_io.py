"""OBJ/PLY reading keeps the file's vertex order exactly; every bad input gets its typed error."""

from __future__ import annotations

import numpy as np
import pytest

from model.errors import (
    DegenerateMeshError,
    EmptyMeshError,
    FaceIndexError,
    MeshError,
    MeshFormatError,
    NoFacesError,
    NonFiniteVerticesError,
)
from model.mesh_io import Mesh, fan_triangulate, read_mesh, validate, write_obj

OBJ_TRICKY = """\
# comment line
mtllib foo.mtl
o head
v 0 0 0
v 1 0 0   # trailing comment
v 1 1 0
v 0 1 0
v 9 9 9
vt 0 0
vt 1 0
vn 0 0 1
g part
usemtl skin
s 1
f 1/1/1 2/2/1 3//1 4
v 2 0 \\
  0.5
f -1 -5 -4
  f 2 6 3
l 1 2
"""


def test_obj_forms_negative_indices_ngons_continuation(tmp_path):
    p = tmp_path / "a.obj"
    p.write_text(OBJ_TRICKY)
    m = read_mesh(p)
    # 6 vertices in file order; vertex 5 (9,9,9) is unreferenced and stays
    np.testing.assert_array_equal(
        m.vertices,
        [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [9, 9, 9], [2, 0, 0.5]],
    )
    np.testing.assert_array_equal(m.face_sizes, [4, 3, 3])
    # "f -1 -5 -4" after 6 vertices -> 6, 2, 3 (1-based) -> 5, 1, 2
    np.testing.assert_array_equal(m.face_indices, [0, 1, 2, 3, 5, 1, 2, 1, 5, 2])
    np.testing.assert_array_equal(m.triangles(), [[0, 1, 2], [0, 2, 3], [5, 1, 2], [1, 5, 2]])
    assert m.num_vertices == 6 and m.num_faces == 3
    assert [p.tolist() for p in m.polygons()] == [[0, 1, 2, 3], [5, 1, 2], [1, 5, 2]]


def test_negative_index_is_relative_to_vertices_so_far(tmp_path):
    p = tmp_path / "rel.obj"
    p.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -3 -2 -1\nv 1 1 0\nf -3 -2 -1\n")
    m = read_mesh(p)
    np.testing.assert_array_equal(m.triangles(), [[0, 1, 2], [1, 2, 3]])


def test_fan_triangulation_mixed_sizes():
    idx = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
    tris = fan_triangulate(idx, np.array([3, 5, 4]))
    np.testing.assert_array_equal(tris, [[0, 1, 2], [3, 4, 5], [3, 5, 6], [3, 6, 7], [8, 9, 10], [8, 10, 11]])


def _random_polymesh(rng, nv=50, nf=40):
    verts = rng.normal(size=(nv, 3))
    sizes = rng.integers(3, 7, size=nf)
    idx = np.concatenate([rng.choice(nv, size=s, replace=False) for s in sizes])
    return Mesh(verts, idx.astype(np.int64), sizes.astype(np.int64))


def test_write_obj_round_trip_keeps_order_and_polygons(tmp_path):
    rng = np.random.default_rng(0)
    m = _random_polymesh(rng)
    p = tmp_path / "rt.obj"
    write_obj(p, m.vertices, m)
    back = read_mesh(p, check=False)
    np.testing.assert_allclose(back.vertices, m.vertices, rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(back.face_sizes, m.face_sizes)
    np.testing.assert_array_equal(back.face_indices, m.face_indices)
    np.testing.assert_array_equal(back.triangles(), m.triangles())
    # triangle arrays are accepted as faces too
    write_obj(p, m.vertices, m.triangles())
    np.testing.assert_array_equal(read_mesh(p, check=False).triangles(), m.triangles())


def test_write_obj_rejects_mismatched_vertices(tmp_path):
    m = _random_polymesh(np.random.default_rng(1))
    with pytest.raises(MeshError, match="vertices"):
        write_obj(tmp_path / "x.obj", m.vertices[:-1], m)


def _ply_bytes(verts, polys, fmt, count_type="uchar", prop_order=("x", "y", "z"), extra=False):
    endian = {"binary_little_endian": "<", "binary_big_endian": ">"}.get(fmt, "<")
    head = ["ply", f"format {fmt} 1.0", "comment made in a test", f"element vertex {len(verts)}"]
    types = {"x": "float", "y": "float", "z": "float", "nx": "float", "red": "uchar"}
    props = list(prop_order) + (["red"] if extra else [])
    head += [f"property {types[p]} {p}" for p in props]
    head += [f"element face {len(polys)}", f"property list {count_type} int vertex_indices"]
    if extra:
        head += ["element edge 1", "property int vertex1", "property int vertex2"]
    head += ["end_header"]
    col = {"x": verts[:, 0], "y": verts[:, 1], "z": verts[:, 2], "nx": np.zeros(len(verts))}
    col["red"] = np.full(len(verts), 7)
    if fmt == "ascii":
        rows = [
            " ".join(repr(float(col[p][i])) if p != "red" else "7" for p in props) for i in range(len(verts))
        ]
        rows += [" ".join(map(str, [len(f), *f])) for f in polys]
        if extra:
            rows += ["0 1"]
        return ("\n".join(head + rows) + "\n").encode()
    body = b""
    vdt = np.dtype([(p, endian + ("u1" if p == "red" else "f4")) for p in props])
    arr = np.zeros(len(verts), dtype=vdt)
    for p in props:
        arr[p] = col[p]
    body += arr.tobytes()
    cdt = endian + {"uchar": "u1", "int": "i4", "ushort": "u2"}[count_type]
    for f in polys:
        body += np.array([len(f)], cdt).tobytes() + np.array(f, endian + "i4").tobytes()
    if extra:
        body += np.array([0, 1], endian + "i4").tobytes()
    return ("\n".join(head) + "\n").encode() + body


@pytest.mark.parametrize("fmt", ["ascii", "binary_little_endian", "binary_big_endian"])
@pytest.mark.parametrize("count_type", ["uchar", "int"])
@pytest.mark.parametrize("mixed", [False, True])
def test_ply_formats(tmp_path, fmt, count_type, mixed):
    rng = np.random.default_rng(2)
    verts = rng.normal(size=(30, 3)).astype(np.float32).astype(np.float64)
    if mixed:
        polys = [list(rng.choice(30, size=s, replace=False)) for s in rng.integers(3, 6, 25)]
    else:
        polys = [list(rng.choice(30, size=4, replace=False)) for _ in range(25)]
    p = tmp_path / "m.ply"
    p.write_bytes(_ply_bytes(verts, polys, fmt, count_type, prop_order=("nx", "z", "x", "y"), extra=True))
    m = read_mesh(p)
    np.testing.assert_array_equal(m.vertices, verts)
    np.testing.assert_array_equal(m.face_sizes, [len(f) for f in polys])
    np.testing.assert_array_equal(m.face_indices, np.concatenate(polys))


def test_truncated_binary_ply(tmp_path):
    verts = np.eye(3)
    data = _ply_bytes(verts, [[0, 1, 2], [0, 2, 1]], "binary_little_endian")
    p = tmp_path / "t.ply"
    p.write_bytes(data[:-5])
    with pytest.raises(MeshFormatError, match="truncated"):
        read_mesh(p)


@pytest.mark.parametrize(
    "text, error, match",
    [
        ("", EmptyMeshError, "empty"),
        ("# only a comment\n\n", EmptyMeshError, "no vertices"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", NoFacesError, "no faces"),
        ("v 0 0 0\nv 1 0 0\nv 0 nan 0\nv 1 1 0\nf 1 2 3\nf 2 4 3\n", NonFiniteVerticesError, "NaN"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", FaceIndexError, "line 4"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", FaceIndexError, "start at 1"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf -4 1 2\n", FaceIndexError, "out of range"),
        ("v 0 0 0\nv 1 zero 0\nv 0 1 0\nf 1 2 3\n", MeshFormatError, "line 2"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", MeshFormatError, "line 4"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 a 3\n", MeshFormatError, "line 4"),
        ("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", DegenerateMeshError, "single triangle"),
        ("v 0 0 0\nv 1 0 0\nv 2 0 0\nv 3 0 0\nf 1 2 3\nf 2 3 4\n", DegenerateMeshError, "zero total"),
    ],
)
def test_obj_errors(tmp_path, text, error, match):
    p = tmp_path / "bad.obj"
    p.write_text(text)
    with pytest.raises(error, match=match):
        read_mesh(p)


def test_unsupported_extension_and_missing_file(tmp_path):
    p = tmp_path / "mesh.stl"
    p.write_text("solid x\n")
    with pytest.raises(MeshFormatError, match=r"\.obj or \.ply"):
        read_mesh(p)
    with pytest.raises(MeshFormatError, match="cannot read"):
        read_mesh(tmp_path / "missing.obj")


def test_ply_errors(tmp_path):
    p = tmp_path / "x.ply"
    p.write_bytes(b"not a ply\n")
    with pytest.raises(MeshFormatError, match="not a PLY"):
        read_mesh(p)
    p.write_bytes(_ply_bytes(np.eye(3), [[0, 1, 5], [0, 1, 2]], "ascii"))
    with pytest.raises(FaceIndexError, match="vertex 5"):
        read_mesh(p)
    p.write_bytes(_ply_bytes(np.eye(3), [], "binary_little_endian"))
    with pytest.raises(NoFacesError):
        read_mesh(p)


def test_validate_arrays_from_blender():
    v = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0.0]])
    t = np.array([[0, 1, 2], [1, 3, 2]])
    validate(v, t)
    with pytest.raises(EmptyMeshError):
        validate(np.zeros((0, 3)), t)
    with pytest.raises(NonFiniteVerticesError, match="vertex 3"):
        validate(np.where(np.arange(4)[:, None] == 3, np.inf, v), t)
    with pytest.raises(NoFacesError):
        validate(v, np.zeros((0, 3), int))
    with pytest.raises(FaceIndexError, match="vertex 4"):
        validate(v, t + 1)
    with pytest.raises(FaceIndexError, match="vertex -1"):
        validate(v, t - 1)
    with pytest.raises(DegenerateMeshError):
        validate(v, t[:1])
    with pytest.raises(MeshError, match=r"\(V, 3\)"):
        validate(v[:, :2], t)
    with pytest.raises(MeshError, match=r"\(T, 3\)"):
        validate(v, t.reshape(-1, 2))


def test_reads_ict_neutral_exactly(ict_dir):
    path = ict_dir / "FaceXModel" / "generic_neutral_mesh.obj"
    m = read_mesh(path)
    assert m.num_vertices == 26719
    # the first vertex line of the file is row 0
    first = next(line for line in path.read_text().splitlines() if line.startswith("v "))
    np.testing.assert_array_equal(m.vertices[0], [float(x) for x in first.split()[1:4]])
    assert m.face_indices.max() < m.num_vertices and m.face_sizes.min() >= 3
