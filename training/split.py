"""The held-out split: which identities, topologies and seeds belong to training vs testing.

Identities: ICT's 100 identity modes are PCA modes sorted by variance (mode 0 moves the head by
0.47 cm RMS, mode 99 by ~0.007 cm), so a contiguous block such as 80-99 would make every test
head nearly the generic one. Instead every fifth mode starting at 2 (2, 7, 12, ..., 97) is held
out: test identities use only those 20 modes, training identities only the other 80, so a test
head's shape offset lies in a subspace training never saw, and both splits vary visibly.

Topologies: training uses the ICT topology itself, isotropic remeshing, quadric decimation and
decimation followed by one Loop or midpoint subdivision step. Testing uses two operations that
never occur in training: curvature-adaptive isotropic remeshing (``isotropic_adaptive``, uneven
triangle sizes) and midpoint subdivision followed by quadric decimation
(``subdivide_decimate``, irregular valences on a subset of subdivided points).

Seeds: training seeds are ``[0, TEST_SEED_START)``, test seeds ``[TEST_SEED_START, 2**62)``;
:func:`training.augment.make_sample` refuses a seed outside its split's range, and it also salts the
random stream with the split, so the two splits never share a sample.
"""

from __future__ import annotations

import io
import json
import pathlib
import zipfile

import numpy as np

from model.atomic_write import atomic_open, write_text_atomic
from model.errors import FaceSkinningError

NUM_IDENTITY_MODES = 100
TEST_IDENTITY_BASIS: tuple[int, ...] = tuple(range(2, NUM_IDENTITY_MODES, 5))
TRAIN_IDENTITY_BASIS: tuple[int, ...] = tuple(
    i for i in range(NUM_IDENTITY_MODES) if i not in set(TEST_IDENTITY_BASIS)
)

# topology operation -> sampling weight, per split
TRAIN_TOPOLOGIES: dict[str, float] = {
    "none": 0.15,
    "isotropic": 0.35,
    "decimate": 0.2,
    "decimate_midpoint": 0.15,
    "decimate_loop": 0.15,
}
TEST_TOPOLOGIES: dict[str, float] = {"isotropic_adaptive": 0.5, "subdivide_decimate": 0.5}

TEST_SEED_START = 1_000_000_000
SEED_END = 2**62
SPLITS = ("train", "test")
EVAL_KINDS = ("unseen", "stylized", "hard_unseen", "hard_stylized")
# the "hard" kinds (closer to what users bring): unit scale m, cm or mm (times 0.8-1.25),
# rotation up to HARD_ROTATION_DEGREES, quadric decimation to ~HARD_VERTICES, and for
# hard_stylized a caricature warp (training.augment.caricature_warp)
HARD_UNITS = (0.01, 1.0, 10.0)
HARD_ROTATION_DEGREES = 6.0
HARD_VERTICES = 3000


def identity_basis(split: str) -> tuple[int, ...]:
    """ICT identity-mode indices a split may use (see module docstring)."""
    _check_split(split)
    return TRAIN_IDENTITY_BASIS if split == "train" else TEST_IDENTITY_BASIS


def topologies(split: str) -> dict[str, float]:
    """Topology operations of a split with their sampling weights (sum to 1)."""
    _check_split(split)
    return dict(TRAIN_TOPOLOGIES if split == "train" else TEST_TOPOLOGIES)


def seed_range(split: str) -> tuple[int, int]:
    """Half-open range ``[start, stop)`` of seeds belonging to a split."""
    _check_split(split)
    return (0, TEST_SEED_START) if split == "train" else (TEST_SEED_START, SEED_END)


def check_seed(seed: int, split: str) -> None:
    """Raise ValueError if ``seed`` does not belong to ``split``'s range."""
    lo, hi = seed_range(split)
    if not (lo <= int(seed) < hi):
        raise ValueError(
            f"seed {seed} is outside the {split!r} seed range [{lo}, {hi}); "
            f"use a seed in that range (test seeds start at {TEST_SEED_START})"
        )


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {SPLITS}")


def eval_case_seed(kind: str, index: int) -> int:
    """The test seed of evaluation case ``index`` of ``kind`` (disjoint per kind)."""
    if kind not in EVAL_KINDS:
        raise ValueError(f"unknown evaluation kind {kind!r}; use one of {EVAL_KINDS}")
    return TEST_SEED_START + 1_000_000 * EVAL_KINDS.index(kind) + int(index)


