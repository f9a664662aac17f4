"""The viseme recipe table: 15 Oculus visemes over ICT units, phonetically plausible, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model import facs, visemes


def _w(viseme: str, unit: str) -> float:
    return float(visemes.recipe_matrix()[visemes.VISEME_NAMES.index(viseme), facs.ict_index(unit)])


def test_table_covers_the_15_visemes_with_valid_weights():
    assert visemes.VISEME_NAMES == (
        "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
    )  # fmt: skip
    m = visemes.recipe_matrix()
    assert m.shape == (15, 53) and (m >= 0).all() and (m <= 1).all()
    assert m[0].sum() == 0.0  # sil is the neutral face
    assert (m[1:].sum(axis=1) > 0).all()
    # sided units are weighted alike on both sides (the visemes are symmetric)
    left = [i for i, n in enumerate(facs.ICT_NAMES) if n.endswith("_L")]
    right = [facs.ict_index(facs.ICT_NAMES[i][:-2] + "_R") for i in left]
    np.testing.assert_array_equal(m[:, left], m[:, right])


def test_recipes_follow_the_articulation():
    # aa is the widest opening; PP closes the lips (pressed) with almost no jaw
    assert _w("aa", "jawOpen") == max(_w(v, "jawOpen") for v in visemes.VISEME_NAMES)
    assert _w("PP", "mouthPress_L") > 0.3 and _w("PP", "jawOpen") < 0.15
    # FF: lower lip rolled in under the upper teeth, upper lip up
    assert _w("FF", "mouthRollLower") > 0.3 and _w("FF", "mouthUpperUp_L") > 0
    # rounded vowels: ou puckers most, oh funnels and opens more than ou
    assert _w("ou", "mouthPucker") == max(_w(v, "mouthPucker") for v in visemes.VISEME_NAMES)
    assert _w("oh", "mouthFunnel") > _w("ou", "mouthFunnel") and _w("oh", "jawOpen") > _w("ou", "jawOpen")
    # spread vowels and SS stretch the lips, rounded ones do not
    for v in ("E", "ih", "SS"):
        assert _w(v, "mouthStretch_L") > 0 and _w(v, "mouthPucker") == 0


def test_json_round_trip_and_format():
    text = visemes.recipes_to_json()
    data = json.loads(text)
    assert data["format"] == visemes.FORMAT and data["version"] == visemes.VERSION
    assert list(data["visemes"]) == list(visemes.VISEME_NAMES)
    back = visemes.recipes_from_json(text)
    np.testing.assert_array_equal(visemes.recipe_matrix(back), visemes.recipe_matrix())
    data["visemes"]["aa"] = {"jawOpen": 0.9}
    edited = visemes.recipe_matrix(visemes.recipes_from_json(json.dumps(data)))
    assert edited[visemes.VISEME_NAMES.index("aa")].sum() == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["visemes"].pop("ou"), "missing viseme.*ou"),
        (lambda d: d["visemes"].update(zz={}), "unknown viseme.*zz"),
        (lambda d: d["visemes"]["aa"].update(jawOpenn=0.5), "'jawOpenn' is not an ICT FACS unit"),
        (lambda d: d["visemes"]["aa"].update(jawOpen=1.5), "weight of jawOpen is 1.5.*0..1"),
        (lambda d: d["visemes"]["aa"].update(jawOpen="0.5"), "weight of jawOpen"),
        (lambda d: d.update(format="other"), "Not a viseme recipe file"),
        (lambda d: d.update(version=2), "version 2 is not supported"),
    ],
)
def test_bad_tables_are_refused_with_the_problem(edit, message):
    data = json.loads(visemes.recipes_to_json())
    edit(data)
    with pytest.raises(visemes.VisemeRecipeError, match=message):
        visemes.recipes_from_json(json.dumps(data))


def test_not_json_is_refused():
    with pytest.raises(visemes.VisemeRecipeError, match="not valid JSON"):
        visemes.recipes_from_json("{visemes: ")
