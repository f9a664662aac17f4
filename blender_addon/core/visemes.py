"""Viseme shape keys: ``viseme_<name>`` = Basis + the recipe's mix of the baked FACS deltas.

Recipes come from ``model/visemes.py`` (the built-in table) or the artist's JSON table stored on
the scene (``Scene.nfs_viseme_recipes``). Each viseme key is driven by its own slider
(``Object.nfs_visemes.<name>``, simple-expression driver). The keys are ours in their own group
(:func:`shape_keys.write_keys` with ``group="visemes"``): re-running replaces them in place, a
FACS re-bake leaves them alone (re-run Bake Visemes after it: the recipes mix the keys as they
are when the visemes are baked), and an artist's key of the same name is refused.
"""

from __future__ import annotations

import pathlib

import numpy as np

from . import corrective_keys, drivers, mesh_io, shape_keys, sliders
from ._model_import import facs, submodule
from .errors import ObjectError

VISEME_PROP = "nfs_visemes"  # Object PointerProperty: one slider per viseme (properties/visemes.py)
RECIPES_PROP = "nfs_viseme_recipes"  # Scene StringProperty: the loaded JSON table ("" = built-in)
GROUP = "visemes"  # our shape-key group (shape_keys.write_keys)
KEY_PREFIX = "viseme_"


def _table():
    return submodule("visemes")


def scene_recipes(scene) -> dict[str, dict[str, float]]:
    """The recipe table in use on ``scene``: the loaded JSON one, else the built-in table."""
    text = getattr(scene, RECIPES_PROP, "")
    return _table().recipes_from_json(text) if text else _table().validate_recipes(_table().RECIPES)


def load_recipes(scene, path: str | pathlib.Path) -> int:
    """Read and validate a JSON recipe table and store it on ``scene``. Returns the viseme count."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(
            f"Viseme recipe file {str(path)!r} does not exist. Fix: pick an existing .json file."
        )
    text = path.read_text(encoding="utf-8")
    recipes = _table().recipes_from_json(text)  # raises with the problem and the fix
    setattr(scene, RECIPES_PROP, _table().recipes_to_json(recipes))
    return len(recipes)


def save_recipes(scene, path: str | pathlib.Path) -> pathlib.Path:
    """Write the recipe table in use on ``scene`` as JSON to ``path``."""
    path = pathlib.Path(path)
    if path.suffix.lower() != ".json":
        path = path.with_suffix(".json")
    path.write_text(_table().recipes_to_json(scene_recipes(scene)), encoding="utf-8")
    return path


def viseme_key_names(prefix: str = "") -> list[str]:
    """``[prefix + "viseme_sil", ...]`` in ``VISEME_NAMES`` order."""
    return [prefix + KEY_PREFIX + n for n in _table().VISEME_NAMES]


def viseme_deltas(facs_deltas: np.ndarray, recipes: dict[str, dict[str, float]], naming: str) -> np.ndarray:
    """``(15, V, 3)`` viseme deltas from the baked FACS deltas ``(K, V, 3)`` (K = 53 ICT or 52 ARKit).

    ICT keys: ``sum_i w_i * delta_i``. ARKit keys: the recipe is converted with
    ``facs.ict_to_arkit_weights`` (split units averaged), exact for recipes that weigh both halves
    of ``browInnerUp``/``cheekPuff`` alike, as the built-in ones do.
    """
    w = _table().recipe_matrix(recipes)  # (15, 53)
    if naming == "ARKIT":
        w = facs.ict_to_arkit_weights(w).astype(np.float64)
    return np.tensordot(w, np.asarray(facs_deltas, dtype=np.float64), axes=1)


def bake_visemes(obj, recipes: dict[str, dict[str, float]]) -> list[str]:
    """Write the viseme keys of ``obj`` from its baked FACS keys and add their slider drivers.

    Needs all FACS keys of the last bake (naming and prefix as recorded); the viseme keys get the
    same prefix. Returns the key names.
    """
    mesh_io.require_mesh_object(obj)
    mesh_io.require_writable(obj)
    key = obj.data.shape_keys
    if key is None or not shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP):
        raise ObjectError(
            f"'{obj.name}' has no FACS shape keys baked by Face Skinning to mix visemes from: run "
            "'Bake Shape Keys' first."
        )
    naming = str(key.get(shape_keys.NAMING_PROP, "ICT"))
    prefix = str(key.get(shape_keys.PREFIX_PROP, ""))
    facs_names = sliders.key_names(naming, prefix)
    owned = set(shape_keys.owned_keys(obj, shape_keys.DEFAULT_GROUP))
    missing = [n for n in facs_names if n not in owned]
    if missing:
        raise ObjectError(
            f"'{obj.name}' lacks baked FACS key(s) {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}. Fix: run 'Bake Shape Keys' again."
        )
    names = viseme_key_names(prefix)
    shape_keys.check_names_free(obj, names)  # an artist's viseme_aa is refused before any change
    # the recipes mix the linear (unsplit) shapes: mouthClose with its corrective folded back in
    deltas = viseme_deltas(corrective_keys.read_folded(obj, facs_names), recipes, naming)
    shape_keys.write_keys(obj, names, deltas, group=GROUP)
    for name, viseme in zip(names, _table().VISEME_NAMES, strict=True):
        drivers.set_driver(obj, name, {"v": f"{VISEME_PROP}.{viseme}"}, "v")
    obj.update_tag()
    return names
