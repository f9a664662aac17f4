"""The numpy boundary of the network: everything else (CLI, Blender add-on, demo) uses this.

Typical use::

    fm = FaceModel.load()                       # shipped weights/
    target = fm.prepare(vertices, triangles)    # (V,3) any units/position, Y up, +Z forward
    skin = fm.predict_skin_weights(target)      # (V, K) float32, rows sum to 1
    deltas = fm.bake(target)                    # (53, V, 3) float32, input units and axes
    codes = fm.encode(fm.prepare(src_neutral, src_tris), frames)   # (T, 53) ICT weights

Inputs keep their vertex order and count; every per-vertex output is index-aligned with them.
Internally meshes are moved into the canonical frame (:mod:`model.frame`: Y up, face to +Z,
translation and scale removed) and the network works there; deltas come back through the
inverse rotation and scale (no translation, they are vectors).

:meth:`FaceModel.load` runs the network in numpy (:mod:`model.runtime`, from ``model.npz``); this
package never imports torch. Training builds the same FaceModel around its torch network
(:func:`training.torch_weights.load_face_model`): the net object supplies the few
implementation-specific steps (``mesh_input``, ``as_input``, ``inference_context``,
``combine_normal_equations``), so nothing here depends on which one runs.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MeshError
from .facs import ICT_NAMES
from .frame import is_auto

if TYPE_CHECKING:
    from .input_warnings import FaceEvidence

# the network's implementations: numpy (model.runtime, what ships) or torch (training.nn, built by
# training.torch_weights.load_face_model; never imported from here)
RUNTIMES = ("torch", "numpy")
# frames per forward pass of the expression encoder: bounds memory at (chunk * V * width) floats
_ENCODE_CHUNK = 64
# FaceModel.encode methods: the learned expression encoder, analysis by synthesis with the
# network's bake, or both bases in one joint fit
ENCODE_METHODS = ("learned", "fit", "joint")
# FaceModel.bake methods: the network; the classical registration of the ICT template with
# closest-point transfer of its shapes (:mod:`model.classical_rig`); both blended per vertex
BAKE_METHODS = ("network", "registration", "hybrid", "mixed")
# what bake (the CLI, the add-on) uses unless told: on held-out ICT heads mixed beats the
# registration and the aligned closest-vertex copy on every set, where the network alone does
# not; on real meshes where no landmark pins the template it is the network's (README, Real meshes)
DEFAULT_BAKE_METHOD = "mixed"
# hybrid and mixed blend the network's shapes with the registration's per vertex, mixed only on
# the shapes the registration's landmarks pinned (model.method_blend)
# "auto" axes: a fit of the face regions worse than this means the network sees no face
_REGION_FIT_MAX_RESIDUAL = 0.25
# a frame with up or forward flipped replaces the estimate when the regions fit it this well
_REGION_FIT_FLIP_RESIDUAL = 0.15
_FLIP_UP = np.diag([-1.0, -1.0, 1.0])
_FLIP_FORWARD = np.diag([-1.0, 1.0, -1.0])
# a pitch correction smaller than this is not worth a second operator solve
_PITCH_MIN_DEGREES = 1.0


_BACKGROUND = None


# the modules prepare and bake import, imported when the model is loaded (FaceModel.load, the
# add-on's Load): first imported inside them they were ~0.2 s of a cold 20k bake (more where no
# bytecode is cached). The bake itself is no faster once imported; its first call is
_RUNTIME_MODULES = (
    "scipy.linalg", "scipy.sparse.linalg", "scipy.spatial", "robust_laplacian",
    ".clothing", ".eyelids", ".face_alignment", ".face_placement",
    ".flip_repair", ".geometry", ".head_region", ".lid_clearance",
    ".lid_follow", ".lid_line", ".method_blend", ".mirror_pass",
    ".openings", ".orientation", ".parts", ".rig_check",
    ".rig_constraints", ".shape_focus", ".shape_locality",
    ".shape_smoothing", ".short_edges", ".static_area", ".weld",
    ".welded_tongue",
)  # fmt: skip


def _import_runtime() -> None:
    """Import :data:`_RUNTIME_MODULES` (each once per process)."""
    import importlib

    for name in _RUNTIME_MODULES:
        # this package's own modules relative to it: the add-on vendors it under another name
        try:
            importlib.import_module(name, __package__)
        except ImportError:  # raised again, with its fix, where prepare or bake imports it
            pass


_HELPER = None


def _helper():
    """A second worker thread for the bake's work that needs no shapes (made on first use):
    :meth:`FaceModel._start_geometry`'s mirror map, static limits and rig check partners, found
    while the main thread makes the shapes. Used only when no registration is running on
    :func:`_background` (on a 2-core machine the second core is the registration's then). Every
    job is waited for before the bake returns: nothing runs when control goes back to Blender,
    whose API is not thread-safe (:meth:`FaceModel.finish_registration`)."""
    global _HELPER
    if _HELPER is None:
        from concurrent.futures import ThreadPoolExecutor

        _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nfs-geometry")
    return _HELPER


def _wait(job) -> None:
    """Wait for a :func:`_helper` job (None: nothing); its failure is left to the caller's own
    computation, which finds what is missing and raises it there."""
    if job is not None:
        try:
            job.result()
        except Exception:  # noqa: BLE001 - raised again by the caller's own computation
            pass


def _registering(prepared) -> bool:
    """Whether a background registration of ``prepared`` is still running."""
    return any(
        isinstance(key, tuple) and key[0] == "pending" and not job.done()
        for key, job in list(prepared._tensors.items())
    )


def _background():
    """The one worker thread of :meth:`FaceModel.start_registration` (made on first use)."""
    global _BACKGROUND
    if _BACKGROUND is None:
        from concurrent.futures import ThreadPoolExecutor

        _BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nfs-registration")
    return _BACKGROUND


@dataclass
class PreparedMesh:
    """A mesh ready for the network: its canonical frame and Laplace/gradient operators.

    vertices: (V, 3) float64 as given (input units/axes); triangles: (T, 3) int64.
    The network sees S <= V vertices: vertices at the same position are welded into one (W
    vertices, ``welding``, :mod:`model.weld`; seams, split normals), and on a bust or a body only
    the head is kept (``subset``: None, or (S,) int64 indices of the welded vertices,
    :mod:`model.head_region`; everything else stays still), loose teeth, gums and tongue left out
    too (:func:`prepare_mesh` ``cut_mouth``: they move rigidly, :mod:`model.rig_constraints`).
    ``network_rows`` takes per-input-vertex arrays to the S network vertices, ``scatter`` brings
    per-network-vertex results back to V.
    frame: the fitted canonical frame of the network's vertices (``frame.orientation``: the
    geometric orientation estimate when one was made); canonical: (S, 3) float32 those vertices
    in that frame; operators: the geometry operators of ``canonical``
    (:class:`model.geometry.Operators`). materials: None, or (T,) int64 per-triangle material
    indices of the input (:mod:`model.clothing` holds clothing welded into the skin still).
    """

    vertices: np.ndarray
    triangles: np.ndarray
    frame: Any
    canonical: np.ndarray
    operators: Any
    _tensors: dict = field(default_factory=dict, repr=False)
    subset: np.ndarray | None = None
    welding: Any = None
    materials: np.ndarray | None = None

    @property
    def num_vertices(self) -> int:
        return int(self.vertices.shape[0])

    @property
    def triangles_seen(self) -> np.ndarray:
        """(T', 3) int64 triangles of the vertices the network sees (indices into ``canonical``)."""
        return self._tensors["network_triangles"]

    def input_canonical(self) -> np.ndarray:
        """(V, 3) float64: every input vertex in :attr:`frame` (computed once per mesh; the
        clothing hold and the welded-tongue search both read it in each bake)."""
        if "input_canonical" not in self._tensors:
            self._tensors["input_canonical"] = self.frame.to_canonical(self.vertices)
        return self._tensors["input_canonical"]

    @property
    def face_pitch(self) -> float:
        """Radians: the face's pitch in :attr:`canonical` (the turn about x that stands it as
        ICT-FaceKit's face stands, :attr:`model.face_alignment.Alignment.face_pitch`), 0 when the
        face was not aligned or its pitch is not trusted."""
        alignment = self._tensors.get("face_alignment")
        return 0.0 if alignment is None else float(alignment.face_pitch)

    def skin_component(self) -> np.ndarray:
        """(S,) bool: the largest connected component of the network's mesh (the skin the face
        anchors look for eyes on; topology only, so the one :func:`model.face_placement.place_face`
        found in :func:`prepare` serves every bake)."""
        if "skin_component" not in self._tensors:
            from .face_landmarks import largest_component_mask

            self._tensors["skin_component"] = largest_component_mask(len(self.canonical), self.triangles_seen)
        return self._tensors["skin_component"]

    def skin_anchors(self, skin_weights: np.ndarray | None):
        """:func:`model.shape_locality.skin_anchors` of the network's mesh helped by
        ``skin_weights`` (S, K) (None: geometry alone), found once per mesh and skin weights: a
        re-bake of a cached mesh (the add-on's) or :meth:`FaceModel.clothing` after a bake reuse
        them. Not the placement's anchors: those are found before any skin weights exist."""
        from .shape_locality import skin_anchors

        key = None
        if skin_weights is not None:
            w = np.ascontiguousarray(skin_weights)
            key = (w.shape, w.dtype.str, hashlib.blake2b(w.tobytes(), digest_size=16).digest())
        hit = self._tensors.get("skin_anchors")
        if hit is not None and hit[0] == key:
            return hit[1]
        skin = self.skin_component()
        anchors = skin_anchors(
            self.canonical, self.triangles_seen, skin_weights, skin_mask=skin, pitch=self.face_pitch
        )
        if self.subset is not None:
            from dataclasses import replace

            # a head cut from a bust or a body: the static parts are placed as the rig check
            # places them on the whole mesh (model.static_area), whose yaw, roll and pitch it
            # fits on all of it (Demosthenes: its bust's plane 3.1 degrees off its head's, and
            # the check's ear zone fell in the bake's fade: mouthSmile_R moved an ear 1.0 %)
            turn, pitch = self._check_orientation()
            anchors = replace(anchors, turn=turn, pitch=pitch)
        self._tensors["skin_anchors"] = (key, anchors)  # the latest only: skin weights may change
        return anchors

    def _check_orientation(self) -> tuple[np.ndarray, float]:
        """(turn (3, 3) from :attr:`frame`'s directions to those of the rig check's frame of the
        whole (welded) input mesh, the face's pitch there in radians): the frame and pitch
        :func:`model.rig_check.check_rig` fits (:func:`model.face_alignment.align_face` of the
        yaw and roll, :func:`model.face_alignment.trusted_pitch`), found once per mesh."""
        if "check_orientation" not in self._tensors:
            from .face_alignment import align_face, trusted_pitch

            vertices, triangles = self.vertices, self.triangles
            if self.welding is not None:
                vertices, triangles = self.welding.vertices, self.welding.triangles
            frame, _ = align_face(self._tensors.get("input_frame", self.frame), vertices, triangles)
            turn = frame.rotation @ np.asarray(self.frame.rotation).T
            pitch = trusted_pitch(frame.to_canonical(vertices), triangles)
            self._tensors["check_orientation"] = (turn, pitch)
        return self._tensors["check_orientation"]

    def network_rows(self, array: np.ndarray, axis: int = 0) -> np.ndarray:
        """The rows of a per-input-vertex ``array`` (V along ``axis``) the network sees (S):
        one vertex of each welded group, then the head subset."""
        if self.welding is not None:
            array = self.welding.gather(array, axis=axis)
        return array if self.subset is None else np.take(array, self.subset, axis=axis)

    def scatter(self, values: np.ndarray, axis: int = 0, fill: np.ndarray | None = None) -> np.ndarray:
        """Per-network-vertex ``values`` (S along ``axis``) -> per input vertex (V): zero (or
        ``fill``, broadcast) outside the head subset, every welded duplicate gets its group's."""
        if self.subset is not None:
            shape = list(values.shape)
            shape[axis] = self.num_welded
            out = np.zeros(shape, dtype=values.dtype)
            if fill is not None:
                out[...] = fill
            index = [slice(None)] * values.ndim
            index[axis] = self.subset
            out[tuple(index)] = values
            values = out
        return values if self.welding is None else self.welding.spread(values, axis=axis)

    @property
    def num_welded(self) -> int:
        """W: the vertex count after welding (V without welding)."""
        return self.num_vertices if self.welding is None else int(self.welding.vertices.shape[0])

    @property
    def orientation(self):
        """The geometric orientation estimate (:class:`model.orientation.OrientationEstimate`)
        or None when the axes were given and not checked."""
        return self.frame.orientation

    @property
    def analysis_frame(self):
        """The frame the parts and the eyeballs' gaze axes are found in: the input's frame
        (:class:`model.frame.CanonicalFrame` of the input vertices), turned as the face
        alignment turned the network's (:mod:`model.face_alignment`)."""
        return self._tensors.get("analysis_frame", self._tensors.get("input_frame", self.frame))

    @property
    def axes_warning(self) -> str | None:
        """One line when the given axes disagree strongly with a confident estimate, else None."""
        from .orientation import EYES_UPRIGHT_MARGIN, axes_warning, eyes_upright

        found = axes_warning(self._tensors.get("input_frame", self.frame))
        if found is not None and self.face_evidence().eyes is not None:
            # eyes of a face's proportions above and in front of the middle, the crown clearly
            # farther above them than the nose in front (model.orientation.eyes_upright): the given axes
            # hold the face upright and looking forward (upside down, backward or turned 90
            # degrees they fail those tests); it is the geometric estimate that is wrong (a
            # cropped game head with a ponytail is deeper than tall: Rocketbox 02 with scan
            # noise, estimate 101 degrees off at confidence 0.81)
            placement = self._tensors.get("face_placement")
            anchors = None if placement is None else placement.anchors
            if anchors is None:
                from .rig_check import face_anchors

                anchors = face_anchors(self.canonical, self.triangles_seen, skin_mask=self.skin_component())
            margin = eyes_upright(anchors)
            if margin is not None and margin >= EYES_UPRIGHT_MARGIN:
                return None
        return found

    @property
    def warnings(self) -> list[str]:
        """Every warning about this input (axes that look wrong, a mesh that does not look like a
        face, a surface in many pieces, lips sealed into one surface), one line each; empty when
        the input looks fine. None of them stops the bake."""
        if "warnings" not in self._tensors:
            from .input_warnings import fragmentation_warning, not_a_face_warning
            from .inspect import sealed_lips_warning

            axes = self.axes_warning
            # a face given with the wrong axes shows no face in them either: the axes warning
            # already says what is wrong and how to fix it
            no_face = None if axes else not_a_face_warning(self.face_evidence())
            found = [
                axes,
                no_face,
                fragmentation_warning(self.canonical, self.triangles_seen),
                # lips are only looked for on something that looks like a face (a hand read as
                # sealed lips)
                None if no_face else sealed_lips_warning(self.vertices, self.triangles, self.rig_analysis()),
            ]
            self._tensors["warnings"] = [w for w in found if w]
        return list(self._tensors["warnings"])

    def face_evidence(self) -> FaceEvidence:
        """:class:`model.input_warnings.FaceEvidence` of the network's mesh: the eyes the face
        placement found (:attr:`model.face_placement.Placement.anchors`), else its nose."""
        if "face_evidence" not in self._tensors:
            from .input_warnings import face_evidence

            placement = self._tensors.get("face_placement")
            anchors = None if placement is None else placement.anchors
            self._tensors["face_evidence"] = face_evidence(
                self.canonical, self.triangles_seen, self.skin_component(), self.face_pitch, anchors
            )
        return self._tensors["face_evidence"]

    def rig_analysis(self):
        """Head region and parts of this mesh: the one given to :meth:`set_rig_analysis`, else
        the automatic one (:func:`model.rig_constraints.analyze_rig`, found once)."""
        if "rig_analysis" in self._tensors:
            return self._tensors["rig_analysis"]
        # kept apart from a given one, so going back to automatic does not redo it
        if "rig_analysis_auto" not in self._tensors:
            from .rig_constraints import analyze_rig

            frame = self.analysis_frame
            head = self._tensors.get("head_region")
            self._tensors["rig_analysis_auto"] = analyze_rig(self.vertices, self.triangles, frame, head)
        return self._tensors["rig_analysis_auto"]

    def skin_triangles(self) -> np.ndarray:
        """(T'', 3) int64: :attr:`triangles_seen` without the triangles of pieces welded onto
        the skin (:mod:`model.parts` ``lashes``, ``brows``, ``hair``, ``other``: every input
        vertex of a corner is one of them): the surface the eye and mouth openings, the
        registration and the eyelid stages read.

        Why: ICT-FaceKit's lash strips share their root row with the lid margin (100 vertices
        at the same positions), so the weld makes them one surface with the skin; the lid
        geometry then took the strips' outline for the eye openings and their tips for the lid
        margins, and the geometric blink closed 23 % of the eyeball (its complete model, a
        held-out identity; 100 % without the lashes); on its face crop (lid margins open) the
        strips' roots joined the openings' loops, so the registration pinned ICT's lids to the
        lashes' tips. The lashes follow the skin afterwards (:mod:`model.rig_constraints`)."""
        from .parts import PART_INDEX

        labels = self.rig_analysis().parts.labels
        hit = self._tensors.get("skin_triangles")
        if hit is not None and hit[0] is labels:
            return hit[1]
        on_skin = np.isin(labels, [PART_INDEX[n] for n in ("lashes", "brows", "hair", "other")])
        if self.welding is not None:
            # a welded group sits on the skin when every input vertex of it does (a lash root
            # welded to a lid vertex is that lid vertex)
            rest = np.zeros(self.num_welded, dtype=bool)
            rest[self.welding.index[~on_skin]] = True
            on_skin = ~rest
        if self.subset is not None:
            on_skin = on_skin[self.subset]
        t = self.triangles_seen
        keep = ~on_skin[t].any(axis=1)
        out = t if keep.all() else t[keep]
        self._tensors["skin_triangles"] = (labels, out)
        return out

    def set_rig_analysis(self, analysis) -> None:
        """Use ``analysis`` (e.g. :func:`model.rig_constraints.analysis_from_groups`, from groups
        an artist corrected) instead of the automatic one; None goes back to automatic."""
        self._tensors.pop("rig_analysis", None)
        if analysis is not None:
            self._tensors["rig_analysis"] = analysis


def prepare_mesh(
    vertices: np.ndarray,
    triangles: np.ndarray,
    k: int,
    up: str = "Y",
    forward: str = "Z",
    cache: bool = True,
    isolate_head: bool = False,
    weld: bool = True,
    check_axes: bool = True,
    rotation: np.ndarray | None = None,
    place_face: bool = True,
    align_face: bool = False,
    on_canonical: Callable[[np.ndarray, np.ndarray, float], None] | None = None,
    cut_mouth: bool = False,
    cut_shells: bool = False,
    _shells_apart: np.ndarray | None = None,
) -> PreparedMesh:
    """Validate, weld, fit the canonical frame, isolate the head, place the face, compute ``k``
    eigenpairs + gradients.

    vertices (V, 3) float in any units/position; triangles (T, 3) int. ``up``/``forward``:
    axis names or ``"auto"`` (estimated from the geometry, :mod:`model.orientation`).
    ``weld``: merge vertices at the same position for the computation (seams, split normals).
    ``check_axes``: with given axes, also estimate the orientation so that
    :attr:`PreparedMesh.axes_warning` can flag axes that look wrong (0.1-0.3 s).
    ``rotation``: a (3, 3) proper rotation input -> model axes that replaces the axes (the frame
    counts as estimated, ``frame.auto``). With ``isolate_head``, a bust or a body
    (:func:`model.head_region.find_head_region`) is cut to its head for the network (the
    vertices with a head weight above 0). ``place_face``: move and scale the frame so the eyes lie
    where the network saw them in training (:mod:`model.face_placement`; a no-op for ICT-like
    heads). ``align_face``: first turn the frame's yaw and roll to the face's symmetry plane and
    its pitch past the free band from ICT's face (:mod:`model.face_alignment`; turns under half
    a degree are left alone), the head region then cut again in the turned frame. Raises the
    typed mesh errors of :mod:`model.errors`. ``on_canonical``: called with the network's
    canonical vertices (S, 3) float32, triangles (T', 3) int64 (the prepared mesh's
    ``canonical`` and ``triangles_seen``) and the face's pitch in radians
    (:attr:`PreparedMesh.face_pitch`) as soon as they are known, before the eigenbasis.
    ``cut_mouth`` (with ``isolate_head``): loose teeth, gums and tongue pieces
    (:func:`model.parts.loose_mouth_pieces`) are left out of what the network sees (``subset``),
    the frame fitted on the rest; they move afterwards with :mod:`model.rig_constraints`.
    ``cut_shells`` (with ``isolate_head``): the same for the shells over the eyeballs' fronts
    (corneas, tear lines, occlusion shells, corner strips: :attr:`model.parts.Parts.front_shells`)
    and the lashes, which turn with the eyeball or follow the lids afterwards.
    """
    from .geometry import compute_operators
    from .mesh_io import validate
    from .weld import weld as weld_mesh

    vertices = np.asarray(vertices, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    validate(vertices, triangles)
    welding = weld_mesh(vertices, triangles, apart=_shells_apart) if weld else None
    if welding is not None and welding.merged == 0:
        welding = None
    w_vertices = vertices if welding is None else welding.vertices
    w_triangles = triangles if welding is None else welding.triangles
    frame = _fit(w_vertices, w_triangles, up, forward, check_axes, rotation)
    subset, head, net_frame = None, None, frame
    net_vertices, net_triangles = w_vertices, w_triangles
    head_frame = frame  # the frame the head region is found in
    if isolate_head:
        from .head_region import find_head_region

        head = find_head_region(w_vertices, w_triangles, frame)
        subset, net_vertices, net_triangles = _head_subset(w_vertices, w_triangles, head)
        if subset is not None:
            net_frame = _head_frame(net_vertices, net_triangles, up, forward, rotation, frame)
    mouth, unseen = None, None
    if (cut_mouth or cut_shells) and head is not None:
        from .parts import loose_pieces

        mouth, shells = loose_pieces(w_vertices, w_triangles, frame, head)
        mouth = mouth if cut_mouth else None
        shells = shells if cut_shells else None
        if cut_shells and welding is not None:
            on_input = _input_shells(vertices, triangles, welding, frame, head)
            if on_input is not None and _shells_apart is None and _welds_across(welding, on_input):
                # welded, a tear line touching the lid margin (ICT-FaceKit's: 122 vertices at the
                # same positions) was one surface with the lids: the bake's mirror pass on the
                # welded surface then paired lid vertices with points on the other side's shell
                # (eyeLookDown_R's lid crumpled, rendered). Welded again with the shells apart.
                return prepare_mesh(
                    vertices, triangles, k, up=up, forward=forward, cache=cache,
                    isolate_head=isolate_head, weld=weld, check_axes=check_axes, rotation=rotation,
                    place_face=place_face, align_face=align_face, on_canonical=on_canonical,
                    cut_mouth=cut_mouth, cut_shells=cut_shells, _shells_apart=on_input,
                )  # fmt: skip
            shells = _welded(on_input, welding)
        # the eyes' front shells too: seen, ICT-FaceKit's tear line, occlusion shells and corner
        # strips took the face's relative error from 0.042 to 0.090 (benchmarks/ict_parts.py)
        parts = [m for m in (mouth, shells) if m is not None]
        unseen = np.logical_or.reduce(parts) if parts else None
    if unseen is not None:
        # classified in the input's frame (the parts need one), cut, the frame fitted again on
        # the rest: teeth and gums inside the head moved its centre and scale, and the network
        # read them as skin (ICT-FaceKit's complete model: jawOpen opened 2.3 cm, not 4.2)
        cut = cut_from_body(w_vertices, w_triangles, subset, unseen)
        if cut[0] is not None:
            subset, net_vertices, net_triangles = cut
            net_frame = _head_frame(net_vertices, net_triangles, up, forward, rotation, frame)
    alignment = None
    if align_face:
        from .face_alignment import align_face as align

        # the orientation the network was trained in (it reads positions: a few degrees of yaw
        # and roll cost a fifth of its held-out accuracy), before the placement (reads the eyes)
        net_frame, alignment = align(net_frame, net_vertices, net_triangles, pitch=True)
        if head is not None and head.has_body and alignment.applied:
            # the neck is cut again in the turned frame: cut in the input's, a tilted bust gave
            # the network another head (the Demosthenes bust rolled 10 degrees: its sealed eyes,
            # placed from the network's skin weights, came out 7 % closer together)
            from dataclasses import replace

            head_frame = replace(frame, rotation=alignment.rotation @ frame.rotation)
            turned = find_head_region(w_vertices, w_triangles, head_frame)
            cut = _head_subset(w_vertices, w_triangles, turned)
            if cut[0] is not None and unseen is not None:
                cut = cut_from_body(w_vertices, w_triangles, cut[0], unseen)
            if cut[0] is not None:
                head, (subset, net_vertices, net_triangles) = turned, cut
                net_frame = _head_frame(net_vertices, net_triangles, up, forward, rotation, frame)
                net_frame = replace(net_frame, rotation=alignment.rotation @ net_frame.rotation)
            else:
                head_frame = frame
    placement, skin = None, None
    pitch = 0.0 if alignment is None else alignment.face_pitch  # PreparedMesh.face_pitch
    if place_face:
        from .face_landmarks import largest_component_mask
        from .face_placement import place_face as place

        # the face where the network learned to find it (a crown or back hair moves the centroid);
        # the skin component depends on the triangles alone: the bake's face anchors reuse it
        skin = largest_component_mask(len(net_vertices), net_triangles)
        net_frame, placement = place(net_frame, net_vertices, net_triangles, skin, pitch)
        if head is not None and head.has_body and placement is not None and placement.mid_after is not None:
            # a chin hanging below the neck's narrowest section (a bust's bent head) keeps the
            # face's motion: the head weights reach as far along the surface as a face does,
            # and the network sees the vertices that gained weight (same frame)
            from .head_region import with_face_reach

            # in the frame the head region was found in (its narrowest section's height)
            mid = head_frame.to_canonical(net_frame.from_canonical(placement.mid_after[None]))[0]
            u = placement.eye_distance_after * net_frame.scale / head_frame.scale
            head = with_face_reach(head, head_frame.to_canonical(w_vertices), w_triangles, mid, u)
            keep = head.weights > 0
            if unseen is not None:
                keep &= ~unseen
            if subset is not None and keep.sum() > subset.size:
                subset = np.flatnonzero(keep)
                remap = np.full(w_vertices.shape[0], -1, dtype=np.int64)
                remap[subset] = np.arange(subset.size)
                sub_tris = w_triangles[keep[w_triangles].all(1)]
                net_vertices, net_triangles = w_vertices[subset], remap[sub_tris]
                skin = largest_component_mask(len(net_vertices), net_triangles)
    canonical = np.asarray(net_frame.to_canonical(net_vertices), dtype=np.float32)
    if on_canonical is not None:
        on_canonical(canonical, net_triangles, pitch)
    ops = compute_operators(canonical, net_triangles, k=k, cache=cache)
    prepared = PreparedMesh(vertices, triangles, net_frame, canonical, ops, subset=subset, welding=welding)
    prepared._tensors["input_frame"] = frame
    if alignment is not None and alignment.applied:
        from dataclasses import replace

        # the parts' classification and the eyeballs' gaze axes in the turned axes too: a head
        # rolled 10 degrees turned its eyes about the rolled axes (eyeLook L/R 35 % apart)
        prepared._tensors["analysis_frame"] = replace(frame, rotation=alignment.rotation @ frame.rotation)
    prepared._tensors["network_triangles"] = net_triangles
    prepared._tensors["loose_mouth"] = mouth
    prepared._tensors["unseen_pieces"] = unseen
    prepared._tensors["face_placement"] = placement
    prepared._tensors["face_alignment"] = alignment
    if skin is not None:
        prepared._tensors["skin_component"] = skin
    if head is not None:
        if welding is not None:  # the analysis works on the input vertices
            from dataclasses import replace

            head = replace(head, weights=welding.spread(head.weights))
        prepared._tensors["head_region"] = head
    return prepared


def _input_shells(vertices: np.ndarray, triangles: np.ndarray, welding, frame, head) -> np.ndarray | None:
    """(V,) bool per input vertex: the eyes' front shells (:func:`model.parts.loose_pieces`)
    found on the input mesh (``vertices`` (V, 3), ``triangles`` (T, 3)), None when there is none;
    ``head`` found on the welded mesh (``welding``).

    Why on the input: a tear line touches the lid margin at vertices (ICT-FaceKit's: 122 at the
    same positions); welded, it is one surface with the skin and is not told apart."""
    from dataclasses import replace

    from .parts import loose_pieces

    return loose_pieces(vertices, triangles, frame, replace(head, weights=welding.spread(head.weights)))[1]


def _welded_share(welding, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hit, total), (W,) each: per welded vertex, how many of its input vertices are in
    ``mask`` (V,) bool, and how many it has."""
    total = np.bincount(welding.index, minlength=welding.vertices.shape[0])
    hit = np.bincount(welding.index, weights=mask.astype(np.float64), minlength=welding.vertices.shape[0])
    return hit, total


def _welds_across(welding, mask: np.ndarray) -> bool:
    """Whether a welded vertex joins input vertices in ``mask`` (V,) bool with others."""
    hit, total = _welded_share(welding, mask)
    return bool(np.any((hit > 0) & (hit < total)))


def _welded(mask: np.ndarray | None, welding) -> np.ndarray | None:
    """(W,) bool per welded vertex: those all of whose input vertices are in ``mask`` (V,) bool;
    None for None or when there is none."""
    if mask is None:
        return None
    hit, total = _welded_share(welding, mask)
    out = (total > 0) & (hit == total)
    return out if out.any() else None


def _with_mouth_skin(prepared: PreparedMesh, seen: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """``skin`` (V, K) per input vertex with the loose pieces the network did not see
    (:func:`prepare_mesh` ``cut_mouth``, ``cut_shells``) given the weights of the nearest vertex
    it saw (``seen`` (S, K), the network's rows): teeth take the jaw's and lips' regions, a tear
    line its lids', not the neck the rest of an unseen body takes. The same array when nothing
    was cut."""
    mouth = prepared._tensors.get("unseen_pieces")
    if mouth is None or prepared.subset is None:
        return skin
    from scipy.spatial import cKDTree

    welded = prepared.vertices if prepared.welding is None else prepared.welding.vertices
    rows = np.flatnonzero(mouth if prepared.welding is None else mouth[prepared.welding.index])
    _, nearest = cKDTree(welded[prepared.subset]).query(prepared.vertices[rows])
    out = skin.copy()
    out[rows] = seen[nearest]
    return out


def cut_from_body(vertices: np.ndarray, triangles: np.ndarray, subset: np.ndarray | None, drop: np.ndarray):
    """(subset (S,) int64, vertices (S, 3), triangles re-indexed) of the vertices in ``subset``
    ((S0,) int64 indices into ``vertices`` (V, 3); None: all) that are not in ``drop`` (V,) bool,
    the triangles (T, 3) whose corners all stay; (None, vertices, triangles) when no triangle
    would stay."""
    keep = np.zeros(vertices.shape[0], dtype=bool)
    keep[slice(None) if subset is None else subset] = True
    keep &= ~np.asarray(drop, dtype=bool)
    sub_tris = triangles[keep[triangles].all(1)]
    if sub_tris.shape[0] == 0:
        return None, vertices, triangles
    subset = np.flatnonzero(keep)
    remap = np.full(vertices.shape[0], -1, dtype=np.int64)
    remap[subset] = np.arange(subset.size)
    return subset, vertices[subset], remap[sub_tris]


def _head_subset(vertices: np.ndarray, triangles: np.ndarray, head):
    """(subset (S,) int64 or None, vertices (S, 3), triangles re-indexed) of the vertices with a
    head weight above 0; None and the mesh as it is for a head without a body (or no triangle
    left)."""
    keep = head.weights > 0
    sub_tris = triangles[keep[triangles].all(1)]
    if not head.has_body or sub_tris.shape[0] == 0:
        return None, vertices, triangles
    subset = np.flatnonzero(keep)
    remap = np.full(vertices.shape[0], -1, dtype=np.int64)
    remap[subset] = np.arange(subset.size)
    return subset, vertices[subset], remap[sub_tris]


def _head_frame(vertices, triangles, up, forward, rotation, frame):
    """The canonical frame of the head cut from a body (:func:`_head_subset`): the centre and
    scale of the head alone, the same axes (estimated ones: on the head), the whole mesh's
    ``frame``'s orientation estimate when the head gives none."""
    head_frame = _fit(vertices, triangles, up, forward, False, rotation)
    if frame.orientation is not None and head_frame.orientation is None:
        head_frame.orientation = frame.orientation
    est = head_frame.orientation
    if rotation is None and frame.auto and head_frame.auto and est is not None and est.face != "eyes":
        from dataclasses import replace

        from .orientation import nearest_reading

        whole = frame.orientation
        if est.face is None and whole is not None and whole.face is not None:
            # no face in any reading of the head alone, one in the whole mesh's: the whole
            # mesh's axes (the Nefertiti bust: its head's tall crown tilts the head's axes 22
            # degrees, the bust's are 7 off)
            head_frame = replace(head_frame, rotation=frame.rotation.copy(), orientation=whole)
        else:
            # no upright eyes on the head alone: its reading nearest the whole mesh's (a bust's
            # shoulders tell up from down; the head's own plane and pitch are kept)
            est = nearest_reading(est, frame.rotation)
            head_frame = replace(head_frame, rotation=est.rotation.copy(), orientation=est)
    return head_frame


def _fit(vertices, triangles, up, forward, check_axes, rotation):
    """The canonical frame from axis names / ``"auto"``, or from a given rotation."""
    from .frame import CanonicalFrame, fit_frame, surface_moments

    if rotation is None:
        return fit_frame(vertices, triangles, up=up, forward=forward, estimate=check_axes)
    center, rms = surface_moments(vertices, triangles)
    return CanonicalFrame(np.asarray(rotation, np.float64), center, rms, auto=True)


class FaceModel:
    """The trained network behind a numpy API. Create with :meth:`load`."""

    # bake-time constraints of :mod:`model.shape_locality` (bake, decode, retarget alike)
    shape_locality: bool = True
    shape_symmetry: bool = True
    # opt-in: drop each shape's low tail, the bake's last stage, every method
    # (model.shape_focus); off by default: ICT's own shapes have that tail, and removing it
    # costs held-out accuracy (hard unseen hybrid 0.061 -> 0.102 at 2-10 % of the peak)
    shape_focus: bool = False
    # :mod:`model.short_edges`: vertices joined by a sub-millimetre edge move together (every
    # method, before the locality constraints)
    short_edges: bool = True
    # :mod:`model.shape_smoothing`: one heat step of fixed physical time on the shapes (every
    # method, after the static area, before the rigid parts): no per-vertex noise, which a dense
    # mesh shows as ripple
    shape_smoothing: bool = True

    # :mod:`model.static_area`: static skin (scalp, back of head, ears, neck base) held still
    static_area: bool = True
    # :mod:`model.clothing`: clothing welded into the skin (told apart by material) held still
    clothing_hold: bool = True
    # :mod:`model.flip_repair`: open the triangles that flip at weight 1.0 with the least change
    flip_repair: bool = True
    # :mod:`model.welded_tongue`: a tongue welded into the mouth bag moves with the jaw
    welded_tongue: bool = True
    # loose teeth, gums and tongue (model.parts) are left out of what the network sees
    # (model.parts.loose_mouth_pieces); they move rigidly afterwards (model.rig_constraints)
    mouth_cut: bool = True
    # ... and so are the shells over the eyeballs' fronts (model.parts.is_front_shell: corneas,
    # tear lines, occlusion shells), which turn with the eyeball or follow the lids afterwards
    shell_cut: bool = True
    # :mod:`model.face_placement`: a face outside the training placement (a crown, back hair, a
    # bust's collar moving the centroid) is moved and scaled into it before the network sees it
    face_placement: bool = True
    # :mod:`model.face_alignment`: a face turned or rolled a few degrees from ICT's orientation
    # (a scan, an avatar exported off-axis, the hard held-out cases) is turned back first
    face_alignment: bool = True

    def __init__(self, net, config: dict, device: str = "cpu"):
        self.net = net
        self.config = config
        self.device = device
        # which implementation ``net`` is: "numpy" (model.runtime.network.NumpyFaceNet) or "torch"
        self.runtime: str = net.runtime
        meta = config.get("metadata", {})
        self.name: str = str(meta.get("name", "neural-face-skinning"))
        self.version: str = str(meta.get("version", "0"))
        self.region_names: tuple[str, ...] = tuple(net.config.region_names)
        self.expression_names: tuple[str, ...] = ICT_NAMES
        self.k_eig: int = int(net.config.k_eig)
        # the parts / head post-process of bake and decode (model.rig_constraints); False gives
        # the network's raw displacement on every vertex
        self.rig_constraints: bool = True
        # replace the network's blinks by the geometric eyelid solver (model.eyelids)
        self.eyelids: bool = bool(config.get("eyelids", True))

    @classmethod
    def load(
        cls, path: str | os.PathLike | None = None, device: str = "cpu", runtime: str = "numpy"
    ) -> FaceModel:
        """Load a weights folder (None: the shipped ``weights/``) for the numpy runtime; verifies
        the sha256 of ``model.npz``.

        The numpy runtime computes on the CPU (``device`` other than ``"cpu"`` is a DeviceError).
        ``runtime="torch"`` is refused with the fix: the torch network is part of training
        (:func:`training.torch_weights.load_face_model`), which this package never imports.
        Raises :class:`model.errors.WeightsError` for a missing, corrupt or mismatched folder.
        """
        from .errors import DeviceError

        if runtime == "torch":
            raise ValueError(
                "the torch network is part of training: use training.torch_weights.load_face_model"
            )
        if runtime != "numpy":
            raise ValueError(f"unknown runtime {runtime!r}; use one of {RUNTIMES}")
        if device != "cpu":
            raise DeviceError(
                f"device {device!r}: the runtime computes on the CPU in numpy; use --device cpu "
                "(GPU inference and training: python -m training ... --device cuda)"
            )
        from .runtime.weights import load_numpy_model

        net, config = load_numpy_model(path)
        _import_runtime()
        return cls(net, config, device)

    # ---- the runtime boundary: numpy in and out, whichever implementation runs ---------------
    def _mesh(self, prepared: PreparedMesh):
        """The prepared mesh's operators in the net's form (built once per mesh and device)."""
        return self.net.mesh_input(prepared, self.device)

    def _to_net(self, array: np.ndarray):
        """A float32 numpy array as the net's array type (e.g. a torch tensor on the device)."""
        return self.net.as_input(np.ascontiguousarray(array, dtype=np.float32), self.device)

    @staticmethod
    def _to_numpy(value) -> np.ndarray:
        """A net's array (numpy, or a torch tensor on any device) as numpy."""
        return value if isinstance(value, np.ndarray) else value.detach().cpu().numpy()

    def _no_grad(self):
        return self.net.inference_context()

    # ------------------------------------------------------------------------------------------
    def prepare(
        self,
        vertices: np.ndarray,
        triangles: np.ndarray,
        up: str = "Y",
        forward: str = "Z",
        materials: np.ndarray | None = None,
        registration: bool | str = False,
    ) -> PreparedMesh:
        """Prepare a mesh: (V, 3) vertices in any units/position, (T, 3) triangles; ``up`` and
        ``forward`` name the input's axes ("X", "-Y", ...) or are ``"auto"`` (estimated from
        the geometry; the estimate is ``prepared.orientation``). Vertices at the same position
        are welded for the computation. Cached on disk by content. A bust or a body is cut to
        its head for the network (:mod:`model.head_region`); every output still has one row per
        input vertex, and the rest of the body stays still.

        With both axes ``"auto"`` the geometric estimate's pitch (the one angle the symmetry
        plane leaves free) is refined by the network: the predicted face regions are fitted to
        the reference face and the mesh is prepared again in the corrected frame
        (:func:`model.orientation.fit_regions`; one more trunk pass and operator solve).

        ``materials``: optional (T,) int per-triangle material indices (any numbering, e.g.
        Blender's ``material_index`` triangulated with the faces); clothing welded into the skin
        with its own material is then held still by :meth:`bake` (:mod:`model.clothing`).

        ``registration``: the bake method about to run (True: one that registers). When it
        needs the classical registration with the shipped template (:meth:`needs_registration`:
        ``registration`` and ``hybrid``, ``mixed`` where both eye openings are found), start it
        on the background thread (:meth:`start_registration`) as soon as the canonical frame is
        known, so it runs while the eigenbasis is solved (one core: ARPACK's shift-invert
        solves) and the network predicts. Not before the frame is final with both axes
        ``"auto"``: the network's pitch refinement may move it. Any bake method (``"network"``
        too) also lines up the bake's geometry-only work (:meth:`defer_geometry`), which
        :meth:`finish_registration` does while it waits for the registration.
        """
        from .clothing import check_materials

        materials = check_materials(materials, int(np.shape(triangles)[0]))
        started = []
        wants = registration if isinstance(registration, str) else ("hybrid" if registration else "network")

        openings = []

        def register(canonical: np.ndarray, triangles_seen: np.ndarray, pitch: float) -> None:
            if wants == "mixed":  # as needs_registration: nothing to pin without eye openings
                from .method_blend import eyes_pinnable
                from .openings import find_openings

                openings.append(find_openings(canonical, triangles_seen))
                if not eyes_pinnable(openings[0]):
                    return
            started.append(_background().submit(self._register, canonical, triangles_seen, None, pitch))

        early = wants != "network" and not (is_auto(up) and is_auto(forward))
        prepared = prepare_mesh(
            vertices, triangles, self.k_eig, up=up, forward=forward, isolate_head=True,
            place_face=self.face_placement, align_face=self.face_alignment,
            on_canonical=register if early else None, cut_mouth=self.mouth_cut, cut_shells=self.shell_cut,
        )  # fmt: skip
        if openings:  # of the canonical mesh the prepared one carries (the frame is final here)
            prepared._tensors["openings"] = openings[0]
        if started:
            prepared._tensors[("pending", self._registration_key(None))] = started[0]
        if prepared.frame.auto and is_auto(up) and is_auto(forward):
            prepared = self._refine_pitch(prepared)
        prepared.materials = materials
        if wants != "network" and self.needs_registration(prepared, wants):
            self.start_registration(prepared)  # does nothing when started above
        if registration and self.shape_symmetry:
            self.defer_geometry(prepared)
        return prepared

    def _region_fit(self, prepared: PreparedMesh):
        from .orientation import fit_regions

        skin = self._to_numpy(self._rig(prepared, None, skin_only=True)["skin"])
        return fit_regions(prepared.canonical, prepared.operators.mass, skin, self.region_names)

    def _refine_pitch(self, prepared: PreparedMesh) -> PreparedMesh:
        """Check the geometric estimate with the network's face regions and refine its pitch.

        When the regions fit the reference face poorly in the estimated frame of a head, the frames
        with up or forward flipped are tried (the sign cues are the fragile part) and one where
        the network clearly finds a face replaces it. Then the pitch is corrected and the mesh
        prepared again in that frame.
        """
        from dataclasses import replace

        from .orientation import rotation_about_x

        est = prepared.frame.orientation
        fit = self._region_fit(prepared)
        notes = []
        if (fit is None or fit.residual > _REGION_FIT_MAX_RESIDUAL) and est.shape == "head":
            best = None
            for flip, label in ((_FLIP_UP, "up"), (_FLIP_FORWARD, "forward")):
                alt = prepare_mesh(
                    prepared.vertices,
                    prepared.triangles,
                    self.k_eig,
                    rotation=flip @ prepared.frame.rotation,
                    check_axes=False,
                    isolate_head=True,
                    place_face=self.face_placement,
                    align_face=self.face_alignment,
                    cut_mouth=self.mouth_cut,
                    cut_shells=self.shell_cut,
                )
                alt_fit = self._region_fit(alt)
                if alt_fit is not None and alt_fit.residual < _REGION_FIT_FLIP_RESIDUAL:
                    if best is None or alt_fit.residual < best[1].residual:
                        best = (alt, alt_fit, label)
            if best is not None:
                prepared, fit, label = best
                notes.append(f"{label} flipped by the face regions")
                # the network decided the sign: its fit says how sure that is
                est = replace(est, confidence=float(np.clip(1.0 - 2.0 * fit.residual, 0.0, 1.0)))
        alignment = prepared._tensors.get("face_alignment")
        if fit is None or fit.residual > _REGION_FIT_MAX_RESIDUAL:
            # the network finds no face in this frame: the geometric cues may be wrong
            notes.append(
                "no face regions found" if fit is None else f"face regions fit poorly ({fit.residual:.2f})"
            )
            if est.face == "eyes" and alignment is not None and abs(np.degrees(alignment.face_pitch)) >= 1.0:
                # upright eyes chose the axes, and the network's regions fit no face on game heads
                # (Rocketbox: 0.31-0.35 with their own axes too): the face's pitch fitted to ICT's
                # face (model.face_pitch) stands it up instead of the principal axes' tilt
                pitch = alignment.face_pitch
                prepared = prepare_mesh(
                    prepared.vertices,
                    prepared.triangles,
                    self.k_eig,
                    rotation=rotation_about_x(pitch) @ prepared.frame.rotation,
                    check_axes=False,
                    isolate_head=True,
                    place_face=self.face_placement,
                    align_face=self.face_alignment,
                    cut_mouth=self.mouth_cut,
                    cut_shells=self.shell_cut,
                )
                notes.append(f"pitch {np.degrees(pitch):+.1f} deg from the face's fit to ICT's")
            else:
                est = replace(est, confidence=est.confidence * 0.5)
        elif abs(np.degrees(fit.pitch)) < _PITCH_MIN_DEGREES:
            notes.append(f"face regions agree (fit {fit.residual:.2f})")
        else:
            rotation = rotation_about_x(fit.pitch) @ prepared.frame.rotation
            prepared = prepare_mesh(
                prepared.vertices,
                prepared.triangles,
                self.k_eig,
                rotation=rotation,
                check_axes=False,
                isolate_head=True,
                place_face=self.face_placement,
                align_face=self.face_alignment,
                cut_mouth=self.mouth_cut,
                cut_shells=self.shell_cut,
            )
            notes.append(
                f"pitch {np.degrees(fit.pitch):+.1f} deg from the face regions (fit {fit.residual:.2f})"
            )
        rotation = prepared.frame.rotation
        prepared.frame.orientation = replace(
            est,
            rotation=rotation.copy(),
            up=rotation[1].copy(),
            forward=rotation[2].copy(),
            reason="; ".join([est.reason, *notes]),
        )
        return prepared

    def _rig(self, prepared: PreparedMesh, skin_weights: np.ndarray | None, skin_only: bool = False):
        """The network's rig on ``prepared`` (the trunk once per mesh and model); ``skin_only``:
        only ``"skin"`` is needed (the numpy runtime then skips the decoder pass)."""
        mesh = self._mesh(prepared)
        skin = None
        if skin_weights is not None:
            skin_np = np.asarray(skin_weights, dtype=np.float32)
            if skin_np.shape != (prepared.num_vertices, len(self.region_names)):
                raise MeshError(
                    f"skin_weights has shape {skin_np.shape}, expected ({prepared.num_vertices}, "
                    f"{len(self.region_names)}): one row per vertex, one column per region"
                )
            if not np.all(np.isfinite(skin_np)):
                raise MeshError("skin_weights contain NaN/inf; repaint or reset them to the predicted ones")
            skin = self._to_net(prepared.network_rows(skin_np))
        with self._no_grad():
            # the trunk is the expensive part: run it once per mesh and model, so predicting
            # the skin and baking (with predicted or repainted skin) share it
            key = ("features", id(self.net), self.device)
            if key not in prepared._tensors:
                prepared._tensors[key] = self.net.target_features(mesh)
            if skin_only and skin is None and self.runtime == "numpy":
                return {"skin": self.net.skin_weights(prepared._tensors[key])}
            return self.net.rig(mesh, skin=skin, features=prepared._tensors[key])

    def predict_skin_weights(self, prepared: PreparedMesh) -> np.ndarray:
        """(V, K) float32 softmax weights over :attr:`region_names`; rows sum to 1."""
        rig = self._rig(prepared, None, skin_only=True)
        return self._input_skin(prepared, self._to_numpy(rig["skin"]))

    def _input_skin(self, prepared: PreparedMesh, skin: np.ndarray) -> np.ndarray:
        """(V, K) float32 per input vertex from the network's (S, K) skin weights."""
        skin = np.asarray(skin, dtype=np.float32)
        # below the head nothing moves: those vertices go to the neck region (rows sum to 1)
        rest = np.full(skin.shape[1], 1.0 / skin.shape[1], dtype=np.float32)
        if "neck" in self.region_names:
            rest[:] = 0.0
            rest[self.region_names.index("neck")] = 1.0
        return _with_mouth_skin(prepared, skin, prepared.scatter(skin, fill=rest))

    def bake(
        self,
        prepared: PreparedMesh,
        skin_weights: np.ndarray | None = None,
        constraints: bool | None = None,
        method: str = DEFAULT_BAKE_METHOD,
        ict=None,
    ) -> np.ndarray:
        """The 53 ICT expression shapes as additive deltas (53, V, 3) float32, in the input's
        units and axes, index-aligned with the input vertices.

        ``skin_weights`` (V, K), e.g. repainted by a user, replace the predicted ones (all
        methods but registration). ``method`` (:data:`BAKE_METHODS`, default
        :data:`DEFAULT_BAKE_METHOD`): ``"network"`` the network's decoder;
        ``"registration"`` the ICT template registered onto the mesh (similarity + non-rigid
        ICP with eye/mouth landmarks) and its shapes carried over by closest point
        (:mod:`model.classical_rig`); ``"hybrid"`` the registration's shapes where the template
        fits the mesh closely (within about :data:`model.method_blend.HYBRID_DISTANCE`
        canonical units), the network's elsewhere; ``"mixed"`` the hybrid's blend on the shapes
        the registration's landmarks pinned (the upper face with both eye openings, jaw and
        mouth with the mouth opening too, and on lips that touch the mouth shapes that move
        both lips together: :func:`model.method_blend.trusted_shapes`), the
        network's (its reach mask applied) elsewhere. The methods but the
        network use ICT-FaceKit's template: ``ict`` None
        (default) for the one shipped in ``model/data/ict_template.npz``
        (:mod:`model.ict_template`), or an :class:`model.ict.ICTModel` / ICT-FaceKit folder to use
        the original data (development, evaluation; results differ by < 1e-3 relative).
        ``constraints`` (None: :attr:`rig_constraints`): post-process the shapes with
        :mod:`model.rig_constraints` (only the head moves, rigid eyeballs rotating for eyeLook,
        lower teeth and tongue rigid with the jaw, upper teeth / hair / other pieces still), the
        static skin (scalp, back of head, ears, neck base) held still before them
        (:mod:`model.static_area`, when :attr:`static_area`), clothing welded into the skin held
        still by its material (:mod:`model.clothing`, when :attr:`clothing_hold` and the mesh was
        prepared with ``materials``) and triangles that flip repaired
        after them (:mod:`model.flip_repair`, when :attr:`flip_repair`). Every method's shapes
        take one heat step of fixed physical time before the rigid parts
        (:mod:`model.shape_smoothing`, when :attr:`shape_smoothing`): no per-vertex noise, which
        a dense mesh shows as ripple.
        """
        # what defer_geometry lined up and no wait for the registration did: found here only as
        # far as this bake needs it (the prime's closest points of a mesh the bake finds
        # asymmetric: not at all); the lids on the helper thread (_start_geometry)
        lined_up = prepared._tensors.pop("geometry_jobs", None) or {}
        rig = self._rig(prepared, skin_weights)  # one skin + decoder pass for the whole bake
        skin = self._to_numpy(rig["skin"])
        try:
            lids = lined_up.get("lids")
            return self._bake(prepared, skin_weights, constraints, method, ict, rig, skin, lids)
        finally:
            # none of _start_geometry's jobs outlives the bake (nor runs when control goes back
            # to Blender)
            for name in ("mirror_job", "lids_job", "static_job", "check_job"):
                job = prepared._tensors.pop(name, None)
                if job is not None:
                    job.cancel()  # not needed after all (not started yet: nothing to wait for)
                _wait(job)

    def _bake(self, prepared, skin_weights, constraints, method, ict, rig, skin, lids=None) -> np.ndarray:
        """:meth:`bake` after the network's rig pass (``rig``, its ``skin`` as numpy); ``lids``:
        :meth:`defer_geometry`'s lid job when Predict Weights left it undone."""

        @functools.cache
        def anchors():
            # eyes and scale for the reach mask, the static area and the clothing hold (found
            # once per mesh and skin weights)
            return prepared.skin_anchors(skin)

        constrain = self.rig_constraints if constraints is None else constraints
        # the mirror map, the static limits and the rig check's partners are found on the
        # second core while the stages before them run
        static = anchors if constrain and self.static_area else None
        self._start_geometry(prepared, skin, skin_weights, static, lids)
        canonical = self._bake_network(prepared, skin_weights, method, ict, anchors, rig)
        if constrain and self.static_area:
            # every method: the scalp, back of the head, ears and neck base never move
            from .static_area import apply_static

            _wait(prepared._tensors.pop("static_job", None))  # its limits are this one's
            canonical = apply_static(canonical, prepared.canonical, prepared.triangles_seen, skin, anchors())
        if self.shape_smoothing:
            # every method: the shapes as the canonical stages left them, after one heat step of
            # fixed physical time (model.shape_smoothing: the per-vertex noise of the network,
            # of the mirror images the symmetrize reads and of the static cap, which a dense mesh
            # shows as ripple); before the rigid parts take their own motion
            from .eyelids import solved_blink_rows
            from .shape_smoothing import smooth_shapes

            cache = prepared._tensors.setdefault("shape_smoothing", {})
            # the geometric blinks are smooth by construction (the lids turn about the eyeball by
            # an angle smooth across the eye) and the closed lid line is fitted on them at the
            # end: smoothed, the noisy demo head's right lids met along a 2.0 % zig-zag, not 0.2
            solved = solved_blink_rows(prepared) if self.eyelids else []
            canonical = smooth_shapes(
                canonical, prepared.canonical, prepared.triangles_seen, cache=cache, keep=solved
            )
        deltas = prepared.scatter(self._from_canonical(prepared, canonical), axis=1)
        # the shapes as the symmetrize, the lids' re-symmetrization and the static cap left them:
        # the last symmetrization (model.mirror_pass) evens out what the rigid constraints change
        base = deltas
        if constrain:
            from .rig_constraints import apply_rig_constraints

            analysis = prepared.rig_analysis()
            if self.welded_tongue:
                analysis = self._with_welded_tongue(prepared, analysis, deltas, anchors)
            deltas = apply_rig_constraints(deltas, prepared.vertices, analysis, ICT_NAMES)
        # the stages after the network's act on each side's own geometry (the welded tongue's
        # cut, the rigid parts, the static hold): where the symmetrize found the mesh
        # mirror-symmetric, the bake ends symmetrizing on the rig check's mirror partners
        from .mirror_pass import wants_whole, whole_keep_sided
        from .parts import PART_INDEX

        labels = (analysis if constrain else prepared.rig_analysis()).parts.labels
        # the skin (the welded tongue too: its rim reads the mouth bag's motion); what follows
        # it (lashes, brows: the constraints replaced their motion by the skin's) wholly; the
        # rigid pieces keep their motion
        soft = np.isin(labels, [PART_INDEX[n] for n in ("skin", "tongue")])
        skin_part = labels == PART_INDEX["skin"]
        follow = np.isin(labels, [PART_INDEX[n] for n in ("lashes", "brows")])
        head = (analysis if constrain else prepared.rig_analysis()).head
        if head is not None and head.has_body:
            # below the neck nothing moves, exactly (model.head_region)
            soft &= head.weights > 0
            follow &= head.weights > 0
        changed = soft & np.any(deltas != base, axis=(0, 2))
        # a mirror-built mesh, or one whose mirror partners lie a few mm apart over much of its
        # motion (a scan, a remeshed or noisy head: the early symmetrize fades out there), gets
        # whole shapes symmetrized (model.mirror_pass.wants_whole); elsewhere the rig check's
        # partners (~0.9 s on a 20k head) are found only when a later stage changed the skin or
        # there are pieces that follow it
        whole = wants_whole(prepared._tensors.get("mirror_map", {}))
        partners = None
        # on the welded surface (a seam's duplicates move together, and a mesh split at its
        # midline seam gets the welded mesh's partners); each duplicate takes its group's change
        welding = prepared.welding

        def work(x: np.ndarray) -> np.ndarray:  # per input vertex -> per welded vertex (axis -2 or 0)
            return x if welding is None else welding.gather(x, axis=1 if x.ndim == 3 else 0)

        if whole or changed.any() or follow.any():
            partners = self._check_partners(prepared, work(deltas), skin, skin_weights)
        if partners is not None:
            from .mirror_pass import symmetrize_pairs

            before, base, soft, follow = deltas, work(base), work(soft), work(follow)
            deltas = work(deltas)
            if whole:
                # mirror images, whole shapes (the blink too but where only the lip-slit gate
                # asked for the whole pass), skin and what follows it alike
                sided = whole_keep_sided(prepared._tensors.get("mirror_map", {}))
                deltas = symmetrize_pairs(deltas, partners, soft | follow, keep_sided=sided)
            else:
                # only what the stages after the network's changed (the early symmetrize
                # evened out the rest where the mirror points lie within ~2 mm)
                evened = base + symmetrize_pairs(deltas - base, partners, soft)
                # what follows the skin (lashes, tear lines, occlusion shells) in the blinks too:
                # the lids stay each eye's own solution (they cover their own eyeball), and their
                # followers read the lid rims, where a held-out ICT identity's lids differ by up to
                # a quarter of their motion: its tear lines closed 6-7 % apart from mirror images
                # (the rig check's blink pair; ICT's own lacrimal error 0.234 -> 0.100)
                deltas = symmetrize_pairs(evened, partners, follow, keep_sided=())
            if welding is not None:
                deltas = before + welding.spread(deltas - work(before), axis=1)
            if constrain and self.static_area:
                # a vertex reads its mirror partner's motion, and where the two ears differ (a
                # decimated game head) the partner of a held ear vertex lies across the static
                # fade: the pass brought Rocketbox Adult_02's decimated right ear back to 1.4 %
                # of jawOpen in mouthSmile_R (the check holds it to 1 %); the static hold has
                # the last word on the skin
                deltas = self._hold_static(prepared, deltas, skin, anchors(), skin_part)
        if constrain and self.clothing_hold and prepared.materials is not None:
            # a collar welded into the neck skin: still, told apart by its material (after the
            # symmetrization: it pairs the collar's edge with the skin across the plane)
            from .clothing import apply_clothing

            deltas = apply_clothing(deltas, self.clothing(prepared, anchors()))
        if self.eyelids:
            # the closed lids meet along a smooth line: after every stage that moves the lids'
            # margins on their own geometry or their mirror partners' (model.lid_line)
            deltas = self._smooth_lid_lines(prepared, deltas, partners)
        if constrain and self.flip_repair:  # part of the constraints: after them, on the final shapes
            # (after the symmetrization: the repair has the last word, nothing flips; measured,
            # symmetrizing its changes and repairing again, twice, moved no pair over 0.5 % on
            # the Rocketbox heads)
            deltas = self._repair_flips(prepared, deltas)
        if self.shape_focus:
            # last: focus may only take motion away, and the stages after the network's spread
            # it between vertices (the lids' re-symmetrization and the mirror pass give a vertex
            # its mirror partner's motion, the smoothing its neighbours'): focused before them, a
            # grid face gained up to 0.65 % of a shape's peak on 14 vertices where the two sides'
            # tails were cut apart (tests/model/test_shape_focus.py::test_cli_bake_focus_flag)
            deltas = self._focus(prepared, deltas, labels)
        return deltas

    @staticmethod
    def _focus(prepared: PreparedMesh, deltas: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """(53, V, 3) ``deltas`` input axes with each shape's low tail dropped
        (:func:`model.shape_focus.focus_masks`, found on the surface the network sees and spread
        to every welded duplicate alike) on the skin and what follows it (``labels`` (V,) the
        parts, :data:`model.parts.PART_INDEX`): the rigid pieces (eyeballs, teeth, tongue) keep
        their rigid motion. Each delta is scaled by a factor in [0, 1]: nothing grows."""
        from .parts import PART_INDEX
        from .shape_focus import focus_masks

        seen = prepared.network_rows(np.asarray(deltas, np.float64), axis=1)
        masks = prepared.scatter(focus_masks(seen, prepared.triangles_seen), axis=1, fill=np.float64(1.0))
        soft = np.isin(labels, [PART_INDEX[n] for n in ("skin", "lashes", "brows")])
        masks = np.where(soft[None], masks, 1.0)
        return (deltas * masks[..., None]).astype(deltas.dtype)

    def _hold_static(
        self, prepared: PreparedMesh, deltas: np.ndarray, skin: np.ndarray, anchors, editable: np.ndarray
    ) -> np.ndarray:
        """``deltas`` (53, V, 3) input axes with the static cap of :func:`model.static_area.apply_static`
        applied again (it only shortens) on the ``editable`` (V,) bool vertices in the parts the
        rig check holds still (:func:`model.static_area.strict_zone`: ears, back of the head,
        scalp top, neck base, where the cap is a few per mille of jawOpen), placed by the bake's
        ``anchors`` (:meth:`PreparedMesh.skin_anchors` of ``skin`` (S, K)); the same array when
        nothing changes. Only there: on the face's side of the fade the cap of one side is not
        its mirror partner's on a mesh whose halves differ, and holding it again after the
        mirror pass made Demosthenes' browDown 5.5 % asymmetric."""
        from .rig_check import face_units
        from .static_area import apply_static, strict_zone

        if anchors.mid is None or not anchors.eye_distance:
            return deltas
        local = face_units(anchors.canonical, anchors.mid, anchors.eye_distance, anchors.pitch,
                           getattr(anchors, "turn", None))  # fmt: skip
        held_here = prepared.network_rows(editable) & (strict_zone(local) > 0.0)
        if not held_here.any():
            return deltas
        seen = prepared.frame.vectors_to_canonical(prepared.network_rows(deltas, axis=1))
        held = apply_static(seen, prepared.canonical, prepared.triangles_seen, skin, anchors)
        change = np.where(held_here[None, :, None], held - seen, 0.0)
        if not change.any():
            return deltas
        return deltas + prepared.scatter(self._from_canonical(prepared, change.astype(np.float32)), axis=1)

    def _smooth_lid_lines(self, prepared: PreparedMesh, deltas: np.ndarray, partners=None) -> np.ndarray:
        """``deltas`` (53, V, 3) input axes with each geometric blink's closed lid margins on a
        smooth curve (:func:`model.lid_line.smooth_margins`: a closed socket's, an eye opening's
        kept closed) and its triangles off the eyeball (:func:`model.lid_clearance.clear_eyeball`),
        per the lid frames and blinks :func:`model.eyelids.with_eyelids` kept on the prepared mesh; the
        other shapes and vertices unchanged (a copy when anything moved). ``partners``: the
        bake's :class:`model.mirror_pass.MirrorPartners` (on the welded surface), when it
        symmetrized: each blink's lifts off the eyeball then take at least its mirror twin's."""
        from .eyelids import BLINK_SIDES, LidFrame, eye_points, eye_turn, solved_blink_rows
        from .lid_clearance import clear_eyeball
        from .lid_line import smooth_margins

        # the lid frames are upright with the face (model.eyelids.eye_turn): the margins are
        # smoothed and cleared off the eyeball as seen from the face's front, there
        frames = prepared._tensors.get("eyelid_frames", {})
        turn = eye_turn(prepared)
        eye = eye_points(prepared, turn)
        solved = solved_blink_rows(prepared)
        out = deltas
        lifts = {}
        skin = None
        for name, side in BLINK_SIDES.items():
            row, frame = ICT_NAMES.index(name), frames.get(side)
            if row not in solved or not isinstance(frame, LidFrame):
                continue
            seen = prepared.frame.vectors_to_canonical(prepared.network_rows(deltas[row]))
            if turn is not None:
                seen = seen @ turn.T
            if frame.socket and skin is None:
                # a closed socket's margins on the skin itself, lash strips welded to it left out
                # (model.lid_line.skin_margins)
                skin = self._skin_rows(prepared)
            smooth = smooth_margins(eye, seen, frame, prepared.skin_triangles(), skin)
            # then the lid's triangles off the eyeball (a coarse lid's chords cut into it; only
            # forward, so the line just smoothed stays as it is seen from the front)
            closed = clear_eyeball(eye, smooth, frame, prepared.skin_triangles())
            if closed is not smooth:
                lift = closed - smooth if turn is None else (closed - smooth) @ turn
                lifts[row] = prepared.scatter(self._from_canonical(prepared, lift.astype(np.float32)))
            change = closed - seen
            if turn is not None:
                change = change @ turn
            if not change.any():
                continue
            if out is deltas:
                out = np.array(deltas, copy=True)
            out[row] += prepared.scatter(self._from_canonical(prepared, change.astype(np.float32)))
        if lifts and partners is not None:
            out = self._mirror_lifts(prepared, out, lifts, partners)
        return out

    @staticmethod
    def _skin_rows(prepared: PreparedMesh) -> np.ndarray:
        """(S,) bool: the network's vertices that are skin (:mod:`model.parts`; a welded group
        is skin when any of its input vertices is), lashes, brows and other pieces welded to it
        not."""
        from .parts import PART_INDEX

        skin = prepared.rig_analysis().parts.labels == PART_INDEX["skin"]
        if prepared.welding is not None:
            grouped = np.zeros(prepared.num_welded, dtype=bool)
            grouped[prepared.welding.index[skin]] = True
            skin = grouped
        return skin if prepared.subset is None else skin[prepared.subset]

    @staticmethod
    def _mirror_lifts(prepared: PreparedMesh, deltas: np.ndarray, lifts: dict, partners) -> np.ndarray:
        """``deltas`` (53, V, 3) input axes with each blink's lifts off the eyeball (``lifts``:
        ``{row: (V, 3)}`` input axes, :meth:`_smooth_lid_lines`) raised to its mirror twin's where
        the twin's is larger, on ``partners`` (:class:`model.mirror_pass.MirrorPartners`, on the
        welded surface). A lid's triangles cut in where its vertices happen to lie (a decimated
        head's two lids differ), so one eye's lid came forward and its twin's did not: Rocketbox
        Adult_02 reduced to a third, the blinks' mirror error 2.4 -> 17 %. Lifting more only
        covers more of the eyeball; seen from the front nothing moves."""
        welding = prepared.welding
        frame = partners.frame
        # the lifts' direction (canonical +Z) in input axes: only that much of a twin's is taken
        # (the check's frame, the partners', is turned a little from the bake's)
        from .eyelids import eye_turn

        # (the eye's front: canonical +Z turned back from the face's upright frame, eye_turn)
        turn = eye_turn(prepared)
        ahead = np.array([0.0, 0.0, 1.0]) if turn is None else turn[2]
        forward = np.asarray(prepared.frame.vectors_from_canonical(ahead), np.float64)
        forward /= np.linalg.norm(forward)

        def work(x: np.ndarray) -> np.ndarray:
            return np.asarray(x if welding is None else welding.gather(x), np.float64)

        out = deltas
        for name, twin_name in (("eyeBlink_L", "eyeBlink_R"), ("eyeBlink_R", "eyeBlink_L")):
            row, twin = ICT_NAMES.index(name), ICT_NAMES.index(twin_name)
            if twin not in lifts:
                continue
            own = work(lifts[row]) @ forward if row in lifts else 0.0
            image = partners.mirrored(frame.vectors_to_canonical(work(lifts[twin])))
            image = frame.vectors_from_canonical(image) @ forward
            add = np.where(partners.matched, np.maximum(image - own, 0.0), 0.0)
            if not (add > 0.0).any():
                continue
            add = (add[:, None] * forward[None, :]).astype(np.float32)
            if welding is not None:
                add = welding.spread(add)
            if out is deltas:
                out = np.array(deltas, copy=True)
            out[row] += add
        return out

    def _check_partners(self, prepared: PreparedMesh, deltas: np.ndarray, skin: np.ndarray, skin_weights):
        """:class:`model.mirror_pass.MirrorPartners` of the input mesh (the rig check's), or
        None when the bake did not symmetrize (:attr:`shape_symmetry` off, or the mesh is not
        mirror-symmetric). ``deltas`` (53, V, 3) input axes; ``skin`` (S, K) the network's
        skin weights, ``skin_weights`` (V, K) the painted ones (None: the network's)."""
        if not (self.shape_symmetry and prepared._tensors.get("mirror_map", {}).get("symmetric")):
            return None  # (check_partners: None too where the check judges it asymmetric)
        from .mirror_pass import check_partners

        _wait(prepared._tensors.pop("check_job", None))  # its cache is this one's
        vertices, triangles, frame, weights, cache, pitch = self._check_inputs(prepared, skin, skin_weights)
        return check_partners(
            vertices, triangles, frame, deltas, ICT_NAMES, weights, self.region_names, cache, pitch
        )

    def _check_inputs(self, prepared: PreparedMesh, skin: np.ndarray, skin_weights):
        """What :meth:`_check_partners` hands :func:`model.mirror_pass.check_partners` but the
        shapes: (vertices, triangles, frame, skin weights, cache, pitch); the frame is found once
        and kept in the cache."""
        weights = skin_weights if skin_weights is not None else self._input_skin(prepared, skin)
        vertices, triangles = prepared.vertices, prepared.triangles
        if prepared.welding is not None:  # the welded surface (see bake)
            vertices, triangles = prepared.welding.vertices, prepared.welding.triangles
            weights = prepared.welding.gather(weights)
        cache = prepared._tensors.setdefault("check_mirror", {})
        if "frame" not in cache:
            # the check's frame (model.frame.fit_frame on the input vertices, not the welded
            # ones): the same axes, and the centre and scale to the last bit, so its closest
            # points tie-break alike (Rocketbox Adult_01's lash strips: 192 partners differed)
            from dataclasses import replace

            from .face_alignment import align_face
            from .frame import surface_moments

            center, rms = surface_moments(vertices, triangles)
            frame = replace(prepared._tensors["input_frame"], center=center, scale=rms)
            # turned to its symmetry plane as the check turns it (model.rig_check.face_anchors)
            cache["frame"], _ = align_face(frame, vertices, triangles)
        frame = cache["frame"]
        # the face's pitch in that frame (yaw and roll turned, as the check's): the face's area
        # the check judges symmetry on stands with the face (model.rig_check.face_units)
        alignment = prepared._tensors.get("face_alignment")
        pitch = 0.0 if alignment is None else alignment.fitted_pitch
        if prepared.subset is not None:  # fitted on the whole mesh, as the check fits it
            pitch = prepared._check_orientation()[1]
        return vertices, triangles, frame, weights, cache, pitch

    def _prime_check(self, prepared: PreparedMesh, skin: np.ndarray, skin_weights) -> None:
        """:meth:`_check_partners`' geometric part (its frame, anchors and the partners before the
        shapes choose at a mouth's slit, :func:`model.mirror_pass.prime_check_partners`), on the
        helper thread while the bake's earlier stages run; the same cache, so the same result."""
        from .mirror_pass import prime_check_partners

        vertices, triangles, frame, weights, cache, pitch = self._check_inputs(prepared, skin, skin_weights)
        prime_check_partners(vertices, triangles, frame, weights, self.region_names, cache, pitch)

    def _start_geometry(
        self, prepared: PreparedMesh, skin: np.ndarray, skin_weights, anchors=None, lids=None
    ) -> None:
        """Start the bake's work that needs no shapes on the helper thread (:func:`_helper`)
        where no registration holds the second core: with :attr:`shape_symmetry`, the
        symmetrize's mirror map (:func:`model.shape_locality.prime_mirror_map`, wanted once the
        network's shapes and their reach mask are made); with ``anchors`` (the bake's
        :meth:`PreparedMesh.skin_anchors`, when it holds the static area) the static limits
        (:func:`model.static_area.prime_static`, wanted after the canonical stages); then the
        rig check's partners (:meth:`_prime_check_if`, wanted after the rig constraints). The
        main thread waits for each before it reads what it fills; that is what the bake would
        have computed itself, so the result is the same. They were ~0.25, ~0.15 and ~0.4 s of a
        cold 20k bake on the main thread. ``lids``: :meth:`defer_geometry`'s lid job (``(fn,
        args)``: :func:`model.eyelids.prime_lids`, wanted by the eyelid stage right after the
        symmetrize) when Predict Weights left it undone: its registration finished before the
        network did, so nothing was left to wait for (0.36 s of the main thread's bake)."""
        if _registering(prepared):
            return
        if self.shape_symmetry:
            from .shape_locality import prime_mirror_map

            mirror = prepared._tensors.setdefault("mirror_map", {})
            if "hits" not in mirror:
                prepared._tensors["mirror_job"] = _helper().submit(
                    prime_mirror_map, prepared.canonical, prepared.triangles_seen, mirror
                )
        if lids is not None and self.eyelids:
            fn, args = lids
            prepared._tensors["lids_job"] = _helper().submit(fn, *args)
        if anchors is not None:
            from .static_area import prime_static

            # the anchors on this thread (the bake's first stage wants them too; found once)
            prepared._tensors["static_job"] = _helper().submit(prime_static, anchors())
        if self.shape_symmetry and "partners" not in prepared._tensors.get("check_mirror", {}):
            job = _helper().submit(self._prime_check_if, prepared, skin, skin_weights)
            prepared._tensors["check_job"] = job

    def _prime_check_if(self, prepared: PreparedMesh, skin: np.ndarray, skin_weights) -> None:
        """:meth:`_prime_check` where the geometry says the bake's last pass will want the rig
        check's partners (:meth:`bake`: whole shapes on a mirror-built mesh, or pieces that follow
        the skin) on a mesh the symmetrize likely finds symmetric (the vertices, counted alike,
        pass its share; the mirror map's plane was found just before on this thread). Where only
        the rig constraints' changes will ask for them, the bake finds them itself: a job it
        does not need would still be waited for at its end. The parts (geometry only, wanted
        later by the bake) are found here too."""
        from .mirror_pass import mirror_built
        from .parts import PART_INDEX
        from .shape_locality import SYMMETRIC_SHARE

        mirror = prepared._tensors.get("mirror_map", {})
        plane = mirror.get("plane")
        if plane is None or float(np.mean(plane[3])) < SYMMETRIC_SHARE:
            return
        labels = prepared.rig_analysis().parts.labels
        if mirror_built(mirror) or np.isin(labels, [PART_INDEX[n] for n in ("lashes", "brows")]).any():
            self._prime_check(prepared, skin, skin_weights)

    def clothing(self, prepared: PreparedMesh, anchors=None):
        """The :class:`model.clothing.ClothingHold` of ``prepared`` (nothing held without
        materials): which materials :meth:`bake` holds still and how much, per input vertex.
        ``anchors``: the face anchors of :func:`model.shape_locality.skin_anchors` when already
        found (else found here with the predicted skin weights)."""
        from .clothing import clothing_hold

        if anchors is None:
            anchors = prepared.skin_anchors(self._to_numpy(self._rig(prepared, None, skin_only=True)["skin"]))
        return clothing_hold(
            prepared.input_canonical(),
            prepared.triangles,
            prepared.materials,
            anchors.mid,
            anchors.eye_distance,
        )

    def bake_split(
        self,
        prepared: PreparedMesh,
        skin_weights: np.ndarray | None = None,
        constraints: bool | None = None,
        method: str = DEFAULT_BAKE_METHOD,
        ict=None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`bake` with ``mouthClose`` split (:mod:`model.mouth_close`): ``(deltas (53, V, 3),
        corrective (V, 3))`` float32, input units and axes. ``deltas[mouthClose]`` is what
        mouthClose does alone (the lips' press, never through the upper lip); ``corrective``
        (:data:`model.mouth_close.CORRECTIVE_SHAPE`) is added with weight ``min(jawOpen,
        mouthClose)``. :func:`model.mouth_close.fold` gives back :meth:`bake`'s shapes."""
        from .mouth_close import split_baked

        return split_baked(self.bake(prepared, skin_weights, constraints, method, ict))

    @staticmethod
    def _with_welded_tongue(prepared: PreparedMesh, analysis, deltas: np.ndarray, anchors=None):
        """``analysis`` with the skin of a tongue welded into the mouth bag labelled ``tongue``
        (:mod:`model.welded_tongue`), found on ``deltas`` (53, V, 3) jawOpen and measured in eye
        distances of the bake's face anchors (``anchors()``: :meth:`PreparedMesh.skin_anchors`,
        asked only when needed; None or no eyes found: a Rocketbox head's); unchanged when
        :mod:`model.parts` found a loose tongue or lower teeth, or no welded tongue is found."""
        from .parts import PART_INDEX
        from .welded_tongue import find_welded_tongue, has_loose_jaw_parts, with_tongue

        labels = analysis.parts.labels
        if has_loose_jaw_parts(labels):
            return analysis
        eyes = None
        found = None if anchors is None else anchors()
        if found is not None and found.mid is not None and found.eye_distance:
            # the anchors' own frame (fitted on the network's canonical mesh) -> prepared.frame
            mid = found.frame.from_canonical(found.mid)
            eyes = (float(mid[1]), float(found.eye_distance * found.frame.scale))
        canonical = prepared.input_canonical()
        jaw = deltas[ICT_NAMES.index("jawOpen")]
        ids = find_welded_tongue(canonical, prepared.triangles, labels == PART_INDEX["skin"], jaw, eyes)
        return with_tongue(analysis, ids) if ids.size else analysis

    @staticmethod
    def _repair_flips(prepared: PreparedMesh, deltas: np.ndarray) -> np.ndarray:
        """(53, V, 3) deltas with no triangle flipping at weight 1.0 (:mod:`model.flip_repair`),
        on the welded surface (a seam's duplicates move together), rigid parts untouched."""
        from .flip_repair import repair_flips
        from .parts import PART_INDEX

        rigid = ("eyeball_L", "eyeball_R", "upper_teeth", "lower_teeth", "tongue")
        parts = prepared.rig_analysis().parts
        fixed = np.isin(parts.labels, [PART_INDEX[n] for n in rigid])
        if parts.jaw_blend is not None:
            # a piece spanning both rows (gums and tongue in one) fades between them: not rigid
            # there, and its fade folded a triangle deep in ICT's throat (model.parts._SEAM_BAND)
            fixed &= ~((parts.jaw_blend > 0.0) & (parts.jaw_blend < 1.0))
        welding = prepared.welding
        if welding is None:
            repaired, _ = repair_flips(deltas, prepared.vertices, prepared.triangles, ICT_NAMES, fixed)
            return repaired
        welded = welding.gather(deltas, axis=1)
        repaired, _ = repair_flips(
            welded, welding.vertices, welding.triangles, ICT_NAMES, welding.gather(fixed)
        )
        # only the vertices the repair moved take the welded value (duplicates of one group
        # may carry different deltas elsewhere, e.g. a lash strip welded to a lid)
        changed = np.any(repaired != welded, axis=(0, 2))[welding.index]
        out = np.array(deltas)
        out[:, changed] = welding.spread(repaired, axis=1)[:, changed]
        return out

    def _bake_network(
        self,
        prepared: PreparedMesh,
        skin_weights: np.ndarray | None,
        method: str = "network",
        ict=None,
        anchors=None,
        rig=None,
    ) -> np.ndarray:
        """Canonical (53, S, 3) float32 shapes on the vertices the network sees: the ``method``'s
        shapes, then the bake-time constraints of :mod:`model.shape_locality` (reach, mirror
        symmetry) and the geometric blink of :mod:`model.eyelids` (with lids that follow the
        eyes in eyeLookUp/Down and eyeWide, :mod:`model.lid_follow`). ``rig``: the network's pass
        for these skin weights when the caller already ran it."""
        if method not in BAKE_METHODS:
            raise ValueError(f"unknown bake method {method!r}; use one of {BAKE_METHODS}")
        if rig is None:  # one trunk + skin pass for shapes and post-process
            rig = self._rig(prepared, skin_weights)
        skin = self._to_numpy(rig["skin"])
        # the reach mask for the network's shapes (in mixed, before the blend: the registered
        # template already fades away from the face, and the mask cost it accuracy on held-out
        # ICT, 0.049 -> 0.069 in session 3; hybrid stays the plain blend for comparison)
        locality = self.shape_locality and method in ("network", "mixed")
        found = anchors() if anchors is not None and locality else None
        if method == "network":
            canonical = self._to_numpy(self.net.bake(rig))
        else:
            from .method_blend import fit_weight, trusted_shapes

            # the work that needs no registration first: the registration may still be running
            # on the background thread Predict Weights started (start_registration), and the
            # wait for it was 0.2 s of a 20k head's cold mixed bake
            net = None if method == "registration" else self._to_numpy(self.net.bake(rig))
            if method == "mixed" and locality:
                from .shape_locality import apply_reach

                net = apply_reach(net, prepared.canonical, prepared.triangles_seen, skin, found)
            if self.shape_symmetry and self._registration_pending(prepared, ict):
                from .shape_locality import prime_mirror_map

                # the symmetrize's geometry-only mirror map (kept per prepared mesh), found now
                cache = prepared._tensors.setdefault("mirror_map", {})
                prime_mirror_map(prepared.canonical, prepared.triangles_seen, cache)
            if self.needs_registration(prepared, method):
                registered = self._registration_deltas(prepared, ict)
                reg_deltas, residual, eye_landmarks, mouth_landmark, bag = registered
            else:  # mixed without eye openings: nothing can pin the template
                reg_deltas = residual = bag = None
                eye_landmarks = mouth_landmark = False
            if method == "registration":
                canonical = reg_deltas
            else:
                if method == "hybrid":
                    w = fit_weight(residual)
                    canonical = w[None, :, None] * reg_deltas + (1.0 - w[None, :, None]) * net
                else:  # mixed: the blend on the shapes the landmarks pinned, else the network's
                    rows = [ICT_NAMES.index(n) for n in trusted_shapes(eye_landmarks, mouth_landmark)]
                    canonical = np.array(net, copy=True)
                    if rows:
                        w = fit_weight(residual)[None, :, None]
                        canonical[rows] = w * reg_deltas[rows] + (1.0 - w) * net[rows]
                    locality = False  # applied above, to the network's half only
            if bag is not None:
                # a mouth bag welded to the lips the registration pinned (model.mouth_bag): ICT's
                # template has no bag, and its shapes there tore the bag (jawOpen of the
                # Rocketbox avatars: shards and curtains; the bag's vertices next to the slit
                # took the template's lower lip, the upper lip's inner face among them). The
                # bag moves as one surface with the lips round it instead, its floor turning with
                # the jaw in the jaw shapes
                from .mouth_bag import bag_motion

                filled = rows if method == "mixed" else list(range(len(ICT_NAMES)))
                canonical[filled] = bag_motion(
                    canonical[filled], prepared.canonical, prepared.triangles_seen, bag,
                    [ICT_NAMES[k] for k in filled],
                )  # fmt: skip
        if self.short_edges:
            from .short_edges import move_together

            canonical = move_together(
                canonical, prepared.canonical, prepared.triangles_seen,
                cache=prepared._tensors.setdefault("short_edges", {}),
            )  # fmt: skip
        if locality or self.shape_symmetry:
            from .shape_locality import post_process

            # the mirror plane and closest points depend on the geometry only (the costliest
            # constraint): kept per prepared mesh, reused by every later bake of it
            _wait(prepared._tensors.pop("mirror_job", None))  # its cache is this one
            mirror = prepared._tensors.setdefault("mirror_map", {})
            canonical = post_process(
                canonical, prepared.canonical, prepared.triangles_seen, skin, locality, self.shape_symmetry,
                anchors=found, mirror=mirror,
            )  # fmt: skip
        if self.eyelids:
            from .eyelids import with_eyelids

            _wait(prepared._tensors.pop("lids_job", None))  # its lid frames and blinks are these
            canonical = with_eyelids(prepared, canonical)
            if self.shape_symmetry:
                canonical = self._symmetrize_lids(prepared, canonical)
        return np.asarray(canonical, dtype=np.float32)

    @staticmethod
    def _symmetrize_lids(prepared: PreparedMesh, deltas: np.ndarray) -> np.ndarray:
        """``deltas`` (53, S, 3) canonical with the shapes the eyelid stage may change (the
        blinks, ``eyeLookUp/Down``, ``eyeWide``; by name, so float noise never decides) symmetrized
        again (:func:`model.shape_locality.symmetrize`): the lid solver and the lid follow work on
        each eye's own geometry, so on a mirror-symmetric mesh their left and right shapes came
        out 19-30 % apart (Rocketbox avatars' eyeBlink); the other shapes are left as the first
        pass made them. On a mirror-built mesh (:func:`model.mirror_pass.mirror_built`) the
        blinks are left to the bake's last pass, which symmetrizes them whole on the rig check's
        partners after the lashes follow the lids: here the lash strip lying on a lower lid still had its own
        motion, and a lid vertex whose mirror point lands on it (Rocketbox Adult_01) took its
        average, rising a third as far as its neighbours (the closed lid's zig-zag 3.7 -> 2.2 %)."""
        from .lid_follow import LID_FOLLOW
        from .mirror_pass import mirror_built
        from .shape_locality import symmetrize

        mirror = prepared._tensors.setdefault("mirror_map", {})
        kinds = ("eyeBlink", "eyeWide", *LID_FOLLOW)
        if mirror_built(mirror):
            kinds = kinds[1:]
        rows = [i for i, n in enumerate(ICT_NAMES) if n[:-2] in kinds and n[-2:] in ("_L", "_R")]
        out = np.array(deltas, copy=True)
        # all shapes in, so the symmetry share and the lip-slit gate see the whole bake's motion
        again = symmetrize(deltas, prepared.canonical, prepared.triangles_seen, mirror=mirror, only=set(rows))
        out[rows] = again[rows]
        return out

    @staticmethod
    def _registration_key(ict) -> tuple:
        # one registration per template: the shipped one (None), a folder, or a loaded model
        return ("registration", ict if ict is None or isinstance(ict, (str, os.PathLike)) else id(ict))

    @staticmethod
    def _openings(prepared: PreparedMesh) -> dict:
        """:func:`model.openings.find_openings` of the mesh the network sees, found once."""
        if "openings" not in prepared._tensors:
            from .openings import find_openings

            prepared._tensors["openings"] = find_openings(prepared.canonical, prepared.triangles_seen)
        return prepared._tensors["openings"]

    def needs_registration(self, prepared: PreparedMesh, method: str) -> bool:
        """Whether baking ``prepared`` with ``method`` registers the ICT template: registration
        and hybrid always; mixed only where both eye openings can pin it (elsewhere it is the
        network's rig, :func:`model.method_blend.trusted_groups`, and a bust or a scan does not
        pay the registration, ~0.8 s at 20k vertices)."""
        if method == "mixed":
            from .method_blend import eyes_pinnable

            return eyes_pinnable(self._openings(prepared))
        return method in ("registration", "hybrid")

    def start_registration(self, prepared: PreparedMesh, ict=None) -> None:
        """Begin the classical registration of ``prepared`` (what the ``registration``,
        ``hybrid`` and ``mixed`` bakes need, :meth:`_registration_deltas`) on a background
        thread, so it runs while the network predicts; a later bake waits for it. It reads the
        prepared mesh's geometry only (no network, no ``bpy``); an error surfaces at that bake.
        Does nothing when it is already done or running."""
        key = self._registration_key(ict)
        if key in prepared._tensors or ("pending", key) in prepared._tensors:
            return
        prepared._tensors[("pending", key)] = _background().submit(
            self._register, prepared.canonical, prepared.triangles_seen, ict, prepared.face_pitch
        )

    def defer_geometry(self, prepared: PreparedMesh) -> None:
        """Line up the geometry-only parts of the bake of ``prepared``: the symmetrize's mirror
        map (its plane and closest points, :func:`model.shape_locality.prime_mirror_map`) and,
        with :attr:`eyelids`, the lid frames and geometric blinks
        (:func:`model.eyelids.prime_lids`, kept by :mod:`model.memo`). They depend on the
        geometry only, so the bake's result is the same whether they are done:
        :meth:`finish_registration` does them while the registration is still running (Predict
        Weights waited idle there), the bake finds what is left as before. They were
        0.36 s and 0.25 s of a 20k head's cold bake. (On a thread of their own they were no
        faster: the registration's thread holds the interpreter lock for much of its time, and
        the eigenbasis' solve took three times as long beside them.)"""
        if "plane" in prepared._tensors.get("mirror_map", {}):
            return
        from .shape_locality import prime_mirror_map

        cache = prepared._tensors.setdefault("mirror_map", {})
        canonical, triangles = prepared.canonical, prepared.triangles_seen
        jobs = {"mirror": (prime_mirror_map, (canonical, triangles, cache))}
        if self.eyelids and "eyelid_frames" not in prepared._tensors:
            from .eyelids import eye_points, eye_turn, prime_lids

            # in the eye's upright frame, as with_eyelids asks for them
            jobs["lids"] = (prime_lids, (eye_points(prepared, eye_turn(prepared)), prepared.skin_triangles()))
        prepared._tensors["geometry_jobs"] = jobs

    @staticmethod
    def _run_geometry(prepared: PreparedMesh, name: str) -> None:
        """Do :meth:`defer_geometry`'s job ``name`` ("mirror", "lids") of ``prepared`` when it
        is still lined up. A failure is left to the bake, which finds what is missing itself (and
        raises it there)."""
        job = prepared._tensors.get("geometry_jobs", {}).pop(name, None)
        if job is not None:
            fn, args = job
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - raised again by the bake's own computation
                pass

    def finish_registration(self, prepared: PreparedMesh, ict=None) -> None:
        """Wait for the background registration of ``prepared`` (:meth:`start_registration`,
        :meth:`prepare`'s ``registration``) and keep its result on the prepared mesh; nothing
        when none is running. A caller inside Blender calls it before it hands control back to
        Blender or calls ``bpy``: Blender's API is not thread-safe, and a registration thread
        still running then crashed Blender (segfaults in ``libpython`` and ``_ckdtree`` on the
        registration's thread, 2 of 10 operator runs of ``benchmarks/bake_breakdown.py``). A
        failure is left to the bake, which registers again and raises it there. While the
        registration is still running, the bake's geometry :meth:`defer_geometry` lined up is
        done here (this thread would only wait)."""
        for name in ("mirror", "lids"):
            if self._registration_pending(prepared, ict):
                self._run_geometry(prepared, name)
        if ("pending", self._registration_key(ict)) not in prepared._tensors:
            return
        try:
            self._registration_deltas(prepared, ict)
        except Exception:  # noqa: BLE001 - raised again by the bake's own registration
            pass

    def _registration_pending(self, prepared: PreparedMesh, ict) -> bool:
        """Whether :meth:`start_registration`'s background registration of ``prepared`` is
        still running (a bake would wait for it)."""
        pending = prepared._tensors.get(("pending", self._registration_key(ict)))
        return pending is not None and not pending.done()

    def _registration_deltas(self, prepared: PreparedMesh, ict) -> tuple:
        """Canonical (53, S, 3) float32 deltas of the classical rig, (S,) residuals, whether
        both eye openings pinned the template's eyes (:attr:`model.classical_rig.Registration.eye_landmarks`),
        whether an open mouth pinned its lips too, and None or the mouth bag behind lips welded
        to it (:class:`model.mouth_bag.MouthBag`), cached on the PreparedMesh
        (registration does not depend on the network)."""
        key = self._registration_key(ict)
        pending = prepared._tensors.get(("pending", key))
        if pending is not None:
            try:
                # started by start_registration or prepare: wait for it
                prepared._tensors[key] = pending.result()
            finally:
                prepared._tensors.pop(("pending", key), None)
        if key not in prepared._tensors:
            prepared._tensors[key] = self._register(
                prepared.canonical, prepared.triangles_seen, ict, prepared.face_pitch
            )
        return prepared._tensors[key]

    @staticmethod
    def _register(
        canonical: np.ndarray, triangles: np.ndarray, ict, pitch: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray, bool, bool, object]:
        """:meth:`_registration_deltas`'s tuple for the canonical vertices (S, 3) and triangles
        (T', 3) of a prepared mesh whose face is pitched by ``pitch`` radians
        (:attr:`PreparedMesh.face_pitch`; reads nothing else: runs on the background thread too).

        The registration sees the face upright, as ICT's template stands: the lips' slit of a
        mouth welded to its bag is found as the face looks from its own front
        (:func:`model.openings.seen_mouth`), and seen from 15 degrees above (the Rocketbox 02
        avatar pitched 10 degrees, :mod:`benchmarks.realdev_variants`) the upper lip hid the
        slit's ends: the template's lips were pinned across the mesh's lower lip and its
        ``jawOpen`` left the lower lip's inside as a sheet over the open mouth (rendered).
        Deltas and residuals come back in ``canonical``'s axes."""
        from .classical_rig import register_ict, transfer_expressions
        from .ict import ICTModel, load_ict
        from .ict_template import ICTTemplate, as_template
        from .orientation import rotation_about_x

        # None: the shipped template; a folder: ICT-FaceKit itself (development override)
        model = ict if ict is None or isinstance(ict, (ICTModel, ICTTemplate)) else load_ict(ict)
        model = as_template(model)
        turn = rotation_about_x(float(pitch)) if pitch else None  # canonical -> upright
        canonical = np.asarray(canonical).astype(np.float64)
        if turn is not None:
            canonical = canonical @ turn.T
        reg = register_ict(model, canonical, triangles)
        # the mouth loop pins the template's lips with both eyes pinned, unless it is a hairline
        # slit (model.method_blend.mouth_open) cut into sealed lips; lips welded to a mouth bag
        # meet at a slit too, but the bag behind it parts them (model.openings.seen_mouth)
        from .method_blend import mouth_open

        loops = reg.openings
        mouth = (
            reg.eye_landmarks
            and "mouth" in loops
            and (reg.mouth_seen or mouth_open(canonical, loops["mouth"]))
        )
        bag = None
        if reg.mouth_seen:
            # the bag behind the slit: its motion is filled in from the lips' (model.mouth_bag)
            from .front_view import visible_skin
            from .mouth_bag import MouthBag, bag_mask

            slit = loops["mouth"]
            mask = bag_mask(canonical, triangles, visible_skin(canonical, triangles), slit)
            bag = MouthBag(mask, slit, turn)
        deltas = transfer_expressions(model, reg)
        if turn is not None:
            deltas = (deltas @ turn).astype(deltas.dtype)  # upright -> canonical axes
        return deltas, reg.residual, reg.eye_landmarks, mouth, bag

    def decode(
        self,
        prepared: PreparedMesh,
        codes: np.ndarray,
        skin_weights: np.ndarray | None = None,
        constraints: bool | None = None,
    ) -> np.ndarray:
        """Displacements (T, V, 3) float32 (input units/axes) for FACS codes (T, 53).

        The network's decoder is linear in the codes, and so are the constraints: this is
        ``codes @`` :meth:`bake` (with the same ``constraints``), what Blender's shape keys show
        for the same slider values wherever mouthClose <= jawOpen (ARKit's range; above it the
        add-on's split mouthClose stops at the jaw's opening, :mod:`model.mouth_close`).
        """
        codes = np.asarray(codes, dtype=np.float32)
        if codes.ndim != 2 or codes.shape[1] != len(ICT_NAMES):
            raise MeshError(
                f"codes must be (T, 53), got {codes.shape}; pass one row of ICT weights per frame"
            )
        baked = self.bake(prepared, skin_weights, constraints=constraints)
        return np.einsum("ts,svc->tvc", codes, baked).astype(np.float32)

    def encode(self, neutral: PreparedMesh, frames: np.ndarray, method: str | None = None) -> np.ndarray:
        """Recover ICT FACS weights of animation frames of ``neutral``'s mesh.

        frames: (T, V, 3) (or (V, 3)) vertex positions in the same units/axes and vertex order
        as the neutral. Returns (T, 53) float32 in [0, 1].

        ``method`` (None: the weights' ``encode_method``): ``"learned"`` the expression encoder
        (:mod:`training.nn.encoder`: its own analysis basis of the source, a sparse fit boxed to the
        valid FACS range [0, 1]); ``"fit"`` analysis by synthesis: the same fit against the
        network's bake of the source; ``"joint"``: one fit by both bases at once.
        """
        if method is None:
            method = self.net.config.encode_method
        if method not in ENCODE_METHODS:
            raise ValueError(f"unknown encode method {method!r}; use one of {ENCODE_METHODS}")
        frames = np.asarray(frames, dtype=np.float64)
        if frames.ndim == 2:
            frames = frames[None]
        if frames.ndim != 3 or frames.shape[1:] != (neutral.num_vertices, 3):
            raise MeshError(
                f"frames have shape {frames.shape} but the neutral has {neutral.num_vertices} vertices: "
                "frames must share the neutral's vertex count and order"
            )
        if not np.all(np.isfinite(frames)):
            raise MeshError("some frame vertices are NaN/inf; fix or drop those frames")
        mesh = self._mesh(neutral)
        out = []
        with self._no_grad():
            # the source neutral is analysed once per source and model (kept on the PreparedMesh)
            analysis = self._normal_equations(neutral, mesh, method)
            for start in range(0, frames.shape[0], _ENCODE_CHUNK):
                chunk = neutral.network_rows(frames[start : start + _ENCODE_CHUNK], axis=1)
                disp = np.asarray(neutral.frame.to_canonical(chunk.reshape(-1, 3)), dtype=np.float32)
                disp_t = self._to_net(disp.reshape(chunk.shape) - neutral.canonical[None])
                # every method solves the (cached) normal equations of the source's basis: the
                # learned encoder's own, the network's bake ("fit"), or both ("joint")
                codes = self.net.encode_with(analysis, disp_t, box=True)
                out.append(self._to_numpy(codes))
        return np.concatenate(out, 0).astype(np.float32)

    def _normal_equations(self, neutral: PreparedMesh, mesh, method: str):
        """The source's normal equations for ``method``, cached on the PreparedMesh per model."""
        key = (method, id(self.net), self.device)
        if key not in neutral._tensors:
            if method == "learned":
                neutral._tensors[key] = self.net.encoder_features(mesh)
            elif method == "fit":
                # analysis by synthesis with the network's own shapes: sources carry ICT-like
                # blinks and motion, which the post-processed bake (geometric blink, reach mask)
                # reads worse (joint FACS rel. L1 0.095 -> 0.128 on held-out ICT, session 3)
                neutral._tensors[key] = self.net.analysis(mesh)
            else:
                parts = [self._normal_equations(neutral, mesh, m) for m in ("learned", "fit")]
                neutral._tensors[key] = self.net.combine_normal_equations(*parts)
        return neutral._tensors[key]

    def retarget(self, source_neutral: PreparedMesh, target: PreparedMesh, frames: np.ndarray) -> np.ndarray:
        """Frames of the source (T, Vs, 3) -> target vertex positions (T, Vt, 3), target units."""
        codes = self.encode(source_neutral, frames)
        return target.vertices[None] + self.decode(target, codes)

    @staticmethod
    def _from_canonical(prepared: PreparedMesh, deltas: np.ndarray) -> np.ndarray:
        # the map is linear: take its matrix from the frame once, apply it in float32
        # (millions of 3-vectors at 100k vertices)
        linear = np.asarray(prepared.frame.vectors_from_canonical(np.eye(3)), dtype=np.float32)
        return (np.asarray(deltas, dtype=np.float32).reshape(-1, 3) @ linear).reshape(deltas.shape)
