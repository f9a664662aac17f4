"""CLI round trips (bake / encode / retarget) on a small mesh, and one-line failures (exit 2)."""

from __future__ import annotations

import csv
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import main, package_of
from mesh_helpers import grid_face

from model.facs import ICT_NAMES
from model.mesh_io import read_mesh, write_obj
from model.regions import REGION_NAMES
from training.torch_weights import save_random_model

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    v, t = grid_face(21)
    v = 10.0 * v + 3.0  # centimetres, off-centre
    write_obj(d / "neutral.obj", v, t)
    rng = np.random.default_rng(0)
    frames = []
    for i in range(3):
        p = d / f"frame_{i}.obj"
        write_obj(p, v + 0.1 * rng.normal(size=v.shape), t)
        frames.append(str(p))
    # a target with a loose vertex that no face uses: it must still get a row
    v2, t2 = grid_face(17)
    write_obj(d / "target.obj", np.vstack([v2, [[5.0, 5.0, 5.0]]]), t2)
    weights = save_random_model(d / "weights", seed=0)
    return d, frames, str(weights)


def test_bake_round_trip(files, tmp_path):
    d, _, w = files
    out = tmp_path / "rig.npz"
    assert main(["bake", str(d / "target.obj"), "-o", str(out), "--weights", w]) == 0
    rig = np.load(out)
    n = read_mesh(d / "target.obj").num_vertices
    assert list(rig["names"]) == list(ICT_NAMES)
    assert rig["deltas"].shape == (53, n, 3) and rig["deltas"].dtype == np.float32
    assert rig["skin_weights"].shape == (n, len(REGION_NAMES)) and rig["skin_weights"].dtype == np.float32
    assert list(rig["regions"]) == list(REGION_NAMES)
    assert np.all(np.isfinite(rig["deltas"]))
    np.testing.assert_allclose(rig["skin_weights"].sum(1), 1.0, atol=1e-5)


DEMO_HEAD = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def test_bake_registration_with_a_missing_ict_folder_is_one_line_exit_2(files, tmp_path, capsys):
    _, _, w = files
    args = ["bake", str(DEMO_HEAD), "-o", str(tmp_path / "r.npz"), "--weights", w, "--method", "registration"]
    assert main(args + ["--ict", str(tmp_path / "nowhere")]) == 2
    assert "ICT" in capsys.readouterr().err
    assert not (tmp_path / "r.npz").exists()


@pytest.mark.parametrize("method", ["registration", "hybrid"])
def test_bake_classical_methods_need_no_ict_data(files, tmp_path, monkeypatch, method):
    """The shipped template (model/data/ict_template.npz) replaces ICT-FaceKit at bake time."""
    _, _, w = files
    monkeypatch.setenv("ICT_FACEKIT", str(tmp_path / "nowhere"))
    out = tmp_path / "r.npz"
    assert main(["bake", str(DEMO_HEAD), "-o", str(out), "--weights", w, "--method", method]) == 0
    deltas = np.load(out)["deltas"]
    assert deltas.shape == (53, read_mesh(DEMO_HEAD).num_vertices, 3)
    assert np.all(np.isfinite(deltas)) and np.abs(deltas).max() > 0


@pytest.mark.parametrize("method", ["registration", "hybrid"])
def test_bake_classical_methods_write_a_full_rig(ict_dir, files, tmp_path, method):
    _, _, w = files
    out = tmp_path / "r.npz"
    args = ["bake", str(DEMO_HEAD), "-o", str(out), "--weights", w, "--method", method, "--ict", str(ict_dir)]
    assert main(args) == 0
    rig = np.load(out)
    n = read_mesh(DEMO_HEAD).num_vertices
    assert rig["deltas"].shape == (53, n, 3) and rig["deltas"].dtype == np.float32
    assert np.all(np.isfinite(rig["deltas"])) and np.abs(rig["deltas"]).max() > 0


