"""The numpy weights: ``model.npz`` next to ``model.pt``, with the same sha256 discipline.

``model.npz`` holds the torch ``state_dict`` arrays under their names (float32, no pickles).
``config.json`` refers to it under ``"numpy_weights"``: ``{"file", "sha256", "source_sha256"}``
(``source_sha256``: the ``model.pt`` it was exported from, so a retrained ``model.pt`` with a
stale ``model.npz`` is caught), and ``model.npz.sha256`` lists its hash. Loading checks both
hashes before numpy reads a byte, then ``np.load(allow_pickle=False)``. Writing the npz is
deterministic (fixed zip timestamps), so exporting the same ``model.pt`` twice gives the same file.
"""

from __future__ import annotations

import json
import os
import pathlib
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..atomic_write import atomic_open, write_text_atomic
from ..errors import WeightsError

NUMPY_FILE = "model.npz"
NUMPY_HASH_FILE = NUMPY_FILE + ".sha256"
CONFIG_KEY = "numpy_weights"
_EXPORT_FIX = "run `python -m training export-numpy --weights FOLDER` (needs torch) or restore the folder"


def write_numpy_weights(directory: str | os.PathLike, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Write ``arrays`` (state_dict name -> array) as ``model.npz`` + ``model.npz.sha256`` into
    ``directory`` and record them in its ``config.json`` (which must exist, with the sha256 of
    ``model.pt``). Returns the config's new ``numpy_weights`` entry."""
    from ..weights import CONFIG_FILE, file_sha256, read_config

    d = pathlib.Path(directory)
    config = read_config(d)
    with atomic_open(d / NUMPY_FILE, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as member:
                value = np.ascontiguousarray(arrays[name], dtype=np.float32)
                np.lib.format.write_array(member, value, allow_pickle=False)
    digest = file_sha256(d / NUMPY_FILE)
    entry = {"file": NUMPY_FILE, "sha256": digest, "source_sha256": config["sha256"]}
    config[CONFIG_KEY] = entry
    write_text_atomic(d / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")
    write_text_atomic(d / NUMPY_HASH_FILE, f"{digest}  {NUMPY_FILE}\n")
    return entry


def load_numpy_model(directory: str | os.PathLike | None = None):
    """Load and verify a weights folder's numpy weights without torch.

    Returns ``(NumpyFaceNet, config_dict)``. Raises WeightsError when the folder has no (or a
    stale, corrupt, mismatched) ``model.npz``, naming the fix.
    """
    from ..weights import CONFIG_FILE, network_config, read_config, shipped_weights_dir, verify_file
    from ..weights_config import check_config
    from .network import NumpyFaceNet

    d = pathlib.Path(directory) if directory is not None else shipped_weights_dir()
    config = read_config(d)
    check_config(config, d / CONFIG_FILE)
    entry = config.get(CONFIG_KEY)
    if entry is None:
        raise WeightsError(f"{d} has no numpy weights (model.npz) for the torch-free runtime; {_EXPORT_FIX}")
    path = d / entry["file"]
    if not path.is_file():
        raise WeightsError(f"{path} is missing; {_EXPORT_FIX}")
    if entry.get("source_sha256") != config["sha256"]:
        raise WeightsError(f"{path} was exported from another model.pt than this folder's; {_EXPORT_FIX}")
    verify_file(path, entry["sha256"], d / NUMPY_HASH_FILE, _EXPORT_FIX)
    net_config = network_config(config, d)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{path} is not a readable npz ({exc}); {_EXPORT_FIX}") from exc
    return NumpyFaceNet(net_config, arrays), config
