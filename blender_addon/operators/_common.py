"""What every operator shares: error -> one report, progress bar, model on demand."""

from __future__ import annotations

import traceback
from collections.abc import Callable

from ..core import model_cache
from ..core.errors import FaceSkinningError
from ..properties.preferences import weights_path


class Progress:
    """Window-manager progress bar as a callable taking a fraction 0..1 (no-op without a window)."""

    def __init__(self, context):
        self.wm = context.window_manager

    def __enter__(self):
        self.wm.progress_begin(0, 100)
        return self

    def __call__(self, fraction: float) -> None:
        self.wm.progress_update(int(max(0.0, min(1.0, fraction)) * 100))

    def __exit__(self, *exc):
        self.wm.progress_end()
        return False


def run(op, work: Callable[[], str]) -> set[str]:
    """Call ``work`` (returns the success message); any failure becomes one ERROR report.

    Typed errors and bad-input ValueErrors carry a message with the fix; anything else is
    unexpected, reported in one line with the traceback printed to the console for bug reports.
    """
    try:
        message = work()
    except (FaceSkinningError, ValueError) as exc:
        op.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    except Exception as exc:  # noqa: BLE001  (operator boundary: never a traceback in a report)
        traceback.print_exc()
        op.report(
            {"ERROR"},
            f"Unexpected error ({type(exc).__name__}: {exc}). Details are in the system console; "
            "please report it.",
        )
        return {"CANCELLED"}
    op.report({"INFO"}, message)
    warning = model_cache.pop_warning()
    if warning:
        op.report({"WARNING"}, warning)
    return {"FINISHED"}


def ensure_model(context):
    """The loaded network, loading the preferences' or shipped weights on first use."""
    if not model_cache.is_loaded():
        model_cache.load(weights_path(context) or None)
    return model_cache.get()


def mesh_object_poll(cls, context) -> bool:
    """Poll: the active object is a mesh (the FACS sliders drive shape keys, which only meshes have
    here); any mode, since slider values and keys are object properties."""
    obj = context.active_object
    if obj is None or obj.type != "MESH":
        cls.poll_message_set("Select a mesh object (the face) first")
        return False
    return True


def active_mesh_poll(cls, context) -> bool:
    """Poll: an active mesh object in Object Mode (shape keys/groups cannot be written in Edit Mode)."""
    if not mesh_object_poll(cls, context):
        return False
    if context.active_object.mode != "OBJECT":
        cls.poll_message_set("Switch to Object Mode first")
        return False
    return True


class ActiveMeshOperator:
    """Mixin for operators that act on the active mesh: undoable, polled by :func:`active_mesh_poll`.

    Put it before ``bpy.types.Operator`` in the bases.
    """

    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return active_mesh_poll(cls, context)
