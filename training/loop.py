"""Training of :class:`training.nn.network.FaceSkinningNet` on ICT-FaceKit derived meshes.

Data: a pool of training meshes (``training.augment.make_sample`` on the train split: held-in
identities, remeshed/decimated/subdivided topologies, crops, stylizing warps, similarity
transforms), each moved into its canonical frame with its operators precomputed and cached on
disk. The network has two parts with separate parameters and separate losses, so they train
independently (``python -m training train`` runs them side by side, one process per core):

* ``trunk`` (everything but the expression encoder). Each step draws a target T and
  ``batch_codes`` FACS weight vectors w (half one-hot, half sparse random in [0, 1]) and:
  bakes all 53 one-hot codes on T -> ``bake`` loss (mass-weighted vertex L1, per-shape weights)
  and ``edge`` loss (L1 of edge-vector differences); decodes w on T against
  ``sum_i w_i delta_T,i`` -> ``decode`` loss; skinning NLL with label smoothing -> ``seg`` loss.
* ``encoder`` (:mod:`training.nn.encoder`). Each step draws a source S, poses it with
  ``encoder_batch`` weight vectors w and encodes the frames -> ``code`` loss
  ``mean |z_exp - w|`` (FACS-code supervision), plus the dense ``basis`` loss of the encoder's
  analysis basis against the source's true shapes.

All geometric losses are in canonical units multiplied by ``delta_scale`` (O(1) numbers).
Randomness of step ``s`` comes from ``numpy.random.default_rng([seed, part, s])`` so a resumed
run draws the same steps as an uninterrupted one.
"""

from __future__ import annotations

import csv
import json
import math
import os
import pathlib
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from model.atomic_write import atomic_open, write_text_atomic
from model.cache import array_digest, entry_path, load_entry, save_entry
from model.errors import FaceSkinningError
from model.facs import ICT_NAMES

from .nn.diffusion import MeshTensors
from .nn.encoder import normal_equations
from .nn.network import FaceSkinningNet, NetConfig

POOL_VERSION = "pool-v1"


@dataclass
class TrainConfig:
    """Every training hyperparameter (stored in the weights' config)."""

    seed: int = 0
    pool_size: int = 96
    steps: int = 11000  # trunk steps
    lr: float = 2e-3
    lr_final: float = 5e-5
    # a second, shorter cosine cycle (warm restart) over the last restart_steps of ``steps``
    restart_steps: int = 0
    restart_lr: float = 5e-4
    warmup_steps: int = 200
    weight_decay: float = 1e-5
    batch_codes: int = 8
    w_bake: float = 1.0
    w_edge: float = 1.0
    w_decode: float = 0.5
    w_seg: float = 0.2
    # the expression encoder's own schedule (warm-up + cosine to lr_final)
    encoder_steps: int = 14000
    encoder_lr: float = 2e-3
    encoder_batch: int = 8
    # the FACS-code loss backpropagates through the 53x53 solve, whose gradients are large next
    # to the dense basis term: a small weight (with the clipped gradient norm) keeps both working
    w_enc_code: float = 0.05
    label_smoothing: float = 0.1
    max_vertices: int = 12000
    checkpoint_minutes: float = 5.0
    net: dict = field(
        default_factory=lambda: {
            "k_eig": 96,
            "width": 64,
            "pos_freqs": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            "mask_floor": 0.02,
        }
    )  # NetConfig overrides


@dataclass
class PoolItem:
    """One training mesh in its canonical frame: operators, expression deltas (53, V, 3)
    canonical float32, region labels (V,) int64, unique edges (E, 2) int64."""

    mesh: MeshTensors
    deltas: torch.Tensor
    labels: torch.Tensor
    edges: torch.Tensor
    meta: dict

    def to(self, device) -> PoolItem:
        return PoolItem(
            self.mesh.to(device),
            self.deltas.to(device),
            self.labels.to(device),
            self.edges.to(device),
            self.meta,
        )


def unique_edges(triangles: np.ndarray) -> np.ndarray:
    """(E, 2) int64 undirected edges of a triangle list, each once (i < j)."""
    e = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    e = np.sort(e, axis=1)
    e = e[e[:, 0] != e[:, 1]]
    return np.unique(e, axis=0)