def test_bake_axes_rotate_the_deltas(files, tmp_path):
    d, _, w = files
    m = read_mesh(d / "neutral.obj")
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # OBJ (Y up, +Z) -> Blender (Z up, -Y)
    write_obj(tmp_path / "blender.obj", m.vertices @ rot.T, m)
    assert main(["bake", str(d / "neutral.obj"), "-o", str(tmp_path / "a.npz"), "--weights", w]) == 0
    args = ["bake", str(tmp_path / "blender.obj"), "-o", str(tmp_path / "b.npz"), "--weights", w]
    assert main(args + ["--up", "Z", "--forward", "-Y"]) == 0  # a negative axis as its own token
    a, b = np.load(tmp_path / "a.npz")["deltas"], np.load(tmp_path / "b.npz")["deltas"]
    np.testing.assert_allclose(b, a @ rot.T, atol=1e-4 * np.abs(a).max())
    assert main(args + ["--up", "Z", "--forward=-Y"]) == 0  # and in the "=" form
    np.testing.assert_allclose(np.load(tmp_path / "b.npz")["deltas"], b)


def test_encode_round_trip(files, tmp_path):
    d, frames, w = files
    out = tmp_path / "codes.csv"
    order = [frames[2], frames[0], frames[1]]
    assert main(["encode", "--neutral", str(d / "neutral.obj"), *order, "-o", str(out), "--weights", w]) == 0
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["frame", *ICT_NAMES]
    assert [r[0] for r in rows[1:]] == ["frame_2", "frame_0", "frame_1"]
    assert all(len(r) == 54 and all(np.isfinite(float(x)) for x in r[1:]) for r in rows[1:])
    # the neutral itself carries no expression: every weight is exactly 0 with either method
    for method in ("learned", "fit", "joint"):
        still = tmp_path / f"still_{method}.csv"
        args = ["encode", "--neutral", str(d / "neutral.obj"), str(d / "neutral.obj"), "-o", str(still)]
        assert main([*args, "--weights", w, "--method", method]) == 0
        assert [float(x) for x in list(csv.reader(still.open()))[1][1:]] == [0.0] * 53


def test_retarget_round_trip(files, tmp_path):
    d, frames, w = files
    out = tmp_path / "out"
    args = ["retarget", "--source-neutral", str(d / "neutral.obj"), "--target", str(d / "target.obj")]
    assert main([*args, *frames[:2], "-o", str(out), "--weights", w]) == 0
    target = read_mesh(d / "target.obj")
    for f in frames[:2]:
        m = read_mesh(out / (pathlib.Path(f).stem + ".obj"))
        assert m.num_vertices == target.num_vertices
        np.testing.assert_array_equal(m.face_sizes, target.face_sizes)
        np.testing.assert_array_equal(m.face_indices, target.face_indices)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", package_of(args[0]), *args[package_of(args[0]) == "demo" :]],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_failures_are_one_line_exit_2(files, tmp_path):
    d, frames, w = files
    bad = tmp_path / "bad.obj"
    bad.write_text("v 0 0 0\nv 1 0 0\nf 1 2 9\n")
    cases = [
        ("bake", str(tmp_path / "missing.obj"), "-o", str(tmp_path / "x.npz"), "--weights", w),
        ("bake", str(bad), "-o", str(tmp_path / "x.npz"), "--weights", w),
        ("bake", str(d / "target.obj"), "-o", str(tmp_path / "x.txt"), "--weights", w),
        ("bake", str(d / "target.obj"), "-o", str(tmp_path / "x.npz"), "--weights", w, "--up", "Q"),
        (
            "encode",
            "--neutral",
            str(d / "target.obj"),
            frames[0],
            "-o",
            str(tmp_path / "c.csv"),
            "--weights",
            w,
        ),
    ]
    for args in cases:
        r = _cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr


