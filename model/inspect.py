"""Pre-flight report: what the rig will make of a mesh, said before the bake.

``inspect_mesh(vertices, triangles, up, forward)`` measures, in the canonical frame
(:mod:`model.frame`: Y up, face toward +Z):

* units (from the head's height), the head region (:mod:`model.head_region`) and the parts
  (:mod:`model.parts`);
* **eye openings**: with eyeballs, rays from each eyeball's centre straight ahead: if skin covers
  the eyeball the lids are closed (a sculpted-shut eye cannot blink open). Without eyeballs:
  a mirrored pair of holes in the upper face, or none;
* **lips**: rays from the front along the face's middle line find the lip line (between the
  upper and the lower lip's most forward points). Rays that pass the lips and go deep show a gap
  (**parted**). Otherwise the surface distance from the upper to the lower lip decides: far
  around (through the mouth corners or a mouth bag) means the lips only **touch**; as short as
  the straight line means one surface runs across (**sealed**: jawOpen cannot part them);
* symmetry (how far the mirrored head lies from itself), non-manifold edges, degenerate faces,
  and how many pieces the head is in.

Each finding carries a sentence an artist can act on. numpy + scipy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .input_warnings import FaceEvidence

LEVELS = ("ok", "note", "warning", "problem")


@dataclass
class Finding:
    """One line of the report: ``level`` in :data:`LEVELS`, ``topic``, ``message`` (plain words:
    what was found and what it means for the rig)."""

    level: str
    topic: str
    message: str


@dataclass
class InspectReport:
    """The pre-flight report of one mesh (sizes in the input's units)."""

    vertices: int
    faces: int
    bbox_size: list[float]
    units: str
    head: dict
    parts: dict
    eyes: dict
    lips: str
    symmetry_error: float
    non_manifold_edges: int
    degenerate_faces: int
    pieces: int
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def format(self) -> str:
        """The report as text, one finding per line, the worst marked first in its line."""
        mark = {"ok": "  ok ", "note": " note", "warning": " WARN", "problem": "PROBLEM"}
        lines = [
            f"mesh: {self.vertices} vertices, {self.faces} triangles, {self.pieces} pieces, "
            f"size {' x '.join(f'{s:.4g}' for s in self.bbox_size)} ({self.units})"
        ]
        lines += [f"{mark[f.level]:>7}  {f.topic}: {f.message}" for f in self.findings]
        return "\n".join(lines)

    @property
    def worst(self) -> str:
        return max((f.level for f in self.findings), key=LEVELS.index, default="ok")


def guess_units(head_height: float) -> str:
    """Units from a head's height (crown to the neck's narrowest: about 0.2-0.35 m in life)."""
    for name, factor in (("metres", 1.0), ("centimetres", 100.0), ("millimetres", 1000.0)):
        if 0.12 * factor <= head_height <= 0.5 * factor:
            return name
    return "unknown (not a life-size head in m, cm or mm)"


def _ray_hits(origins: np.ndarray, direction: np.ndarray, tri_pts: np.ndarray) -> np.ndarray:
    """(R,) distance along ``direction`` to the first triangle hit (inf: none), Moller-Trumbore."""
    if tri_pts.shape[0] == 0:
        return np.full(origins.shape[0], np.inf)
    a, b, c = tri_pts[:, 0], tri_pts[:, 1], tri_pts[:, 2]
    e1, e2 = b - a, c - a
    p = np.cross(direction, e2)  # (T, 3)
    det = np.einsum("tk,tk->t", e1, p)
    ok = np.abs(det) > 1e-14
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = origins[:, None, :] - a[None]  # (R, T, 3)
    u = np.einsum("rtk,tk->rt", s, p) * inv
    q = np.cross(s, e1[None])
    w = np.einsum("k,rtk->rt", direction, q) * inv
    dist = np.einsum("rtk,tk->rt", q, e2) * inv
    hit = ok & (u >= 0) & (w >= 0) & (u + w <= 1) & (dist > 0)
    dist = np.where(hit, dist, np.inf)
    return dist.min(1)


def _orientation_findings(frame) -> list[Finding]:
    """The orientation found in the geometry and whether the axes used agree with it."""
    from .orientation import WARN_CONFIDENCE, axes_warning, describe

    est = getattr(frame, "orientation", None)
    if est is None:
        return []
    if frame.auto:
        level = "ok" if est.confidence >= WARN_CONFIDENCE else "note"
        tail = "" if level == "ok" else "; unsure: check the result or give the axes (--up/--forward)"
        return [Finding(level, "orientation", f"found {describe(est)}{tail}")]
    warning = axes_warning(frame)
    if warning:
        return [Finding("problem", "orientation", warning)]
    return [Finding("ok", "orientation", f"the given axes agree with the geometry (found {describe(est)})")]


def inspect_mesh(
    vertices: np.ndarray,
    triangles: np.ndarray,
    up: str = "Y",
    forward: str = "Z",
    frame=None,
    analysis=None,
) -> InspectReport:
    """The pre-flight report of a mesh.

    Args:
        vertices: ``(V, 3)`` float, any units and position.
        triangles: ``(T, 3)`` int.
        up, forward: the input's axes (ignored when ``frame`` is given).
        frame: a :class:`model.frame.CanonicalFrame` (e.g. an estimated orientation).
        analysis: the mesh's :func:`model.rig_constraints.analyze_rig` if already computed.

    Raises:
        the typed mesh errors of :func:`model.mesh_io.validate`.
    """
    from .frame import fit_frame
    from .mesh_io import validate
    from .parts import PART_INDEX
    from .rig_constraints import analyze_rig
    from .topology import topology_stats

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    validate(v, t)
    if frame is None:
        frame = fit_frame(v, t, up=up, forward=forward, estimate=True)
    if analysis is None:
        analysis = analyze_rig(v, t, frame)
    else:
        frame = analysis.frame
    head, parts = analysis.head, analysis.parts
    c = frame.to_canonical(v)
    stats = topology_stats(v, t)
    scale = float(frame.scale)
    findings: list[Finding] = []

    findings.extend(_orientation_findings(frame))
    from .input_warnings import fragmentation_warning, not_a_face_warning

    if not any(f.topic == "orientation" and f.level == "problem" for f in findings):
        # the axes warning already explains a face given with the wrong axes
        no_face = not_a_face_warning(_face_evidence(c, t, head))
        if no_face:
            findings.append(Finding("problem", "face", no_face))
    pieces = fragmentation_warning(v, t)
    if pieces:
        findings.append(Finding("problem", "pieces", pieces))

    face_h = max(head.top - head.narrowest, 1e-12)  # crown to the neck's narrowest, canonical
    units = guess_units(face_h * scale)
    findings.append(
        Finding(
            "ok" if not units.startswith("unknown") else "note",
            "units",
            f"the head is {face_h * scale:.4g} units from crown to neck: looks like {units}; "
            "units and position do not matter to the rig",
        )
    )
    if head.has_body:
        findings.append(
            Finding(
                "ok",
                "head region",
                f"a head on a body: {100 * head.fraction:.0f}% of the vertices are on the head; "
                "everything below the neck will stay exactly still (the neck fades over "
                f"{0.2 * head.head_height_input:.3g} units). To change it, correct the FSP_head "
                "group (Analyze Mesh) or paint a mask",
            )
        )
    else:
        findings.append(Finding("ok", "head region", "a head without a body: the whole mesh is rigged"))

    counts = parts.counts()
    found = ", ".join(f"{n} ({k} vertices)" for n, k in counts.items() if n != "skin")
    meaning = {
        "eyeball": "eyeballs turn rigidly for eyeLook",
        "teeth": "lower teeth and tongue follow the jaw, upper teeth stay still",
        "lashes": "lashes follow the lids",
        "brows": "brows follow the skin",
        "hair": "hair stays still",
        "other": "other pieces stay still",
    }
    said = [
        m for key, m in meaning.items() if any(key in n or (key == "teeth" and n == "tongue") for n in counts)
    ]
    findings.append(
        Finding(
            "ok",
            "parts",
            f"separate parts found: {found}; {'; '.join(said)}"
            if found
            else "no separate parts (eyeballs, teeth, lashes): everything is rigged as skin",
        )
    )

    skin, skin_tris, mid_x = _face_skin(c, t, analysis)
    eyes = _eye_openings(c, skin_tris, parts, frame, head, face_h, findings)
    lips = _lips(c, skin_tris, parts, frame, head, face_h, mid_x, findings)
    sym = _symmetry(c, skin_tris, mid_x, face_h)
    findings.append(
        Finding(
            "ok" if sym < 0.02 else "note" if sym < 0.05 else "warning",
            "symmetry",
            f"the mirrored head lies {100 * sym:.1f}% of the head height from itself"
            + (
                ""
                if sym < 0.05
                else ": an asymmetric head gets asymmetric left/right shapes; check the axes "
                "(up / forward) if the face is symmetric"
            ),
        )
    )
    if stats.non_manifold_edges and parts.merged_lashes:
        # the strips' roots on the lid margin (edges the lid's two triangles and the strip's
        # share): Merge by Distance made them, so it is no fix
        findings.append(
            Finding(
                "note",
                "non-manifold",
                f"{stats.non_manifold_edges} edges are shared by more than two faces, where merged lash "
                "strips meet the lids (see merged lashes): the rig keeps them apart",
            )
        )
    elif stats.non_manifold_edges:
        findings.append(
            Finding(
                "warning",
                "non-manifold",
                f"{stats.non_manifold_edges} edges are shared by more than two faces: the rig works, "
                "but smoothing there can look creased; Mesh > Clean Up > Merge by Distance may fix it",
            )
        )
    if stats.degenerate_faces:
        findings.append(
            Finding(
                "note",
                "degenerate faces",
                f"{stats.degenerate_faces} faces have no area: harmless to the rig; "
                "Mesh > Clean Up > Degenerate Dissolve removes them",
            )
        )
    if parts.merged_lashes:
        findings.append(
            Finding(
                "note",
                "merged lashes",
                f"{len(parts.merged_lashes)} lash strips are merged onto the lids (one surface with them, "
                "as Merge by Distance leaves a film head's lashes): they are kept apart and follow the lids",
            )
        )
    head_pieces, islands = 0, 0
    if parts.piece_labels is not None:
        on_skin = (head.weights > 0.5) & (parts.labels == PART_INDEX["skin"])
        head_pieces = int(np.unique(parts.piece_labels[on_skin]).size)
        islands = int(np.unique(_islands(t, v.shape[0])[on_skin]).size)
    if head_pieces > 4:
        findings.append(
            Finding(
                "warning",
                "pieces",
                f"the head's skin is in {head_pieces} separate pieces: each piece moves on its own. "
                "Join them (and Merge by Distance) before rigging",
            )
        )
    if islands > max(head_pieces, 1):
        findings.append(
            Finding(
                "warning" if islands > 4 else "note",
                "seams",
                f"the head's skin is split along seams into {islands} islands (vertices duplicated at "
                "the same place, e.g. UV seams): unless they are merged, each island moves on its own "
                "(the same head cut into 40 pieces gives 68% region agreement); Mesh > Clean Up > "
                "Merge by Distance joins them",
            )
        )
    return InspectReport(
        vertices=int(v.shape[0]),
        faces=int(t.shape[0]),
        bbox_size=[float(x) for x in (v.max(0) - v.min(0))],
        units=units,
        head={
            "has_body": bool(head.has_body),
            "fraction": round(head.fraction, 4),
            "height": float(face_h * scale),
        },
        parts={
            "counts": counts,
            "eyeballs": {
                k: {"center": [float(x) for x in e.center], "radius": float(e.radius)}
                for k, e in parts.eyeballs.items()
            },
        },
        eyes=eyes,
        lips=lips,
        symmetry_error=float(sym),
        non_manifold_edges=stats.non_manifold_edges,
        degenerate_faces=stats.degenerate_faces,
        pieces=stats.pieces,
        findings=findings,
    )


def _eye_openings(c, skin_tris, parts, frame, head, face_h, findings) -> dict:
    """{"L"/"R": "open" | "closed"} from rays out of the eyeballs, or from holes without them."""
    out: dict[str, str] = {}
    tri_pts = c[skin_tris]
    if parts.eyeballs:
        for side, eye in sorted(parts.eyeballs.items()):
            ctr = frame.to_canonical(eye.center[None])[0]
            r = eye.radius / frame.scale
            near = np.linalg.norm(tri_pts.mean(1) - ctr, axis=1) < 4.0 * r
            dirs = [np.array([0.0, 0.0, 1.0])]
            for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                d = np.array([0.14 * dx, 0.14 * dy, 1.0])
                dirs.append(d / np.linalg.norm(d))
            free = sum(bool(np.isinf(_ray_hits(ctr[None], d, tri_pts[near])[0])) for d in dirs)
            out[side] = "open" if free >= 3 else "closed"
        closed = [s for s, state in out.items() if state == "closed"]
        if closed:
            findings.append(
                Finding(
                    "problem",
                    "eyes",
                    f"eye {' and '.join(closed)}: skin covers the eyeball (the lids are sculpted shut): "
                    "eyeBlink and eyeWide will push the closed lids but cannot open them; cut the eye "
                    "opening along the lid line",
                )
            )
        else:
            findings.append(Finding("ok", "eyes", "both eyes are open over their eyeballs"))
        return out
    holes = _eye_holes(c, skin_tris, head, face_h)
    if holes:
        out = {"L": "open", "R": "open"}
        findings.append(
            Finding(
                "warning",
                "eyes",
                "eye openings found but no eyeballs: blinks work, but the openings show the inside of "
                "the head; add eyeballs as separate pieces",
            )
        )
    else:
        out = {"L": "closed", "R": "closed"}
        findings.append(
            Finding(
                "problem",
                "eyes",
                "no eye openings and no eyeballs (a scan or a statue: the eyes are one closed surface): "
                "blink shapes will only dent the surface; cut the eye openings along the lid lines "
                "and add eyeballs for real blinks",
            )
        )
    return out


def _eye_holes(c, skin_tris, head, face_h) -> bool:
    """A mirrored pair of holes in the upper front of the head."""
    from .topology import boundary_loops

    if skin_tris.shape[0] == 0:
        return False
    loops = boundary_loops(c, skin_tris)
    front = float(np.median(c[skin_tris.ravel(), 2]))
    cands = []
    for lp in loops:
        p = c[lp].mean(0)
        size = np.ptp(c[lp], axis=0).max()
        if head.top - 0.7 * face_h < p[1] < head.top - 0.2 * face_h and p[2] > front and size < 0.3 * face_h:
            cands.append(p)
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            a, b = cands[i], cands[j]
            if (
                abs(a[1] - b[1]) < 0.05 * face_h
                and abs(a[0] - b[0]) > 0.1 * face_h
                and abs(a[2] - b[2]) < 0.1 * face_h
            ):
                return True
    return False


def _face_evidence(c: np.ndarray, t: np.ndarray, head) -> FaceEvidence:
    """:func:`model.input_warnings.face_evidence` of the head region (head weight above 0, as the
    bake's network sees a bust or a body cut to its head), its pitch fitted as the rig check
    fits it (:func:`model.face_alignment.trusted_pitch`)."""
    from .input_warnings import face_evidence
    from .rig_check import face_anchors

    keep = head.weights > 0
    tris = t[keep[t].all(1)]
    if len(tris) == 0:
        keep, tris = np.ones(len(c), dtype=bool), t
    ids = np.flatnonzero(keep)
    remap = np.full(len(c), -1, dtype=np.int64)
    remap[ids] = np.arange(ids.size)
    sub, sub_tris = c[ids], remap[tris]
    anchors = face_anchors(sub, sub_tris, pitch=None)
    return face_evidence(anchors.canonical, sub_tris, anchors.skin, anchors.pitch, anchors)


def _face_skin(c: np.ndarray, t: np.ndarray, analysis) -> tuple[np.ndarray, np.ndarray, float]:
    """The head's skin (V,) bool, its triangles (n, 3), and the face's middle line x (canonical):
    between the eyeballs when both are found, else the skin's mean."""
    frame, head, parts = analysis.frame, analysis.head, analysis.parts
    skin = parts.mask("skin") & (head.weights > 0.5)
    skin_tris = t[skin[t].all(1)]
    mid_x = (
        float(np.mean([frame.to_canonical(e.center[None])[0, 0] for e in parts.eyeballs.values()]))
        if len(parts.eyeballs) == 2
        else float(np.average(c[skin, 0]))
        if skin.any()
        else 0.0
    )
    return skin, skin_tris, mid_x


def sealed_lips_warning(vertices: np.ndarray, triangles: np.ndarray, analysis) -> str | None:
    """One line when the lips are one sealed surface (``jawOpen`` cannot part them), else None.

    ``vertices`` (V, 3) and ``triangles`` (T, 3) as given; ``analysis``: their
    :func:`model.rig_constraints.analyze_rig` (head region, parts, frame). Same test as
    :func:`inspect_mesh`'s lips finding.
    """
    t = np.asarray(triangles, dtype=np.int64)
    c = analysis.frame.to_canonical(np.asarray(vertices, dtype=np.float64))
    head = analysis.head
    face_h = max(head.top - head.narrowest, 1e-12)
    _, skin_tris, mid_x = _face_skin(c, t, analysis)
    if _lips(c, skin_tris, analysis.parts, analysis.frame, head, face_h, mid_x, []) != "sealed":
        return None
    return (
        "the lips are sealed (one surface runs from the upper to the lower lip): jawOpen and the "
        "other mouth shapes stretch the face instead of opening the mouth; cut the lip line in the "
        "mesh (Cut Lip Line in the Analyze panel, or python -m model cut-lips) and bake again"
    )


def mid_line_lips(c, skin_tris, parts, frame, head, face_h, mid_x, findings=None):
    """The lips on the face's middle line: rays straight back (canonical -Z) at ``x = mid_x``,
    one per 1/400 of the face height from the eyes down.

    Returns None (with a note in ``findings``) when no mouth is found, else ``(ys (R,) row
    heights top down, zf (R,) front surface z per row (-inf: no hit), nose row, upper-lip bump,
    lower-lip bump)``, the bumps counted from the nose row (canonical units)."""
    findings = [] if findings is None else findings
    if skin_tris.shape[0] == 0:
        return None
    tri_pts = c[skin_tris]
    xs = tri_pts[:, :, 0]
    strip = (xs.min(1) <= mid_x) & (xs.max(1) >= mid_x)
    pts = tri_pts[strip]
    eye_ys = [frame.to_canonical(e.center[None])[0, 1] for e in parts.eyeballs.values()]
    eye_y = float(np.mean(eye_ys)) if eye_ys else head.top - 0.45 * face_h
    lo, hi = eye_y - 0.75 * face_h, eye_y - 0.12 * face_h
    step = face_h / 400.0
    ys = np.arange(hi, lo, -step)
    z0 = float(c[:, 2].max()) + 1.0
    origins = np.stack([np.full(ys.size, mid_x), ys, np.full(ys.size, z0)], 1)
    depth = _ray_hits(origins, np.array([0.0, 0.0, -1.0]), pts)
    zf = z0 - depth  # front surface height per row (-inf: nothing)
    if not np.isfinite(zf).any():
        findings.append(Finding("note", "lips", "no mouth found on the face's middle line"))
        return None
    # the nose tip: the most forward point; the lips: the two most forward bumps below it
    nose = int(np.nanargmax(np.where(np.isfinite(zf), zf, -np.inf)))
    below = zf[nose:]
    k = max(3, int(0.01 * face_h / step))
    smooth = np.array(
        [
            np.nanmax(
                np.where(
                    np.isfinite(below[max(0, i - k) : i + k + 1]), below[max(0, i - k) : i + k + 1], -np.inf
                )
            )
            for i in range(below.size)
        ]
    )
    peaks = [
        i
        for i in range(1, below.size - 1)
        if np.isfinite(below[i]) and below[i] >= smooth[i] - 1e-12 and i * step > 0.05 * face_h
    ]
    # distinct bumps: merge peaks closer than 2 % of the face
    bumps: list[int] = []
    for i in peaks:
        if bumps and (i - bumps[-1]) * step < 0.02 * face_h:
            if below[i] > below[bumps[-1]]:
                bumps[-1] = i
            continue
        bumps.append(i)
    if len(bumps) < 2:
        findings.append(Finding("note", "lips", "could not find the lips on the face's middle line"))
        return None
    return ys, zf, nose, bumps[0], bumps[1]


def _lips(c, skin_tris, parts, frame, head, face_h, mid_x, findings) -> str:
    """ "parted" | "touching" | "sealed" | "unknown" from rays along the face's middle line."""
    rows = mid_line_lips(c, skin_tris, parts, frame, head, face_h, mid_x, findings)
    if rows is None:
        return "unknown"
    ys, zf, nose, up_i, low_i = rows
    below = zf[nose:]
    step = face_h / 400.0  # the rows' spacing (mid_line_lips)
    seg = below[up_i : low_i + 1]
    lip_front = min(below[up_i], below[low_i])
    gap_rows = ~np.isfinite(seg) | (seg < lip_front - 0.06 * face_h)
    opening = gap_rows.sum() * step
    if opening > 0.012 * face_h:
        findings.append(
            Finding("ok", "lips", f"the lips are parted ({100 * opening / face_h:.1f}% of the head height)")
        )
        return "parted"
    # the surface path from the upper lip's front to the lower lip's, kept near the middle line
    # (not around the mouth corners): none, or far round through a mouth bag, means two surfaces
    a_row, b_row = nose + up_i, nose + low_i
    pa = np.array([mid_x, ys[a_row], zf[a_row]])
    pb = np.array([mid_x, ys[b_row], zf[b_row]])
    strip_tris = skin_tris[(np.abs(c[skin_tris, 0] - mid_x) < 0.05 * face_h).all(1)]
    if len(strip_tris) == 0:
        # no triangle lies near the middle line (a coarse non-face: Blender's 8-vertex cube
        # raised an IndexError from every warning read): nothing to judge the lips on
        findings.append(Finding("note", "lips", "could not find the lips on the face's middle line"))
        return "unknown"
    ratio = _surface_ratio(c, strip_tris, pa, pb)
    if ratio > 6.0:
        findings.append(
            Finding("ok", "lips", "the lips touch but are separate surfaces: jawOpen can part them")
        )
        return "touching"
    findings.append(
        Finding(
            "problem",
            "lips",
            "the lips are sealed (one surface runs from the upper to the lower lip): jawOpen cannot "
            "part them, the mouth will stretch instead of opening; cut the lip line (Cut Lip Line, "
            "or python -m model cut-lips)",
        )
    )
    return "sealed"


def _surface_ratio(c, skin_tris, pa, pb) -> float:
    """Surface distance over straight distance between the skin vertices nearest ``pa``, ``pb``."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra
    from scipy.spatial import cKDTree

    from .topology import position_ids, unique_edges

    pid = position_ids(c)
    n = int(pid.max()) + 1
    pos = np.zeros((n, 3))
    pos[pid] = c
    used = np.unique(pid[skin_tris.ravel()])
    tree = cKDTree(pos[used])
    a, b = used[tree.query(pa)[1]], used[tree.query(pb)[1]]
    straight = float(np.linalg.norm(pos[a] - pos[b]))
    if straight <= 0:
        return 1.0
    edges, _ = unique_edges(pid[skin_tris])
    length = np.linalg.norm(pos[edges[:, 0]] - pos[edges[:, 1]], axis=1) + 1e-12
    graph = sp.coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    d = dijkstra(graph, directed=False, indices=a, limit=8.0 * straight)
    return float(d[b] / straight) if np.isfinite(d[b]) else np.inf


def _symmetry(c, skin_tris, mid_x, face_h) -> float:
    """RMS distance of the mirrored head's vertices to the head's surface, over the head height."""
    from .transfer import closest_points

    ids = np.unique(skin_tris.ravel())
    if ids.size < 4:
        return 0.0
    if ids.size > 20000:
        ids = np.random.default_rng(0).choice(ids, 20000, replace=False)
    mirrored = c[ids] * np.array([-1.0, 1.0, 1.0]) + np.array([2.0 * mid_x, 0.0, 0.0])
    d = closest_points(c, skin_tris, mirrored).distance
    return float(np.sqrt(np.mean(d * d)) / face_h)


def _islands(triangles: np.ndarray, n: int) -> np.ndarray:
    """(n,) connected pieces by the mesh's own edges (seams split them), as the network sees them."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    t = np.asarray(triangles, dtype=np.int64)
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    graph = sp.coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
