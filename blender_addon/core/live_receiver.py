"""Live capture: a UDP receiver (Live Link Face or Face Cap OSC) driving the FACS sliders.

Threads: :class:`UdpReceiver` reads datagrams on a daemon thread and decodes them there
(:mod:`.live_protocols`, bpy-free); frames go into a bounded deque. Blender data is touched only
on the main thread, by :func:`tick` (a ``bpy.app.timers`` callback every
:data:`TIMER_INTERVAL` s), which keeps only the newest frame of each tick (older ones are counted
as skipped: showing a stale face late is worse than skipping it), sets the sliders, passes head
and eye pose to :data:`on_pose` when set, and keys the sliders at the scene's current frame while
recording.

Failure policy: a bad datagram is counted in ``dropped`` and discarded on the receiver thread; an
error while applying a frame is counted and shown in the panel, never raised into Blender. The
receiver stops on Stop, on add-on unregister and before a file loads (``load_pre``), so no
socket outlives the session that opened it.

Undo: the Start and Stop operators change no data but are undoable steps, so everything the
stream wrote between them (slider values, recorded keys) is undone as one step by Ctrl+Z after
Stop. Operators run by the artist *while* streaming split the take at their own undo steps.
"""

from __future__ import annotations

import collections
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import live_protocols as lp
from .errors import FaceSkinningError

PROTOCOLS = ("LIVE_LINK_FACE", "FACE_CAP")
TIMER_INTERVAL = 1.0 / 120.0  # s; the phone sends at 60 fps, so a frame waits at most ~8 ms
QUEUE_LENGTH = 16  # frames held between ticks; older ones are dropped first (counted as skipped)
_RECV_TIMEOUT = 0.05  # s; how quickly the reader thread notices stop()
_MAX_DATAGRAM = 65535

# Head/eye pose hook: called on the main thread as
# ``on_pose(obj, head_rot, head_pos, eye_l, eye_r)`` (arrays or None, see ``LiveFrame``) for every
# applied frame. None: pose is ignored. Wired to ``head_eyes.apply_head_eye_frame`` by the add-on.
on_pose: Callable | None = None


class LiveStreamError(FaceSkinningError):
    """The live receiver cannot start (bad address, port in use, no target)."""


