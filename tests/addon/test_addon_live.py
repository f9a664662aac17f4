"""Live capture in Blender: Live Link Face and Face Cap streams over loopback onto the FACS
sliders through the operators, recorded keys equal to what was sent, bad packets dropped and
counted, the socket closed on stop / unregister / file load.

Headless Blender runs no timers, so the tests call ``live_receiver.tick`` (what the timer calls)
themselves after each packet has arrived.
"""

from __future__ import annotations

import math
import pathlib
import socket
import struct
import sys
import time

import bpy
import numpy as np
import pytest
from addon_helpers import make_face

import blender_addon
from blender_addon.core import animation, live_receiver
from blender_addon.core import live_protocols as lp
from model.facs import ICT_NAMES, arkit_to_ict_weights

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "model"))
from test_live_protocols import REAL_TAKE, read_llf_csv  # noqa: E402

TIME_LIMIT = 10.0  # s for a whole stream test


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(protocol: str, port: int, obj=None) -> None:
    s = bpy.context.scene.nfs_settings
    s.live_protocol, s.live_address, s.live_port = protocol, "127.0.0.1", port
    if obj is not None:
        bpy.context.view_layer.objects.active = obj
    assert bpy.ops.face_skinning.live_start() == {"FINISHED"}
    assert live_receiver.session() is not None


def wait_for(key: str, count: int, deadline: float) -> None:
    while live_receiver.status()[key] < count:
        if time.perf_counter() > deadline:
            pytest.fail(f"timed out waiting for {key} = {count}: {live_receiver.status()}")
        time.sleep(0.0005)


def keyed_values(obj, frames: np.ndarray) -> np.ndarray:
    """(F, 53) slider keys at ``frames`` (each must be a key, not an interpolation)."""
    out = np.empty((len(frames), len(ICT_NAMES)), np.float64)
    for j, name in enumerate(ICT_NAMES):
        fc = animation.find_fcurve(obj, f"nfs_facs.{name}")
        assert fc is not None, name
        keys = {round(k.co[0]): k.co[1] for k in fc.keyframe_points}
        assert len(keys) == len(frames)
        out[:, j] = [keys[int(f)] for f in frames]
    return out


@pytest.fixture
def live(addon):
    """The add-on registered; the stream stopped and the pose hook cleared afterwards."""
    yield addon
    live_receiver.on_pose = None
    live_receiver.stop()


@pytest.mark.skipif(not REAL_TAKE.is_file(), reason=f"real-dev take not found at {REAL_TAKE}")
def test_live_link_face_stream_records_the_real_take(live):
    n = 120
    arkit, pose = read_llf_csv(REAL_TAKE)
    # 120 frames around the take's first overshoot above 1 (row 536), so clipping is exercised
    arkit, pose = arkit[480 : 480 + n], pose[480 : 480 + n]
    assert (arkit > 1).any()
    obj = make_face()
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    poses = []
    live_receiver.on_pose = lambda o, head, pos, el, er: poses.append((o.name, head, pos, el, er))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.perf_counter() + TIME_LIMIT
    scene = bpy.context.scene
    try:
        for i in range(n):
            sender.sendto(
                lp.encode_llf(arkit[i], pose[i], frame_number=i, subject="Alex"), ("127.0.0.1", port)
            )
            wait_for("received", i + 1, deadline)
            scene.frame_current = 1 + i
            assert live_receiver.tick(record=True)
    finally:
        sender.close()
    st = live_receiver.status()
    assert (st["received"], st["applied"], st["keyed_frames"], st["dropped"], st["errors"]) == (n, n, n, 0, 0)
    assert st["source"].startswith("127.0.0.1:") and "(Alex)" in st["source"]
    expected = np.clip(arkit_to_ict_weights(arkit), 0.0, 1.0)
    np.testing.assert_allclose(keyed_values(obj, np.arange(1, n + 1)), expected, rtol=0, atol=1e-7)
    # the sliders hold the last frame; the pose hook got every frame's head/eye rotation
    current = np.array([getattr(obj.nfs_facs, nm) for nm in ICT_NAMES])
    np.testing.assert_allclose(current, expected[-1], rtol=0, atol=1e-7)
    assert len(poses) == n and poses[-1][0] == obj.name
    np.testing.assert_array_equal(poses[-1][3], pose[-1, 3:6])
    np.testing.assert_array_equal(poses[-1][4], pose[-1, 6:9])
    assert bpy.ops.face_skinning.live_stop() == {"FINISHED"}
    assert live_receiver.session() is None and port_is_free(port)


