#!/usr/bin/python3
"""PyTorch references for the attribution methods (issue #20): autograd gradients of each forced
output token's log-probability with respect to the source embeddings, on the family's reference
modules (tools/family_torch.py), for every golden family model.

    /usr/bin/python3 tools/make_golden_attribution.py   # writes tests/golden/attribution.json

For each tests/golden/family-*.safetensors model and its first golden case (the forced target):
the model is run in float64 with the source embedding rows e_j as leaves (unscaled rows of
encoder.embedding.weight; the model's embedding scale applied after them, as its encoder does),
FamilySeq2Seq.step forced through the target, and for each step i torch.autograd.grad gives
d log p_i / d e_j. From those and from forward passes the five methods' values:

    occlusion             log p_i - log p_i(e_j = 0)
    leave-one-out         log p_i - log p_i(token j removed)
    gradient              || d log p_i / d e_j ||_2
    input-x-gradient      (d log p_i / d e_j) . e_j
    integrated-gradients  e_j . (1/m) sum_{k=1..m} d log p_i / d e_j at (k/m) e   (m = STEPS)

The engine computes these with its own reverse mode (engine/src/analysis/attribution) and
tst_attribution compares them to 1e-6.
"""

import glob
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import family_torch as fam  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 8


def forced_log_probs(model, rows, target_ids):
    """log p_i of the forced target, from source embedding rows [T, Ee] (float64)."""
    e = model.config["encoder"]
    x = rows * math.sqrt(e["embedding_size"]) if e["embedding_scale"] else rows
    out, final = model.encoder.rnn(x.unsqueeze(0))
    h_n, c_n = final if isinstance(final, tuple) else (final, None)
    if e["bidirectional"] and e["merge"] == "sum":
        out = out[:, :, :e["hidden_size"]] + out[:, :, e["hidden_size"]:]
    annotations = out[0]
    prep = model.prepare(annotations)
    state = model.initial_state((h_n[:, 0], None if c_n is None else c_n[:, 0]))
    sos = model.sos_id
    logps, previous = [], sos
    for y in target_ids:
        logp, state, _, _, _ = model.step(previous, state, annotations, prep)
        logps.append(logp[y])
        previous = y
    return logps


def gradients(model, rows, target_ids):
    leaf = rows.clone().requires_grad_(True)
    logps = forced_log_probs(model, leaf, target_ids)
    grads = [torch.autograd.grad(lp, leaf, retain_graph=True)[0] for lp in logps]
    return [float(lp) for lp in logps], grads


def case_for(path):
    model, sv, tv = fam.load_model(path)
    model = model.double()
    golden = json.load(open(path[:-len(".safetensors")] + ".json"))
    case = golden["cases"][0]
    source_ids = case["source_ids"]
    target_ids = case["forced"]["target_ids"]
    model.sos_id = tv.index[model.config["sos_token"]]
    table = model.encoder.embedding.weight.detach()
    rows = table[torch.tensor(source_ids)]
    T, I = len(source_ids), len(target_ids)
    with torch.no_grad():
        base = [float(v) for v in forced_log_probs(model, rows, target_ids)]
    logps, grads = gradients(model, rows, target_ids)
    occlusion, loo = [[0.0] * T for _ in range(I)], [[0.0] * T for _ in range(I)]
    with torch.no_grad():
        for j in range(T):
            occluded = rows.clone()
            occluded[j] = 0
            o = forced_log_probs(model, occluded, target_ids)
            if T > 1:
                without = torch.cat([rows[:j], rows[j + 1:]])
                w = forced_log_probs(model, without, target_ids)
            for i in range(I):
                occlusion[i][j] = base[i] - float(o[i])
                loo[i][j] = base[i] - float(w[i]) if T > 1 else float("nan")
        zero = [float(v) for v in forced_log_probs(model, torch.zeros_like(rows), target_ids)]
    total = [torch.zeros_like(rows) for _ in range(I)]
    for k in range(1, STEPS + 1):
        _, g = gradients(model, rows * (k / STEPS), target_ids)
        for i in range(I):
            total[i] += g[i]
    ig = [[float((total[i][j] * rows[j]).sum()) / STEPS for j in range(T)] for i in range(I)]
    return {
        "model": os.path.relpath(path, ROOT),
        "source_ids": source_ids,
        "target_ids": target_ids,
        "log_probs": logps,
        "gradients": [g.tolist() for g in grads],
        "occlusion": occlusion,
        "leave-one-out": loo,
        "gradient": [[float(grads[i][j].norm()) for j in range(T)] for i in range(I)],
        "input-x-gradient": [[float((grads[i][j] * rows[j]).sum()) for j in range(T)] for i in range(I)],
        "integrated-gradients": ig,
        "completeness_target": [base[i] - zero[i] for i in range(I)],
    }


def main():
    torch.set_num_threads(1)
    cases = [case_for(p) for p in sorted(glob.glob(os.path.join(ROOT, "tests", "golden", "family-*.safetensors")))]
    out = {"generator": "tools/make_golden_attribution.py (PyTorch %s, float64 autograd)" % torch.__version__,
           "integrated_gradients_steps": STEPS, "cases": cases}
    path = os.path.join(ROOT, "tests", "golden", "attribution.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print("wrote %s: %d models" % (path, len(cases)))


if __name__ == "__main__":
    main()
