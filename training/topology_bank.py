"""Training samples without a remesher: a compact ICT pack plus a bank of re-triangulations.

Why: the GPU machine has no pymeshlab and takes at most 64 MiB per call, while
:func:`training.augment.make_sample` re-triangulates every sample with pymeshlab. The
re-triangulation of :func:`training.augment.make_sample` lands every new vertex on the ICT surface
at barycentric coordinates of an ICT triangle, and ICT's identities share one parametrization,
so a re-triangulation made once (here, on the generic head's separation pose) carries over to
any identity exactly: the new vertex of identity ``c`` is the same barycentric combination of
``neutral + c @ identities``. A *bank* stores, per re-triangulation, the ICT corners and
barycentric weights of each new vertex and the new triangles; a *pack* stores the ICT arrays
those samples read (head prefix and eyeballs only, train identity modes only, so the held-out
modes of :mod:`training.split` never leave this machine). :func:`bank_sample` then draws identity,
warp (none, smooth, or caricature strength), unit and rotation per sample, as cheaply as numpy.

Sizes: the pack is ~15 MB (float16 identity modes, float32 expressions), a bank entry ~26 bytes
per new vertex. All positions in ICT centimetres until the final similarity.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

import numpy as np

from model.ict import CROPS, PARTS, ICTModel, sample_identity
from model.transfer import ClosestHits, closest_points, dominant_vertex, transfer

from . import split as _split
from .augment import (
    EYEBALL_PARTS,
    SEPARATION_JAW_OPEN,
    TrainingSample,
    caricature_warp,
    ict_landmarks,
    random_rotation,
    random_warp,
    retriangulate,
)

PACK_FORMAT = "nfs-ict-pack/1"
BANK_FORMAT = "nfs-topology-bank/1"
# vertices kept in a pack: the largest crop (a vertex prefix) and both eyeballs
KEPT_RANGES = ((0, CROPS["head"]), PARTS["eyeball_left"], PARTS["eyeball_right"])
# training-only topology ops with their bank weights; the test ops of training.split stay out
BANK_TOPOLOGIES = {
    "none": 0.1,
    "isotropic": 0.3,
    "decimate": 0.35,
    "decimate_midpoint": 0.1,
    "decimate_loop": 0.15,
}
HARD_TARGET = (2500, 3600)  # ~ training.split.HARD_VERTICES: what decimated user meshes look like
HARD_TARGET_PROBABILITY = 0.4
# dense re-triangulations (scans, subdivided sculpts: 16k-36k vertices, held-out cases reach 38k);
# only ops that can add vertices, since the largest crop has 11,248
DENSE_TOPOLOGIES = {"isotropic": 0.5, "decimate_midpoint": 0.2, "decimate_loop": 0.3}
DENSE_TARGET = (16000, 36000)


def kept_vertices() -> np.ndarray:
    """(K,) int64 ICT vertex ids stored in a pack (head prefix, then both eyeballs)."""
    return np.concatenate([np.arange(a, b) for a, b in KEPT_RANGES]).astype(np.int64)


def write_ict_pack(ict: ICTModel, path: str | pathlib.Path) -> pathlib.Path:
    """Write the arrays that :func:`bank_sample` needs (see module docstring) as an npz.

    Holds: ``neutral (K, 3) float32``, ``identities (80, K, 3) float16`` (train modes of
    :data:`training.split.TRAIN_IDENTITY_BASIS` only), ``expressions (53, K, 3) float32``,
    ``labels (K,) int16`` (model.regions labels), ``kept (K,)`` ICT vertex ids, the polygons.
    """
    from model.regions import ict_region_labels

    kept = kept_vertices()
    modes = np.asarray(_split.TRAIN_IDENTITY_BASIS, np.int64)
    np.savez_compressed(
        path,
        format=np.array(PACK_FORMAT),
        kept=kept.astype(np.int32),
        neutral=ict.neutral[kept].astype(np.float32),
        identity_modes=modes.astype(np.int32),
        identities=ict.identities[modes][:, kept].astype(np.float16),
        expressions=ict.expressions[:, kept].astype(np.float32),
        expression_names=np.array(ict.expression_names),
        labels=np.asarray(ict_region_labels(ict), np.int16)[kept],
        face_indices=ict.face_indices.astype(np.int32),
        face_sizes=ict.face_sizes.astype(np.int8),
    )
    return pathlib.Path(path)


def load_ict_pack(path: str | pathlib.Path) -> tuple[ICTModel, np.ndarray]:
    """An :class:`ICTModel` from a pack and the (26719,) int64 region labels.

    Vertices not in the pack are zero, and so are the held-out identity modes: only crops of
    :data:`model.ict.CROPS`, the eyeballs and train identities are meaningful.
    """
    with np.load(path, allow_pickle=False) as z:
        if str(z["format"]) != PACK_FORMAT:
            raise ValueError(f"{path} is not a {PACK_FORMAT} file; write it with write_ict_pack")
        kept = z["kept"].astype(np.int64)
        n = int(kept.max()) + 1
        fi = z["face_indices"].astype(np.int64)
        n = max(n, int(fi.max()) + 1)
        neutral = np.zeros((n, 3), np.float32)
        neutral[kept] = z["neutral"]
        identities = np.zeros((_split.NUM_IDENTITY_MODES, n, 3), np.float32)
        identities[z["identity_modes"].astype(np.int64)[:, None], kept[None, :]] = z["identities"].astype(
            np.float32
        )
        expressions = np.zeros((z["expressions"].shape[0], n, 3), np.float32)
        expressions[:, kept] = z["expressions"]
        labels = np.zeros(n, np.int64)
        labels[kept] = z["labels"]
        ict = ICTModel(
            neutral=neutral,
            identities=identities,
            expressions=expressions,
            expression_names=tuple(str(s) for s in z["expression_names"]),
            face_indices=fi,
            face_sizes=z["face_sizes"].astype(np.int64),
        )
    return ict, labels


# ----------------------------------------------------------------------------- bank


@dataclass
class BankPart:
    """One component of a re-triangulation: for each new vertex the three ICT corner vertex ids
    (global, (Q, 3) int64) and barycentric weights ((Q, 3) float), and the new triangles
    ((T, 3) int64 into the Q new vertices)."""

    corners: np.ndarray
    barycentric: np.ndarray
    triangles: np.ndarray


@dataclass
class BankEntry:
    """One re-triangulation of a crop (optionally with eyeballs) by one topology op."""

    crop: str
    eyeballs: bool
    op: str
    target: int
    parts: list[BankPart]

    @property
    def num_vertices(self) -> int:
        return sum(len(p.corners) for p in self.parts)


def _parts(ict: ICTModel, crop: str, eyeballs: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    n_face, face_tris = ict.crop(crop)
    parts = [(np.arange(n_face, dtype=np.int64), face_tris)]
    if eyeballs:
        parts.append(ict.submesh(EYEBALL_PARTS))
    return parts


def make_entry(ict: ICTModel, crop: str, eyeballs: bool, op: str, target: int) -> BankEntry:
    """Re-triangulate the generic head's separation pose (as :func:`training.augment.make_sample`
    does) and record where each new vertex lies on the ICT surface."""
    full = ict.neutral.astype(np.float64)
    jaw = ict.expressions[ict.expression_names.index("jawOpen")].astype(np.float64)
    pose = full + SEPARATION_JAW_OPEN * jaw
    parts = _parts(ict, crop, eyeballs)
    n_source = sum(len(ids) for ids, _ in parts)
    out = []
    for ids, tris in parts:
        if op == "none":
            corners = np.repeat(ids[:, None], 3, axis=1)
            bary = np.tile(np.array([1.0, 0.0, 0.0]), (len(ids), 1))
            out.append(BankPart(corners, bary, tris.astype(np.int64)))
            continue
        part_target = max(4, int(round(target * len(ids) / n_source)))
        nv, nt = retriangulate(pose[ids], tris, op, part_target)
        hits = closest_points(pose[ids], tris, nv)
        out.append(BankPart(ids[hits.corners], hits.barycentric, nt.astype(np.int64)))
    return BankEntry(crop, eyeballs, op, int(target if op != "none" else n_source), out)


def _draw_part(rng: np.random.Generator, topologies: dict[str, float]) -> tuple[str, bool, str]:
    """One recipe's (crop, eyeballs, op), ``op`` drawn with the weights of ``topologies``."""
    ops = list(topologies)
    p = np.array([topologies[o] for o in ops])
    crop = str(rng.choice(list(CROPS)))
    eyes = bool(rng.random() < 0.35)
    return crop, eyes, ops[int(rng.choice(len(ops), p=p / p.sum()))]


