"""Reading and writing polygon meshes (OBJ, ASCII/binary PLY) without touching vertex order.

The vertex list of the file is kept exactly: nothing is merged, reordered or dropped, and
unreferenced vertices stay, because every per-vertex output of the package must line up with the
user's mesh (and with Blender's vertex indices). Polygons are kept as in the file so that a
retargeted frame can be written back with the original faces; :meth:`Mesh.triangles` gives a fan
triangulation for computation only.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import numpy as np

from .atomic_write import atomic_open
from .errors import (
    DegenerateMeshError,
    EmptyMeshError,
    FaceIndexError,
    MeshError,
    MeshFormatError,
    NoFacesError,
    NonFiniteVerticesError,
)
from .memo import memoize

SUPPORTED_EXTENSIONS = (".obj", ".ply")


@dataclass
class Mesh:
    """A polygon mesh as stored in its file.

    Attributes:
        vertices: ``(V, 3)`` float64, in file order and file units/axes.
        face_indices: ``(N,)`` int64, 0-based vertex indices of all polygons concatenated.
        face_sizes: ``(F,)`` int64, number of corners of each polygon (>= 3), ``sum == N``.
        face_materials: ``(F,)`` int64 material of each polygon (index into
            ``material_names``), or None when the file names no materials (OBJ ``usemtl``).
        material_names: the material names in order of first use (``""``: faces before any
            ``usemtl``).
    """

    vertices: np.ndarray
    face_indices: np.ndarray
    face_sizes: np.ndarray
    face_materials: np.ndarray | None = None
    material_names: tuple[str, ...] = ()

    @property
    def num_vertices(self) -> int:
        """Number of vertices ``V`` (including unreferenced ones)."""
        return int(self.vertices.shape[0])

    @property
    def num_faces(self) -> int:
        """Number of polygons ``F`` as in the file."""
        return int(self.face_sizes.shape[0])

    def polygons(self) -> list[np.ndarray]:
        """The polygons as a list of ``(n_i,)`` int64 index arrays, in file order."""
        return np.split(self.face_indices, np.cumsum(self.face_sizes)[:-1]) if self.num_faces else []

    def triangles(self) -> np.ndarray:
        """Fan triangulation ``(T, 3)`` int64, ``T = sum(n_i - 2)``, polygons in file order.

        Polygon ``(a, b, c, d, ...)`` becomes ``(a, b, c), (a, c, d), ...``; triangles keep the
        polygon's winding, so normals keep their orientation.
        """
        return fan_triangulate(self.face_indices, self.face_sizes)

    def triangle_materials(self) -> np.ndarray | None:
        """``(T,)`` int64 material of each triangle of :meth:`triangles` (None without materials)."""
        if self.face_materials is None:
            return None
        return np.repeat(self.face_materials, self.face_sizes - 2)


def fan_triangulate(face_indices: np.ndarray, face_sizes: np.ndarray) -> np.ndarray:
    """Fan-triangulate concatenated polygons.

    Args:
        face_indices: ``(N,)`` int, polygon corners concatenated.
        face_sizes: ``(F,)`` int, corners per polygon (>= 3).

    Returns:
        ``(sum(n_i - 2), 3)`` int64 triangles, polygon order kept.
    """
    face_indices = np.asarray(face_indices, dtype=np.int64)
    sizes = np.asarray(face_sizes, dtype=np.int64)
    if sizes.size == 0:
        return np.zeros((0, 3), dtype=np.int64)
    if np.all(sizes == 3):
        return face_indices.reshape(-1, 3).copy()
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ntri = sizes - 2
    first = np.repeat(starts, ntri)
    # j runs 1..n-2 inside each polygon: global position minus the polygon's first triangle slot
    tri_starts = np.concatenate([[0], np.cumsum(ntri)[:-1]])
    j = np.arange(first.size, dtype=np.int64) - np.repeat(tri_starts, ntri) + 1
    return np.stack([face_indices[first], face_indices[first + j], face_indices[first + j + 1]], axis=1)


# --------------------------------------------------------------------------------------------
# validation


@memoize
def validate(vertices: np.ndarray, triangles: np.ndarray) -> None:
    """Check that a triangle mesh can be processed; raise the matching typed error if not.

    Args:
        vertices: ``(V, 3)`` float, any units.
        triangles: ``(T, 3)`` int, 0-based.

    Raises:
        EmptyMeshError: no vertices.
        NonFiniteVerticesError: NaN or infinite coordinates.
        NoFacesError: no triangles (a point cloud).
        FaceIndexError: an index outside ``[0, V)``.
        DegenerateMeshError: a single triangle, or (numerically) zero total area.
        MeshError: wrong array shapes.
    """
    vertices = np.asarray(vertices)
    triangles = np.asarray(triangles)
    if vertices.ndim != 2 or (vertices.shape[0] > 0 and vertices.shape[1] != 3):
        raise MeshError(f"vertices have shape {vertices.shape}, expected (V, 3); pass one xyz row per vertex")
    nv = vertices.shape[0]
    if nv == 0:
        raise EmptyMeshError("the mesh has no vertices; export the mesh with its geometry")
    bad = ~np.isfinite(vertices).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise NonFiniteVerticesError(
            f"{int(bad.sum())} vertices have NaN or infinite coordinates (first: vertex {first}); "
            "fix or delete them in your modelling tool before exporting"
        )
    if triangles.size == 0:
        raise NoFacesError(
            f"the mesh has {nv} vertices but no faces (a point cloud); export a surface mesh with polygons"
        )
    if triangles.ndim != 2 or triangles.shape[1] != 3:
        raise MeshError(
            f"triangles have shape {triangles.shape}, expected (T, 3); triangulate polygons first "
            "(Mesh.triangles())"
        )
    if not np.issubdtype(triangles.dtype, np.integer):
        raise MeshError(f"triangle indices have dtype {triangles.dtype}; pass integer indices")
    lo, hi = int(triangles.min()), int(triangles.max())
    if lo < 0 or hi >= nv:
        bad_idx = lo if lo < 0 else hi
        raise FaceIndexError(
            f"a face refers to vertex {bad_idx} but the mesh has {nv} vertices (valid 0..{nv - 1}); "
            "the file is inconsistent, re-export it"
        )
    if triangles.shape[0] < 2:
        raise DegenerateMeshError(
            "the mesh is a single triangle, too small to be a face; use a real face mesh"
        )
    v = vertices.astype(np.float64, copy=False)
    area = (
        0.5
        * np.linalg.norm(
            np.cross(v[triangles[:, 1]] - v[triangles[:, 0]], v[triangles[:, 2]] - v[triangles[:, 0]]),
            axis=1,
        ).sum()
    )
    ref = v[np.unique(triangles)]
    diag2 = float(np.sum((ref.max(axis=0) - ref.min(axis=0)) ** 2))
    # relative threshold: a flat or collapsed mesh has area ~ rounding error of its extent^2
    if not area > 1e-12 * diag2 or diag2 == 0.0:
        raise DegenerateMeshError(
            "the mesh has zero total surface area (all faces are flat/collapsed); "
            "check the export (scale applied? correct object?)"
        )


# --------------------------------------------------------------------------------------------
# reading


def read_mesh(path: str | pathlib.Path, check: bool = True) -> Mesh:
    """Read an OBJ or PLY (ASCII, binary little/big endian) file.

    Vertex order and count are exactly those of the file. Only positions, polygons and OBJ
    materials (``usemtl``, :attr:`Mesh.face_materials`) are read (texture coordinates, normals,
    colours and groups are ignored).

    Args:
        path: ``.obj`` or ``.ply`` file.
        check: run :func:`validate` on the result (raises the typed errors listed there).

    Returns:
        :class:`Mesh` with float64 vertices in file units/axes.

    Raises:
        MeshFormatError: unsupported extension, unreadable or malformed file (names the line).
        EmptyMeshError, NoFacesError, NonFiniteVerticesError, FaceIndexError,
        DegenerateMeshError: see :func:`validate`.
    """
    path = pathlib.Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise MeshFormatError(
            f"{path.name}: unsupported mesh format {ext or '(no extension)'!r}; "
            "export the mesh as .obj or .ply"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MeshFormatError(f"cannot read {path}: {exc.strerror}; check the path") from exc
    if not data.strip():
        raise EmptyMeshError(f"{path.name} is empty; export the mesh again")
    mesh = _parse_obj(data, path.name) if ext == ".obj" else _parse_ply(data, path.name)
    if check:
        try:
            validate(mesh.vertices, mesh.triangles())
        except MeshError as exc:
            raise type(exc)(f"{path.name}: {exc}") from None
    return mesh


_SLASH_TAIL = re.compile(r"/[^\s]*")


def _parse_obj(data: bytes, name: str) -> Mesh:
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    # line numbers (1-based) of each logical line, so messages point at the physical line
    numbers = list(range(1, len(lines) + 1))
    if "\\" in text:
        merged: list[str] = []
        mnum: list[int] = []
        pending = None
        for i, line in enumerate(lines, 1):
            stripped = line.rstrip()
            cont = stripped.endswith("\\")
            body = stripped[:-1] if cont else line
            if pending is None:
                pending, start = body, i
            else:
                pending += " " + body
            if not cont:
                merged.append(pending)
                mnum.append(start)
                pending = None
        if pending is not None:
            merged.append(pending)
            mnum.append(start)
        lines, numbers = merged, mnum
    if "#" in text:
        lines = [ln.split("#", 1)[0] if "#" in ln else ln for ln in lines]

    vmask = np.array([ln[:2] == "v " or ln[:2] == "v\t" for ln in lines], dtype=bool)
    fmask = np.array([ln[:2] == "f " or ln[:2] == "f\t" or ln[:3] == "fo " for ln in lines], dtype=bool)
    # Leading whitespace is legal but rare; only then pay for a stripped re-scan.
    if any(ln[:1] in (" ", "\t") for ln in lines):
        lines = [ln.lstrip() for ln in lines]
        vmask = np.array([ln[:2] == "v " or ln[:2] == "v\t" for ln in lines], dtype=bool)
        fmask = np.array([ln[:2] == "f " or ln[:2] == "f\t" or ln[:3] == "fo " for ln in lines], dtype=bool)
    vidx = np.flatnonzero(vmask)
    fidx = np.flatnonzero(fmask)

    vtoks = [lines[i].split()[1:4] for i in vidx]
    try:
        verts = np.array(vtoks, dtype=np.float64).reshape(-1, 3)
    except ValueError:
        for i, t in zip(vidx, vtoks, strict=True):
            try:
                if len(t) != 3:
                    raise ValueError
                [float(x) for x in t]
            except ValueError:
                raise MeshFormatError(
                    f"{name}, line {numbers[i]}: malformed vertex {lines[i].strip()!r}; "
                    "expected 'v x y z'; fix or re-export the file"
                ) from None
        raise  # pragma: no cover - the loop above always finds the bad line
    if verts.shape[0] == 0:
        raise EmptyMeshError(f"{name} has no vertices ('v' lines); export the mesh with its geometry")

    ftoks = [lines[i].split()[1:] for i in fidx]
    sizes = np.array([len(t) for t in ftoks], dtype=np.int64)
    if sizes.size and sizes.min() < 3:
        bad = int(np.flatnonzero(sizes < 3)[0])
        raise MeshFormatError(
            f"{name}, line {numbers[fidx[bad]]}: face with fewer than 3 vertices "
            f"{lines[fidx[bad]].strip()!r}; delete it or re-export the file"
        )
    flat = " ".join(" ".join(t) for t in ftoks)
    flat = _SLASH_TAIL.sub("", flat)
    try:
        idx = np.array(flat.split(), dtype=np.int64)
    except ValueError:
        for k, t in enumerate(ftoks):
            try:
                [int(_SLASH_TAIL.sub("", x)) for x in t]
            except ValueError:
                raise MeshFormatError(
                    f"{name}, line {numbers[fidx[k]]}: malformed face {lines[fidx[k]].strip()!r}; "
                    "expected 'f i j k ...' with integer (1-based) indices; fix or re-export the file"
                ) from None
        raise  # pragma: no cover
    if idx.size != sizes.sum():  # pragma: no cover - tokens were counted from the same split
        raise MeshFormatError(f"{name}: inconsistent face tokens; re-export the file")

    corner_face = np.repeat(np.arange(sizes.size), sizes)
    if idx.size and (idx == 0).any():
        k = int(corner_face[np.flatnonzero(idx == 0)[0]])
        raise FaceIndexError(
            f"{name}, line {numbers[fidx[k]]}: face index 0 (OBJ indices start at 1); "
            "fix the exporter or the file"
        )
    # negative indices are relative to the vertices defined *before* the face line
    nv_before = np.cumsum(vmask)[fidx] if fidx.size else np.zeros(0, dtype=np.int64)
    neg = idx < 0
    out = np.where(neg, np.repeat(nv_before, sizes) + idx, idx - 1)
    nv = verts.shape[0]
    bad = (out < 0) | (out >= nv)
    if bad.any():
        c = int(np.flatnonzero(bad)[0])
        k = int(corner_face[c])
        raise FaceIndexError(
            f"{name}, line {numbers[fidx[k]]}: face index {int(idx[c])} is out of range "
            f"(the file has {nv} vertices); fix or re-export the file"
        )
    materials, names = _obj_materials(lines, fidx)
    return Mesh(verts, out.astype(np.int64), sizes, materials, names)


def _obj_materials(lines: list[str], fidx: np.ndarray) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Each face's material (the last ``usemtl`` line before it) and the names in order of
    first use; (None, ()) when no line names one."""
    uidx = [i for i, ln in enumerate(lines) if ln[:7] in ("usemtl ", "usemtl\t")]
    if not uidx or fidx.size == 0:
        return None, ()
    used = [lines[i][7:].strip() for i in uidx]
    before = np.searchsorted(np.asarray(uidx), fidx) - 1  # -1: a face before any usemtl
    names = ([""] if (before < 0).any() else []) + list(dict.fromkeys(used))
    code = {n: k for k, n in enumerate(names)}
    per_line = np.array([code[n] for n in used], dtype=np.int64)
    # "" (faces before any usemtl) is material 0 when there are such faces
    return np.where(before < 0, 0, per_line[np.maximum(before, 0)]).astype(np.int64), tuple(names)


