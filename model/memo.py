"""Remember the last results of pure mesh functions, keyed by the exact bytes of their arguments.

One bake asks for the same topology facts of one mesh many times from modules that do not share
state (the connected components 13 times, the boundary loops 4, the face normals 5, the input's
validation twice per prepare: 0.3 s CPU of a 20k-vertex cold bake). :func:`memoize` keeps the
last few results per function; a hit costs a digest of the arguments (about 1 ms per MB, sha256) and
returns a copy, so a caller that changes its result changes nothing another caller sees.

Only for functions whose result depends on the argument values alone (no globals, no
randomness) and whose arguments are arrays, numbers, strings or None.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import functools
import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

# results kept per function: a bake works on one mesh at a time (the network's, the welded input,
# the rig check's), and the registration on the background thread on the template's
_ENTRIES = 4
# every memoized function's cache, for clear_all
_CACHES: list[collections.OrderedDict] = []


def _digest(h: Any, value: Any) -> bool:
    """Feed ``value`` into the hash ``h``; False when it is of a kind the key cannot hold."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:  # its bytes are pointers, not values
            return False
        h.update(f"A{value.shape}{value.dtype.str};".encode())
        # the array's own buffer (C order), not a tobytes() copy of it: the same bytes
        h.update(np.ascontiguousarray(value).reshape(-1).view(np.uint8))
        return True
    if value is None or isinstance(value, (bool, int, float, str, np.integer, np.floating)):
        # the type too: 1, 1.0 and True are equal keys in a dict but may give other results
        h.update(f"S{type(value).__name__}:{value!r};".encode())
        return True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # by type and field values (a lid frame, an eye opening): equal content, equal key
        h.update(f"D{type(value).__qualname__}(".encode())
        ok = all(_digest(h, getattr(value, f.name)) for f in dataclasses.fields(value))
        h.update(b")")
        return ok
    if isinstance(value, (tuple, list)):
        h.update(f"L{type(value).__name__}{len(value)}(".encode())
        ok = all(_digest(h, v) for v in value)
        h.update(b")")
        return ok
    return False


def _copy(value: Any) -> Any:
    """A copy no caller can reach into the cache through (arrays and containers of them)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return copy.deepcopy(value)


def memoize(fn: F | None = None, *, entries: int = _ENTRIES) -> Any:
    """``fn`` with its last ``entries`` results kept by the bytes of its arguments (arrays,
    numbers, strings, None, tuples and lists and dataclasses of them); calls with an argument of
    another kind (an object, a dict) are computed as before. Raising calls are not kept (they
    raise again). Thread-safe: two threads may both compute a miss. ``@memoize`` or
    ``@memoize(entries=n)``."""
    if fn is None:
        return functools.partial(memoize, entries=entries)
    cache: collections.OrderedDict[bytes, Any] = collections.OrderedDict()
    lock = threading.Lock()

    @functools.wraps(fn)
    def cached(*args: Any, **kwargs: Any) -> Any:
        # sha256: 0.8 ms per MB where the CPU has SHA instructions, blake2b 2.0 (a cold 20k
        # bake digests ~100 MB of arguments: the same mesh's arrays asked for again and again)
        h = hashlib.sha256()
        if not (_digest(h, args) and _digest(h, sorted(kwargs.items()))):
            return fn(*args, **kwargs)
        key = h.digest()
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return _copy(cache[key])
        result = fn(*args, **kwargs)
        with lock:
            cache[key] = _copy(result)
            while len(cache) > entries:
                cache.popitem(last=False)
        return result

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    _CACHES.append(cache)
    return cached  # type: ignore[return-value]


def clear_all() -> None:
    """Forget every kept result (a benchmark's cold run must not reuse the last run's)."""
    for cache in _CACHES:
        cache.clear()
