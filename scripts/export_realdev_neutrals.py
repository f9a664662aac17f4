"""Write the neutral of every real-dev mesh as a plain OBJ, for baking with an older commit.

    PYTHONPATH=. .venv/bin/python scripts/export_realdev_neutrals.py OUT_DIR

Old commits read only OBJ/PLY, so the FBX avatars cannot reach their bake directly. Each mesh is
loaded exactly as ``scripts/render_closeups.py --realdev`` loads it (``benchmarks/_realdev.py``:
the FBX head, the top 0.25 m; the busts whole) and written in that vertex order, in the file's own
units and axes, so a rig baked on ``OUT_DIR/<mesh>.obj`` draws with ``render_closeups.py --realdev
... --rigs OUT_DIR``. ``OUT_DIR/axes.txt`` lists ``<mesh>.obj UP FORWARD`` per line for the bake's
``--up/--forward``. The output is derived from third-party meshes: keep it outside the repository.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def write_obj(path: pathlib.Path, vertices: np.ndarray, triangles: np.ndarray) -> None:
    """vertices (V, 3) float, triangles (T, 3) 0-based -> a v/f-only OBJ (1-based faces)."""
    lines = [f"v {x:.7g} {y:.7g} {z:.7g}" for x, y, z in vertices]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in triangles]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output folder (outside the repository)")
    args = parser.parse_args(argv)
    from _realdev import load_mesh, require_realdev

    realdev = require_realdev()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    axes = []
    for path in sorted((realdev / "meshes").iterdir()):
        if path.suffix.lower() not in (".obj", ".fbx"):
            continue
        data = load_mesh(path)
        v = data["vertices"][data["head_ids"]]
        obj = out / f"{path.stem}.obj"
        write_obj(obj, v, data["head_triangles"])
        axes.append(f"{obj.name} {data['up']} {data['forward']}")
        print(f"wrote {obj} ({len(v)} vertices, up {data['up']}, forward {data['forward']})")
    (out / "axes.txt").write_text("\n".join(axes) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