def draw_entries(rng: np.random.Generator, n: int) -> list[tuple[str, bool, str, int]]:
    """``n`` random (crop, eyeballs, op, target) bank recipes: training ops only
    (:data:`BANK_TOPOLOGIES`), targets log-uniform in 2k-10k or, with probability
    :data:`HARD_TARGET_PROBABILITY`, in :data:`HARD_TARGET` (decimated user meshes)."""
    out = []
    for _ in range(n):
        crop, eyes, op = _draw_part(rng, BANK_TOPOLOGIES)
        if rng.random() < HARD_TARGET_PROBABILITY:
            target = int(rng.integers(*HARD_TARGET))
        else:
            target = int(np.exp(rng.uniform(np.log(2000), np.log(10000))))
        out.append((crop, eyes, op, target))
    return out


def draw_dense_entries(rng: np.random.Generator, n: int) -> list[tuple[str, bool, str, int]]:
    """``n`` random dense bank recipes: :data:`DENSE_TOPOLOGIES`, targets log-uniform in
    :data:`DENSE_TARGET`. Drawn after :func:`draw_entries` so a bank without them is unchanged."""
    out = []
    for _ in range(n):
        crop, eyes, op = _draw_part(rng, DENSE_TOPOLOGIES)
        out.append((crop, eyes, op, int(np.exp(rng.uniform(*np.log(DENSE_TARGET))))))
    return out