def _raw_sample(
    ict, seed: int, split: str, max_vertices: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """(vertices, triangles, deltas (53,V,3), labels (V,), meta) in the sample's own frame."""
    from .augment import make_sample

    s = make_sample(ict, seed, split=split, max_vertices=max_vertices)
    return (
        np.asarray(s.vertices, np.float64),
        np.asarray(s.triangles, np.int64),
        np.asarray(s.deltas, np.float32),
        np.asarray(s.labels, np.int64),
        dict(s.meta) if isinstance(s.meta, dict) else {},
    )


def load_pool_item(ict, seed: int, k: int, split: str = "train", max_vertices: int = 12000) -> PoolItem:
    """Make (or read from the ``pool`` disk cache) one canonical training mesh with operators."""
    from model.api import prepare_mesh
    from model.regions import REGION_NAMES

    # region names in the key: a sample cached under another segmentation has stale labels
    tag = f"{POOL_VERSION}|{seed}|{split}|{max_vertices}|{ict.num_vertices}|{','.join(REGION_NAMES)}"
    key = array_digest(extra=tag)
    path = entry_path("pool", f"{split}-{seed}-{key[:16]}.npz")  # None: no usable cache
    raw = None
    z = load_entry(path) if path is not None else None  # None unless signed and unaltered
    if z is not None:
        try:
            raw = (z["vertices"], z["triangles"], z["deltas"], z["labels"], json.loads(str(z["meta"])))
        except (KeyError, ValueError):
            raw = None
    if raw is None:
        raw = _raw_sample(ict, seed, split, max_vertices)
        if path is not None:  # atomic, so the parallel parts building it too never clash
            save_entry(
                path,
                dict(
                    vertices=raw[0],
                    triangles=raw[1],
                    deltas=raw[2],
                    labels=raw[3],
                    meta=np.array(json.dumps(raw[4], default=str)),
                ),
            )
    vertices, triangles, deltas, labels, meta = raw
    prep = prepare_mesh(vertices, triangles, k=k, weld=False, check_axes=False)
    d_can = np.asarray(prep.frame.vectors_to_canonical(deltas.reshape(-1, 3)), np.float32).reshape(
        deltas.shape
    )
    meta = dict(meta, seed=seed, num_vertices=int(vertices.shape[0]))
    return PoolItem(
        FaceSkinningNet.mesh_input(prep, "cpu"),
        torch.from_numpy(d_can),
        torch.from_numpy(labels.astype(np.int64)),
        torch.from_numpy(unique_edges(triangles)),
        meta,
    )


def build_pool(ict, size: int, k: int, seed: int = 0, max_vertices: int = 12000, log=print) -> list[PoolItem]:
    """``size`` training meshes, seeds ``seed*100000 + i`` of the train split."""
    pool = []
    t0 = time.time()
    i = 0
    while len(pool) < size:
        s = seed * 100_000 + i
        i += 1
        try:
            pool.append(load_pool_item(ict, s, k, "train", max_vertices))
        except Exception as exc:  # noqa: BLE001 - a remesher failure on one random draw must not stop training
            print(
                f"\nskipping pool seed {s}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}",
                file=sys.stderr,
            )
            continue
        if log is not None:
            _progress(f"pool {len(pool)}/{size}  V={pool[-1].mesh.num_vertices}  {time.time() - t0:.0f}s")
    if log is not None:
        print(file=sys.stderr)
    return pool


def sample_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 53) float32 FACS weights: the first half one-hot with weight in [0.5, 1], the rest
    sparse random combinations (1-6 active units, each in [0, 1])."""
    w = np.zeros((n, len(ICT_NAMES)), np.float32)
    n_one = n // 2
    w[np.arange(n_one), rng.integers(0, len(ICT_NAMES), n_one)] = rng.uniform(0.5, 1.0, n_one)
    for r in range(n_one, n):
        m = int(rng.integers(1, 7))
        w[r, rng.choice(len(ICT_NAMES), m, replace=False)] = rng.uniform(0.0, 1.0, m)
    return w


def _mass_l1(pred: torch.Tensor, gt: torch.Tensor, mass: torch.Tensor) -> torch.Tensor:
    """Mass-weighted mean over vertices of the L1 norm of (..., V, 3) differences."""
    err = (pred - gt).abs().sum(-1)  # (..., V)
    return (err * mass).sum(-1).mean() / mass.sum()


def _shape_weighted_l1(pred: torch.Tensor, gt: torch.Tensor, mass: torch.Tensor) -> torch.Tensor:
    """Mass-weighted vertex L1 of (53, V, 3) shapes with per-shape weights ~ 1 / (its motion +
    the mean motion): small shapes (blinks, brows) are not drowned by jawOpen, and a shape that
    barely moves a crop does not get a huge weight."""
    per_shape = (gt.norm(dim=-1) * mass).sum(-1) / mass.sum()  # (53,)
    shape_w = 2 * per_shape.mean() / (per_shape + per_shape.mean()).clamp_min(1e-12)
    err = ((pred - gt).abs().sum(-1) * mass).sum(-1) / mass.sum()  # (53,)
    return (shape_w * err).mean()


def trunk_losses(
    net: FaceSkinningNet, target: PoolItem, codes: torch.Tensor, cfg: TrainConfig
) -> dict[str, torch.Tensor]:
    """The trunk's loss terms of one step (see the module docstring); each a scalar tensor."""
    scale = net.config.delta_scale
    rig = net.rig(target.mesh)
    mass = target.mesh.mass
    baked = net.bake(rig)  # (53, V, 3)
    out = {"bake": _shape_weighted_l1(baked, target.deltas, mass) * scale}
    with torch.no_grad():  # the evaluation metric, for monitoring only
        out["rel"] = (baked - target.deltas).abs().sum() / target.deltas.abs().sum().clamp_min(1e-12)
    i, j = target.edges[:, 0], target.edges[:, 1]
    out["edge"] = ((baked[:, i] - baked[:, j]) - (target.deltas[:, i] - target.deltas[:, j])).abs().sum(
        -1
    ).mean() * scale
    gt = torch.einsum("bi,ivc->bvc", codes, target.deltas)
    # teacher forcing: the true weights, so the trunk never depends on the encoder
    out["decode"] = _mass_l1(net.decode(rig, codes), gt, mass) * scale
    logp = torch.log_softmax(rig["logits"], -1)
    nll = -(logp.gather(1, target.labels[:, None])[:, 0])
    smooth = -logp.mean(-1)
    seg = (1 - cfg.label_smoothing) * nll + cfg.label_smoothing * smooth
    out["seg"] = (seg * mass).sum() / mass.sum()
    out["total"] = (
        cfg.w_bake * out["bake"]
        + cfg.w_edge * out["edge"]
        + cfg.w_decode * out["decode"]
        + cfg.w_seg * out["seg"]
    )
    return out


