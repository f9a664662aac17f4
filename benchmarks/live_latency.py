"""Live capture latency: the real Live Link Face take streamed over loopback at 60 fps into the
add-on's receiver (inside bpy, headless), the main-thread tick emulating the add-on's timer.

    .venv/bin/python benchmarks/live_latency.py [--seconds 10] [--fps 60] [--take CSV]

Three runs of ``--seconds`` each: Live Link Face, Live Link Face while recording keys, Face Cap
OSC (the same weights, one bundle per frame). Per run: packets sent/received/applied, skipped
(replaced by a newer frame before a tick), dropped (malformed, must be 0), and latency
min/median/p95/max of

* received -> set: datagram read on the receiver thread -> all 53 sliders set (and keyed) on the
  main thread; includes the wait for the next tick (timer interval 1/120 s);
* sent -> set: sender's ``sendto`` -> sliders set (adds the loopback and the decode).

Headless Blender runs no timers, so the loop here sleeps ``TIMER_INTERVAL`` between ticks as the
timer would. The face is the tests' sphere face without baked shape keys: the numbers are the
receiver's cost, not the depsgraph's (drivers evaluate at the next redraw, as for any slider).
"""

from __future__ import annotations

import argparse
import pathlib
import socket
import sys
import threading
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "addon"))
sys.path.insert(0, str(ROOT / "tests" / "model"))


def _sender(make_packet, port: int, fps: float, seconds: float, sent: dict, stop: threading.Event) -> None:
    """Send ``make_packet(i)`` for i = 0, 1, ... at ``fps`` for ``seconds``; ``sent[i]`` = send time."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.perf_counter()
    i = 0
    while not stop.is_set():
        due = t0 + i / fps
        if due - t0 > seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent[i] = time.perf_counter()
        sock.sendto(make_packet(i), ("127.0.0.1", port))
        i += 1
    sock.close()


def _run(label: str, protocol: str, make_packet, args, obj, record: bool) -> dict:
    import bpy

    from blender_addon.core import live_receiver

    session = live_receiver.start(obj, protocol, "127.0.0.1", 0)
    port = session.receiver.port
    sent: dict[int, float] = {}
    stop = threading.Event()
    # frame i is recognised on arrival by its index: LLF carries it; for Face Cap, jawOpen does
    th = threading.Thread(target=_sender, args=(make_packet, port, args.fps, args.seconds, sent, stop))
    scene = bpy.context.scene
    e2e = []
    th.start()
    end = time.perf_counter() + args.seconds + 0.5
    frame_no = 1
    while time.perf_counter() < end:
        scene.frame_current = frame_no
        if live_receiver.tick(record=record):
            frame_no += 1
            f = session.last_frame
            idx = f.frame_number if f.frame_number is not None else int(round(float(f.arkit[24]) * 1e6)) - 1
            if idx in sent:
                e2e.append(time.perf_counter() - sent[idx])
        time.sleep(live_receiver.TIMER_INTERVAL)
    stop.set()
    th.join()
    time.sleep(0.05)
    live_receiver.tick(record=record)
    lat = np.asarray(session.latencies) * 1000
    st = live_receiver.stop()
    return {
        "label": label,
        "sent": len(sent),
        **{k: st[k] for k in ("received", "applied", "skipped", "dropped", "errors", "keyed_frames")},
        "recv_set": lat,
        "sent_set": np.asarray(e2e) * 1000,
    }


def _stats(ms: np.ndarray) -> str:
    if ms.size == 0:
        return "n/a"
    return "  ".join(f"{v:6.2f}" for v in (ms.min(), np.median(ms), np.percentile(ms, 95), ms.max()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--take", help="Live Link Face CSV (default: the real-dev take)")
    args = parser.parse_args(argv)

    from test_live_protocols import REAL_TAKE, read_llf_csv

    take = pathlib.Path(args.take) if args.take else REAL_TAKE
    if not take.is_file():
        print(f"Take not found: {take}. Fix: pass --take a Live Link Face CSV.")
        return 2
    arkit, pose = read_llf_csv(take)

    import bpy
    from addon_helpers import make_face

    import blender_addon
    from blender_addon.core import live_protocols as lp

    bpy.ops.wm.read_factory_settings(use_empty=True)
    blender_addon.register()
    obj = make_face()

    def llf(i: int) -> bytes:
        return lp.encode_llf(arkit[i % len(arkit)], pose[i % len(pose)], frame_number=i, subject="bench")

    def facecap(i: int) -> bytes:
        w = arkit[i % len(arkit)].copy()
        w[24] = (i + 1) * 1e-6  # jawOpen (ARKIT_NAMES index 24) tags the frame for sent -> set
        return lp.encode_facecap_frame(w, [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0], [0.0, 0.0])

    print(f"take: {take.name} ({len(arkit)} frames), {args.fps:g} fps for {args.seconds:g} s per run,")
    print(f"tick every {blender_addon.core.live_receiver.TIMER_INTERVAL * 1000:.2f} ms (emulated timer)")
    runs = [
        _run("Live Link Face", "LIVE_LINK_FACE", llf, args, obj, record=False),
        _run("Live Link Face + record", "LIVE_LINK_FACE", llf, args, obj, record=True),
        _run("Face Cap OSC", "FACE_CAP", facecap, args, obj, record=False),
    ]
    head = f"{'run':26s} {'sent':>5s} {'recv':>5s} {'appl':>5s} {'skip':>5s} {'drop':>5s} {'keyed':>5s}"
    print()
    print(head + "   latency ms: min  median  p95  max")
    for r in runs:
        counts = [r[k] for k in ("sent", "received", "applied", "skipped", "dropped", "keyed_frames")]
        print(f"{r['label']:26s} " + " ".join(f"{c:5d}" for c in counts))
        print(f"{'  received -> set':50s} {_stats(r['recv_set'])}")
        print(f"{'  sent -> set':50s} {_stats(r['sent_set'])}")
    blender_addon.unregister()
    return 0


if __name__ == "__main__":
    from _bpy_exit import run_and_exit

    run_and_exit(main)
