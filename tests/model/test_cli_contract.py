"""Issue 11 items 6 and 15: the CLI contract. A problem the user can fix is one line on stderr
naming the problem and the fix, exit code 2, and output-path problems are found before any
computation."""

from __future__ import annotations

import json
import shutil

import pytest
from cli_helpers import main
from interrupt_helpers import listing, unwritable_folder
from mesh_helpers import grid_face

from model.mesh_io import read_mesh, write_obj
from training.torch_weights import save_random_model


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("contract")
    v, t = grid_face(13)
    write_obj(d / "neutral.obj", 10.0 * v, t)
    write_obj(d / "frame.obj", 10.0 * v + 0.05, t)
    weights = save_random_model(d / "weights", seed=0)
    return d, str(weights)


@pytest.fixture
def no_computation(monkeypatch):
    """Any mesh read, ICT load or capture synthesis fails the test: the command must stop first."""
    import model.ict
    import model.mesh_io
    import training.commands.segment
    from demo import run as demo

    def computed(*args, **kwargs):
        raise AssertionError("the command started computing before refusing")

    monkeypatch.setattr(model.mesh_io, "read_mesh", computed)
    monkeypatch.setattr(model.ict, "load_ict", computed)
    monkeypatch.setattr(training.commands.segment, "load_ict", computed)
    monkeypatch.setattr(demo, "write_demo_capture", computed)


def _one_line_exit_2(capsys, argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def _output_cases(d, w, tmp_path):
    neutral, frame = str(d / "neutral.obj"), str(d / "frame.obj")
    ro = unwritable_folder(tmp_path)
    folder_npz = tmp_path / "rig.npz"
    folder_npz.mkdir()
    folder_csv = tmp_path / "codes.csv"
    folder_csv.mkdir()
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    folder_json = tmp_path / "r.json"
    folder_json.mkdir()
    net = ["--weights", w]
    return {
        "bake -o in an unwritable folder": (["bake", neutral, "-o", str(ro / "rig.npz"), *net], ro),
        "bake -o names a folder": (["bake", neutral, "-o", str(folder_npz), *net], folder_npz),
        "encode -o in an unwritable folder": (
            ["encode", "--neutral", neutral, frame, "-o", str(ro / "c.csv"), *net],
            ro,
        ),
        "encode -o names a folder": (
            ["encode", "--neutral", neutral, frame, "-o", str(folder_csv), *net],
            folder_csv,
        ),
        "retarget -o names a file": (
            ["retarget", "--source-neutral", neutral, "--target", neutral, frame, "-o", str(a_file), *net],
            a_file,
        ),
        "retarget -o is unwritable": (
            ["retarget", "--source-neutral", neutral, "--target", neutral, frame, "-o", str(ro), *net],
            ro,
        ),
        "segment -o in an unwritable folder": (["segment", "--ict", "x", "-o", str(ro / "t.npz")], ro),
        "segment -o names a folder": (["segment", "--ict", "x", "-o", str(folder_npz)], folder_npz),
        "make-eval -o names a file": (["make-eval", "--ict", "x", "-o", str(a_file)], a_file),
        "evaluate --json names a folder": (
            ["evaluate", "--ict", "x", "--json", str(folder_json), *net],
            folder_json,
        ),
        "evaluate --cases names a file": (["evaluate", "--ict", "x", "--cases", str(a_file), *net], a_file),
        "demo --out names a file": (["demo", "--out", str(a_file), *net], a_file),
        "demo --out is unwritable": (["demo", "--out", str(ro), *net], ro),
        "train --out names a file": (["train", "--ict", "x", "--out", str(a_file)], a_file),
    }


CASES = [
    "bake -o in an unwritable folder",
    "bake -o names a folder",
    "encode -o in an unwritable folder",
    "encode -o names a folder",
    "retarget -o names a file",
    "retarget -o is unwritable",
    "segment -o in an unwritable folder",
    "segment -o names a folder",
    "make-eval -o names a file",
    "evaluate --json names a folder",
    "evaluate --cases names a file",
    "demo --out names a file",
    "demo --out is unwritable",
    "train --out names a file",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_output_path_is_refused_before_computing(files, tmp_path, capsys, no_computation, case):
    d, w = files
    argv, culprit = _output_cases(d, w, tmp_path)[case]
    line = _one_line_exit_2(capsys, argv)
    assert str(culprit) in line, line


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "gpu"])
@pytest.mark.parametrize("command", ["bake", "encode", "retarget", "evaluate", "train"])
def test_unavailable_device_is_one_line_exit_2(
    files, tmp_path, capsys, monkeypatch, no_computation, command, device
):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    d, w = files
    neutral, frame = str(d / "neutral.obj"), str(d / "frame.obj")
    argv = {
        "bake": ["bake", neutral, "-o", str(tmp_path / "r.npz"), "--weights", w],
        "encode": ["encode", "--neutral", neutral, frame, "-o", str(tmp_path / "c.csv"), "--weights", w],
        "retarget": [
            "retarget",
            "--source-neutral",
            neutral,
            "--target",
            neutral,
            frame,
            "-o",
            str(tmp_path),
        ],
        "evaluate": ["evaluate", "--ict", "x", "--weights", w, "--cases", str(tmp_path / "cases")],
        "train": ["train", "--ict", "x", "--out", str(tmp_path / "run")],
    }[command]
    line = _one_line_exit_2(capsys, [*argv, "--device", device])
    assert device in line and "--device cpu" in line, line


