"""Issue 11 item 5: an interrupted write (full disk, Ctrl+C, kill) never leaves a half-written
file where a good one was, for every file the CLI and the library writers produce."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from interrupt_helpers import file_size_limit, listing
from mesh_helpers import grid_face

from model.cli import main
from model.mesh_io import write_obj
from training.torch_weights import save_random_model

OLD = b"the artist's good file\n" * 3


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("atomic")
    v, t = grid_face(17)
    write_obj(d / "neutral.obj", 10.0 * v, t)
    rng = np.random.default_rng(1)
    frames = []
    for i in range(3):
        p = d / f"frame_{i}.obj"
        write_obj(p, 10.0 * v + 0.1 * rng.normal(size=v.shape), t)
        frames.append(str(p))
    weights = save_random_model(d / "weights", seed=0)
    return d, frames, str(weights)


def _commands(d, frames, w, out_dir):
    neutral = str(d / "neutral.obj")
    return {
        "bake": (["bake", neutral, "-o", str(out_dir / "rig.npz")], out_dir / "rig.npz"),
        "encode": (
            ["encode", "--neutral", neutral, *frames, "-o", str(out_dir / "c.csv")],
            out_dir / "c.csv",
        ),
        "retarget": (
            ["retarget", "--source-neutral", neutral, "--target", neutral, *frames, "-o", str(out_dir)],
            out_dir / "frame_0.obj",
        ),
    }


@pytest.mark.parametrize("command", ["bake", "encode", "retarget"])
def test_cli_output_survives_a_write_that_fails_halfway(files, tmp_path, command):
    d, frames, w = files
    args, out = _commands(d, frames, w, tmp_path)[command]
    out.write_bytes(OLD)
    before = listing(tmp_path)
    with file_size_limit(1000):  # every output here is larger than 1000 bytes
        try:
            rc = main([*args, "--weights", w])
        except OSError:  # the old behaviour: a traceback
            rc = None
    assert out.read_bytes() == OLD, "a failed write replaced the previous file"
    assert listing(tmp_path) == before, "a temporary file was left behind"
    assert rc == 2


def test_bake_interrupted_while_writing_keeps_the_old_rig(files, tmp_path, monkeypatch):
    """Ctrl+C after the first array of the rig was written."""
    d, _, w = files
    out = tmp_path / "rig.npz"
    assert main(["bake", str(d / "neutral.obj"), "-o", str(out), "--weights", w]) == 0
    good = out.read_bytes()
    before = listing(tmp_path)
    real = np.lib.format.write_array
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", interrupted)
    assert main(["bake", str(d / "neutral.obj"), "-o", str(out), "--weights", w]) == 130
    assert calls == [1, 1]
    assert out.read_bytes() == good
    assert listing(tmp_path) == before


def _write_obj(path):
    v, t = grid_face(9)
    write_obj(path, v, t)


def _write_live_link_csv(path):
    from model.demo_capture import write_demo_capture

    write_demo_capture(path, seconds=1.0)


def _write_region_table(path):
    from model.regions import write_region_table

    labels = np.random.default_rng(0).integers(0, 10, 20000).astype(np.int8)
    write_region_table(path, labels, np.zeros((10, 3), np.float32))


def _save_npz_deterministic(path):
    from training.split import save_npz_deterministic

    save_npz_deterministic(path, a=np.arange(1000.0))


def _save_model(path):
    save_random_model(path.parent, seed=1)


WRITERS = {
    "mesh_io.write_obj": (_write_obj, "x.obj"),
    "demo_capture.write_demo_capture": (_write_live_link_csv, "capture.csv"),
    "regions.write_region_table": (_write_region_table, "table.npz"),
    "split.save_npz_deterministic": (_save_npz_deterministic, "case.npz"),
    "weights.save_model": (_save_model, "model.pt"),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_library_writers_keep_the_old_file_when_a_write_fails(tmp_path, writer):
    write, name = WRITERS[writer]
    out = tmp_path / name
    out.write_bytes(OLD)
    with file_size_limit(1000):
        with pytest.raises((OSError, RuntimeError)):  # torch.save reports a full disk as RuntimeError
            write(out)
    assert out.read_bytes() == OLD
    leftovers = [n for n in listing(tmp_path) if "tmp" in n or n.startswith(".")]
    assert leftovers == []


def test_writers_still_write_complete_files(tmp_path):
    """The atomic path writes complete files, with the permissions a plain ``open`` gives."""
    (tmp_path / "plain").write_text("x")
    plain_mode = (tmp_path / "plain").stat().st_mode
    for writer, (write, name) in WRITERS.items():
        write(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000, writer
        assert (tmp_path / name).stat().st_mode == plain_mode, writer
    assert np.load(tmp_path / "case.npz")["a"].shape == (1000,)
    assert (
        json.loads((tmp_path / "config.json").read_text())["sha256"]
        in (tmp_path / "model.pt.sha256").read_text()
    )
    rows = list(csv.reader((tmp_path / "capture.csv").open()))
    assert rows[0][0] == "Timecode" and len(rows) > 10


@pytest.mark.parametrize("opener", ["atomic_open", "atomic_path"])
def test_helpers_keep_the_old_file_on_ctrl_c_and_replace_it_on_success(tmp_path, opener):
    """The shared helpers: Ctrl+C mid-write (after some bytes) keeps the old file and leaves no
    temporary file; a completed write replaces the file."""
    from model import atomic_write

    out = tmp_path / "result.glb"
    out.write_bytes(OLD)

    def write(data: bytes, interrupt: bool) -> None:
        if opener == "atomic_open":
            with atomic_write.atomic_open(out, "wb") as fh:
                fh.write(data[:10])
                fh.flush()
                if interrupt:
                    raise KeyboardInterrupt
                fh.write(data[10:])
        else:
            with atomic_write.atomic_path(out) as tmp:
                assert tmp.parent == out.parent and tmp.suffix == ".glb" and not tmp.exists()
                tmp.write_bytes(data[:10])
                if interrupt:
                    raise KeyboardInterrupt
                tmp.write_bytes(data)

    with pytest.raises(KeyboardInterrupt):
        write(b"new content, complete" * 10, interrupt=True)
    assert out.read_bytes() == OLD
    assert listing(tmp_path) == ["result.glb"]
    write(b"new content, complete" * 10, interrupt=False)
    assert out.read_bytes() == b"new content, complete" * 10
    assert listing(tmp_path) == ["result.glb"]