def encoder_losses(
    net: FaceSkinningNet, source: PoolItem, codes: torch.Tensor, cfg: TrainConfig
) -> dict[str, torch.Tensor]:
    """The expression encoder's losses of one step on the source posed with ``codes`` (B, 53).

    ``code``: L1 of the encoder's codes (the differentiable ridge solve) against the true FACS
    weights (the FACS-code supervision), weight ``w_enc_code``. ``basis``: the dense term that
    keeps the encoder's analysis basis close to the source's true shapes (same form as the
    trunk's bake loss).
    """
    scale = net.config.delta_scale
    mass = source.mesh.mass
    basis = net.encoder_basis(source.mesh)
    out = {"basis": _shape_weighted_l1(basis, source.deltas, mass) * scale}
    disp = torch.einsum("bi,ivc->bvc", codes, source.deltas)
    z = net.encode_with(normal_equations(basis, mass, net.config.ridge), disp)
    out["code"] = (z - codes).abs().mean()
    with torch.no_grad():  # the evaluation metric, for monitoring only
        out["rel"] = (z - codes).abs().sum() / codes.abs().sum().clamp_min(1e-12)
    out["total"] = out["basis"] + cfg.w_enc_code * out["code"]
    return out


PARTS = ("trunk", "encoder")
LOSS_KEYS = {
    "trunk": ["total", "bake", "edge", "decode", "seg", "rel"],
    "encoder": ["total", "basis", "code", "rel"],
}


def part_parameters(net: FaceSkinningNet, part: str) -> list[torch.nn.Parameter]:
    """The parameters one training part owns: the encoder's, or everything else."""
    if part not in PARTS:
        raise ValueError(f"unknown training part {part!r}; one of {PARTS}")
    return [p for n, p in net.named_parameters() if n.startswith("encoder.") == (part == "encoder")]


def optimisation_step(net, opt, params, pool, rng, batch: int, device, losses_fn, cfg, lr: float) -> dict:
    """One optimisation step: a pool item and ``batch`` code vectors drawn from ``rng`` (in that
    order), the learning rate set to ``lr``, ``losses_fn(net, item, codes, cfg)["total"]``
    back-propagated, gradients of ``params`` clipped to norm 1. Returns the losses (tensors).
    Shared by :func:`train_part` and the GPU script (``scripts/device_train.py``)."""
    item = pool[int(rng.integers(len(pool)))]
    codes = torch.from_numpy(sample_codes(rng, batch)).to(device)
    for g in opt.param_groups:
        g["lr"] = lr
    losses = losses_fn(net, item, codes, cfg)
    opt.zero_grad(set_to_none=True)
    losses["total"].backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return losses


