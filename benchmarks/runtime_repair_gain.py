"""How far apart do the numpy runtime and the torch network bake ICT-FaceKit's complete model,
with and without the flip repair? (session 17: the repair amplifies their float32 differences)

    ICT_FACEKIT=... PYTHONPATH=. .venv/bin/python benchmarks/runtime_repair_gain.py [SEED ...]

Per seed (an identity drawn as ``tests/model/test_numpy_runtime.py`` draws it, default seeds
7 8 9 10): the largest difference between the two runtimes' bakes (mixed, default axes), with
the flip repair (:mod:`model.flip_repair`) and without it, against the parity test's tolerance
(1e-5 x the head's largest extent), in ICT's units (cm). Needs torch (the ``train`` extra).
"""

from __future__ import annotations

import os
import sys

import numpy as np


def main() -> int:
    if not os.environ.get("ICT_FACEKIT"):
        print("ICT_FACEKIT is not set: skipped (ICT_FACEKIT=$(../shared/ICT-FaceKit/unpack))")
        return 0
    from model.api import FaceModel
    from model.ict import load_ict, sample_identity
    from training.torch_weights import load_face_model

    seeds = [int(s) for s in sys.argv[1:]] or [7, 8, 9, 10]
    ict = load_ict(os.environ["ICT_FACEKIT"])
    models = (load_face_model(), FaceModel.load(runtime="numpy"))
    print("| seed | tolerance | with the flip repair | without |")
    print("|---:|---:|---:|---:|")
    for seed in seeds:
        v = ict.compose(sample_identity(np.random.default_rng(seed)))
        prepared = models[0].prepare(v, ict.triangles())
        diffs = []
        for repair in (True, False):
            bakes = []
            for fm in models:
                fm.flip_repair = repair
                bakes.append(fm.bake(prepared))
            diffs.append(float(np.abs(bakes[0] - bakes[1]).max()))
        tol = 1e-5 * float(np.ptp(v, axis=0).max())
        print(f"| {seed} | {tol:.2e} | {diffs[0]:.2e} | {diffs[1]:.2e} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
