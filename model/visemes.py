"""Viseme recipes: the 15 Oculus/Meta visemes as weights over the 53 ICT FACS units. bpy-free.

Each recipe is a mouth pose written from phonetics as a mix of FACS units; a viseme shape is then
the same mix of the baked FACS shapes (``neutral + sum_i w_i * delta_i``), so visemes follow
whatever face the FACS keys were baked for. :data:`RECIPES` is the single built-in table; an
artist edits a copy as JSON (:func:`recipes_to_json` / :func:`recipes_from_json`)::

    {
      "format": "neural-face-skinning-visemes",
      "version": 1,
      "visemes": {
        "sil": {},
        "PP": {"mouthPress_L": 0.6, "mouthPress_R": 0.6, "mouthRollLower": 0.3, ...},
        ...
      }
    }

``visemes`` must name all 15 visemes of :data:`VISEME_NAMES` (no others); each maps ICT unit
names (:data:`model.facs.ICT_NAMES`) to weights in 0..1; units left out weigh 0. ICT has no
tongue shape, so tongue visemes (TH, DD, nn, kk) are approximated by jaw and lip shapes.
"""

from __future__ import annotations

import json

import numpy as np

from . import facs

FORMAT = "neural-face-skinning-visemes"
VERSION = 1

VISEME_NAMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)  # fmt: skip


def _sym(**weights: float) -> dict[str, float]:
    """Recipe from base unit names: a sided unit (``mouthPress``) gets the weight on both halves."""
    out: dict[str, float] = {}
    for base, w in weights.items():
        if base in facs.ICT_NAMES:
            out[base] = w
        else:
            out[base + "_L"] = w
            out[base + "_R"] = w
    return out


# Written from how each viseme is articulated (Oculus Lipsync viseme reference):
RECIPES: dict[str, dict[str, float]] = {
    # silence: the neutral face
    "sil": {},
    # p, b, m: lips closed and pressed, slightly rolled in, the jaw barely open
    "PP": _sym(jawOpen=0.08, mouthClose=0.08, mouthPress=0.6, mouthRollLower=0.3, mouthRollUpper=0.25),
    # f, v: lower lip tucked under the upper teeth (rolled in), upper lip raised off the teeth
    "FF": _sym(jawOpen=0.08, mouthRollLower=0.6, mouthUpperUp=0.35, mouthShrugUpper=0.15),
    # th: tongue between the teeth: a small opening, lips slightly parted and spread
    "TH": _sym(jawOpen=0.15, mouthLowerDown=0.15, mouthUpperUp=0.1, mouthStretch=0.1),
    # t, d: tongue on the ridge behind the teeth: jaw slightly open, lips relaxed apart
    "DD": _sym(jawOpen=0.2, mouthLowerDown=0.15, mouthStretch=0.15),
    # k, g: back of the tongue raised: jaw a bit more open, corners slightly wide
    "kk": _sym(jawOpen=0.25, mouthLowerDown=0.1, mouthStretch=0.2),
    # ch, j, sh: lips pushed forward in a funnel, teeth nearly together
    "CH": _sym(jawOpen=0.12, mouthFunnel=0.5, mouthPucker=0.25, mouthUpperUp=0.2, mouthLowerDown=0.2),
    # s, z: teeth together, lips spread to show them
    "SS": _sym(jawOpen=0.05, mouthStretch=0.35, mouthSmile=0.15, mouthUpperUp=0.15, mouthLowerDown=0.15),
    # n, l: like DD with the lips a little closer
    "nn": _sym(jawOpen=0.15, mouthLowerDown=0.1, mouthStretch=0.1),
    # r: lips rounded and slightly forward, small opening
    "RR": _sym(jawOpen=0.15, mouthFunnel=0.35, mouthPucker=0.3),
    # a (car): the widest opening, lower lip down
    "aa": _sym(jawOpen=0.7, mouthLowerDown=0.3, mouthUpperUp=0.1, mouthStretch=0.1),
    # e (bed): half open, lips spread
    "E": _sym(jawOpen=0.35, mouthStretch=0.4, mouthSmile=0.2, mouthLowerDown=0.2, mouthUpperUp=0.15),
    # i (tip): small opening, lips spread wide
    "ih": _sym(jawOpen=0.2, mouthStretch=0.35, mouthSmile=0.3, mouthLowerDown=0.1),
    # o (toe): open and rounded (funnel)
    "oh": _sym(jawOpen=0.45, mouthFunnel=0.6, mouthPucker=0.2),
    # u (book): small, tightly rounded and pushed forward (pucker)
    "ou": _sym(jawOpen=0.15, mouthPucker=0.75, mouthFunnel=0.35),
}


