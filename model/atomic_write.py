"""Write files so that an interruption (Ctrl+C, kill, full disk) never leaves a half-written file.

Every writer of this package goes through :func:`atomic_open`: the content goes to a temporary
file in the destination's folder, which is renamed over the destination with ``os.replace``
(atomic within one filesystem on POSIX and Windows) only once it is complete. Readers see the
old file or the whole new one, never a mix; a failed write deletes its temporary file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pathlib
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@functools.cache
def _umask() -> int:
    # the only portable way to read the umask is to set it; done once, at the first write
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _final_mode(path: pathlib.Path) -> int:
    """The permissions the file would get from a plain ``open``: an existing file keeps its own."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike,
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    durable: bool = True,
) -> Iterator[IO]:
    """Open ``path`` for writing; the file appears (or replaces the old one) only when the block
    ends without an exception.

    Args:
        path: the destination file; its folder must exist.
        mode: ``"w"`` (text) or ``"wb"`` (binary).
        encoding, newline: as for :func:`open`, text mode only.
        durable: flush the data to disk before the rename, so a power cut cannot leave an empty
            file either (caches whose entries are verified on read can skip it).

    Raises:
        OSError: the folder is missing or unwritable, the disk is full, ...; the destination is
            then unchanged and no temporary file is left.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode {mode!r}; use 'w' or 'wb'")
    path = pathlib.Path(path)
    # hidden, in the same folder (os.replace cannot cross filesystems), unique per writer so that
    # parallel processes writing the same file never share a temporary file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        text = {} if mode == "wb" else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **text) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[pathlib.Path]:
    """For writers that only take a file name (Blender's renderer and exporters): a fresh path
    next to ``path``, with the same suffix, that is renamed over ``path`` when the block ends
    without an exception; deleted on failure.

    Raises:
        OSError: as :func:`atomic_open`; FileNotFoundError if the block wrote nothing there.
    """
    import secrets

    path = pathlib.Path(path)
    # not created here: some writers refuse or rename an existing file
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        os.chmod(tmp, _final_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save_npz(
    path: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    *,
    compress: bool = False,
    durable: bool = True,
) -> None:
    """``np.savez`` / ``np.savez_compressed`` to exactly ``path`` (no ``.npz`` appended),
    atomically (see :func:`atomic_open`), without pickles.

    Unlike ``np.savez`` the zip is closed even when a write fails, so a full disk gives one
    OSError and no "Exception ignored in ZipFile.__del__" noise on stderr.
    """
    import zipfile

    import numpy as np

    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_open(path, "wb", durable=durable) as fh, zipfile.ZipFile(fh, "w", compression=mode) as zf:
        for name, value in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """:meth:`pathlib.Path.write_text`, atomically (see :func:`atomic_open`)."""
    with atomic_open(path, "w", encoding=encoding) as fh:
        fh.write(text)


def copy_file_atomic(src: str | os.PathLike, dst: str | os.PathLike) -> str:
    """Copy the bytes of ``src`` to ``dst`` atomically; usable as ``copy_function`` of
    :func:`shutil.copytree`. Returns ``dst``."""
    import shutil

    with open(src, "rb") as fin, atomic_open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return str(dst)
