"""Helpers that make a write fail halfway, the way a full disk or a kill does (no mocks of the
writer): a file-size limit makes every write past ``nbytes`` fail with EFBIG."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def file_size_limit(nbytes: int) -> Iterator[None]:
    """Within the block, writing past byte ``nbytes`` of any file raises OSError (EFBIG)."""
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE needs a POSIX system")
    if not hasattr(signal, "SIGXFSZ"):
        pytest.skip("no SIGXFSZ on this system")
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def listing(folder: pathlib.Path) -> list[str]:
    """Every entry of ``folder`` (hidden ones too), sorted."""
    return sorted(os.listdir(folder))


def unwritable_folder(tmp_path: pathlib.Path) -> pathlib.Path:
    """An existing folder in which no file can be created, also for root (``/proc``); skips when
    there is none."""
    if os.geteuid() != 0:
        d = tmp_path / "read-only"
        d.mkdir()
        d.chmod(0o555)
        return d
    proc = pathlib.Path("/proc")
    try:
        (proc / "nfs-probe").touch()
    except OSError:
        return proc
    pytest.skip("running as root and /proc accepts files: no unwritable folder to test with")