class VisemeRecipeError(ValueError):
    """A viseme recipe table that cannot be used; the message names the problem and the fix."""


def validate_recipes(recipes: object) -> dict[str, dict[str, float]]:
    """Check a recipe table (viseme name -> {ICT unit -> weight}) and return a clean copy in
    :data:`VISEME_NAMES` order. Raises :class:`VisemeRecipeError` naming the problem and the fix."""
    if not isinstance(recipes, dict):
        raise VisemeRecipeError(
            "The viseme recipes must be an object mapping viseme names to {unit: weight} objects. "
            "Fix: save the current table and edit that file."
        )
    unknown = [n for n in recipes if n not in VISEME_NAMES]
    missing = [n for n in VISEME_NAMES if n not in recipes]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"unknown viseme(s) {', '.join(map(str, unknown))}")
        if missing:
            parts.append(f"missing viseme(s) {', '.join(missing)}")
        raise VisemeRecipeError(
            f"The viseme recipes have {'; '.join(parts)}; the table lists exactly these 15: "
            f"{', '.join(VISEME_NAMES)}. Fix: save the current table and edit that file."
        )
    out: dict[str, dict[str, float]] = {}
    for name in VISEME_NAMES:
        recipe = recipes[name]
        if not isinstance(recipe, dict):
            raise VisemeRecipeError(
                f"Viseme {name!r}: the recipe must be an object of unit weights, got {type(recipe).__name__}."
            )
        clean = {}
        for unit, w in recipe.items():
            if unit not in facs.ICT_NAMES:
                raise VisemeRecipeError(
                    f"Viseme {name!r}: {unit!r} is not an ICT FACS unit. Fix: use ICT names such as "
                    "jawOpen, mouthPress_L, mouthFunnel."
                )
            if isinstance(w, bool) or not isinstance(w, int | float) or not 0.0 <= float(w) <= 1.0:
                raise VisemeRecipeError(
                    f"Viseme {name!r}: the weight of {unit} is {w!r}; weights are numbers in 0..1."
                )
            clean[unit] = float(w)
        out[name] = clean
    return out


def recipe_matrix(recipes: dict[str, dict[str, float]] | None = None) -> np.ndarray:
    """``(15, 53)`` float64 weights: row ``i`` is viseme ``VISEME_NAMES[i]`` over ICT units."""
    recipes = validate_recipes(RECIPES if recipes is None else recipes)
    m = np.zeros((len(VISEME_NAMES), facs.NUM_EXPRESSIONS))
    for i, name in enumerate(VISEME_NAMES):
        for unit, w in recipes[name].items():
            m[i, facs.ict_index(unit)] = w
    return m


def recipes_to_json(recipes: dict[str, dict[str, float]] | None = None) -> str:
    """The JSON text of a recipe table (the built-in one by default), units in ICT order."""
    recipes = validate_recipes(RECIPES if recipes is None else recipes)
    visemes = {n: {u: recipes[n][u] for u in facs.ICT_NAMES if u in recipes[n]} for n in VISEME_NAMES}
    return json.dumps({"format": FORMAT, "version": VERSION, "visemes": visemes}, indent=2) + "\n"


def recipes_from_json(text: str) -> dict[str, dict[str, float]]:
    """Parse and validate the JSON text of a recipe table (see the module docstring)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise VisemeRecipeError(f"The viseme recipe file is not valid JSON ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise VisemeRecipeError(
            f'Not a viseme recipe file: it needs "format": "{FORMAT}". Fix: save the current '
            "table from the Visemes panel and edit that file."
        )
    if data.get("version") != VERSION:
        raise VisemeRecipeError(
            f"Viseme recipe file version {data.get('version')!r} is not supported "
            f"(this add-on reads {VERSION})."
        )
    return validate_recipes(data.get("visemes"))
