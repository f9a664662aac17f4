"""Fine-tune the trunk on a GPU (or CPU) from a compact pack, within a fixed wall-clock budget.

For a rented accelerator without pymeshlab and with a small upload: the training meshes come
from ``PACK/ict_pack.npz`` + ``PACK/bank.npz`` (``scripts/build_training_pack.py``,
:mod:`training.topology_bank`: train identities, training topologies incl. ~3k-vertex
decimations, separate eyeballs, smooth and caricature warps, m/cm/mm units, rotations up to
8 degrees). Steps:

1. print the versions of python/numpy/scipy/torch/robust_laplacian and the device; exit 3 at
   once when one is missing;
2. build ``--pool-size`` meshes (operators included) with ``--workers`` processes, stopping
   early at ``--pool-minutes``; ``--val-size`` more meshes (other train seeds) for validation;
3. load ``--init`` (a weights folder; the trunk starts there, the expression encoder is kept
   as is) and train the trunk's parameters with the trunk losses of :mod:`training.loop` for
   ``--minutes`` of loop time, learning rate: linear warm-up then cosine *in elapsed time* to
   ``--lr-final`` (the number of steps a device manages is not known in advance);
4. write ``OUT/weights`` (model.pt, model.npz, config.json, sha256 files) every
   ``--checkpoint-seconds`` and at the end, ``OUT/loss.csv`` and ``OUT/summary.json`` (steps,
   times, validation relative error of the initial and final trunk).

Example (run 1 on the H200; the measurements are in weights/MODEL_CARD.md)::

    python scripts/device_train.py --pack PACK --init weights --out $OUT --device cuda \\
        --workers 15 --pool-size 320 --pool-minutes 1.75 --minutes 5.5

On CPU: the same with ``--device cpu --workers 2`` (about 2.6 steps/s on one core).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import os
import pathlib
import platform
import sys
import time


def check_environment(device: str) -> dict:
    """Versions of what the training needs; exits with code 3 naming what is missing."""
    info = {"python": platform.python_version()}
    missing = []
    for name in ("numpy", "scipy", "torch", "robust_laplacian"):
        try:
            mod = importlib.import_module(name)
            info[name] = getattr(mod, "__version__", "?")
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
    if not missing:
        import torch

        if device.startswith("cuda"):
            # is_available() does not create a CUDA context, so the pool workers can still fork
            if not torch.cuda.is_available():
                missing.append("a CUDA device (torch.cuda.is_available() is False)")
    print("environment:", json.dumps(info), flush=True)
    if missing:
        print(
            "missing: " + "; ".join(missing) + " -- carry a cp312 wheel (see the device README)", flush=True
        )
        sys.exit(3)
    return info


# ----------------------------------------------------------------------------- pool (workers)

_STATE: dict = {}


def _worker_init(pack: str) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import torch

    torch.set_num_threads(1)
    from training.topology_bank import load_bank, load_ict_pack

    ict, labels = load_ict_pack(pathlib.Path(pack) / "ict_pack.npz")
    _STATE.update(ict=ict, labels=labels, entries=load_bank(pathlib.Path(pack) / "bank.npz"))


def _make_item(job: tuple[int, int]):
    """Numpy arrays of one pool mesh (picklable: no torch sparse tensors cross processes)."""
    import numpy as np

    from model.api import prepare_mesh
    from training.loop import unique_edges
    from training.topology_bank import bank_sample

    seed, k = job
    try:
        s = bank_sample(_STATE["ict"], _STATE["labels"], _STATE["entries"], seed)
        prep = prepare_mesh(
            s.vertices.astype(np.float64), s.triangles, k=k, weld=False, check_axes=False, cache=False
        )
        ops = prep.operators
        d = np.asarray(prep.frame.vectors_to_canonical(s.deltas.reshape(-1, 3)), np.float32)
        return {
            "seed": seed, "positions": prep.canonical, "normals": ops.normals, "mass": ops.mass,
            "evals": ops.evals, "evecs": ops.evecs, "grad_x": ops.grad_x, "grad_y": ops.grad_y,
            "deltas": d.reshape(s.deltas.shape), "labels": s.labels, "edges": unique_edges(s.triangles),
            "meta": s.meta,
        }  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - one bad draw must not stop the pool
        return {"seed": seed, "error": f"{type(exc).__name__}: {exc}"}


def _to_item(d: dict, device: str):
    import torch

    from training.loop import PoolItem
    from training.nn.diffusion import MeshTensors

    mesh = MeshTensors.from_numpy(
        d["positions"], d["normals"], d["mass"], d["evals"], d["evecs"], d["grad_x"], d["grad_y"], device
    )
    return PoolItem(
        mesh,
        torch.from_numpy(d["deltas"]).to(device),
        torch.from_numpy(d["labels"].astype("int64")).to(device),
        torch.from_numpy(d["edges"]).to(device),
        d["meta"],
    )


def build_pool(pack: str, seeds: list[int], k: int, workers: int, minutes: float, device: str) -> list:
    """Pool items for ``seeds`` (those done within ``minutes``), on ``device``."""
    import multiprocessing as mp

    t0 = time.time()
    items = []
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_init, initargs=(pack,)) as pool:
        it = pool.imap_unordered(_make_item, [(s, k) for s in seeds], chunksize=1)
        while True:
            left = minutes * 60 - (time.time() - t0)
            if left <= 0:
                print(f"pool: time cap reached with {len(items)}/{len(seeds)} meshes", flush=True)
                pool.terminate()
                break
            try:
                d = it.next(timeout=left)
            except StopIteration:
                break
            except mp.TimeoutError:
                continue
            if "error" in d:
                print(f"pool: skipping seed {d['seed']}: {d['error'][:200]}", flush=True)
                continue
            items.append(_to_item(d, device))
    items.sort(key=lambda p: p.meta["seed"])  # deterministic order whatever finished first
    return items


# ----------------------------------------------------------------------------- training


def relative_error(net, items: list) -> float:
    """Mean over items of sum |bake - gt| / sum |gt| (the training monitor's ``rel``)."""
    import torch

    was = net.training
    net.eval()
    vals = []
    with torch.no_grad():
        for it in items:
            baked = net.bake(net.rig(it.mesh))
            vals.append(float((baked - it.deltas).abs().sum() / it.deltas.abs().sum().clamp_min(1e-12)))
    net.train(was)
    return sum(vals) / max(1, len(vals))


def lr_at(seconds: float, step: int, args: argparse.Namespace) -> float:
    """Linear warm-up over ``--warmup`` steps, then cosine in elapsed loop time."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(1.0, seconds / (args.minutes * 60))
    return args.lr_final + 0.5 * (args.lr - args.lr_final) * (1 + math.cos(math.pi * p))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pack", required=True, help="folder with ict_pack.npz and bank.npz")
    ap.add_argument("--init", required=True, help="weights folder to start from (e.g. weights)")
    ap.add_argument("--out", required=True, help="output folder (weights/, loss.csv, summary.json)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--pool-size", type=int, default=320)
    ap.add_argument("--pool-minutes", type=float, default=2.0, help="cap on the pool build")
    ap.add_argument("--val-size", type=int, default=24)
    ap.add_argument("--minutes", type=float, default=5.0, help="training loop wall-clock budget")
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (tests)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--lr-final", type=float, default=2e-5)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--checkpoint-seconds", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads of the training loop")
    ap.add_argument("--seed", type=int, default=7, help="pool seeds are seed*100000 + i (train split)")
    args = ap.parse_args(argv)
    t_start = time.time()
    env = check_environment(args.device)

    import numpy as np
    import torch

    from model.weights import read_config
    from training.loop import SHIPPED, optimisation_step, part_parameters, trunk_losses
    from training.torch_weights import load_model, save_model

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    net, init_config = load_model(args.init, device="cpu")
    k = net.config.k_eig
    base = args.seed * 100_000
    seeds = list(range(base, base + args.pool_size))
    val_seeds = list(range(base + 50_000, base + 50_000 + args.val_size))
    # validation first: a pool cut short by --pool-minutes still has its validation meshes
    pool = build_pool(args.pack, val_seeds + seeds, k, args.workers, args.pool_minutes, args.device)
    val = [p for p in pool if p.meta["seed"] in set(val_seeds)]
    pool = [p for p in pool if p.meta["seed"] not in set(val_seeds)]
    pool_seconds = time.time() - t_start
    if not pool:
        print("no training meshes were built", flush=True)
        return 4
    nv = [p.mesh.num_vertices for p in pool]
    print(
        f"pool: {len(pool)} meshes ({min(nv)}-{max(nv)} vertices), val {len(val)}, {pool_seconds:.0f}s",
        flush=True,
    )

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(0)
        print(f"gpu: {env['gpu']}", flush=True)
    net.to(args.device).train()
    cfg = SHIPPED
    params = part_parameters(net, "trunk")
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=cfg.weight_decay)
    val_init = relative_error(net, val)
    print(f"validation rel (init): {val_init:.4f}", flush=True)

    meta = dict(read_config(args.init).get("metadata", {}))
    summary: dict = {
        "init": str(args.init), "init_sha256": init_config.get("sha256"), "environment": env,
        "args": vars(args), "pool_meshes": len(pool), "pool_vertices": [min(nv), int(np.median(nv)), max(nv)],
        "pool_seconds": round(pool_seconds, 1), "val_meshes": len(val), "val_rel_init": round(val_init, 5),
    }  # fmt: skip

    def save(step: int, seconds: float, final: bool) -> None:
        summary.update(steps_done=step, train_seconds=round(seconds, 1), final=final)
        m = dict(meta)
        m["trunk_finetune"] = dict(summary)
        save_model(net, out / "weights", m)
        (out / "summary.json").write_text(json.dumps(summary, indent=1))

    fcsv = open(out / "loss.csv", "w", newline="")
    writer = csv.writer(fcsv)
    keys = ["total", "bake", "edge", "decode", "seg", "rel"]
    writer.writerow(["step", "seconds", "lr", *keys])
    ema: dict[str, float] = {}
    step, t0, last_ckpt = 0, time.time(), time.time()
    while True:
        elapsed = time.time() - t0
        if elapsed > args.minutes * 60 or (args.max_steps is not None and step >= args.max_steps):
            break
        rng = np.random.default_rng([args.seed, 0, step])
        lr = lr_at(elapsed, step, args)
        losses = optimisation_step(
            net, opt, params, pool, rng, cfg.batch_codes, args.device, trunk_losses, cfg, lr
        )
        step += 1
        if step % 10 == 0:
            vals = {kk: float(losses[kk].detach()) for kk in keys}
            for kk, v in vals.items():
                ema[kk] = v if kk not in ema else 0.8 * ema[kk] + 0.2 * v
            writer.writerow([step, f"{elapsed:.1f}", f"{lr:.3g}"] + [f"{vals[kk]:.5f}" for kk in keys])
        if step % 200 == 0:
            fcsv.flush()
            print(f"step {step} {elapsed:.0f}s {step / max(elapsed, 1e-9):.1f} it/s lr {lr:.2e} "
                  + " ".join(f"{kk} {ema[kk]:.4f}" for kk in keys), flush=True)  # fmt: skip
        if time.time() - last_ckpt > args.checkpoint_seconds:
            summary["final_ema"] = {kk: round(v, 5) for kk, v in ema.items()}
            save(step, time.time() - t0, final=False)
            last_ckpt = time.time()
    fcsv.close()
    train_seconds = time.time() - t0
    summary["final_ema"] = {kk: round(v, 5) for kk, v in ema.items()}
    summary["val_rel_final"] = round(relative_error(net, val), 5)
    print(f"validation rel: init {val_init:.4f} -> final {summary['val_rel_final']:.4f}", flush=True)
    save(step, train_seconds, final=True)
    print(f"done: {step} steps in {train_seconds:.0f}s, total {time.time() - t_start:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