def save_bank(entries: list[BankEntry], path: str | pathlib.Path) -> pathlib.Path:
    """Write a bank as one npz (concatenated parts; uint16 ids, float32 weights)."""
    index, corners, bary, tris = [], [], [], []
    for e in entries:
        index.append(
            {"crop": e.crop, "eyeballs": e.eyeballs, "op": e.op, "target": e.target,
             "parts": [[len(p.corners), len(p.triangles)] for p in e.parts]}
        )  # fmt: skip
        for p in e.parts:
            corners.append(p.corners)
            bary.append(p.barycentric)
            tris.append(p.triangles)
    c = np.concatenate(corners)
    t = np.concatenate(tris)
    if c.max() >= 2**16 or t.max() >= 2**16:
        raise ValueError("bank ids exceed uint16; keep re-triangulations under 65536 vertices")
    np.savez_compressed(
        path,
        format=np.array(BANK_FORMAT),
        index=np.array(json.dumps(index)),
        corners=c.astype(np.uint16),
        barycentric=np.concatenate(bary).astype(np.float32),
        triangles=t.astype(np.uint16),
    )
    return pathlib.Path(path)


def load_bank(path: str | pathlib.Path) -> list[BankEntry]:
    """The entries of a bank written by :func:`save_bank`."""
    with np.load(path, allow_pickle=False) as z:
        if str(z["format"]) != BANK_FORMAT:
            raise ValueError(f"{path} is not a {BANK_FORMAT} file; write it with save_bank")
        index = json.loads(str(z["index"]))
        c, b, t = z["corners"].astype(np.int64), z["barycentric"].astype(np.float64), z["triangles"]
    entries, vo, to = [], 0, 0
    for rec in index:
        parts = []
        for nv, nt in rec["parts"]:
            bb = b[vo : vo + nv]
            parts.append(
                BankPart(
                    c[vo : vo + nv], bb / bb.sum(axis=1, keepdims=True), t[to : to + nt].astype(np.int64)
                )
            )
            vo, to = vo + nv, to + nt
        entries.append(BankEntry(rec["crop"], rec["eyeballs"], rec["op"], rec["target"], parts))
    return entries


