"""Live face-capture wire formats, bpy-free: Live Link Face UDP packets and Face Cap OSC.

Both decoders turn one UDP datagram into ARKit weights (``facs.ARKIT_NAMES`` order) plus head and
eye pose; every malformed datagram raises :class:`PacketError` (the receiver counts and drops it).
The encoders exist for the test sender and ``benchmarks/live_latency.py``.

Live Link Face (Epic Games' iOS app, "Live Link" streaming, UDP, default port 11111)
--------------------------------------------------------------------------------
One datagram per tracked frame, network byte order (big-endian) throughout::

    uint8    packet version (6 for the current app)
    int32    device-id length N, then N bytes (UTF-8; the app sends a 36-character UUID)
    int32    subject-name length M, then M bytes (UTF-8)
    int32    frame number      \
    float32  sub-frame          | FQualifiedFrameTime: time = (frame + sub-frame) / (num / den)
    int32    fps numerator      |
    int32    fps denominator   /
    uint8    value count (61)
    61 x float32: the 52 ARKit blendshapes in Unreal's ``EARFaceBlendShape`` order
             (:data:`LLF_NAMES`), then head yaw/pitch/roll and left-eye, right-eye yaw/pitch/roll
             (radians).

What was confirmed, and from where (searched in public sources, 2026-11-26):

* Field order version -> device id -> subject name -> time -> count -> floats, big-endian, and the
  receiver refusing a wrong version or a count other than the enum size: Unreal Engine's
  ``AppleARKitLiveLinkSource.cpp`` (``FAppleARKitLiveLinkRemotePublisher::PublishBlendShapes``
  and ``FAppleARKitLiveLinkRemoteListener::Tick``, serialized with ``FNboSerializeToBuffer``, i.e.
  network byte order). That copy is packet version 5 (``FTimecode`` + ``uint32`` frame rate); the
  version list in the same file and LLV's notes (github.com/think-biq/LLV, readme "Frame layout")
  give the later ``FQualifiedFrameTime`` (int32 + float + int32 + int32 = 16 bytes) used here.
* Version 6, strings as int32 length + bytes, and the ``!if2ib`` time/count layout followed by
  ``!61f``: the PyLiveLinkFace encoder/decoder (its "``$``" UUID prefix is the last byte, 36, of
  the big-endian length, read as text).
* Value order: Unreal's ``EARFaceBlendShape`` enum (0 EyeBlinkLeft ... 14 JawForward, 15 JawLeft,
  16 JawRight ... 21 MouthLeft, 22 MouthRight ... 51 TongueOut), then the 9 rotations (PantoMatrix
  issue #90 lists indices 52..60 as HeadYaw ... RightEyeRoll).
* Not confirmed: the Live Link Face *CSV* header lists ``JawRight,JawLeft`` and
  ``MouthRight,MouthLeft`` where the enum has Left before Right. We follow the enum (what
  Unreal's receiver decodes); decoding is by name, so a CSV replayed through :func:`encode_llf`
  arrives under the names its header gives.

Face Cap (Bannaflak's iOS app, OSC over UDP to the address entered in the app)
-----------------------------------------------------------------------------
OSC 1.0 messages (address, ``,``-type-tag string, 4-byte-aligned big-endian arguments), possibly
wrapped in ``#bundle``\\ s. Addresses, from Face Cap's live-mode page
(bannaflak.com/face-cap/livemode.html, "Face Cap OSC Addresses & data formatting") and the same
bindings in the extOSC Face Cap sample receiver and OpenMoBu's Face Cap device:

* ``/W`` int index, float value: one blendshape (0..1), index in :data:`FACECAP_NAMES` order
  (OpenMoBu ``EHardwareBlendshapes``; its first ten, brow inner up ... eye look in left, checked
  against the live-mode page's index list, which the search excerpt cut off there).
* ``/HR`` 3 floats: head rotation, Euler degrees (x, y, z).
* ``/HT`` 3 floats: head translation.
* ``/ELR``, ``/ERR`` 2 floats: left/right eye rotation, Euler degrees (x, y).
* ``/HRQ`` 4 floats: head rotation as a quaternion; the same as ``/HR``, counted as ignored.

Assumption (not confirmed): x is pitch, y is yaw, z is roll, so ``/HR`` (x, y, z) becomes
(yaw, pitch, roll) = (y, x, z) in radians, the same convention as Live Link Face's values.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._model_import import facs

LLF_DEFAULT_PORT = 11111
LLF_VERSION = 6
LLF_VALUE_COUNT = 61
_LLF_MAX_STRING = 256  # Unreal's receive buffer allows 256 TCHARs per name

# Unreal's EARFaceBlendShape order, written in facs.ARKIT_NAMES spelling.
LLF_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft",
    "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft",
    "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft", "browDownRight",
    "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft",
    "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)  # fmt: skip
LLF_POSE_NAMES = (
    "headYaw", "headPitch", "headRoll", "leftEyeYaw", "leftEyePitch", "leftEyeRoll",
    "rightEyeYaw", "rightEyePitch", "rightEyeRoll",
)  # fmt: skip

# Face Cap's /W index order (OpenMoBu's EHardwareBlendshapes), in facs.ARKIT_NAMES spelling.
FACECAP_NAMES: tuple[str, ...] = (
    "browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight",
    "eyeLookUpLeft", "eyeLookUpRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft",
    "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeBlinkLeft", "eyeBlinkRight",
    "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "cheekPuff",
    "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "jawOpen",
    "jawForward", "jawLeft", "jawRight", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthRollUpper", "mouthRollLower", "mouthShrugUpper", "mouthShrugLower", "mouthClose",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft",
    "mouthDimpleRight", "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthStretchLeft",
    "mouthStretchRight", "tongueOut",
)  # fmt: skip

# position in the wire order -> index in facs.ARKIT_NAMES
LLF_TO_ARKIT = np.array([facs.ARKIT_NAMES.index(n) for n in LLF_NAMES], dtype=np.int64)
FACECAP_TO_ARKIT = np.array([facs.ARKIT_NAMES.index(n) for n in FACECAP_NAMES], dtype=np.int64)
assert sorted(LLF_TO_ARKIT.tolist()) == list(range(facs.NUM_ARKIT))
assert sorted(FACECAP_TO_ARKIT.tolist()) == list(range(facs.NUM_ARKIT))


class PacketError(ValueError):
    """A datagram that is not a valid packet of the expected protocol (dropped, never applied)."""


@dataclass
class LiveFrame:
    """One decoded frame of a live stream.

    ``arkit``: (52,) float32 weights in ``facs.ARKIT_NAMES`` order, as sent (not clipped).
    ``head_rot``: (3,) float32 (yaw, pitch, roll) radians, or None when the stream has none yet.
    ``head_pos``: (3,) float32 head translation as sent (Face Cap ``/HT``), or None.
    ``eye_l``, ``eye_r``: (3,) float32 (yaw, pitch, roll) radians (Face Cap: roll 0), or None.
    ``seconds``: the sender's frame time in seconds (Live Link Face), else None.
    ``subject``/``device``: the sender's names (Live Link Face), else "".
    ``received``: ``time.perf_counter()`` when the datagram was read (set by the receiver).
    """

    arkit: np.ndarray
    head_rot: np.ndarray | None = None
    head_pos: np.ndarray | None = None
    eye_l: np.ndarray | None = None
    eye_r: np.ndarray | None = None
    seconds: float | None = None
    frame_number: int | None = None
    subject: str = ""
    device: str = ""
    received: float = 0.0

    def ict(self) -> np.ndarray:
        """(53,) float32 ICT slider weights (split units copied to both halves; not clipped)."""
        return facs.arkit_to_ict_weights(self.arkit)


def _finite(values: np.ndarray, what: str) -> np.ndarray:
    if not np.isfinite(values).all():
        raise PacketError(f"{what} contains NaN or infinite values")
    return values


# ----------------------------------------------------------------------------- Live Link Face


def _pack_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">i", len(raw)) + raw


def encode_llf(
    arkit: Sequence[float] | np.ndarray,
    pose: Sequence[float] | np.ndarray | None = None,
    *,
    frame_number: int = 0,
    subframe: float = 0.0,
    fps: tuple[int, int] = (60, 1),
    subject: str = "iPhone",
    device_id: str = "00000000-0000-0000-0000-000000000000",
    version: int = LLF_VERSION,
) -> bytes:
    """One Live Link Face datagram. ``arkit`` (52,) in ``facs.ARKIT_NAMES`` order (reordered to
    the wire's :data:`LLF_NAMES`), ``pose`` (9,) :data:`LLF_POSE_NAMES` radians (zeros if None),
    ``fps`` = (numerator, denominator)."""
    arkit = np.asarray(arkit, dtype=np.float32).reshape(-1)
    if arkit.shape != (facs.NUM_ARKIT,):
        raise ValueError(f"expected {facs.NUM_ARKIT} ARKit weights, got {arkit.shape}")
    pose = np.zeros(9, np.float32) if pose is None else np.asarray(pose, dtype=np.float32).reshape(-1)
    if pose.shape != (9,):
        raise ValueError(f"expected 9 pose values, got {pose.shape}")
    values = np.concatenate([arkit[LLF_TO_ARKIT], pose]).astype(">f4")
    return b"".join(
        (
            struct.pack(">B", version),
            _pack_string(device_id),
            _pack_string(subject),
            struct.pack(">ifiiB", frame_number, subframe, fps[0], fps[1], LLF_VALUE_COUNT),
            values.tobytes(),
        )
    )


def _read_string(data: bytes, at: int, what: str) -> tuple[str, int]:
    if at + 4 > len(data):
        raise PacketError(f"truncated before the {what} length")
    (n,) = struct.unpack_from(">i", data, at)
    at += 4
    if not 0 <= n <= _LLF_MAX_STRING * 4 or at + n > len(data):
        raise PacketError(f"{what} length {n} does not fit the {len(data)}-byte packet")
    try:
        return data[at : at + n].decode("utf-8"), at + n
    except UnicodeDecodeError:
        raise PacketError(f"{what} is not UTF-8") from None


def decode_llf(data: bytes) -> LiveFrame:
    """Decode one Live Link Face datagram (layout in the module docstring).

    Raises :class:`PacketError` for a wrong version, truncated or over-long packet, a value count
    other than 61, or NaN/infinite values."""
    if len(data) < 1:
        raise PacketError("empty packet")
    if data[0] != LLF_VERSION:
        raise PacketError(f"packet version {data[0]}, expected {LLF_VERSION}")
    device, at = _read_string(data, 1, "device id")
    subject, at = _read_string(data, at, "subject name")
    if at + 17 > len(data):
        raise PacketError("truncated in the frame time")
    frame, subframe, num, den, count = struct.unpack_from(">ifiiB", data, at)
    at += 17
    if count != LLF_VALUE_COUNT:
        raise PacketError(f"{count} values, expected {LLF_VALUE_COUNT}")
    if len(data) - at != 4 * count:
        raise PacketError(f"{len(data) - at} bytes of values, expected {4 * count}")
    values = _finite(np.frombuffer(data, dtype=">f4", count=count, offset=at).astype(np.float32), "values")
    arkit = np.empty(facs.NUM_ARKIT, np.float32)
    arkit[LLF_TO_ARKIT] = values[: facs.NUM_ARKIT]
    pose = values[facs.NUM_ARKIT :]
    rate = num / den if num > 0 and den > 0 else 0.0
    seconds = (frame + subframe) / rate if rate > 0 and math.isfinite(subframe) else None
    return LiveFrame(
        arkit=arkit,
        head_rot=pose[0:3].copy(),
        eye_l=pose[3:6].copy(),
        eye_r=pose[6:9].copy(),
        seconds=seconds,
        frame_number=int(frame),
        subject=subject,
        device=device,
    )


# ----------------------------------------------------------------------------- OSC


def _osc_string(text: str) -> bytes:
    raw = text.encode("utf-8") + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def encode_osc_message(address: str, args: Iterable[int | float | str]) -> bytes:
    """One OSC 1.0 message: Python ``int`` -> ``i`` (int32), ``float`` -> ``f`` (float32),
    ``str`` -> ``s``."""
    tags, payload = [","], []
    for a in args:
        if isinstance(a, bool) or not isinstance(a, (int, float, str)):
            raise ValueError(f"unsupported OSC argument {a!r}")
        if isinstance(a, int):
            tags.append("i")
            payload.append(struct.pack(">i", a))
        elif isinstance(a, float):
            tags.append("f")
            payload.append(struct.pack(">f", a))
        else:
            tags.append("s")
            payload.append(_osc_string(a))
    return _osc_string(address) + _osc_string("".join(tags)) + b"".join(payload)


def encode_osc_bundle(elements: Iterable[bytes], timetag: int = 1) -> bytes:
    """An OSC bundle of encoded messages/bundles (``timetag`` 1 = "immediately")."""
    body = b"".join(struct.pack(">i", len(e)) + e for e in elements)
    return _osc_string("#bundle") + struct.pack(">Q", timetag) + body


def _read_osc_string(data: bytes, at: int) -> tuple[str, int]:
    end = data.find(b"\0", at)
    if end < 0:
        raise PacketError("unterminated OSC string")
    try:
        text = data[at:end].decode("utf-8")
    except UnicodeDecodeError:
        raise PacketError("OSC string is not UTF-8") from None
    nxt = end + 1 + (-(end + 1 - at) % 4)
    if nxt > len(data):
        raise PacketError("OSC string padding runs past the packet")
    return text, nxt


_OSC_FIXED = {"i": (">i", 4), "f": (">f", 4), "d": (">d", 8), "h": (">q", 8)}
_OSC_NO_DATA = {"T": True, "F": False, "N": None}


def _decode_message(data: bytes) -> tuple[str, tuple]:
    address, at = _read_osc_string(data, 0)
    if not address.startswith("/"):
        raise PacketError(f"OSC address {address[:40]!r} does not start with '/'")
    if at >= len(data):
        return address, ()  # OSC 1.0 tolerates a message without type tags
    tags, at = _read_osc_string(data, at)
    if not tags.startswith(","):
        raise PacketError("OSC type tags do not start with ','")
    args: list = []
    for t in tags[1:]:
        if t in _OSC_FIXED:
            fmt, size = _OSC_FIXED[t]
            if at + size > len(data):
                raise PacketError(f"OSC argument '{t}' runs past the packet")
            args.append(struct.unpack_from(fmt, data, at)[0])
            at += size
        elif t == "s":
            s, at = _read_osc_string(data, at)
            args.append(s)
        elif t in _OSC_NO_DATA:
            args.append(_OSC_NO_DATA[t])
        else:
            raise PacketError(f"unsupported OSC type tag '{t}'")
    return address, tuple(args)


def decode_osc(data: bytes, _depth: int = 0) -> list[tuple[str, tuple]]:
    """Decode an OSC packet (message or bundle, nested bundles flattened in order) into
    ``[(address, args), ...]``. Raises :class:`PacketError` on malformed input."""
    if _depth > 8:
        raise PacketError("OSC bundles nested too deep")
    if len(data) == 0 or len(data) % 4:
        raise PacketError(f"OSC packet of {len(data)} bytes (must be a non-zero multiple of 4)")
    if not data.startswith(b"#bundle\0"):
        return [_decode_message(data)]
    at, out = 16, []
    if len(data) < at:
        raise PacketError("truncated OSC bundle header")
    while at < len(data):
        if at + 4 > len(data):
            raise PacketError("truncated OSC bundle element size")
        (n,) = struct.unpack_from(">i", data, at)
        at += 4
        if n <= 0 or at + n > len(data):
            raise PacketError(f"OSC bundle element of {n} bytes does not fit")
        out += decode_osc(data[at : at + n], _depth + 1)
        at += n
    return out


# ----------------------------------------------------------------------------- Face Cap


@dataclass
class FaceCapState:
    """Face Cap sends each value in its own OSC message; this holds the latest of each.

    Angles are stored in radians, (yaw, pitch, roll), per the module docstring's assumption.
    """

    arkit: np.ndarray = field(default_factory=lambda: np.zeros(facs.NUM_ARKIT, np.float32))
    head_rot: np.ndarray | None = None
    head_pos: np.ndarray | None = None
    eye_l: np.ndarray | None = None
    eye_r: np.ndarray | None = None

    def update(self, address: str, args: tuple) -> bool:
        """Apply one message. Returns False for an address Face Cap streams that we do not use
        (ignored); raises :class:`PacketError` for a known address with bad arguments."""
        if address == "/W":
            if len(args) != 2 or not isinstance(args[0], int) or not isinstance(args[1], float):
                raise PacketError(f"/W expects (int index, float value), got {args!r}")
            index, value = args
            if not 0 <= index < facs.NUM_ARKIT:
                raise PacketError(f"/W blendshape index {index} outside 0..{facs.NUM_ARKIT - 1}")
            if not math.isfinite(value):
                raise PacketError("/W value is NaN or infinite")
            self.arkit[FACECAP_TO_ARKIT[index]] = value
            return True
        sizes = {"/HR": 3, "/HT": 3, "/ELR": 2, "/ERR": 2}
        if address not in sizes:
            return False
        n = sizes[address]
        if len(args) != n or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args):
            raise PacketError(f"{address} expects {n} numbers, got {args!r}")
        v = _finite(np.asarray(args, dtype=np.float32), address)
        if address == "/HT":
            self.head_pos = v
        elif address == "/HR":
            self.head_rot = np.radians(np.array([v[1], v[0], v[2]], np.float32))
        else:
            eye = np.radians(np.array([v[1], v[0], 0.0], np.float32))
            if address == "/ELR":
                self.eye_l = eye
            else:
                self.eye_r = eye
        return True

    def copy(self) -> FaceCapState:
        """An independent copy (the receiver applies a packet to a copy, then keeps it)."""
        f = self.frame()
        return FaceCapState(f.arkit, f.head_rot, f.head_pos, f.eye_l, f.eye_r)

    def frame(self) -> LiveFrame:
        """A snapshot of the current state (copies, so later messages do not change it)."""

        def cp(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a.copy()

        return LiveFrame(
            self.arkit.copy(), cp(self.head_rot), cp(self.head_pos), cp(self.eye_l), cp(self.eye_r)
        )


def encode_facecap_frame(
    arkit: Sequence[float] | np.ndarray,
    head_rot_deg: Sequence[float] | None = None,
    head_pos: Sequence[float] | None = None,
    eye_l_deg: Sequence[float] | None = None,
    eye_r_deg: Sequence[float] | None = None,
) -> bytes:
    """One Face Cap frame as a single OSC bundle: ``/HT``, ``/HR``, ``/ELR``, ``/ERR`` (each when
    given, Face Cap's own x/y/z degrees) and 52 ``/W`` messages. ``arkit`` (52,) in
    ``facs.ARKIT_NAMES`` order."""
    arkit = np.asarray(arkit, dtype=np.float32).reshape(-1)
    if arkit.shape != (facs.NUM_ARKIT,):
        raise ValueError(f"expected {facs.NUM_ARKIT} ARKit weights, got {arkit.shape}")
    msgs = []
    for address, v in (("/HT", head_pos), ("/HR", head_rot_deg), ("/ELR", eye_l_deg), ("/ERR", eye_r_deg)):
        if v is not None:
            msgs.append(encode_osc_message(address, [float(x) for x in v]))
    msgs += [encode_osc_message("/W", [i, float(arkit[j])]) for i, j in enumerate(FACECAP_TO_ARKIT)]
    return encode_osc_bundle(msgs)