BAD_CONFIG = {
    "width is text": ("network", "width", "abc"),
    "width is negative": ("network", "width", -4),
    "k_eig is 0": ("network", "k_eig", 0),
    "code_iterations is text": ("network", "code_iterations", "x"),
    "unknown encode_method": ("network", "encode_method", "bogus"),
    "delta_scale is 0": ("network", "delta_scale", 0),
    "hks_times is text": ("network", "hks_times", "abc"),
    "ridge is NaN": ("network", "ridge", float("nan")),
    "metadata is a list": (None, "metadata", [1]),
    "weights_file is a number": (None, "weights_file", 5),
    "weights_file leaves the folder": (None, "weights_file", "../model.pt"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIG))
@pytest.mark.parametrize("command", ["bake", "encode"])
def test_bad_weights_config_values_are_one_line_exit_2(files, tmp_path, capsys, case, command):
    d, w = files
    section, key, value = BAD_CONFIG[case]
    bad = tmp_path / "weights"
    shutil.copytree(w, bad)
    config = json.loads((bad / "config.json").read_text())
    (config[section] if section else config)[key] = value
    (bad / "config.json").write_text(json.dumps(config))
    neutral = str(d / "neutral.obj")
    argv = {
        "bake": ["bake", neutral, "-o", str(tmp_path / "r.npz")],
        "encode": ["encode", "--neutral", neutral, str(d / "frame.obj"), "-o", str(tmp_path / "c.csv")],
    }[command]
    line = _one_line_exit_2(capsys, [*argv, "--weights", str(bad)])
    assert "config.json" in line and str(key) in line, line
    assert not (tmp_path / "r.npz").exists() and not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize("second", ["b/frame.obj", "b/FRAME.obj"])
def test_retarget_refuses_frames_that_would_write_the_same_file(files, tmp_path, capsys, second):
    """Issue 11 item 6: two frames named ``frame`` in different folders used to write one OBJ."""
    d, w = files
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "frame.obj"
    shutil.copy(d / "frame.obj", first)
    shutil.copy(d / "neutral.obj", tmp_path / second)
    out = tmp_path / "out"
    argv = ["retarget", "--source-neutral", str(d / "neutral.obj"), "--target", str(d / "neutral.obj")]
    line = _one_line_exit_2(
        capsys, [*argv, str(first), str(tmp_path / second), "-o", str(out), "--weights", w]
    )
    assert str(first) in line and str(tmp_path / second) in line, line
    assert not out.exists() or listing(out) == []


def test_retarget_distinct_stems_still_write_one_obj_each(files, tmp_path):
    d, w = files
    frames = []
    for name in ("x.obj", "y.obj"):
        shutil.copy(d / "frame.obj", tmp_path / name)
        frames.append(str(tmp_path / name))
    out = tmp_path / "out"
    argv = ["retarget", "--source-neutral", str(d / "neutral.obj"), "--target", str(d / "neutral.obj")]
    assert main([*argv, *frames, "-o", str(out), "--weights", w]) == 0
    assert listing(out) == ["x.obj", "y.obj"]
    assert read_mesh(out / "x.obj").num_vertices == read_mesh(d / "neutral.obj").num_vertices


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--fps", "0"],
        ["demo", "--seconds", "-1"],
        ["make-eval", "-o", "x", "--cases", "0"],
        ["evaluate", "--num-cases", "0"],
        ["evaluate", "--max-vertices", "many"],
        ["train", "--steps", "x"],
        ["train", "--threads", "0"],
        ["bake"],
    ],
    ids=" ".join,
)
def test_bad_option_values_are_one_line_exit_2(capsys, no_computation, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--help" in lines[0], err
