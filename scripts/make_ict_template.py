"""Regenerate the shipped ICT template ``model/data/ict_template.npz`` from ICT-FaceKit.

Usage (ICT-FaceKit unpacked; MIT licence, its notice is ``model/data/ICT_TEMPLATE_LICENSE.txt``)::

    ICT_FACEKIT=/path/to/ICT-FaceKit PYTHONPATH=. python scripts/make_ict_template.py [-o FILE]

It keeps what :mod:`model.classical_rig` needs (see :mod:`model.ict_template`): the skin crops'
and eyeballs' neutral vertices (float32), their polygons, and the 53 expression deltas
(float16). ``tests/model/test_ict_template.py`` regenerates it into a temporary folder and
compares it with the committed file (skipped without ICT); rerun this script and commit the
file when that test fails after a deliberate change of the template's contents.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from model.ict import load_ict  # noqa: E402
from model.ict_template import TEMPLATE_PATH, ICTTemplate, save_template  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ict", default=None, help="ICT-FaceKit folder (default: $ICT_FACEKIT)")
    parser.add_argument("-o", "--out", type=pathlib.Path, default=TEMPLATE_PATH, help="output .npz")
    args = parser.parse_args(argv)
    template = ICTTemplate.from_ict(load_ict(args.ict))
    save_template(template, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(template.neutral)} vertices)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