def test_face_cap_osc_stream(live):
    n = 30
    rng = np.random.default_rng(1)
    arkit = rng.uniform(0, 1, (n, 52)).astype(np.float32)
    obj = make_face()
    port = free_port()
    start("FACE_CAP", port, obj)
    poses = []
    live_receiver.on_pose = lambda o, head, pos, el, er: poses.append((head, pos, el, er))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deadline = time.perf_counter() + TIME_LIMIT
    try:
        for i in range(n):
            data = lp.encode_facecap_frame(
                arkit[i], [i, 2.0 * i, 0.5], [0.1, 0.2, 0.3], [1.0, 2.0], [3.0, 4.0]
            )
            sender.sendto(data, ("127.0.0.1", port))
            wait_for("received", i + 1, deadline)
            bpy.context.scene.frame_current = 10 + i
            assert live_receiver.tick(record=True)
        # unbundled messages (Face Cap may send them one by one) update the held state
        sender.sendto(lp.encode_osc_message("/W", [24, 0.125]), ("127.0.0.1", port))  # jawOpen
        sender.sendto(lp.encode_osc_message("/Other", [1.0]), ("127.0.0.1", port))  # ignored
        wait_for("ignored", 1, deadline)
        assert live_receiver.tick(record=False)
    finally:
        sender.close()
    expected = arkit_to_ict_weights(arkit)
    np.testing.assert_allclose(keyed_values(obj, np.arange(10, 10 + n)), expected, rtol=0, atol=1e-7)
    assert obj.nfs_facs.jawOpen == pytest.approx(0.125)
    assert obj.nfs_facs.eyeBlink_L == pytest.approx(float(expected[-1, ICT_NAMES.index("eyeBlink_L")]))
    head, pos, el, er = poses[n - 1]
    np.testing.assert_allclose(head, np.radians([2.0 * (n - 1), n - 1, 0.5]), rtol=1e-6)
    np.testing.assert_allclose(er, np.radians([4.0, 3.0, 0.0]), rtol=1e-6)
    st = live_receiver.status()
    assert (st["dropped"], st["errors"], st["keyed_frames"]) == (0, 0, n)
    assert bpy.ops.face_skinning.live_stop() == {"FINISHED"}
    assert port_is_free(port)


def test_bad_packets_are_dropped_and_counted(live):
    obj = make_face()
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    good = lp.encode_llf(np.full(52, 0.5, np.float32), frame_number=1)
    bad = [
        good[:-3],  # truncated
        b"\x05" + good[1:],  # wrong version
        good[:-4] + struct.pack(">f", math.nan),  # NaN
        good[: len(good) - 244 - 1] + b"\x3c" + good[len(good) - 244 : -4],  # 60 values
        b"\xff" * 7,  # garbage
        lp.encode_osc_message("/W", [0, 1.0]),  # the other protocol
    ]
    deadline = time.perf_counter() + TIME_LIMIT
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for data in bad:
            sender.sendto(data, ("127.0.0.1", port))
        wait_for("dropped", len(bad), deadline)
        assert live_receiver.tick(record=True) is False  # nothing valid to apply
        assert obj.nfs_facs.jawOpen == 0.0 and animation.find_fcurve(obj, "nfs_facs.jawOpen") is None
        sender.sendto(good, ("127.0.0.1", port))
        wait_for("received", 1, deadline)
    assert live_receiver.tick(record=False)
    assert obj.nfs_facs.jawOpen == 0.5
    st = live_receiver.status()
    assert (st["received"], st["dropped"], st["applied"]) == (1, len(bad), 1)
    assert st["last_error"]  # the panel shows why the last one was dropped


def test_only_the_newest_frame_is_applied_per_tick(live):
    obj = make_face()
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    deadline = time.perf_counter() + TIME_LIMIT
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i in range(5):
            w = np.zeros(52, np.float32)
            w[24] = (i + 1) / 10  # jawOpen in ARKIT_NAMES order
            sender.sendto(lp.encode_llf(w, frame_number=i), ("127.0.0.1", port))
        wait_for("received", 5, deadline)
    bpy.context.scene.nfs_settings.live_record = True
    assert live_receiver.tick()  # record=None: Record is on but nothing plays (headless): no key
    assert obj.nfs_facs.jawOpen == pytest.approx(0.5)
    assert animation.find_fcurve(obj, "nfs_facs.jawOpen") is None
    assert live_receiver.status()["skipped"] == 4 and live_receiver.tick() is False


