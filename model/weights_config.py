"""Check the values of a weights folder's ``config.json`` before a network is built from them.

A hand-edited or damaged config (a width of ``"abc"``, ``k_eig: 0``, ``delta_scale: 0``) would
otherwise surface as a torch traceback, or worse as silently wrong shapes. Each problem becomes a
:class:`model.errors.WeightsError` naming the file, the key, the value and the fix.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
from typing import Any

from .errors import WeightsError

_FIX = "restore the weights folder or retrain"

# numbers that must be strictly positive / non-negative (all integer fields must be >= 1)
_POSITIVE = {"delta_scale"}
_NON_NEGATIVE = {"ridge", "code_l1", "mask_floor"}
_POSITIVE_TUPLES = {"hks_times"}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _field_problem(name: str, kind: str, value: Any) -> str | None:
    """Why ``value`` is not valid for a NetConfig field of annotation ``kind``, or None."""
    if kind == "int":
        return None if _is_int(value) and value >= 1 else "must be a whole number >= 1"
    if kind == "float":
        if not _is_number(value):
            return "must be a finite number"
        if name in _POSITIVE and value <= 0:
            return "must be > 0"
        if name in _NON_NEGATIVE and value < 0:
            return "must be >= 0"
        if name == "mask_floor" and value >= 1:
            return "must be below 1"
        return None
    if kind == "str":
        return None if isinstance(value, str) else "must be a string"
    if kind == "dict":
        return None if isinstance(value, dict) else "must be a JSON object"
    if kind.startswith("tuple[float"):
        if not isinstance(value, list | tuple) or not all(_is_number(x) for x in value):
            return "must be a list of finite numbers"
        if name in _POSITIVE_TUPLES and (not value or min(value) <= 0):
            return "must be a non-empty list of numbers > 0"
        return None
    if kind.startswith("tuple[str"):
        ok = isinstance(value, list | tuple) and value and all(isinstance(x, str) and x for x in value)
        return None if ok and len(set(value)) == len(value) else "must be a list of distinct names"
    return None


def check_network_section(network: Any, config_path: pathlib.Path) -> None:
    """Raise WeightsError if the ``network`` section has a missing, unknown or invalid value."""
    from .api import ENCODE_METHODS
    from .runtime.config import NetConfig

    if not isinstance(network, dict):
        raise WeightsError(f"{config_path}: 'network' must be a JSON object; {_FIX}")
    fields = {f.name: f for f in dataclasses.fields(NetConfig)}
    unknown = sorted(set(network) - set(fields))
    if unknown:
        raise WeightsError(f"{config_path}: unknown network keys {unknown}; use weights of this version")
    for name, field in fields.items():
        if name not in network:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise WeightsError(f"{config_path}: network.{name} is missing; {_FIX}")
            continue
        value = network[name]
        why = _field_problem(name, str(field.type), value)
        if why is None and name == "encode_method" and value not in ENCODE_METHODS:
            why = f"must be one of {', '.join(ENCODE_METHODS)}"
        if why is not None:
            raise WeightsError(f"{config_path}: network.{name} = {value!r} {why}; {_FIX}")


def check_config(config: dict, config_path: pathlib.Path) -> None:
    """Raise WeightsError if a top-level value of ``config.json`` is invalid (the network section
    is checked by :func:`check_network_section`)."""
    weights_file = config.get("weights_file", "model.pt")
    plain = isinstance(weights_file, str) and pathlib.PurePath(weights_file).name == weights_file
    if not plain or weights_file in ("", ".", "..") or "\\" in weights_file:
        raise WeightsError(
            f"{config_path}: weights_file = {weights_file!r} must be a file name inside the weights "
            f"folder; {_FIX}"
        )
    if not isinstance(config.get("sha256"), str):
        raise WeightsError(f"{config_path}: sha256 must be a hex string; {_FIX}")
    if not isinstance(config.get("metadata", {}), dict):
        raise WeightsError(f"{config_path}: metadata must be a JSON object; {_FIX}")
    _check_numpy_entry(config.get("numpy_weights"), config_path)
    check_network_section(config.get("network"), config_path)


def _check_numpy_entry(entry: Any, config_path: pathlib.Path) -> None:
    """The optional ``numpy_weights`` reference (:mod:`model.runtime.weights`): a plain file
    name and two hex hashes."""
    if entry is None:
        return
    fix = "run `python -m training export-numpy --weights FOLDER` again"
    if not isinstance(entry, dict):
        raise WeightsError(f"{config_path}: numpy_weights must be a JSON object; {fix}")
    name = entry.get("file")
    plain = isinstance(name, str) and pathlib.PurePath(name).name == name
    if not plain or name in ("", ".", "..") or "\\" in name:
        raise WeightsError(
            f"{config_path}: numpy_weights.file = {name!r} must be a file name in the folder; {fix}"
        )
    for key in ("sha256", "source_sha256"):
        if not isinstance(entry.get(key), str):
            raise WeightsError(f"{config_path}: numpy_weights.{key} must be a hex string; {fix}")
