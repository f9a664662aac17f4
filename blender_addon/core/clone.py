"""Expression cloning: an animated source face (any topology) -> FACS keys on the target's sliders.

The source is evaluated through the depsgraph at every frame (its shape keys, modifiers, mesh
cache, armature all apply), in world space, so any way of animating it works as long as its vertex
count stays constant. The network encodes each frame against the source's rest frame.
"""

from __future__ import annotations

import numpy as np

from . import mesh_io, model_cache, sliders
from ._model_import import facs
from .errors import MeshError, ObjectError
from .skinning import Progress, _noop

_CHUNK = 256  # frames sampled and encoded per call (each encode call re-analyses the source)


def sample_source(obj, scene, depsgraph_get, frames: np.ndarray, progress: Progress = _noop) -> np.ndarray:
    """``(T, V, 3)`` float64 world-space evaluated vertices of ``obj`` at scene ``frames`` (T,).

    ``depsgraph_get``: a callable returning the up-to-date evaluated depsgraph (e.g.
    ``context.evaluated_depsgraph_get``). The scene's current frame is restored afterwards.
    """
    current = scene.frame_current, scene.frame_subframe
    out = None
    try:
        for i, f in enumerate(frames):
            scene.frame_set(int(f))
            verts = mesh_io.read_evaluated_world(obj, depsgraph_get())
            if out is None:
                out = np.empty((len(frames), *verts.shape), dtype=np.float64)
            elif verts.shape != out.shape[1:]:
                raise MeshError(
                    f"The source '{obj.name}' has {len(verts)} vertices at frame {int(f)} but "
                    f"{out.shape[1]} at frame {int(frames[0])}: its topology must not change over "
                    "time. Fix: disable modifiers that add/remove geometry (e.g. remesh, decimate)."
                )
            out[i] = verts
            progress((i + 1) / len(frames))
    finally:
        scene.frame_set(current[0], subframe=current[1])
    return out


def clone_from_mesh(
    target,
    source,
    scene,
    depsgraph_get,
    *,
    rest_frame: int,
    frame_start: int,
    frame_end: int,
    up: str = "Z",
    forward: str = "-Y",
    method: str | None = None,
    progress: Progress = _noop,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode ``source``'s animation over ``frame_start..frame_end`` and key ``target``'s sliders.

    The source's pose at ``rest_frame`` is its neutral. ``method``: ``FaceModel.encode``'s
    ("learned", "fit", "joint"; None: the weights' default). Returns ``(frames (T,), weights (T, 53))``
    (ICT order, clipped to 0..1 as keyed).
    """
    mesh_io.require_mesh_object(source, "source object")
    mesh_io.require_mesh_object(target, "target object")
    mesh_io.require_local(target)  # before the (long) encode: its keys would not be saved
    if source == target:
        raise ObjectError(
            "The source and the target are the same object: pick a different, animated source face."
        )
    if frame_end < frame_start:
        raise ValueError(f"frame range {frame_start}..{frame_end} is empty: set end >= start")
    fm = model_cache.get()
    rest = sample_source(source, scene, depsgraph_get, np.array([rest_frame]))[0]
    current = scene.frame_current, scene.frame_subframe
    try:
        scene.frame_set(int(rest_frame))
        tris = mesh_io.read_evaluated_triangles(source, depsgraph_get())
    finally:
        scene.frame_set(current[0], subframe=current[1])
    progress(0.05)
    neutral = model_cache.prepare(rest, tris, up, forward, name=source.name)
    progress(0.15)
    frames = np.arange(frame_start, frame_end + 1, dtype=np.float64)
    # Sample and encode in chunks so that long ranges on dense sources stay memory-bounded
    # (T * V * 3 float64 for all frames at once would be gigabytes).
    weights = np.empty((len(frames), facs.NUM_EXPRESSIONS), dtype=np.float32)
    for start in range(0, len(frames), _CHUNK):
        chunk = frames[start : start + _CHUNK]
        lo, span = start / len(frames), len(chunk) / len(frames)
        poses = sample_source(
            source,
            scene,
            depsgraph_get,
            chunk,
            lambda p, lo=lo, span=span: progress(0.15 + 0.75 * (lo + p * span)),
        )
        if poses.shape[1] != len(rest):
            raise MeshError(
                f"The source '{source.name}' has {poses.shape[1]} vertices at frame {int(chunk[0])} "
                f"but {len(rest)} at the rest frame: its topology must not change over time. Fix: "
                "disable modifiers that add/remove geometry, or pick another rest frame."
            )
        weights[start : start + len(chunk)] = np.clip(fm.encode(neutral, poses, method=method), 0.0, 1.0)
    progress(0.9)
    sliders.key_sliders(target, frames, weights)
    progress(1.0)
    return frames, weights