_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip


@dataclass
class _PlyElement:
    name: str
    count: int
    # (name, dtype) for scalars, (name, count dtype, item dtype) for lists
    props: list[tuple]


def _ply_header(data: bytes, name: str) -> tuple[str, list[_PlyElement], int]:
    end = data.find(b"end_header")
    if not data.startswith(b"ply") or end < 0:
        raise MeshFormatError(
            f"{name}: not a PLY file (missing 'ply' magic or 'end_header'); re-export the file"
        )
    nl = data.find(b"\n", end)
    body_start = len(data) if nl < 0 else nl + 1
    header = data[:end].decode("ascii", errors="replace").splitlines()
    fmt = None
    elements: list[_PlyElement] = []
    for lineno, line in enumerate(header, 1):
        tok = line.split()
        if not tok or tok[0] in ("ply", "comment", "obj_info"):
            continue
        try:
            if tok[0] == "format":
                fmt = tok[1]
            elif tok[0] == "element":
                elements.append(_PlyElement(tok[1], int(tok[2]), []))
            elif tok[0] == "property":
                if tok[1] == "list":
                    elements[-1].props.append((tok[4], _PLY_TYPES[tok[2]], _PLY_TYPES[tok[3]]))
                else:
                    elements[-1].props.append((tok[2], _PLY_TYPES[tok[1]]))
            else:
                raise ValueError
        except (IndexError, KeyError, ValueError):
            raise MeshFormatError(
                f"{name}, header line {lineno}: malformed PLY header line {line.strip()!r}; "
                "re-export the file"
            ) from None
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise MeshFormatError(f"{name}: unknown PLY format {fmt!r}; re-export as ascii or binary PLY")
    return fmt, elements, body_start


