"""Where expensive, reproducible results (Laplacian eigenbases, parsed ICT data) are cached.

``NFS_CACHE_DIR`` overrides the default ``~/.cache/neural_face_skinning`` (``XDG_CACHE_HOME``
respected). Entries are always validated on load; a bad entry is recomputed, never trusted.
"""

from __future__ import annotations

import hashlib
import os
import pathlib

import numpy as np


def cache_dir(kind: str) -> pathlib.Path:
    """Folder for one kind of cache entry (``"geometry"``, ``"ict"``, ...), created on demand."""
    root = os.environ.get("NFS_CACHE_DIR")
    if root:
        base = pathlib.Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = pathlib.Path(xdg) / "neural_face_skinning"
    path = base / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def array_digest(*arrays: np.ndarray, extra: str = "") -> str:
    """sha256 hex of arrays' dtype, shape and bytes (C order) plus an extra string."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    h.update(extra.encode())
    return h.hexdigest()
