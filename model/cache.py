"""Where expensive, reproducible results (Laplacian eigenbases, parsed ICT data) are cached.

``NFS_CACHE_DIR`` overrides the default ``~/.cache/neural_face_skinning`` (``XDG_CACHE_HOME``
respected). A cache only ever costs speed:

- a folder that cannot be created or written turns caching off for that entry, with one
  :class:`CacheWarning` per process, and the result is computed;
- entries are ``.npz`` files written atomically and signed with an HMAC-SHA256 of every array
  (names, dtypes, shapes, bytes) under a random key made once per cache folder
  (``<cache>/secret.key``, owner-only). An entry that is unreadable, unsigned, signed with another
  key or altered after writing is ignored and recomputed, never trusted. Callers still check that
  an entry belongs to their inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pathlib
import secrets
import tempfile
import warnings

import numpy as np

from .atomic_write import save_npz

KEY_FILE = "secret.key"
_SIGNATURE = "__signature__"  # npz member holding the HMAC hex digest of the other members
_warned = False  # one CacheWarning per process


class CacheWarning(UserWarning):
    """The disk cache cannot be used; results are computed each time (slower, still correct)."""


def cache_root() -> pathlib.Path:
    """The cache folder (not created)."""
    root = os.environ.get("NFS_CACHE_DIR")
    if root:
        return pathlib.Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(xdg) / "neural_face_skinning"


def cache_dir(kind: str) -> pathlib.Path:
    """Folder for one kind of cache entry (``"geometry"``, ``"ict"``, ...), created on demand.

    Raises OSError when it cannot be created; :func:`entry_path` is the forgiving form.
    """
    path = cache_root() / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def warn_unusable(problem: str) -> None:
    """Warn, once per process, that the cache is off; ``problem`` says what failed."""
    global _warned
    if _warned:
        return
    _warned = True
    warnings.warn(
        f"the cache at {cache_root()} cannot be used ({problem}); results are computed each time "
        "(slower, still correct). Fix: make that folder writable or set NFS_CACHE_DIR to a "
        "writable folder",
        CacheWarning,
        stacklevel=3,
    )


def entry_path(kind: str, name: str) -> pathlib.Path | None:
    """Path of cache entry ``name`` of ``kind``, or None (with a one-time warning) when the cache
    folder cannot be created."""
    try:
        return cache_dir(kind) / name
    except OSError as exc:
        warn_unusable(f"{type(exc).__name__}: {exc.strerror or exc}")
        return None


def _key_path(entry: pathlib.Path) -> pathlib.Path:
    return entry.parents[1] / KEY_FILE  # <root>/<kind>/<entry>


def _parse_key(text: str) -> bytes | None:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        return None
    return key if len(key) == 32 else None


def _read_key(path: pathlib.Path) -> bytes | None:
    """The folder's key; None when it is missing, unreadable or malformed (nothing verifies)."""
    try:
        return _parse_key(path.read_text())
    except OSError:
        return None


def _write_new_key(path: pathlib.Path, replace: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.", suffix=".tmp")  # 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        if replace:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # never replaces: processes racing on a new cache agree on one key
        except FileExistsError:
            pass
        except OSError:  # a filesystem without hard links; a lost race only costs recomputing
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _create_key(path: pathlib.Path) -> bytes:
    """The folder's key, made now if there is none (OSError if it cannot be written or read)."""
    key = _read_key(path)
    if key is not None:
        return key
    _write_new_key(path, replace=False)
    key = _parse_key(path.read_text())  # OSError (e.g. another user's key): no cache here
    if key is None:  # a damaged key file: a new key, which invalidates every entry
        _write_new_key(path, replace=True)
        key = _parse_key(path.read_text())
        if key is None:
            raise OSError(f"cannot read back the cache key {path}")
    return key


def _buffer(a: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array as a flat uint8 view: what ``a.tobytes()`` holds,
    without the copy (an eigenbasis entry is ~10 MB)."""
    return a.reshape(-1).view(np.uint8)


def _signature(key: bytes, arrays: dict[str, np.ndarray]) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        mac.update(f"{len(name)}:{name}|{a.dtype.str}|{a.shape}|".encode())
        mac.update(_buffer(a))
    return mac.hexdigest()


def save_entry(path: pathlib.Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a signed entry atomically; a failure (read-only or full disk) only warns once."""
    try:
        key = _create_key(_key_path(path))
        signed = dict(arrays)
        signed[_SIGNATURE] = np.array(_signature(key, arrays))
        # entries are verified on read, so a torn write after a power cut is only a miss
        save_npz(path, signed, durable=False)
    except OSError as exc:
        warn_unusable(f"{type(exc).__name__}: {exc.strerror or exc}")


def load_entry(path: pathlib.Path) -> dict[str, np.ndarray] | None:
    """The arrays of a signed entry, or None when it is missing, unreadable, unsigned or its
    contents differ from what was signed."""
    key = _read_key(_key_path(path))
    if key is None:
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except Exception:  # noqa: BLE001 - any unreadable entry (missing, truncated zip, bad header) is a miss
        return None
    stored = arrays.pop(_SIGNATURE, None)
    if stored is None or stored.shape != () or stored.dtype.kind != "U":
        return None
    if not hmac.compare_digest(str(stored), _signature(key, arrays)):
        return None
    return arrays


def array_digest(*arrays: np.ndarray, extra: str = "") -> str:
    """sha256 hex of arrays' dtype, shape and bytes (C order) plus an extra string."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(_buffer(a))
    h.update(extra.encode())
    return h.hexdigest()
