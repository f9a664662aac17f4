"""Check a torch device name before any work is done, so a missing GPU is one clear message."""

from __future__ import annotations

from .errors import DeviceError


def check_device(device: str) -> str:
    """Return ``device`` if torch can compute on it here.

    Args:
        device: a torch device string: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``.

    Raises:
        DeviceError: unknown name, or no such GPU on this machine (the message names the fix).
    """
    import torch

    fix = "use --device cpu"
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