def save_npz_deterministic(path: str | pathlib.Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez_compressed`` but byte-reproducible (fixed zip timestamps, sorted keys).

    ``np.savez`` stamps each member with the current time, so two identical runs differ.
    The result loads with ``np.load``.
    """
    with atomic_open(path, "wb") as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def hard_sample(ict, seed: int, stylized: bool):
    """A hard held-out case: test identity, ``subdivide_decimate`` to ~:data:`HARD_VERTICES`
    vertices, optionally a caricature warp, then a similarity in a random unit (m/cm/mm of
    ICT's centimetres) with a rotation up to :data:`HARD_ROTATION_DEGREES`.

    Returns a :class:`training.augment.TrainingSample` whose ``meta["similarity"]`` is the applied
    transform (like :func:`training.augment.make_sample`'s) and ``meta["warp"]`` the caricature.
    """
    from .augment import caricature_warp, make_sample, random_rotation

    sample = make_sample(
        ict, seed, split="test", topology="subdivide_decimate", target_vertices=HARD_VERTICES,
        warp=False, similarity=False,
    )  # fmt: skip
    # separate streams: the plain and the stylized case of one seed share the similarity
    warp_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xCA7]))
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x51A]))
    v = sample.vertices.astype(np.float64)
    d = sample.deltas.astype(np.float64)
    meta = dict(sample.meta)
    if stylized:
        full = ict.compose(np.asarray(meta["identity"], np.float32)).astype(np.float64)
        w = caricature_warp(warp_rng, full)
        warped = w(v)
        d = w(v[None] + d) - warped[None]
        v = warped
        meta["warp"] = {"strength": "caricature", **w.to_meta()}
    rot = random_rotation(rng, HARD_ROTATION_DEGREES)
    unit = HARD_UNITS[int(rng.integers(len(HARD_UNITS)))]
    scale = float(unit * np.exp(rng.uniform(np.log(0.8), np.log(1.25))))
    trans = rng.uniform(-10.0, 10.0, size=3) * scale
    v = scale * v @ rot.T + trans
    d = scale * d @ rot.T
    meta["similarity"] = {"rotation": rot.tolist(), "scale": scale, "translation": trans.tolist()}
    sample.vertices, sample.deltas, sample.meta = v.astype(np.float32), d.astype(np.float32), meta
    return sample


def write_eval_cases(
    ict,
    out_dir: str | pathlib.Path,
    n_cases: int,
    kind: str = "unseen",
    max_vertices: int = 40000,
) -> list[dict]:
    """Write held-out evaluation cases: unseen identities on test-only topologies.

    kind: ``"unseen"`` (test identity + test topology + random similarity, no warp),
    ``"stylized"`` (the same plus a smooth stylizing warp), ``"hard_unseen"`` / ``"hard_stylized"``
    (see :func:`hard_sample`).
    For case ``i`` (name ``{kind}_{i:03d}``) writes ``NAME.obj`` (the neutral, in the case's own
    frame: ICT centimetres after the similarity transform) and ``NAME.npz`` with
    ``deltas (53, V, 3) float32`` (ground-truth expression deltas in the same frame),
    ``labels (V,) int64`` (model.regions labels), ``rotation (3, 3)``, ``scale ()``,
    ``translation (3,)`` (case frame = scale * rotation @ ICT-frame point + translation) and
    ``meta`` (a JSON string). Also writes ``index.json`` listing the cases. Same arguments give
    byte-identical files. Returns the index entries.
    """
    from model.mesh_io import write_obj

    from .augment import make_sample

    if kind not in EVAL_KINDS:
        raise ValueError(f"unknown evaluation kind {kind!r}; use one of {EVAL_KINDS}")
    if n_cases < 1:
        raise ValueError(f"n_cases must be >= 1, got {n_cases}")
    out = pathlib.Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FaceSkinningError(
            f"cannot create output folder {str(out)!r} ({exc}); choose a writable -o DIR"
        ) from exc
    entries = []
    for i in range(n_cases):
        seed = eval_case_seed(kind, i)
        if kind.startswith("hard_"):
            sample = hard_sample(ict, seed, stylized=(kind == "hard_stylized"))
        else:
            sample = make_sample(
                ict,
                seed,
                split="test",
                warp=(kind == "stylized"),
                size="full",
                max_vertices=max_vertices,
            )
        name = f"{kind}_{i:03d}"
        write_obj(out / f"{name}.obj", sample.vertices.astype(np.float64), sample.triangles)
        sim = sample.meta["similarity"]
        save_npz_deterministic(
            out / f"{name}.npz",
            deltas=sample.deltas.astype(np.float32),
            labels=sample.labels.astype(np.int64),
            rotation=np.asarray(sim["rotation"], dtype=np.float64),
            scale=np.float64(sim["scale"]),
            translation=np.asarray(sim["translation"], dtype=np.float64),
            meta=np.array(json.dumps(sample.meta, sort_keys=True)),
        )
        entries.append(
            {
                "name": name,
                "kind": kind,
                "seed": seed,
                "mesh": f"{name}.obj",
                "ground_truth": f"{name}.npz",
                "num_vertices": int(sample.vertices.shape[0]),
                "num_triangles": int(sample.triangles.shape[0]),
                "topology": sample.meta["topology"]["op"],
                "crop": sample.meta["crop"],
            }
        )
    index = {"kind": kind, "units": "ICT centimetres times the case's similarity scale", "cases": entries}
    write_text_atomic(out / "index.json", json.dumps(index, indent=1, sort_keys=True) + "\n")
    return entries
