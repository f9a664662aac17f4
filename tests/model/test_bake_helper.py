"""The bake's geometry-only work on the helper thread (:meth:`model.api.FaceModel._start_geometry`:
the symmetrize's mirror map and the rig check's partners while the earlier stages run) gives the
bits the main thread computes alone, and no job outlives the bake (Blender's API is not
thread-safe)."""

from __future__ import annotations

import pathlib
import threading
from concurrent.futures import Future

import numpy as np
import pytest

from model import api, memo, static_area
from model.api import FaceModel
from model.mesh_io import read_mesh

DEMO_HEAD = pathlib.Path(__file__).resolve().parents[2] / "model" / "data" / "demo_head.obj"


def _bumpy_head(n: int = 55) -> tuple[np.ndarray, np.ndarray]:
    """A mirror-built height field (``benchmarks/inference.py``'s bake mesh, n * n vertices)."""
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1.2, 1.2, n))
    z = 0.7 * np.exp(-(x**2 + 0.6 * y**2)) + 0.2 * np.exp(-10 * (x**2 + (y + 0.1) ** 2))
    v = np.stack([10 * x, 10 * y, 10 * z], -1).reshape(-1, 3)
    i = np.arange(n * n).reshape(n, n)
    a, b, c, d = i[:-1, :-1].ravel(), i[:-1, 1:].ravel(), i[1:, :-1].ravel(), i[1:, 1:].ravel()
    return v, np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]).astype(np.int64)


@pytest.fixture(scope="module")
def model() -> FaceModel:
    return FaceModel.load()


@pytest.fixture(scope="module")
def head():
    mesh = read_mesh(DEMO_HEAD)
    return mesh.vertices, mesh.triangles()


def _bake(fm: FaceModel, vertices, triangles, method: str) -> tuple[np.ndarray, api.PreparedMesh]:
    memo.clear_all()  # the main thread alone computes everything afresh
    prep = fm.prepare(vertices, triangles, up="Y", forward="Z")
    skin = fm.predict_skin_weights(prep)
    return fm.bake(prep, skin, method=method), prep


@pytest.mark.parametrize(
    ("mesh", "method", "check"),
    [("bumpy", "network", True), ("bumpy", "mixed", True), ("demo", "network", False)],
)
def test_the_helper_threads_bake_is_the_main_threads(model, head, mesh, method, check, monkeypatch) -> None:
    vertices, triangles = _bumpy_head() if mesh == "bumpy" else head
    ran: list[tuple[str, str]] = []
    prime_check, partners, start = (
        api.FaceModel._prime_check, api.FaceModel._check_partners, api.FaceModel._start_geometry
    )  # fmt: skip

    def primed(self, *args):
        ran.append(("prime", threading.current_thread().name))
        return prime_check(self, *args)

    def used(self, *args):
        ran.append(("check", threading.current_thread().name))
        return partners(self, *args)

    def static(anchors):
        ran.append(("static", threading.current_thread().name))
        return prime_static(anchors)

    prime_static = static_area.prime_static
    monkeypatch.setattr(static_area, "prime_static", static)
    monkeypatch.setattr(api.FaceModel, "_prime_check", primed)
    monkeypatch.setattr(api.FaceModel, "_check_partners", used)
    helped, prep = _bake(model, vertices, triangles, method)
    # the mirror map and the static limits on the helper; the check's partners there where the
    # geometry says the bake's last pass wants them (a mirror-built mesh), and the bake then
    # used them; the demo head (neither mirror-built nor with lashes) finds no use for them
    assert "hits" in prep._tensors["mirror_map"]
    main, helper = threading.current_thread().name, "nfs-geometry_0"
    assert ran == [("static", helper)] + ([("prime", helper), ("check", main)] if check else [])
    assert not {"mirror_job", "check_job"} & set(prep._tensors)  # none is left behind

    monkeypatch.setattr(api.FaceModel, "_start_geometry", lambda self, *a: None)
    ran.clear()
    plain, _ = _bake(model, vertices, triangles, method)
    assert ran == ([("check", main)] if check else [])  # found on the main thread
    assert helped.dtype == np.float32 and np.abs(plain).max() > 0.0
    np.testing.assert_array_equal(helped, plain)
    monkeypatch.setattr(api.FaceModel, "_start_geometry", start)


def test_no_helper_job_while_a_registration_runs(model, head) -> None:
    fm, (vertices, triangles) = model, head
    prep = fm.prepare(vertices, triangles, up="Y", forward="Z")
    running: Future = Future()  # a registration still running: the second core is its
    prep._tensors[("pending", ("registration", None))] = running
    skin = prep.network_rows(fm.predict_skin_weights(prep))
    fm._start_geometry(prep, skin, None)
    assert not {"mirror_job", "check_job"} & set(prep._tensors)
    running.set_result(None)  # done: the helper may start
    fm._start_geometry(prep, skin, None)
    assert {"mirror_job", "check_job"} <= set(prep._tensors)
    for name in ("mirror_job", "check_job"):
        prep._tensors.pop(name).result()


def test_a_pass_with_nothing_to_edit_reads_no_partner() -> None:
    from model.frame import CanonicalFrame
    from model.mirror_pass import MirrorPartners, symmetrize_pairs

    rng = np.random.default_rng(0)
    names = ("a_L", "a_R", "b")
    deltas = rng.normal(size=(3, 50, 3)).astype(np.float32)
    c, s = np.cos(0.3), np.sin(0.3)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    frame = CanonicalFrame(center=np.zeros(3), scale=2.5, rotation=rotation)

    class NoReads(MirrorPartners):
        def mirrored(self, field):
            raise AssertionError("read a partner with nothing to edit")

    partners = NoReads(None, np.array([1.0, 0.0, 0.0]), np.ones(50, bool), frame)
    out = symmetrize_pairs(deltas, partners, np.zeros(50, bool), names, keep_sided=())
    # the sided shapes through the frame's round trip as before (np.where took the own field)
    for s in (0, 1):
        expected = frame.vectors_from_canonical(frame.vectors_to_canonical(deltas[s].astype(np.float64)))
        np.testing.assert_array_equal(out[s], expected.astype(np.float32))
    np.testing.assert_array_equal(out[2], deltas[2])
