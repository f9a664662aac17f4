"""A weights folder, without torch: where the shipped one is, its ``config.json``, and the
sha256 checks shared by both readers of the folder.

A folder holds ``model.pt`` (torch ``state_dict``, read and written only by training:
:mod:`training.torch_weights`), ``model.npz`` (the same arrays for the add-on's numpy runtime:
:mod:`model.runtime.weights`), ``config.json`` (every hyperparameter, both sha256s, training
provenance) and one ``.sha256`` file per weights file. Any problem is a
:class:`model.errors.WeightsError` whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from typing import Any

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


def read_config(directory: str | os.PathLike) -> dict[str, Any]:
    """The parsed ``config.json`` of a weights folder (no hash check)."""
    path = pathlib.Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise WeightsError(
            f"no {CONFIG_FILE} in {directory}: point --weights at a folder written by "
            "`python -m training train` (model.pt + config.json + model.pt.sha256)"
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
    """The :class:`model.runtime.config.NetConfig` of a weights folder's config, checked to be this
    version's 53 ICT expressions; raises WeightsError naming the fix."""
    from .runtime.config import NetConfig

    try:
        net_config = NetConfig.from_json(config["network"])
    except (KeyError, TypeError) as exc:
        raise WeightsError(f"{directory / CONFIG_FILE} has a bad network section ({exc}); retrain") from exc
    if tuple(net_config.expression_names) != ICT_NAMES:
        raise WeightsError(f"{directory} was trained for other expression names; use weights of this version")
    return net_config


def default_region_names() -> tuple[str, ...]:
    """model.regions.REGION_NAMES."""
    from .regions import REGION_NAMES

    return tuple(REGION_NAMES)
