"""Analyze Mesh: the head region and the parts as ``FSP_`` vertex groups, and the pre-flight report.

The groups are the artist's to correct: ``FSP_head`` (1 on the head, 0 below the neck, a ramp
across it) and one ``FSP_<part>`` per part found (``FSP_eyeball_L``, ``FSP_upper_teeth``, ...;
vertices in no part group are skin). The bake reads them back when they exist
(:func:`painted_analysis`). Which groups this add-on made is recorded on the object, so a re-run
replaces exactly those, and a group of the artist's is never touched, even one named ``FSP_``.
"""

from __future__ import annotations

import json

import numpy as np

from . import mesh_io, vertex_groups
from ._model_import import submodule
from .errors import ObjectError

PREFIX = "FSP_"
HEAD_GROUP = PREFIX + "head"
# object custom properties: the groups this add-on wrote, and the last report (JSON)
OWNED_PROP = "nfs_analysis_groups"
REPORT_PROP = "nfs_analysis_report"


def owned_groups(obj) -> list[str]:
    """The ``FSP_`` groups this add-on made on ``obj`` that still exist."""
    names = list(obj.get(OWNED_PROP, []))
    return [n for n in names if n in obj.vertex_groups]


def _clear_owned(obj) -> None:
    for name in owned_groups(obj):
        obj.vertex_groups.remove(obj.vertex_groups[name])
    if OWNED_PROP in obj:
        del obj[OWNED_PROP]


def analyze_mesh(obj, up: str = "Z", forward: str = "-Y") -> dict:
    """Find the head region and the parts of ``obj``, write them as ``FSP_`` groups, store and
    return the report (a dict, :meth:`model.inspect.InspectReport.to_dict`).

    The mesh is read in world space (object transform applied) with the axes set in the panel.
    Raises :class:`ObjectError` when an ``FSP_`` group the add-on did not make is in the way.
    """
    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    mesh_io.require_geometry(obj)
    world, tris = mesh_io.read_rest_world(obj)
    frame = submodule("frame").fit_frame(world, tris, up=up, forward=forward)
    analysis = submodule("rig_constraints").analyze_rig(world, tris, frame)
    report = submodule("inspect").inspect_mesh(world, tris, analysis=analysis)

    parts_mod = submodule("parts")
    labels = analysis.parts.labels
    present = [n for n in parts_mod.PART_NAMES if n != "skin" and np.any(labels == parts_mod.PART_INDEX[n])]
    names = [HEAD_GROUP] + [PREFIX + n for n in present]
    mine = set(owned_groups(obj))
    foreign = [n for n in names if n in obj.vertex_groups and n not in mine]
    if foreign:
        raise ObjectError(
            f"'{obj.name}' has vertex groups {', '.join(foreign)} that Analyze Mesh did not make: "
            "rename them (the FSP_ names are the analysis's own), then analyze again."
        )
    weights = np.zeros((len(world), len(names)), dtype=np.float32)
    weights[:, 0] = analysis.head.weights
    for j, n in enumerate(present, start=1):
        weights[:, j] = labels == parts_mod.PART_INDEX[n]
    _clear_owned(obj)
    vertex_groups.write_groups(obj, names, weights)
    obj[OWNED_PROP] = names
    data = report.to_dict()
    obj[REPORT_PROP] = json.dumps(data)
    return data


def stored_report(obj) -> dict | None:
    """The last Analyze Mesh report of ``obj`` (None: never analyzed)."""
    text = obj.get(REPORT_PROP) if obj is not None else None
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def head_mask(obj) -> str:
    """``FSP_head`` when Analyze Mesh wrote it on ``obj`` (the artist may have corrected it), else ""."""
    return HEAD_GROUP if HEAD_GROUP in owned_groups(obj) else ""


def painted_analysis(
    obj, index: np.ndarray, vertices: np.ndarray, triangles: np.ndarray, prepared, head_is_mask: bool
):
    """The parts (and head) as the artist left the ``FSP_`` groups (None: no such groups).

    ``index``: (S,) the object's vertex indices of ``vertices`` (a masked subset or all);
    ``prepared``: the model's prepared mesh of ``vertices``; ``head_is_mask``: ``FSP_head`` is
    already the mask of ``vertices`` (its ramp is applied once, by the mask). Returns a
    :class:`model.rig_constraints.RigAnalysis`.
    """
    names = owned_groups(obj)
    if not names:
        return None
    w = vertex_groups.read_groups(obj, names)[index]
    head = w[:, names.index(HEAD_GROUP)] if HEAD_GROUP in names else None
    if head_is_mask:
        head = np.ones(len(index), dtype=np.float32)
    parts = {n[len(PREFIX) :]: w[:, j] for j, n in enumerate(names) if n != HEAD_GROUP}
    frame = prepared.analysis_frame if hasattr(prepared, "analysis_frame") else prepared.frame
    return submodule("rig_constraints").analysis_from_groups(vertices, triangles, frame, head, parts)


def report_lines(report: dict) -> list[tuple[str, str]]:
    """(level, text) lines of a stored report for the panel."""
    return [(f["level"], f"{f['topic']}: {f['message']}") for f in report.get("findings", [])]