def _ply_binary_element(
    data: bytes, offset: int, el: _PlyElement, endian: str, name: str
) -> tuple[dict[str, np.ndarray], int]:
    """Parse one binary element; returns {prop: array or (counts, flat items)} and new offset."""

    def dt(code: str) -> np.dtype:
        return np.dtype(code).newbyteorder(endian)

    lists = [p for p in el.props if len(p) == 3]
    if not lists:
        rec = np.dtype([(p[0], dt(p[1])) for p in el.props])
        nbytes = rec.itemsize * el.count
        if offset + nbytes > len(data):
            raise MeshFormatError(f"{name}: truncated PLY data in element {el.name!r}; re-export")
        arr = np.frombuffer(data, dtype=rec, count=el.count, offset=offset)
        return {p[0]: arr[p[0]] for p in el.props}, offset + nbytes
    if el.count == 0:
        return {p[0]: (np.zeros(0, np.int64), np.zeros(0)) for p in lists}, offset

    # Fast path: every record has the same list lengths as the first one (all-tri / all-quad).
    fields, pos, first_counts = [], offset, []
    try:
        for p in el.props:
            if len(p) == 2:
                fields.append((p[0], dt(p[1])))
                pos += np.dtype(p[1]).itemsize
            else:
                n = int(np.frombuffer(data, dtype=dt(p[1]), count=1, offset=pos)[0])
                first_counts.append(n)
                fields.append((p[0] + "__n", dt(p[1])))
                fields.append((p[0], dt(p[2]), (n,)))
                pos += np.dtype(p[1]).itemsize + n * np.dtype(p[2]).itemsize
    except ValueError:
        raise MeshFormatError(f"{name}: truncated PLY data in element {el.name!r}; re-export") from None
    rec = np.dtype(fields)
    if offset + rec.itemsize * el.count <= len(data):
        arr = np.frombuffer(data, dtype=rec, count=el.count, offset=offset)
        if all((arr[p[0] + "__n"] == n).all() for p, n in zip(lists, first_counts, strict=True)):
            out = {}
            for p in el.props:
                if len(p) == 2:
                    out[p[0]] = arr[p[0]]
                else:
                    n = first_counts[lists.index(p)]
                    out[p[0]] = (np.full(el.count, n, np.int64), arr[p[0]].reshape(-1))
            return out, offset + rec.itemsize * el.count

    # Mixed polygon sizes: offsets depend on every previous count, so walk the records once
    # reading only the counts, then gather the items with one vectorized index.
    buf = np.frombuffer(data, dtype=np.uint8)
    collected: dict[str, list] = {p[0]: [] for p in el.props}
    pos = offset
    sizes = [(p, np.dtype(p[1]).itemsize, np.dtype(p[2]).itemsize if len(p) == 3 else 0) for p in el.props]
    starts: dict[str, list[int]] = {p[0]: [] for p in el.props}
    counts: dict[str, list[int]] = {p[0]: [] for p in lists}
    readers = {p[0]: dt(p[1]) for p in el.props}
    try:
        for _ in range(el.count):
            for p, csz, isz in sizes:
                if isz == 0:
                    starts[p[0]].append(pos)
                    pos += csz
                else:
                    n = int(np.frombuffer(data, dtype=readers[p[0]], count=1, offset=pos)[0])
                    counts[p[0]].append(n)
                    starts[p[0]].append(pos + csz)
                    pos += csz + n * isz
    except ValueError:
        raise MeshFormatError(f"{name}: truncated PLY data in element {el.name!r}; re-export") from None
    if pos > len(data):
        raise MeshFormatError(f"{name}: truncated PLY data in element {el.name!r}; re-export")
    for p, csz, isz in sizes:
        st = np.asarray(starts[p[0]], dtype=np.int64)
        if isz == 0:
            byte_idx = st[:, None] + np.arange(csz)
            collected[p[0]] = buf[byte_idx.reshape(-1)].view(dt(p[1]))
        else:
            n = np.asarray(counts[p[0]], dtype=np.int64)
            item_start = np.repeat(st, n) + isz * (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
            byte_idx = item_start[:, None] + np.arange(isz)
            collected[p[0]] = (n, buf[byte_idx.reshape(-1)].view(dt(p[2])))
    return collected, pos


def _parse_ply(data: bytes, name: str) -> Mesh:
    fmt, elements, body = _ply_header(data, name)
    parsed: dict[str, dict] = {}
    if fmt == "ascii":
        lines = data[body:].decode("ascii", errors="replace").splitlines()
        lines = [ln for ln in lines if ln.strip() and not ln.startswith("comment")]
        cursor = 0
        for el in elements:
            chunk = lines[cursor : cursor + el.count]
            if len(chunk) < el.count:
                raise MeshFormatError(
                    f"{name}: PLY element {el.name!r} declares {el.count} rows but the file has "
                    f"{len(chunk)}; the file is truncated, re-export it"
                )
            cursor += el.count
            if el.name in ("vertex", "face"):
                parsed[el.name] = _ply_ascii_rows(chunk, el, name, body_line=cursor - el.count)
    else:
        endian = "<" if fmt == "binary_little_endian" else ">"
        pos = body
        for el in elements:
            parsed[el.name], pos = _ply_binary_element(data, pos, el, endian, name)

    vert = parsed.get("vertex")
    if vert is None or not all(c in vert for c in "xyz"):
        raise EmptyMeshError(
            f"{name}: PLY has no vertex element with x, y, z properties; export the mesh geometry"
        )
    verts = np.stack([np.asarray(vert[c], dtype=np.float64) for c in "xyz"], axis=1)
    if verts.shape[0] == 0:
        raise EmptyMeshError(f"{name}: PLY has no vertices; export the mesh with its geometry")
    face = parsed.get("face", {})
    key = next((k for k in ("vertex_indices", "vertex_index") if k in face), None)
    if key is None:
        sizes, idx = np.zeros(0, np.int64), np.zeros(0, np.int64)
    else:
        sizes, idx = face[key]
        sizes, idx = np.asarray(sizes, np.int64), np.asarray(idx, np.int64)
    if sizes.size and sizes.min() < 3:
        k = int(np.flatnonzero(sizes < 3)[0])
        raise MeshFormatError(
            f"{name}: PLY face {k} has {int(sizes[k])} vertices (< 3); delete it or re-export"
        )
    nv = verts.shape[0]
    bad = (idx < 0) | (idx >= nv)
    if bad.any():
        c = int(np.flatnonzero(bad)[0])
        k = int(np.repeat(np.arange(sizes.size), sizes)[c])
        raise FaceIndexError(
            f"{name}: PLY face {k} refers to vertex {int(idx[c])} but the file has {nv} vertices "
            f"(valid 0..{nv - 1}); fix or re-export the file"
        )
    return Mesh(vertices=verts, face_indices=idx, face_sizes=sizes)


def _ply_ascii_rows(rows: list[str], el: _PlyElement, name: str, body_line: int) -> dict:
    lists = [p for p in el.props if len(p) == 3]
    toks = [r.split() for r in rows]
    if not lists:
        try:
            arr = np.array(toks, dtype=np.float64).reshape(len(rows), len(el.props))
        except ValueError:
            k = next((i for i, t in enumerate(toks) if len(t) != len(el.props)), 0)
            raise MeshFormatError(
                f"{name}: malformed PLY {el.name} row {k} (data line {body_line + k + 1}) "
                f"{rows[k].strip()!r}; expected {len(el.props)} numbers; re-export the file"
            ) from None
        return {p[0]: arr[:, i] for i, p in enumerate(el.props)}
    if len(el.props) != 1:
        raise MeshFormatError(
            f"{name}: ASCII PLY {el.name} rows with extra properties besides the index list are "
            "not supported; re-export without face attributes"
        )
    try:
        sizes = np.array([int(t[0]) for t in toks], dtype=np.int64)
        flat = np.array([x for t in toks for x in t[1:]], dtype=np.int64)
    except (ValueError, IndexError):
        raise MeshFormatError(
            f"{name}: malformed PLY {el.name} row; expected 'n i1 ... in'; re-export the file"
        ) from None
    lens = np.array([len(t) - 1 for t in toks], dtype=np.int64)
    if (lens != sizes).any():
        k = int(np.flatnonzero(lens != sizes)[0])
        raise MeshFormatError(
            f"{name}: PLY {el.name} row {k} (data line {body_line + k + 1}) says {int(sizes[k])} "
            f"indices but has {int(lens[k])}; re-export the file"
        )
    return {el.props[0][0]: (sizes, flat)}


# --------------------------------------------------------------------------------------------
# writing


def write_obj(path: str | pathlib.Path, vertices: np.ndarray, mesh_or_faces: Mesh | np.ndarray) -> None:
    """Write an OBJ with ``vertices`` and the polygons of ``mesh_or_faces``.

    Args:
        path: output ``.obj`` path.
        vertices: ``(V, 3)`` float, written with 9 significant digits, in order.
        mesh_or_faces: a :class:`Mesh` (its original polygons are written, so a retargeted frame
            keeps the target's faces and order) or a ``(T, 3)`` int triangle array.

    Raises:
        MeshError: vertex count does not match the mesh, or faces refer to missing vertices.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    if isinstance(mesh_or_faces, Mesh):
        idx, sizes = mesh_or_faces.face_indices, mesh_or_faces.face_sizes
        if mesh_or_faces.num_vertices != vertices.shape[0]:
            raise MeshError(
                f"write_obj: {vertices.shape[0]} vertices given for a mesh with "
                f"{mesh_or_faces.num_vertices}; pass vertices of the same mesh"
            )
    else:
        tris = np.asarray(mesh_or_faces, dtype=np.int64)
        idx, sizes = tris.reshape(-1), np.full(tris.shape[0], 3, np.int64)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise MeshError(f"write_obj: vertices have shape {vertices.shape}; expected (V, 3)")
    if idx.size and (idx.min() < 0 or idx.max() >= vertices.shape[0]):
        raise FaceIndexError(
            f"write_obj: faces refer to vertex {int(idx.max())} but only {vertices.shape[0]} "
            "vertices were given; pass the matching vertices"
        )
    parts = ["# written by neural_face_skinning\n"]
    parts.append("".join(f"v {x:.9g} {y:.9g} {z:.9g}\n" for x, y, z in vertices.tolist()))
    one_based = (idx + 1).tolist()
    if sizes.size and np.all(sizes == sizes[0]):
        n = int(sizes[0])
        fmt = "f" + " {}" * n + "\n"
        parts.append("".join(fmt.format(*one_based[i : i + n]) for i in range(0, len(one_based), n)))
    else:
        ends = np.cumsum(sizes).tolist()
        start = 0
        out = []
        for e in ends:
            out.append("f " + " ".join(map(str, one_based[start:e])) + "\n")
            start = e
        parts.append("".join(out))
    with atomic_open(path, "w") as fh:  # never a half-written OBJ where a good one was
        fh.write("".join(parts))
