"""Our FACS shape keys: written in bulk, tracked on the mesh's Key, never the artist's.

Ownership needs more than a name: an artist who deletes our ``jawOpen`` and sculpts their own
``jawOpen`` must not see it replaced. Shape keys take no custom properties and expose no
persistent id, so a key is ours only if

* its name is in the list recorded on the shape-key data-block (``Key["nfs_owned_keys"]``, JSON),
  and
* it carries our mark: ``interpolation == "KEY_BSPLINE"``. That field is only read for *absolute*
  shape keys (our keys are relative, and the UI shows it only for absolute ones); every key made
  any other way (new shape, new from mix, duplicate) starts at ``"KEY_LINEAR"``.

Both live in the file's data, so they survive save/reload and undo. A same-named key without the
mark is the artist's: a clash, refused with the fix (set a key-name prefix). Keys baked before the
mark existed (no ``Key["nfs_marked"]``) are trusted by name once and marked on the next bake.
"""

from __future__ import annotations

import json

import numpy as np

from .errors import ObjectError

OWNED_PROP = "nfs_owned_keys"
MARKED_PROP = "nfs_marked"  # set once our keys carry OWNER_MARK
OWNER_MARK = "KEY_BSPLINE"
NAMING_PROP = "nfs_naming"  # "ICT" or "ARKIT": the scheme of our keys (for export baking)
PREFIX_PROP = "nfs_prefix"
GROUPS_PROP = "nfs_key_groups"  # JSON {key name: group} for our keys outside the default group
DEFAULT_GROUP = "facs"  # the FACS bake's keys; other bakes (visemes) record their own group


def _recorded(key) -> list[str]:
    try:
        names = json.loads(key.get(OWNED_PROP, "[]"))
    except (TypeError, ValueError):
        names = []
    return names if isinstance(names, list) else []


def _groups(key) -> dict[str, str]:
    try:
        groups = json.loads(key.get(GROUPS_PROP, "{}"))
    except (TypeError, ValueError):
        groups = {}
    return groups if isinstance(groups, dict) else {}


def owned_keys(obj, group: str | None = None) -> list[str]:
    """Names of the shape keys made by the add-on that still exist on ``obj``'s mesh; with
    ``group``, only those written with that group (:func:`write_keys`; keys from before groups
    existed are in :data:`DEFAULT_GROUP`)."""
    key = obj.data.shape_keys
    if key is None:
        return []
    legacy = not key.get(MARKED_PROP, False)
    blocks = key.key_blocks
    names = [n for n in _recorded(key) if n in blocks and (legacy or blocks[n].interpolation == OWNER_MARK)]
    if group is None:
        return names
    groups = _groups(key)
    return [n for n in names if groups.get(n, DEFAULT_GROUP) == group]


def _set_group(key, names, group: str) -> None:
    groups = {n: g for n, g in _groups(key).items() if n not in names}
    if group != DEFAULT_GROUP:
        groups.update(dict.fromkeys(names, group))
    key[GROUPS_PROP] = json.dumps(groups)


def _set_owned(obj, names: list[str]) -> None:
    key = obj.data.shape_keys
    if key is not None:
        key[OWNED_PROP] = json.dumps(list(names))


def drop_stale_drivers(obj, slider_prefixes: tuple[str, ...] = ("nfs_facs.",)) -> int:
    """Remove our slider drivers left on shape keys that are not ours; returns how many.

    Blender before 4.3 keeps a shape key's driver when the key is deleted, and the driver's path
    (``key_blocks["jawOpen"].value``) then drives whatever key the artist later gives that name.
    A driver is ours when every variable reads ``obj``'s sliders or gains (a data path starting
    with one of ``slider_prefixes``); the artist's own drivers are never touched.
    """
    key = obj.data.shape_keys
    if key is None or key.animation_data is None:
        return 0
    ours = {key_data_path(n) for n in owned_keys(obj)}
    stale = []
    for fc in key.animation_data.drivers:
        if not fc.data_path.startswith("key_blocks[") or fc.data_path in ours:
            continue
        variables = list(fc.driver.variables)
        if variables and all(
            v.type == "SINGLE_PROP"
            and v.targets[0].id == obj
            and v.targets[0].data_path.startswith(slider_prefixes)
            for v in variables
        ):
            stale.append(fc)
    for fc in stale:
        key.animation_data.drivers.remove(fc)
    return len(stale)