# ----------------------------------------------------------------------------- samples

# per-sample style draws of bank_sample: warp kind probabilities, rotation and unit ranges
WARP_KINDS = {"none": 0.3, "smooth": 0.4, "caricature": 0.3}
MAX_ROTATION_DEGREES = 8.0
UNITS = (0.01, 1.0, 10.0)  # m, cm, mm of ICT centimetres


def bank_sample(ict: ICTModel, labels: np.ndarray, entries: list[BankEntry], seed: int) -> TrainingSample:
    """A train-split sample from a random bank entry: train identity, warp (none, smooth with
    strength 0.5-1.5, or :func:`training.augment.caricature_warp`), unit m/cm/mm times 0.5-2 and a
    rotation up to :data:`MAX_ROTATION_DEGREES`. Deterministic in ``seed`` (train range only).
    Same fields as :func:`training.augment.make_sample`'s result."""
    _split.check_seed(seed, "train")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0xBA4C]))
    entry = entries[int(rng.integers(len(entries)))]
    coeffs = sample_identity(rng, _split.identity_basis("train"))
    full = ict.compose(coeffs).astype(np.float64)
    out_v, out_t, out_d, out_l, offset = [], [], [], [], 0
    for p in entry.parts:
        hits = ClosestHits(
            triangle=np.zeros(len(p.corners), np.int64), barycentric=p.barycentric,
            distance=np.zeros(len(p.corners)), points=np.zeros((len(p.corners), 3)), corners=p.corners,
        )  # fmt: skip
        out_v.append(transfer(full, hits))
        out_d.append(transfer(ict.expressions, hits))
        out_l.append(labels[dominant_vertex(hits)])
        out_t.append(p.triangles + offset)
        offset += len(p.corners)
    v = np.concatenate(out_v)
    d = np.concatenate(out_d, axis=1)
    kinds = list(WARP_KINDS)
    kind = kinds[int(rng.choice(len(kinds), p=np.array([WARP_KINDS[k] for k in kinds])))]
    warp_meta = None
    if kind != "none":
        w = (
            caricature_warp(rng, full)
            if kind == "caricature"
            else random_warp(rng, ict_landmarks(full), float(rng.uniform(0.5, 1.5)))
        )
        warped = w(v)
        d = w(v[None] + d) - warped[None]
        v = warped
        warp_meta = {"kind": kind, **w.to_meta()}
    rot = random_rotation(rng, MAX_ROTATION_DEGREES)
    scale = float(UNITS[int(rng.integers(len(UNITS)))] * np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    trans = rng.uniform(-10.0, 10.0, size=3) * scale
    v = scale * v @ rot.T + trans
    d = scale * d @ rot.T
    meta = {
        "seed": int(seed), "split": "train", "source": "topology_bank",
        "identity": [float(c) for c in coeffs], "crop": entry.crop, "eyeballs": entry.eyeballs,
        "topology": {"op": entry.op, "target_vertices": entry.target}, "warp": warp_meta,
        "similarity": {"rotation": rot.tolist(), "scale": scale, "translation": trans.tolist()},
        "num_vertices": int(len(v)),
    }  # fmt: skip
    return TrainingSample(
        vertices=v.astype(np.float32),
        triangles=np.concatenate(out_t).astype(np.int64),
        deltas=d.astype(np.float32),
        labels=np.concatenate(out_l).astype(np.int64),
        meta=meta,
    )