def lr_at(step: int, cfg: TrainConfig, part: str = "trunk") -> float:
    """Linear warm-up, cosine decay from ``lr`` to ``lr_final`` by ``steps - restart_steps``,
    then (if ``restart_steps``) one more cosine cycle from ``restart_lr`` to ``lr_final``.
    The encoder part: warm-up and one cosine from ``encoder_lr`` over ``encoder_steps``."""
    if part == "encoder":
        if step < cfg.warmup_steps:
            return cfg.encoder_lr * (step + 1) / cfg.warmup_steps
        p = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.encoder_steps - cfg.warmup_steps))
        return cfg.lr_final + 0.5 * (cfg.encoder_lr - cfg.lr_final) * (1 + math.cos(math.pi * p))
    restart = cfg.restart_steps if 0 < cfg.restart_steps < cfg.steps else 0
    main = cfg.steps - restart
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if step < main or restart == 0:
        p = min(1.0, (step - cfg.warmup_steps) / max(1, main - cfg.warmup_steps))
        return cfg.lr_final + 0.5 * (cfg.lr - cfg.lr_final) * (1 + math.cos(math.pi * p))
    q = min(1.0, (step - main) / restart)
    return cfg.lr_final + 0.5 * (cfg.restart_lr - cfg.lr_final) * (1 + math.cos(math.pi * q))


def make_net(cfg: TrainConfig) -> FaceSkinningNet:
    """A freshly initialised network (seeded by ``cfg.seed``) with ``cfg.net`` overrides."""
    from model.weights import default_region_names

    torch.manual_seed(cfg.seed)
    net_cfg = NetConfig(region_names=default_region_names(), expression_names=ICT_NAMES, **cfg.net)
    return FaceSkinningNet(net_cfg)


def _progress(text: str) -> None:
    sys.stderr.write("\r" + text[:150].ljust(150))
    sys.stderr.flush()


def git_commit() -> str:
    try:
        root = pathlib.Path(__file__).resolve().parents[1]
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train(
    ict,
    cfg: TrainConfig,
    out_dir: str | os.PathLike,
    device: str = "cpu",
    minutes: float | None = None,
    resume: bool = False,
    threads: int | None = None,
    stop_after: int | None = None,
    pool: list[PoolItem] | None = None,
    log_every: int = 10,
    part: str = "all",
) -> dict:
    """Train and write ``out_dir/weights`` (the deliverable); each part keeps
    ``out_dir/<part>/checkpoint.pt``, ``loss.csv`` and ``summary.json``.

    ``part``: ``"all"`` (both parts one after the other in this process, then
    :func:`merge_parts`), or ``"trunk"`` / ``"encoder"`` alone (no merge; the CLI runs the two
    in parallel processes and merges). ``minutes`` caps each part's loop wall time (the part then
    stops early and saves what it has); ``stop_after`` stops after that step (same schedule, for
    resuming). Returns a summary dict (per part: steps done, wall time, final losses).
    """
    out = pathlib.Path(out_dir)
    if threads:
        # on a shared CPU, OpenMP barriers across contended cores cost more than they gain:
        # one thread measured 4x faster than two under load
        torch.set_num_threads(threads)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise FaceSkinningError("--device cuda was asked for but torch sees no CUDA GPU; use --device cpu")
    parts = PARTS if part == "all" else (part,)
    if any(p not in PARTS for p in parts):
        raise ValueError(f"unknown training part {part!r}; one of {('all', *PARTS)}")
    t_pool = time.time()
    if pool is None:
        pool = build_pool(ict, cfg.pool_size, make_net(cfg).config.k_eig, cfg.seed, cfg.max_vertices)
    pool_seconds = time.time() - t_pool
    pool = [p.to(device) for p in pool]
    summaries = {}
    for name in parts:
        summaries[name] = train_part(
            cfg, out / name, name, pool, device, minutes, resume, stop_after, log_every, pool_seconds
        )
    if part == "all":
        merge_parts(cfg, out)
    return summaries


