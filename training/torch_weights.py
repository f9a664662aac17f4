"""Save and load the torch network of a weights folder (training only; the add-on reads the same
folder's ``model.npz`` with :mod:`model.runtime.weights`).

``save_model`` writes ``model.pt`` (torch ``state_dict``), ``config.json`` and ``model.pt.sha256``
and the numpy runtime's ``model.npz``. Loading verifies the hash before torch reads a byte
(:func:`model.weights.verify_file`) and uses ``torch.load(weights_only=True)``, so a weights file
can never execute code.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from model.atomic_write import atomic_open, write_text_atomic
from model.errors import WeightsError
from model.facs import ICT_NAMES
from model.weights import (
    CONFIG_FILE,
    FORMAT,
    HASH_FILE,
    WEIGHTS_FILE,
    default_region_names,
    file_sha256,
    network_config,
    read_config,
    shipped_weights_dir,
    verify_file,
)


def save_model(net, directory: str | os.PathLike, metadata: dict[str, Any] | None = None) -> pathlib.Path:
    """Write ``net`` (a :class:`training.nn.network.FaceSkinningNet`) into ``directory``.

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
    from model.runtime.weights import write_numpy_weights

    write_numpy_weights(out, {k: v.numpy() for k, v in state.items()})
    return out


def load_model(directory: str | os.PathLike | None = None, device: str = "cpu"):
    """Load and verify a weights folder. Returns ``(net, config_dict)``; ``net`` is in eval mode.

    ``directory=None`` loads the shipped weights. Raises WeightsError when a file is missing,
    a config value is invalid, the sha256 differs from the config or the ``.sha256`` file, or the
    tensors do not match the configured architecture; DeviceError when ``device`` is unknown or
    absent (e.g. ``cuda`` without a GPU).
    """
    import torch

    from model.weights_config import check_config

    from .devices import check_device
    from .nn.network import FaceSkinningNet

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


def export_numpy(directory: str | os.PathLike | None = None) -> pathlib.Path:
    """Export a weights folder's verified ``model.pt`` (None: the shipped ``weights/``) to
    ``model.npz`` in the same folder. Returns the npz path."""
    from model.runtime.weights import NUMPY_FILE, write_numpy_weights

    d = pathlib.Path(directory) if directory is not None else shipped_weights_dir()
    net, _ = load_model(d)
    state = {k: v.detach().cpu().numpy() for k, v in net.state_dict().items()}
    write_numpy_weights(d, state)
    return d / NUMPY_FILE


def load_face_model(directory: str | os.PathLike | None = None, device: str = "cpu"):
    """A :class:`model.api.FaceModel` running the torch network of a weights folder (``model.pt``)
    on ``device`` (cpu or cuda): the same API as ``FaceModel.load``, for training, evaluation
    on a GPU and the numpy-vs-torch parity tests."""
    from model.api import FaceModel

    net, config = load_model(directory, device=device)
    return FaceModel(net, config, device)
