"""Choose the inference encoder's L1 weight (``code_l1``) on TRAIN-split meshes outside the pool
(seeds 500-507; never the evaluation cases) and write it into a weights folder's config.
The choice is made for the learned encoder (the default ``encode`` method); the fit-by-bake
column is printed for comparison.

    ICT_FACEKIT=... .venv/bin/python benchmarks/select_code_l1.py weights [--dry-run]

Only ``config.json`` changes (the sha256 covers ``model.pt``). Prints a table.
"""

import json
import pathlib
import sys

import numpy as np
import torch

from model.ict import load_ict
from model.training import load_pool_item, sample_codes
from model.weights import load_model

torch.set_num_threads(1)

net, cfg = load_model(sys.argv[1])
ict = load_ict(None)  # ICT_FACEKIT
items = [load_pool_item(ict, s, net.config.k_eig) for s in range(500, 508)]
data = []
with torch.no_grad():
    for i, it in enumerate(items):
        w = torch.from_numpy(sample_codes(np.random.default_rng([9, i]), 16))
        disp = torch.einsum("bi,ivc->bvc", w, it.deltas)
        data.append((w, disp, net.encoder_features(it.mesh), net.analysis(it.mesh)))
best = None
for l1 in [0.0, 0.003, 0.01, 0.03, 0.1]:
    net.config.code_l1 = l1
    err = fit_err = ref = 0.0
    with torch.no_grad():
        for w, disp, learned, fit in data:
            err += float((net.encode_with(learned, disp, box=True) - w).abs().sum())
            fit_err += float((net.encode_with(fit, disp, box=True) - w).abs().sum())
            ref += float(w.abs().sum())
    print(f"code_l1 {l1}: train relL1 learned {err / ref:.3f}  fit-by-bake {fit_err / ref:.3f}", flush=True)
    if best is None or err / ref < best[1]:
        best = (l1, err / ref)
print("best", best)
if "--dry-run" not in sys.argv:
    p = pathlib.Path(sys.argv[1]) / "config.json"
    c = json.loads(p.read_text())
    c["network"]["code_l1"] = best[0]
    c["metadata"]["code_l1_selection"] = {"train_seeds": [500, 507], "relative_l1": round(best[1], 4)}
    p.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
    print("wrote", p)