def check_names_free(obj, names: list[str]) -> None:
    """Raise :class:`ObjectError` if any of ``names`` is an existing shape key that is not ours."""
    key = obj.data.shape_keys
    if key is None:
        return
    ours = set(owned_keys(obj))
    clash = [n for n in names if n in key.key_blocks and n not in ours]
    if clash:
        raise ObjectError(
            f"'{obj.name}' already has shape key(s) {', '.join(clash[:5])}"
            f"{' ...' if len(clash) > 5 else ''} not made by Face Skinning; they are never overwritten. "
            "Fix: set a key-name prefix in the Shape Keys panel, or rename your keys."
        )


def ensure_basis(obj) -> None:
    """Add a Basis key (the current vertex positions) when the mesh has no shape keys."""
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)


def write_keys(obj, names: list[str], local_deltas: np.ndarray, group: str = DEFAULT_GROUP) -> list[str]:
    """Write shape keys ``names`` = Basis + ``local_deltas``.

    ``local_deltas``: ``(K, V, 3)`` float, object-space displacements (object units, the mesh's
    own axes). Our existing keys are overwritten in place (their drivers and order kept), new ones
    are appended with the Basis as relative key, and our keys of the same ``group`` not in
    ``names`` are removed (the FACS bake and the viseme bake each replace only their own keys).
    The artist's keys are never modified. Returns ``names``.
    """
    me = obj.data
    n = len(me.vertices)
    local_deltas = np.asarray(local_deltas, dtype=np.float64)
    if local_deltas.shape != (len(names), n, 3):
        raise ValueError(f"deltas {local_deltas.shape} do not match ({len(names)}, {n}, 3)")
    check_names_free(obj, names)
    ensure_basis(obj)
    key = me.shape_keys
    stale = [k for k in owned_keys(obj, group) if k not in names]
    remove_keys(obj, stale)
    owned = owned_keys(obj)
    for name in names:
        kb = key.key_blocks.get(name)
        if kb is None:
            kb = obj.shape_key_add(name=name, from_mix=False)
            kb.relative_key = key.reference_key
            kb.slider_min, kb.slider_max = 0.0, 1.0
            owned.append(name)
            _set_owned(obj, owned)
        kb.interpolation = OWNER_MARK
    set_key_deltas(obj, names, local_deltas)
    for name in owned:  # keys of a bake from before the mark (legacy) get it now
        key.key_blocks[name].interpolation = OWNER_MARK
    key[MARKED_PROP] = True
    _set_owned(obj, owned)
    _set_group(key, names, group)
    me.update()
    return list(names)


def set_key_deltas(obj, names: list[str], local_deltas: np.ndarray) -> None:
    """Set the existing shape keys ``names`` to Basis + ``local_deltas`` (``(K, V, 3)``,
    object-space displacements, summed in float64); nothing else about the keys changes."""
    key = obj.data.shape_keys
    basis = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    key.reference_key.data.foreach_get("co", basis)
    basis = basis.astype(np.float64)
    for name, delta in zip(names, local_deltas, strict=True):
        co = basis + np.asarray(delta, dtype=np.float64).ravel()
        key.key_blocks[name].data.foreach_set("co", co.astype(np.float32))


def read_key_deltas(obj, names: list[str]) -> np.ndarray:
    """``(K, V, 3)`` float32 object-space deltas (key - Basis) of shape keys ``names``."""
    key = obj.data.shape_keys
    n = len(obj.data.vertices)
    basis = np.empty(n * 3, dtype=np.float32)
    key.reference_key.data.foreach_get("co", basis)
    out = np.empty((len(names), n * 3), dtype=np.float32)
    for i, name in enumerate(names):
        key.key_blocks[name].data.foreach_get("co", out[i])
    return (out - basis).reshape(len(names), n, 3)


def key_data_path(name: str) -> str:
    """RNA path of a shape key's value on its Key data-block."""
    return f'key_blocks["{name}"].value'


def remove_keys(obj, names: list[str]) -> int:
    """Remove our shape keys ``names`` (ignoring any that are not ours) and their drivers/F-curves."""
    from . import animation

    key = obj.data.shape_keys
    if key is None:
        return 0
    ours = set(owned_keys(obj))
    doomed = [n for n in names if n in ours]
    if not doomed:
        return 0
    paths = {key_data_path(n) for n in doomed}
    if key.animation_data is not None:
        for fc in [d for d in key.animation_data.drivers if d.data_path in paths]:
            key.animation_data.drivers.remove(fc)
    animation.remove_fcurves(key, paths)
    for name in doomed:
        obj.shape_key_remove(key.key_blocks[name])
    if obj.data.shape_keys is not None:
        _set_owned(obj, [n for n in ours if n not in doomed])
        _set_group(obj.data.shape_keys, doomed, DEFAULT_GROUP)
    return len(doomed)