def test_port_in_use_is_a_clear_error_and_target_loss_never_raises(live):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", 0))
    port = blocker.getsockname()[1]
    try:
        obj = make_face()
        s = bpy.context.scene.nfs_settings
        s.live_address, s.live_port = "127.0.0.1", port
        with pytest.raises(RuntimeError, match=f"Cannot listen on 127.0.0.1:{port}.*Fix"):
            bpy.ops.face_skinning.live_start()
        assert live_receiver.session() is None
    finally:
        blocker.close()
    start("LIVE_LINK_FACE", port, obj)
    bpy.data.objects.remove(obj)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(lp.encode_llf(np.zeros(52)), ("127.0.0.1", port))
        wait_for("received", 1, time.perf_counter() + TIME_LIMIT)
    assert live_receiver.tick(record=True) is False
    st = live_receiver.status()
    assert st["errors"] == 1 and "gone" in st["apply_error"]


def test_stop_on_file_load_and_unregister(live, tmp_path):
    obj = make_face()
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    path = tmp_path / "a.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.open_mainfile(filepath=str(path))
    assert live_receiver.session() is None and port_is_free(port)
    # the handler survives the load: a second session is stopped by the next load too
    start("LIVE_LINK_FACE", port, bpy.data.objects["Face"])
    bpy.ops.wm.open_mainfile(filepath=str(path))
    assert live_receiver.session() is None and port_is_free(port)
    start("LIVE_LINK_FACE", port, bpy.data.objects["Face"])
    blender_addon.unregister()
    assert live_receiver.session() is None and port_is_free(port)
    assert live_receiver._on_load_pre not in bpy.app.handlers.load_pre
    blender_addon.register()


def test_recorded_take_undoes_as_one_step(live):
    obj = make_face()
    port = free_port()
    s = bpy.context.scene.nfs_settings
    s.live_address, s.live_port = "127.0.0.1", port
    bpy.ops.ed.undo_push(message="before live")
    assert bpy.ops.face_skinning.live_start("EXEC_DEFAULT", True) == {"FINISHED"}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for i in range(3):
            sender.sendto(lp.encode_llf(np.full(52, 0.1 * (i + 1), np.float32)), ("127.0.0.1", port))
            wait_for("received", i + 1, time.perf_counter() + TIME_LIMIT)
            bpy.context.scene.frame_current = 1 + i
            assert live_receiver.tick(record=True)
    assert obj.nfs_facs.jawOpen == pytest.approx(0.3)
    assert bpy.ops.face_skinning.live_stop("EXEC_DEFAULT", True) == {"FINISHED"}
    assert animation.find_fcurve(bpy.data.objects["Face"], "nfs_facs.jawOpen") is not None
    bpy.ops.ed.undo()  # one step: back to just after Start, before anything was streamed
    face = bpy.data.objects["Face"]
    assert animation.find_fcurve(face, "nfs_facs.jawOpen") is None
    assert face.nfs_facs.jawOpen == 0.0


def test_recording_again_replaces_only_that_frames_key(live):
    obj = make_face()
    live_receiver.key_live(obj, 5.0, np.full(53, 0.5))  # first key: creates the curves
    for f in (1.0, 2.0, 3.0):
        live_receiver.key_live(obj, f, np.full(53, f / 10))
    live_receiver.key_live(obj, 2.0, np.full(53, 0.9))  # a second pass over frame 2
    fc = animation.find_fcurve(obj, "nfs_facs.mouthClose")
    co = [tuple(k.co) for k in fc.keyframe_points]
    assert co == [(1.0, pytest.approx(0.1)), (2.0, pytest.approx(0.9)), (3.0, pytest.approx(0.3)), (5.0, 0.5)]
    assert {k.interpolation for k in fc.keyframe_points} == {"LINEAR"}
    assert fc.group is not None and fc.group.name == "FACS sliders"