def test_corrupt_weights_exit_2(files, tmp_path):
    import shutil

    d, _, w = files
    broken = tmp_path / "broken"
    shutil.copytree(w, broken)
    (broken / "model.npz").write_bytes(b"garbage")  # what the runtime reads (model.pt: training)
    r = _cli("bake", str(d / "target.obj"), "-o", str(tmp_path / "x.npz"), "--weights", str(broken))
    assert r.returncode == 2
    assert "corrupt" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_evaluate_one_table(ict_dir, files, tmp_path, capsys):
    """evaluate: one table with network, both baselines and the classical bake methods per set,
    encoder and segmentation rows; the no-motion baseline scores exactly 1."""
    import json

    _, _, w = files
    args = ["evaluate", "--ict", str(ict_dir), "--weights", w, "--cases", str(tmp_path / "cases")]
    args += ["--num-cases", "1", "--max-vertices", "3000", "--json", str(tmp_path / "r.json")]
    assert main(args) == 0
    table = capsys.readouterr().out
    result = json.loads((tmp_path / "r.json").read_text())
    got = {(r["set"], r["method"]) for r in result["rows"]}
    for s in ("unseen", "stylized"):
        assert {
            (s, "network"),
            (s, "no motion"),
            (s, "closest vertex"),
            (s, "registration"),
            (s, "hybrid"),
            (s, "mixed"),
        } <= got
    for r in result["rows"]:
        if r["method"] == "no motion":
            assert r["relative_error"] == pytest.approx(1.0)
        if r["method"] in ("closest vertex", "registration") and r["set"] == "unseen":
            assert r["relative_error"] < 0.6  # a real transfer, far better than no motion
    assert 0.0 <= result["segmentation_accuracy"] <= 1.0
    assert np.isfinite(result["encoder_relative_l1"])
    assert set(result["encoder_relative_l1_by_method"]) == {"learned", "fit", "joint"}
    # 5 bake rows, the learned encoder, fit and joint encoder rows, segmentation
    assert table.count("| unseen |") == 10 and table.count("| stylized |") == 6


def test_train_children_get_the_parent_arguments_minus_part_and_export():
    """``train`` (all parts) re-runs itself once per part; the children must not export or recurse."""
    from cli_helpers import build_parser

    from training.commands.train import child_arguments

    argv = ["train", "--ict", "X", "--out", "runs/a", "--export", "weights", "--sequential", "--minutes", "5"]
    args = build_parser("train").parse_args([*argv, "--resume"])
    child = child_arguments(args)
    assert child == ["--device", "cpu", "--out", "runs/a", "--ict", "X", "--minutes", "5.0", "--resume"]
    reparsed = build_parser("train").parse_args(["train", *child, "--part", "trunk"])
    assert (reparsed.part, reparsed.export, reparsed.sequential, reparsed.minutes) == (
        "trunk",
        None,
        False,
        5.0,
    )


def test_train_runs_both_parts_in_parallel_and_merges(ict_dir, tmp_path):
    """The real ``train`` pipeline, cut to 3 steps per part on a 2-mesh pool: both child processes
    run, their losses are logged, and the merged, exported weights load."""
    out, exported = tmp_path / "run", tmp_path / "exported"
    args = [
        "--ict",
        str(ict_dir),
        "--out",
        str(out),
        "--pool-size",
        "2",
        "--steps",
        "3",
        "--encoder-steps",
        "3",
    ]
    r = _cli("train", *args, "--export", str(exported))
    assert r.returncode == 0, r.stderr[-2000:]
    for part in ("trunk", "encoder"):
        rows = list(csv.DictReader((out / part / "loss.csv").open()))
        assert rows and int(rows[-1]["step"]) == 3, part
    from model.api import FaceModel

    fm = FaceModel.load(exported)
    training = fm.config["metadata"]["training"]
    assert training["config"]["steps"] == 3 and training["config"]["encoder_steps"] == 3
    assert (
        training["summary"]["trunk"]["steps_done"] == 3 and training["summary"]["encoder"]["steps_done"] == 3
    )
