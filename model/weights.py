"""Save and load the network: ``model.pt`` (torch ``state_dict``), ``config.json`` (every
hyperparameter, the sha256 of ``model.pt``, training provenance) and ``model.pt.sha256``; saving
also writes the torch-free runtime's ``model.npz`` (:mod:`model.runtime.weights`).

Loading verifies the hash before torch reads a byte, and uses ``torch.load(weights_only=True)``
so a weights file can never execute code. Any problem is a :class:`model.errors.WeightsError`
whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Any

from .atomic_write import atomic_open, write_text_atomic
from .errors import WeightsError
from .facs import ICT_NAMES

WEIGHTS_FILE = "model.pt"
CONFIG_FILE = "config.json"
HASH_FILE = WEIGHTS_FILE + ".sha256"
FORMAT = "neural-face-skinning-weights/1"


def shipped_weights_dir() -> pathlib.Path:
    """The folder of the weights shipped with this checkout or package.

    ``NFS_WEIGHTS`` overrides; else ``model/data/weights`` (packaged add-on), else the
    repository's ``weights/``.
    """
    env = os.environ.get("NFS_WEIGHTS")
    if env:
        return pathlib.Path(env)
    here = pathlib.Path(__file__).resolve().parent
    for cand in (here / "data" / "weights", here.parent / "weights"):
        if (cand / CONFIG_FILE).is_file():
            return cand
    return here.parent / "weights"


def file_sha256(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(net, directory: str | os.PathLike, metadata: dict[str, Any] | None = None) -> pathlib.Path:
    """Write ``net`` (a :class:`model.nn.network.FaceSkinningNet`) into ``directory``.

    ``metadata`` (JSON-serialisable: name, version, training provenance...) is stored in the
    config under ``"metadata"``. Returns the directory.
    """
    import torch

    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    with atomic_open(out / WEIGHTS_FILE, "wb") as fh:
        torch.save(state, fh)
    digest = file_sha256(out / WEIGHTS_FILE)
    meta = {"name": "neural-face-skinning", "version": "0.1.0"}
    meta.update(metadata or {})
    config = {
        "format": FORMAT,
        "sha256": digest,
        "weights_file": WEIGHTS_FILE,
        "network": net.config.to_json(),
        "metadata": meta,
    }
    write_text_atomic(out / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")
    write_text_atomic(out / HASH_FILE, f"{digest}  {WEIGHTS_FILE}\n")
    # the torch-free runtime's copy (model.npz), so every saved folder also runs without torch
    from .runtime.weights import write_numpy_weights

    write_numpy_weights(out, {k: v.numpy() for k, v in state.items()})
    return out


def read_config(directory: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``config.json`` of a weights folder (no hash check)."""
    path = pathlib.Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise WeightsError(
            f"no {CONFIG_FILE} in {directory}: point --weights at a folder written by "
            "`python -m model train` (model.pt + config.json + model.pt.sha256)"
        )
    try:
        config = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(
            f"{path} is not valid JSON ({exc}); restore it from the release or retrain"
        ) from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise WeightsError(f"{path} is not a {FORMAT} config; use weights written by this version")
    return config


def verify_file(path: pathlib.Path, expected: Any, hash_file: pathlib.Path, fix: str) -> str:
    """The sha256 of ``path`` after checking it against ``expected`` (from the config) and, when
    present, the first word of ``hash_file``; raises WeightsError ending with ``fix``."""
    digest = file_sha256(path)
    if digest != expected:
        raise WeightsError(
            f"{path} is corrupt or does not belong to its config (sha256 {digest[:12]}... != "
            f"{str(expected)[:12]}...); {fix}"
        )
    if hash_file.is_file():
        listed = hash_file.read_text().split()
        if not listed or listed[0] != digest:
            raise WeightsError(f"{hash_file} disagrees with {path.name}; {fix}")
    return digest


def network_config(config: dict[str, Any], directory: pathlib.Path):
    """The :class:`model.nn.config.NetConfig` of a weights folder's config, checked to be this
    version's 53 ICT expressions; raises WeightsError naming the fix."""
    from .nn.config import NetConfig

    try:
        net_config = NetConfig.from_json(config["network"])
    except (KeyError, TypeError) as exc:
        raise WeightsError(f"{directory / CONFIG_FILE} has a bad network section ({exc}); retrain") from exc
    if tuple(net_config.expression_names) != ICT_NAMES:
        raise WeightsError(f"{directory} was trained for other expression names; use weights of this version")
    return net_config


def load_model(directory: str | os.PathLike | None = None, device: str = "cpu"):
    """Load and verify a weights folder. Returns ``(net, config_dict)``; ``net`` is in eval mode.

    ``directory=None`` loads the shipped weights. Raises WeightsError when a file is missing,
    a config value is invalid, the sha256 differs from the config or the ``.sha256`` file, or the
    tensors do not match the configured architecture; DeviceError when ``device`` is unknown or
    absent (e.g. ``cuda`` without a GPU).
    """
    import torch

    from .devices import check_device
    from .nn.network import FaceSkinningNet
    from .weights_config import check_config

    check_device(device)
    d = pathlib.Path(directory) if directory is not None else shipped_weights_dir()
    config = read_config(d)
    check_config(config, d / CONFIG_FILE)
    wpath = d / config.get("weights_file", WEIGHTS_FILE)
    if not wpath.is_file():
        raise WeightsError(f"{wpath} is missing; copy the whole weights folder or retrain")
    verify_file(wpath, config.get("sha256"), d / HASH_FILE, "restore the weights folder or retrain")
    net = FaceSkinningNet(network_config(config, d))
    try:
        state = torch.load(wpath, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
    except Exception as exc:  # torch raises many types for a bad pickle or shape mismatch
        raise WeightsError(
            f"{wpath} does not match its config ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); "
            "restore the weights folder or retrain"
        ) from exc
    net.to(device).eval()
    return net, config


def default_region_names() -> tuple[str, ...]:
    """model.regions.REGION_NAMES."""
    from .regions import REGION_NAMES

    return tuple(REGION_NAMES)


def save_random_model(path_dir: str | os.PathLike, seed: int = 0) -> pathlib.Path:
    """A tiny randomly initialised network (for tests and add-on development), saved like real
    weights. Its outputs are meaningless but have the right shapes and dtypes."""
    import torch

    from .nn.network import FaceSkinningNet, NetConfig

    torch.manual_seed(seed)
    config = NetConfig(
        region_names=default_region_names(),
        expression_names=ICT_NAMES,
        width=16,
        depth=2,
        k_eig=32,
        id_dim=8,
        pool_dim=16,
        mask_hidden=16,
        dec_hidden=32,
    )
    net = FaceSkinningNet(config)
    return save_model(
        net, path_dir, {"name": "neural-face-skinning-random", "random_init": True, "seed": seed}
    )