class UdpReceiver:
    """A UDP socket read on a daemon thread; decoded frames in a bounded queue. bpy-free.

    ``protocol``: one of :data:`PROTOCOLS`. ``address``: the local address to bind ("0.0.0.0"
    for every interface, "127.0.0.1" for this machine only). ``port``: UDP port (0: any free one;
    the bound port is in :attr:`port`).
    """

    def __init__(self, protocol: str, address: str, port: int, queue_length: int = QUEUE_LENGTH):
        if protocol not in PROTOCOLS:
            raise LiveStreamError(f"Unknown live protocol {protocol!r}. Fix: pick one of {PROTOCOLS}.")
        self.protocol = protocol
        self._queue: collections.deque[lp.LiveFrame] = collections.deque(maxlen=queue_length)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.received = 0  # valid packets
        self.dropped = 0  # malformed packets, discarded
        # valid frames replaced by a newer one before they were applied (Face Cap: packets, which
        # may hold a single value when the app sends unbundled messages)
        self.skipped = 0
        self.ignored = 0  # OSC messages of addresses we do not use
        self.source = ""  # last sender "ip:port" (+ subject)
        self.last_error = ""  # last dropped packet's reason
        self._facecap = lp.FaceCapState()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, int(port)))
        except (OSError, OverflowError) as exc:
            sock.close()
            raise LiveStreamError(
                f"Cannot listen on {address}:{port} ({exc}). Fix: close the program already using "
                "that port (e.g. Unreal's Live Link) or pick another port, and use 0.0.0.0 or an "
                "address of this computer."
            ) from None
        sock.settimeout(_RECV_TIMEOUT)
        self._sock = sock
        self.address, self.port = sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._run, name="nfs-live-receiver", daemon=True)
        self._thread.start()

    # -- receiver thread
    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(_MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                break  # socket closed under us: stop() is running
            now = time.perf_counter()
            try:
                frame = self._decode(data)
            except lp.PacketError as exc:
                with self._lock:
                    self.dropped += 1
                    self.last_error = str(exc)
                continue
            if frame is None:
                continue
            frame.received = now
            with self._lock:
                self.received += 1
                self.source = f"{sender[0]}:{sender[1]}" + (f" ({frame.subject})" if frame.subject else "")
                if len(self._queue) == self._queue.maxlen:
                    self.skipped += 1
                self._queue.append(frame)

    def _decode(self, data: bytes) -> lp.LiveFrame | None:
        if self.protocol == "LIVE_LINK_FACE":
            return lp.decode_llf(data)
        messages = lp.decode_osc(data)
        # applied to a copy, kept only if every message is valid: a bad packet changes nothing
        state = self._facecap.copy()
        used = [state.update(address, args) for address, args in messages]
        self._facecap = state
        with self._lock:
            self.ignored += used.count(False)
        return state.frame() if any(used) else None

    # -- main thread
    def newest(self) -> lp.LiveFrame | None:
        """The newest queued frame (others counted as skipped), or None when nothing arrived."""
        with self._lock:
            if not self._queue:
                return None
            frame = self._queue.pop()
            self.skipped += len(self._queue)
            self._queue.clear()
        return frame

    def stats(self) -> dict:
        """Counters and source, for the panel and tests."""
        with self._lock:
            return {
                "received": self.received,
                "dropped": self.dropped,
                "skipped": self.skipped,
                "ignored": self.ignored,
                "source": self.source,
                "last_error": self.last_error,
            }

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop the thread and close the socket (the port is free again when this returns)."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        self._sock.close()


@dataclass
class LiveSession:
    """The running stream: receiver, target object name, what was applied."""

    receiver: UdpReceiver
    target: str
    applied: int = 0
    keyed_frames: int = 0
    errors: int = 0
    last_error: str = ""
    last_frame: lp.LiveFrame | None = None  # the frame the sliders show now
    # seconds from datagram read to sliders set, per applied frame (benchmarks/live_latency.py)
    latencies: collections.deque = field(default_factory=lambda: collections.deque(maxlen=100_000))
    _last_redraw: float = 0.0


_session: LiveSession | None = None


def session() -> LiveSession | None:
    """The running session, or None."""
    return _session


def status() -> dict | None:
    """Panel status: receiver counters plus applied/keyed/errors, or None when stopped."""
    if _session is None:
        return None
    s = _session.receiver.stats()
    s.update(
        protocol=_session.receiver.protocol,
        listen=f"{_session.receiver.address}:{_session.receiver.port}",
        target=_session.target,
        applied=_session.applied,
        keyed_frames=_session.keyed_frames,
        errors=_session.errors,
        apply_error=_session.last_error,
    )
    return s


def start(obj, protocol: str, address: str, port: int) -> LiveSession:
    """Start receiving onto ``obj``'s sliders (replacing a running session). Raises
    :class:`LiveStreamError` or ``ObjectError`` with the fix."""
    import bpy

    from . import sliders

    sliders.require_slider_target(obj)
    stop()
    global _session
    _session = LiveSession(UdpReceiver(protocol, address.strip() or "0.0.0.0", port), obj.name)
    if not bpy.app.timers.is_registered(_timer):
        bpy.app.timers.register(_timer, first_interval=TIMER_INTERVAL, persistent=False)
    return _session


def stop() -> dict | None:
    """Stop the running session (no-op when none); returns its final :func:`status`."""
    global _session
    if _session is None:
        return None
    final = status()
    _session.receiver.close()
    _session = None
    try:
        import bpy

        if bpy.app.timers.is_registered(_timer):
            bpy.app.timers.unregister(_timer)
    except (ImportError, ValueError):
        pass
    return final


def _is_playing() -> bool:
    import bpy

    wm = bpy.context.window_manager
    return bool(wm) and any(w.screen and w.screen.is_animation_playing for w in wm.windows)


def apply_frame(obj, frame: lp.LiveFrame, key_frame: float | None) -> None:
    """Set ``obj``'s sliders from ``frame`` (clipped to 0..1), call :data:`on_pose`, and key the
    sliders at scene frame ``key_frame`` unless it is None."""
    from . import sliders

    values = np.clip(frame.ict(), 0.0, 1.0)
    sliders.set_values(obj, values)
    if key_frame is not None:
        key_live(obj, key_frame, values)
    if on_pose is not None:
        on_pose(obj, frame.head_rot, frame.head_pos, frame.eye_l, frame.eye_r)


def key_live(obj, frame: float, values: np.ndarray) -> None:
    """Key the 53 sliders at scene ``frame`` with ``values`` (53,), replacing a key on that frame.

    ``sliders.key_sliders`` rewrites each whole curve (right for a capture import, one call), which
    makes a live take quadratic: at 60 fps it fell behind the stream within 10 s
    (``benchmarks/live_latency.py``). Here each key is inserted in place; the first key of a take
    still goes through ``key_sliders``, which creates the curves in the slider group.
    """
    from . import animation, sliders
    from ._model_import import facs

    curves = [animation.find_fcurve(obj, sliders.slider_path(n)) for n in facs.ICT_NAMES]
    if any(fc is None for fc in curves):
        sliders.key_sliders(obj, np.array([frame], dtype=np.float64), np.asarray(values)[None, :])
        return
    for fc, v in zip(curves, values, strict=True):
        # LINEAR like key_sliders' keys, so a live take and an imported one play back the same
        fc.keyframe_points.insert(frame, float(v), options={"FAST"}).interpolation = "LINEAR"
    obj.update_tag()


def tick(record: bool | None = None) -> bool:
    """Apply the newest received frame (main thread). ``record``: key the sliders at the current
    scene frame; None decides from the Record setting and whether the animation is playing.
    Returns True when a frame was applied. Never raises: errors are counted in the session."""
    s = _session
    if s is None:
        return False
    frame = s.receiver.newest()
    if frame is None:
        return False
    try:
        import bpy

        obj = bpy.data.objects.get(s.target)
        if obj is None:
            raise LiveStreamError(f"The target object '{s.target}' is gone. Fix: start again on a face.")
        scene = bpy.context.scene
        if record is None:
            settings = getattr(scene, "nfs_settings", None)
            record = bool(settings and settings.live_record) and _is_playing()
        apply_frame(obj, frame, float(scene.frame_current) if record else None)
        s.latencies.append(time.perf_counter() - frame.received)
        s.last_frame = frame
        s.applied += 1
        s.keyed_frames += int(bool(record))
        return True
    except Exception as exc:  # noqa: BLE001  (a timer must never raise into Blender)
        s.errors += 1
        s.last_error = f"{type(exc).__name__}: {exc}"
        return False


def _timer() -> float | None:
    if _session is None:
        return None  # unregisters the timer
    tick()
    now = time.perf_counter()
    if now - _session._last_redraw > 0.25:  # the panel's counters, 4 times a second
        _session._last_redraw = now
        _redraw_panels()
    return TIMER_INTERVAL


def _redraw_panels() -> None:
    try:
        import bpy

        for window in bpy.context.window_manager.windows:
            for area in window.screen.areas:
                if area.type == "VIEW_3D":
                    area.tag_redraw()
    except Exception:  # noqa: BLE001  (cosmetic only)
        pass


def _on_load_pre(*_args) -> None:
    stop()


def install_handlers() -> None:
    """Stop the stream before any file loads (the target object belongs to the old file)."""
    import bpy

    bpy.app.handlers.persistent(_on_load_pre)  # stay registered across loads
    if _on_load_pre not in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.append(_on_load_pre)


def remove_handlers() -> None:
    """Undo :func:`install_handlers` and stop the stream (add-on unregister)."""
    import bpy

    stop()
    while _on_load_pre in bpy.app.handlers.load_pre:
        bpy.app.handlers.load_pre.remove(_on_load_pre)
