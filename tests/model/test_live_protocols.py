"""Live capture wire formats (bpy-free): Live Link Face UDP packets and Face Cap OSC, both ways,
byte layouts checked against hand-built bytes, malformed datagrams refused with PacketError."""

from __future__ import annotations

import csv
import math
import pathlib
import struct

import numpy as np
import pytest

from blender_addon.core import capture_import
from blender_addon.core import live_protocols as lp
from model.facs import ARKIT_NAMES, arkit_to_ict_weights

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared/real-dev next to the checkout (main), or one level up (a worktree under wt/)
REAL_TAKE = next(
    (
        p
        for p in (d / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv" for d in ROOT.parents[:2])
        if p.is_file()
    ),
    ROOT.parent / "shared" / "real-dev" / "captures" / "llf_alex_rom_4.csv",
)
UUID = "0F0E0D0C-0B0A-0908-0706-050403020100"


def read_llf_csv(path: pathlib.Path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw rows of a Live Link Face CSV: ((T, 52) ARKit weights in ARKIT_NAMES order, by column
    name, unclipped; (T, 9) head/eye rotations in LLF_POSE_NAMES order)."""
    rows = list(csv.reader(path.open()))
    header = [h.strip() for h in rows[0]]
    body = rows[1 : None if limit is None else 1 + limit]
    arkit = np.zeros((len(body), 52), np.float32)
    pose = np.zeros((len(body), 9), np.float32)
    pose_cols = {n.lower(): i for i, n in enumerate(lp.LLF_POSE_NAMES)}
    for c, h in enumerate(header):
        if h.lower() in pose_cols:
            pose[:, pose_cols[h.lower()]] = [float(r[c]) for r in body]
        elif h.lower() not in ("timecode", "blendshapecount"):
            arkit[:, ARKIT_NAMES.index(capture_import.arkit_name(h))] = [float(r[c]) for r in body]
    return arkit, pose


def test_llf_byte_layout_by_hand():
    arkit = np.zeros(52, np.float32)
    arkit[ARKIT_NAMES.index("jawLeft")] = 0.5  # enum index 15
    arkit[ARKIT_NAMES.index("tongueOut")] = 1.0  # enum index 51
    pose = np.arange(9, dtype=np.float32) / 10
    data = lp.encode_llf(arkit, pose, frame_number=7, subframe=0.5, fps=(60, 1), subject="Ax", device_id=UUID)
    expected_head = (
        b"\x06"
        + b"\x00\x00\x00\x24" + UUID.encode()  # 36-byte device id, big-endian length
        + b"\x00\x00\x00\x02" + b"Ax"
        + b"\x00\x00\x00\x07" + b"\x3f\x00\x00\x00"  # frame 7, sub-frame 0.5
        + b"\x00\x00\x00\x3c" + b"\x00\x00\x00\x01"  # 60/1 fps
        + b"\x3d"  # 61 values
    )  # fmt: skip
    assert data[: len(expected_head)] == expected_head
    values = data[len(expected_head) :]
    assert len(values) == 61 * 4
    assert values[15 * 4 : 16 * 4] == b"\x3f\x00\x00\x00"  # 0.5 at JawLeft
    assert values[51 * 4 : 52 * 4] == b"\x3f\x80\x00\x00"  # 1.0 at TongueOut
    assert struct.unpack(">9f", values[52 * 4 :]) == pytest.approx(pose.tolist())
    frame = lp.decode_llf(data)
    np.testing.assert_array_equal(frame.arkit, arkit)
    np.testing.assert_array_equal(frame.head_rot, pose[0:3])
    np.testing.assert_array_equal(frame.eye_l, pose[3:6])
    np.testing.assert_array_equal(frame.eye_r, pose[6:9])
    assert frame.seconds == pytest.approx(7.5 / 60)
    assert (frame.subject, frame.device, frame.frame_number) == ("Ax", UUID, 7)


def test_llf_round_trip_random():
    rng = np.random.default_rng(3)
    for i in range(50):
        arkit = rng.uniform(-0.2, 1.2, 52).astype(np.float32)
        pose = rng.normal(size=9).astype(np.float32)
        frame = lp.decode_llf(lp.encode_llf(arkit, pose, frame_number=i, fps=(30000, 1001), subject="é" * i))
        np.testing.assert_array_equal(frame.arkit, arkit)
        assert frame.subject == "é" * i
        assert frame.seconds == pytest.approx(i * 1001 / 30000)


@pytest.mark.skipif(not REAL_TAKE.is_file(), reason=f"real-dev take not found at {REAL_TAKE}")
def test_llf_round_trip_real_take():
    arkit, pose = read_llf_csv(REAL_TAKE)
    assert arkit.shape[0] > 3000 and arkit.max() > 1.0  # the take overshoots 1 (tracker noise)
    for i in range(0, len(arkit), 7):
        frame = lp.decode_llf(lp.encode_llf(arkit[i], pose[i], frame_number=i))
        np.testing.assert_array_equal(frame.arkit, arkit[i])
        np.testing.assert_array_equal(frame.eye_r, pose[i, 6:9])
        np.testing.assert_array_equal(frame.ict(), arkit_to_ict_weights(arkit[i]))


def _good() -> bytes:
    return lp.encode_llf(np.full(52, 0.25, np.float32), subject="iPhone", device_id=UUID)


def _with_count(n: int) -> bytes:
    g = _good()
    at = 1 + 4 + 36 + 4 + 6 + 16
    return g[:at] + bytes([n]) + g[at + 1 :][: 4 * n] + b"\0" * max(0, 4 * n - 244)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"\x05" + _good()[1:], "version 5"),
        (_good()[:-1], "bytes of values"),
        (_good() + b"\0\0\0\0", "bytes of values"),
        (_with_count(60), "60 values"),
        (_good()[:30], "length"),
        (_good()[:60], "frame time"),
        (b"\x06\x7f\xff\xff\xff" + b"x" * 300, "device id length"),
        (_good()[:-4] + struct.pack(">f", math.nan), "NaN"),
        (_good()[:100] + struct.pack(">f", math.inf) + _good()[104:], "NaN"),
    ],
)
def test_llf_bad_packets(data, match):
    with pytest.raises(lp.PacketError, match=match):
        lp.decode_llf(data)


def test_llf_every_truncation_is_refused():
    g = _good()
    for n in range(len(g)):
        with pytest.raises(lp.PacketError):
            lp.decode_llf(g[:n])


def test_osc_message_bytes_by_hand():
    data = lp.encode_osc_message("/W", [3, 0.5])
    assert data == b"/W\0\0" + b",if\0" + b"\x00\x00\x00\x03" + b"\x3f\x00\x00\x00"
    assert lp.encode_osc_message("/ab", ["xyz"]) == b"/ab\0" + b",s\0\0" + b"xyz\0"
    assert lp.decode_osc(data) == [("/W", (3, 0.5))]
    assert lp.decode_osc(b"/abc\0\0\0\0" + b",s\0\0" + b"hello\0\0\0") == [("/abc", ("hello",))]


def test_osc_bundles_nested_and_flattened():
    inner = lp.encode_osc_bundle([lp.encode_osc_message("/HR", [1.0, 2.0, 3.0])])
    outer = lp.encode_osc_bundle([lp.encode_osc_message("/W", [0, 0.25]), inner])
    assert outer[:8] == b"#bundle\0"
    assert lp.decode_osc(outer) == [("/W", (0, 0.25)), ("/HR", (1.0, 2.0, 3.0))]


@pytest.mark.parametrize(
    "data, match",
    [
        (b"/W\0", "multiple of 4"),
        (b"/WWW", "unterminated"),
        (b"W\0\0\0,i\0\0\0\0\0\0", "start with '/'"),
        (b"/W\0\0,if\0\0\0\0\x03", "runs past"),
        (b"/W\0\0,q\0\0", "type tag 'q'"),
        (b"/W\0\0if\0\0", "type tags"),
        (b"#bundle\0" + b"\0" * 8 + b"\x00\x00\x00\x40" + b"/W\0\0", "does not fit"),
        (b"#bundle\0" + b"\0" * 4, "bundle header"),
    ],
)
def test_osc_bad_packets(data, match):
    with pytest.raises(lp.PacketError, match=match):
        lp.decode_osc(data)


def test_face_cap_state_mapping_and_units():
    arkit = np.linspace(0, 1, 52, dtype=np.float32)
    data = lp.encode_facecap_frame(arkit, head_rot_deg=[10, 20, 30], head_pos=[1, 2, 3], eye_l_deg=[5, 6])
    state = lp.FaceCapState()
    assert all(state.update(a, args) for a, args in lp.decode_osc(data))
    np.testing.assert_array_equal(state.arkit, arkit)
    # /W index 0 is browInnerUp in Face Cap's order, 24 is jawOpen
    s2 = lp.FaceCapState()
    s2.update("/W", (0, 0.75))
    s2.update("/W", (24, 0.5))
    assert s2.arkit[ARKIT_NAMES.index("browInnerUp")] == 0.75
    assert s2.arkit[ARKIT_NAMES.index("jawOpen")] == 0.5
    assert np.count_nonzero(s2.arkit) == 2
    frame = state.frame()
    np.testing.assert_allclose(frame.head_rot, np.radians([20, 10, 30]), rtol=1e-6)  # (yaw, pitch, roll)
    np.testing.assert_allclose(frame.eye_l, np.radians([6, 5, 0]), rtol=1e-6)
    np.testing.assert_array_equal(frame.head_pos, [1, 2, 3])
    assert frame.eye_r is None
    state.update("/W", (0, 0.0))
    i = ARKIT_NAMES.index("browInnerUp")
    assert frame.arkit[i] == arkit[i] != 0  # the snapshot is a copy
    assert state.update("/Unknown", (1.0,)) is False


@pytest.mark.parametrize(
    "address, args, match",
    [
        ("/W", (52, 0.5), "outside 0..51"),
        ("/W", (-1, 0.5), "outside"),
        ("/W", (0.0, 0.5), "int index"),
        ("/W", (0, math.nan), "NaN"),
        ("/HR", (1.0, 2.0), "3 numbers"),
        ("/ELR", (1.0, math.inf), "NaN"),
        ("/HT", ("a", 1.0, 2.0), "3 numbers"),
    ],
)
def test_face_cap_bad_messages(address, args, match):
    with pytest.raises(lp.PacketError, match=match):
        lp.FaceCapState().update(address, args)


def test_random_bytes_only_ever_raise_packet_error():
    rng = np.random.default_rng(0)
    good = _good()
    bundle = lp.encode_facecap_frame(np.zeros(52))
    for i in range(3000):
        n = int(rng.integers(0, 400))
        if i % 3 == 0:
            data = bytes(rng.integers(0, 256, n, dtype=np.uint8))
        else:  # flip bytes of valid packets: deeper paths
            base = bytearray(good if i % 3 == 1 else bundle)
            for j in rng.integers(0, len(base), 3):
                base[j] = int(rng.integers(0, 256))
            data = bytes(base)
        for decode in (lp.decode_llf, lp.decode_osc):
            try:
                decode(data)
            except lp.PacketError:
                pass


def test_face_cap_copy_is_independent():
    state = lp.FaceCapState()
    state.update("/HR", (1.0, 2.0, 3.0))
    other = state.copy()
    other.update("/W", (0, 0.5))
    other.update("/HR", (4.0, 5.0, 6.0))
    assert state.arkit.max() == 0.0
    np.testing.assert_allclose(state.head_rot, np.radians([2.0, 1.0, 3.0]), rtol=1e-6)
