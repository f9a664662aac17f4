"""Check a torch device name before any work is done, so a missing GPU is one clear message."""

from __future__ import annotations

import importlib.util

from model.errors import DeviceError


def torch_installed() -> bool:
    """True when torch can be found in this Python (without importing it); an import hook that
    refuses torch counts as absent."""
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False


def check_device(device: str) -> str:
    """Return ``device`` if torch can compute on it here (without torch: only ``"cpu"``).

    Args:
        device: a torch device string: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``.

    Raises:
        DeviceError: unknown name, or no such GPU on this machine (the message names the fix).
    """
    fix = "use --device cpu"
    if not torch_installed():
        # without torch only the CPU (the numpy runtime) is there
        if device == "cpu":
            return device
        raise DeviceError(f"device {device!r}: torch is not installed, so only the CPU is available; {fix}")
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(
            f"unknown device {device!r}; {fix} (or cuda on a machine with an NVIDIA GPU)"
        ) from None
    if dev.type == "cpu":
        return device
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {device!r}: torch finds no CUDA GPU on this machine; {fix}")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise DeviceError(
                f"device {device!r}: this machine has {count} CUDA GPU(s); use cuda:0 or --device cpu"
            )
        return device
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError(f"device {device!r}: Apple Metal (MPS) is not available here; {fix}")
        return device
    raise DeviceError(f"device {device!r} is not supported; {fix} or cuda")