def train_part(
    cfg: TrainConfig,
    out: pathlib.Path,
    part: str,
    pool: list[PoolItem],
    device: str,
    minutes: float | None,
    resume: bool,
    stop_after: int | None,
    log_every: int,
    pool_seconds: float = 0.0,
) -> dict:
    """The training loop of one part (``trunk`` or ``encoder``), writing into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    net = make_net(cfg).to(device)
    params = part_parameters(net, part)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    total_steps = cfg.steps if part == "trunk" else cfg.encoder_steps
    batch = cfg.batch_codes if part == "trunk" else cfg.encoder_batch
    losses_fn = trunk_losses if part == "trunk" else encoder_losses
    part_id = PARTS.index(part)
    step0 = 0
    ckpt_path = out / "checkpoint.pt"
    prior_seconds = 0.0
    if resume and ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=device, weights_only=True)
        net.load_state_dict(ck["net"])
        opt.load_state_dict(ck["opt"])
        step0 = int(ck["step"])
        prior_seconds = float(ck.get("train_seconds", 0.0))
        print(f"resumed {part} from {ckpt_path} at step {step0}", file=sys.stderr)
    csv_path = out / "loss.csv"
    new_csv = not (resume and csv_path.is_file())
    fcsv = open(csv_path, "w" if new_csv else "a", newline="")
    writer = csv.writer(fcsv)
    keys = LOSS_KEYS[part]
    if new_csv:
        writer.writerow(["step", "seconds", "lr", *keys])

    def save_checkpoint(step: int, seconds: float) -> None:
        with atomic_open(ckpt_path, "wb") as fh:
            torch.save(
                {"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "train_seconds": seconds}, fh
            )

    t0 = time.time()
    last_ckpt = t0
    ema: dict[str, float] = {}
    step = step0
    net.train()
    last_step = total_steps if stop_after is None else min(total_steps, stop_after)
    while step < last_step:
        if minutes is not None and time.time() - t0 > minutes * 60:
            print(f"\n{part}: stopping at step {step}: --minutes {minutes} reached", file=sys.stderr)
            break
        rng = np.random.default_rng([cfg.seed, part_id, step])
        losses = optimisation_step(
            net, opt, params, pool, rng, batch, device, losses_fn, cfg, lr_at(step, cfg, part)
        )
        step += 1
        vals = {k: float(losses[k].detach()) for k in keys}
        for k, v in vals.items():
            ema[k] = v if k not in ema else 0.95 * ema[k] + 0.05 * v
        elapsed = time.time() - t0
        if step % log_every == 0 or step == total_steps:
            writer.writerow(
                [step, f"{prior_seconds + elapsed:.1f}", f"{lr_at(step - 1, cfg, part):.3g}"]
                + [f"{vals[k]:.5f}" for k in keys]
            )
            fcsv.flush()
            rate = (step - step0) / max(elapsed, 1e-9)
            eta = (total_steps - step) / max(rate, 1e-9)
            _progress(
                f"{part} {step}/{total_steps} {rate:.2f} it/s eta {eta / 60:.0f}m | "
                + " ".join(f"{k} {ema[k]:.4f}" for k in keys)
            )
        if time.time() - last_ckpt > cfg.checkpoint_minutes * 60:
            save_checkpoint(step, prior_seconds + elapsed)
            last_ckpt = time.time()
    train_seconds = prior_seconds + time.time() - t0
    save_checkpoint(step, train_seconds)
    fcsv.close()
    print(file=sys.stderr)
    summary = {
        "steps_done": step,
        "train_seconds": round(train_seconds, 1),
        "pool_seconds": round(pool_seconds, 1),
        "device": device,
        "threads": torch.get_num_threads(),
        "final_ema": {k: round(v, 5) for k, v in ema.items()},
        "pool_vertices": [p.mesh.num_vertices for p in pool],
    }
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=1))
    return summary


def merge_parts(cfg: TrainConfig, out_dir: str | os.PathLike) -> pathlib.Path:
    """Combine the trunk part's and the encoder part's checkpoints under ``out_dir`` into one
    weights folder ``out_dir/weights`` (state_dict + config with both parts' summaries)."""
    from .torch_weights import save_model

    out = pathlib.Path(out_dir)
    net = make_net(cfg)
    state = net.state_dict()
    summaries = {}
    for part in PARTS:
        ck_path = out / part / "checkpoint.pt"
        if not ck_path.is_file():
            raise FaceSkinningError(f"{ck_path} is missing: train the {part} part first (--part {part})")
        ck = torch.load(ck_path, map_location="cpu", weights_only=True)["net"]
        for k in state:
            if k.startswith("encoder.") == (part == "encoder"):
                state[k] = ck[k]
        summary_path = out / part / "summary.json"
        summaries[part] = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    net.load_state_dict(state)
    net.eval()
    save_model(
        net,
        out / "weights",
        {
            "training": {
                "config": asdict(cfg),
                "summary": summaries,
                "git_commit": git_commit(),
                "torch": torch.__version__,
            },
        },
    )
    return out / "weights"


# The configuration of the shipped weights (``python -m training train`` with no overrides).
SHIPPED = TrainConfig()
