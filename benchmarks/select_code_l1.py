"""Choose the inference encoder's L1 weight (``code_l1``) on TRAIN-split meshes outside the pool
(seeds 500-507; never the evaluation cases) and write it into a weights folder's config,
together with the exponent of its per-unit cost (``code_l1_power``).
The L1 weight and the default ``encode`` method (learned encoder, fit by the bake, or the
joint fit) are chosen together, by the lowest FACS relative L1 on those meshes.

    ICT_FACEKIT=... .venv/bin/python benchmarks/select_code_l1.py weights [--dry-run]

Only ``config.json`` changes (the sha256 covers ``model.pt``). Prints a table.
"""

import json
import pathlib
import sys

import numpy as np
import torch

from model.ict import load_ict
from training.loop import load_pool_item, sample_codes
from training.nn.encoder import combine_normal_equations
from training.torch_weights import load_model

torch.set_num_threads(1)

net, cfg = load_model(sys.argv[1])
ict = load_ict(None)  # ICT_FACEKIT
items = [load_pool_item(ict, s, net.config.k_eig) for s in range(500, 508)]
data = []
with torch.no_grad():
    for i, it in enumerate(items):
        w = torch.from_numpy(sample_codes(np.random.default_rng([9, i]), 16))
        disp = torch.einsum("bi,ivc->bvc", w, it.deltas)
        learned, fit = net.encoder_features(it.mesh), net.analysis(it.mesh)
        data.append(
            (w, disp, {"learned": learned, "fit": fit, "joint": combine_normal_equations(learned, fit)})
        )
best = None
grid = [(p, l1) for p in (0.0, 0.25, 0.5, 0.75) for l1 in (0.003, 0.01, 0.03, 0.1, 0.3)]
for power, l1 in grid:
    net.config.code_l1 = l1
    net.config.code_l1_power = power
    err = dict.fromkeys(("learned", "fit", "joint"), 0.0)
    ref = 0.0
    with torch.no_grad():
        for w, disp, analyses in data:
            for method, an in analyses.items():
                err[method] += float((net.encode_with(an, disp, box=True) - w).abs().sum())
            ref += float(w.abs().sum())
    print(
        f"code_l1 {l1:<6} power {power:<5}: train relL1 "
        + "  ".join(f"{m} {e / ref:.3f}" for m, e in err.items()),
        flush=True,
    )
    for method, e in err.items():
        if best is None or e / ref < best[3]:
            best = (l1, power, method, e / ref)
print("best", best)
if "--dry-run" not in sys.argv:
    p = pathlib.Path(sys.argv[1]) / "config.json"
    c = json.loads(p.read_text())
    c["network"]["code_l1"] = best[0]
    c["network"]["code_l1_power"] = best[1]
    c["network"]["encode_method"] = best[2]
    c["metadata"]["code_l1_selection"] = {
        "train_seeds": [500, 507],
        "code_l1": best[0],
        "code_l1_power": best[1],
        "encode_method": best[2],
        "relative_l1": round(best[3], 4),
    }
    p.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")
    print("wrote", p)