def test_panel_shows_start_then_status_and_stop(live):
    from test_addon_panels import _draw

    obj = make_face()
    log = _draw("clone")
    assert ("operator", "face_skinning.live_start") in log
    assert {("prop", p) for p in ("live_protocol", "live_address", "live_port", "live_record")} <= set(log)
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"junk", ("127.0.0.1", port))
        sender.sendto(lp.encode_llf(np.zeros(52), subject="Phone"), ("127.0.0.1", port))
        wait_for("received", 1, time.perf_counter() + TIME_LIMIT)
    live_receiver.tick(record=False)
    log = _draw("clone")
    labels = [x for kind, x in log if kind == "label"]
    assert ("operator", "face_skinning.live_stop") in log
    assert ("operator", "face_skinning.live_start") not in log
    assert f"127.0.0.1:{port} -> Face" in labels
    assert "Received 1, applied 1, keyed 0" in labels and "Dropped 1, skipped 0" in labels
    assert any(x.startswith("Source: 127.0.0.1:") and x.endswith("(Phone)") for x in labels)
    assert bpy.ops.face_skinning.live_stop.poll()
    live_receiver.stop()
    assert not bpy.ops.face_skinning.live_stop.poll()


def test_face_cap_bad_bundle_changes_nothing(live):
    obj = make_face()
    port = free_port()
    start("FACE_CAP", port, obj)
    good = lp.encode_osc_message("/W", [24, 0.5])  # jawOpen
    half_bad = [lp.encode_osc_message("/W", [24, 0.9]), lp.encode_osc_message("/W", [99, 0.1])]
    bad = lp.encode_osc_bundle(half_bad)
    deadline = time.perf_counter() + TIME_LIMIT
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(good, ("127.0.0.1", port))
        wait_for("received", 1, deadline)
        sender.sendto(bad, ("127.0.0.1", port))
        wait_for("dropped", 1, deadline)
        sender.sendto(lp.encode_osc_message("/HT", [0.0, 0.0, 0.0]), ("127.0.0.1", port))
        wait_for("received", 2, deadline)
    assert live_receiver.tick(record=False)
    assert obj.nfs_facs.jawOpen == pytest.approx(0.5)  # the bad bundle's valid half was not applied
    assert "index 99" in live_receiver.status()["last_error"]


def test_timer_is_registered_while_running_and_applies_frames(live):
    obj = make_face()
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    assert bpy.app.timers.is_registered(live_receiver._timer)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(lp.encode_llf(np.full(52, 0.25, np.float32)), ("127.0.0.1", port))
        wait_for("received", 1, time.perf_counter() + TIME_LIMIT)
    assert live_receiver._timer() == live_receiver.TIMER_INTERVAL  # what Blender calls
    assert obj.nfs_facs.mouthClose == 0.25
    live_receiver.stop()
    assert not bpy.app.timers.is_registered(live_receiver._timer)
    assert live_receiver._timer() is None  # a stray call after stop unregisters itself


def test_live_stream_turns_the_head_and_eye_targets_set_in_the_panel(live):
    """The Start operator wires the stream's head/eye pose to the capture's head/eye targets."""
    from blender_addon.core import head_eyes

    obj = make_face()
    head = bpy.data.objects.new("LiveHead", None)
    eye_l = bpy.data.objects.new("LiveEyeL", None)
    reference = bpy.data.objects.new("Reference", None)
    for o in (head, eye_l, reference):
        bpy.context.scene.collection.objects.link(o)
    s = bpy.context.scene.nfs_settings
    s.capture_head, s.capture_eye_left = head, eye_l
    port = free_port()
    start("LIVE_LINK_FACE", port, obj)
    pose = np.zeros(9, dtype=np.float32)
    pose[0:3] = (0.3, -0.1, 0.05)  # head yaw, pitch, roll (radians)
    pose[3:6] = (-0.4, 0.2, 0.0)  # left eye
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(lp.encode_llf(np.zeros(52, np.float32), pose, frame_number=0), ("127.0.0.1", port))
        wait_for("received", 1, time.perf_counter() + TIME_LIMIT)
        assert live_receiver.tick(record=False)
    finally:
        sender.close()
        s.capture_head = s.capture_eye_left = None
    assert live_receiver.status()["errors"] == 0
    # the same pose set directly on a reference object gives the same rotation
    head_eyes.apply_head_eye_frame(head_eyes.HeadEyeTargets(head=reference), pose[0:3], None, None, None)
    assert max(abs(a) for a in head.delta_rotation_euler) > 0.05
    turned, expected = tuple(head.delta_rotation_euler), tuple(reference.delta_rotation_euler)
    np.testing.assert_allclose(turned, expected, atol=1e-6)
    assert max(abs(a) for a in eye_l.delta_rotation_euler) > 0.05
