"""Reference decoding in PyTorch: greedy, beam, forced and the no-attention ablations.

This is the definition the C++ engine is tested against (tests/golden/*.json);
docs/decoding.md describes the same rules in prose. Every function runs on a
tools/family_torch.FamilySeq2Seq (any model of the attnviz-seq2seq/2 family); a
version 1 tools/attnviz_torch.Seq2Seq is accepted too and seen as its point of the
family (family_torch.as_family, sharing its weights).

Not a script: imported by tools/make_golden.py, tools/make_golden_family.py,
tools/check_family_v1.py, tools/train.py, tools/bench_torch.py and
tools/make_torch_fixtures.py, which run with /usr/bin/python3.
"""

import math

import torch

import attnviz_torch as at
import family_torch as fam


def encode_source(model, sv, sentence_or_tokens):
    """Source words -> (ids fed to the encoder, their token strings, unknown words).
    EOS is appended when the model's config has source_eos (the default)."""
    cfg = model.config
    toks = sentence_or_tokens
    if isinstance(toks, str):
        toks = at.tokenize(toks, cfg.get("normalization", "tutorial"))
    ids, words, unknown = [], [], []
    unk = cfg.get("unk_token")
    for w in toks:
        if w in sv.index:
            ids.append(sv.index[w])
            words.append(w)
        else:
            unknown.append(w)
            if unk is not None:
                ids.append(sv.index[unk])
                words.append(unk)
    if cfg.get("source_eos", True):
        ids.append(sv.index[cfg["eos_token"]])
        words.append(cfg["eos_token"])
    return ids, words, unknown


def encode(model, ids):
    """-> (annotations [T, A], prep, initial decoder state) for a FamilySeq2Seq."""
    annotations, final = model.encode(ids)
    return annotations, model.prepare(annotations), model.initial_state(final)


def _run_encoder(model, ids):
    return encode(fam.as_family(model), ids)


def default_max_length(n_source_ids, source_eos=True):
    """2 x (source tokens fed, EOS excluded) + 10."""
    return 2 * (n_source_ids - (1 if source_eos else 0)) + 10


def model_max_length(model, ids):
    return default_max_length(len(ids), model.config.get("source_eos", True))


def summed_context(model, annotations):
    return annotations.sum(0)  # over the real positions (incl. EOS when fed)


def _stats(alpha_rows, contexts, c_sum, n_real):
    out = {"cosine": [], "l2": [], "entropy": [], "padding_mass": []}
    norm_sum = float(torch.linalg.norm(c_sum))
    for a, c in zip(alpha_rows, contexts):
        nc = float(torch.linalg.norm(c))
        out["cosine"].append(float(torch.dot(c, c_sum)) / (nc * norm_sum) if nc > 0 and norm_sum > 0 else 0.0)
        out["l2"].append(float(torch.linalg.norm(c - c_sum)))
        out["entropy"].append(float(-sum(float(x) * math.log(float(x)) for x in a if float(x) > 0)))
        out["padding_mass"].append(float(a[n_real:].sum()))
    if alpha_rows:
        out["coverage"] = [float(v) for v in torch.stack(alpha_rows)[:, :n_real].sum(0)]
    else:
        out["coverage"] = [0.0] * n_real
    return out


def _result(tv, tokens, alphas, energies, contexts, logps, c_sum, n_real):
    r = {
        "target_ids": tokens,
        "target_tokens": [tv.words[t] for t in tokens],
        "attention": [[float(x) for x in a] for a in alphas],
        "energies": [[float(x) for x in e] for e in energies],
        "contexts": [[float(x) for x in c] for c in contexts],
        "log_probs": logps,
        "score": sum(logps),
    }
    r.update(_stats(alphas, contexts, c_sum, n_real))
    return r


@torch.no_grad()
def greedy(model, sv, tv, sentence, max_length=None, ablation=None):
    """Greedy decoding; ablation in (None, 'summed', 'mean') replaces every c_t."""
    model = fam.as_family(model)
    ids, _, _ = encode_source(model, sv, sentence)
    H, prep, state = encode(model, ids)
    cfg = model.config
    T = len(ids)
    c_sum = summed_context(model, H)
    override = None
    if ablation == "summed":
        override = c_sum
    elif ablation == "mean":
        override = c_sum / T
    eos = tv.index[cfg["eos_token"]]
    y = tv.index[cfg["sos_token"]]
    tokens, alphas, energies, contexts, logps = [], [], [], [], []
    for _ in range(max_length or model_max_length(model, ids)):
        logp, state, alpha, e, c = model.step(y, state, H, prep, override)
        t = int(torch.argmax(logp))
        tokens.append(t)
        alphas.append(alpha)
        energies.append(e)
        contexts.append(c)
        logps.append(float(logp[t]))
        y = t
        if t == eos:
            break
    return _result(tv, tokens, alphas, energies, contexts, logps, c_sum, T)


def target_ids(model, tv, target):
    cfg = model.config
    toks = at.tokenize(target, cfg.get("normalization", "tutorial")) if isinstance(target, str) else list(target)
    ids, unknown = [], []
    unk = cfg.get("unk_token")
    for w in toks:
        if w in tv.index:
            ids.append(tv.index[w])
        else:
            unknown.append(w)
            if unk is not None and unk in tv.index:
                ids.append(tv.index[unk])
    eos = tv.index[cfg["eos_token"]]
    if not ids or ids[-1] != eos:
        ids.append(eos)
    return ids, unknown


@torch.no_grad()
def forced(model, sv, tv, sentence, target, ablation=None):
    """Teacher forcing of `target`; ablation as for greedy (the same target, without attention)."""
    model = fam.as_family(model)
    ids, _, _ = encode_source(model, sv, sentence)
    H, prep, state = encode(model, ids)
    tgt, unknown = target_ids(model, tv, target)
    c_sum = summed_context(model, H)
    override = {"summed": c_sum, "mean": c_sum / len(ids)}.get(ablation) if ablation else None
    y = tv.index[model.config["sos_token"]]
    alphas, energies, contexts, logps = [], [], [], []
    for t in tgt:
        logp, state, alpha, e, c = model.step(y, state, H, prep, override)
        alphas.append(alpha)
        energies.append(e)
        contexts.append(c)
        logps.append(float(logp[t]))
        y = t
    r = _result(tv, tgt, alphas, energies, contexts, logps, c_sum, len(ids))
    r["unknown_target_words"] = unknown
    return r


@torch.no_grad()
def beam(model, sv, tv, sentence, width, max_length=None):
    """Beam search.

    Each step expands every live hypothesis by every token and keeps the `width`
    best candidates by total log-probability (ties: earlier hypothesis, then lower
    token id). A kept candidate ending in EOS is finished; the others live on.
    The search stops when `width` hypotheses have finished, none is alive, or
    after max_length steps; if fewer than `width` have finished by then, the
    live ones count as finished too. Finished
    hypotheses are ranked by total log-probability divided by their number of
    tokens (EOS included); the best `width` are returned.
    """
    model = fam.as_family(model)
    cfg = model.config
    ids, _, _ = encode_source(model, sv, sentence)
    H, prep, s0 = encode(model, ids)
    T = len(ids)
    c_sum = summed_context(model, H)
    eos = tv.index[cfg["eos_token"]]
    live = [{"tokens": [], "alphas": [], "energies": [], "contexts": [], "logps": [], "score": 0.0,
             "state": s0, "y": tv.index[cfg["sos_token"]]}]
    finished = []
    for _ in range(max_length or model_max_length(model, ids)):
        cands = []
        for hi, h in enumerate(live):
            logp, s, alpha, e, c = model.step(h["y"], h["state"], H, prep)
            lp = logp.double()
            top = torch.topk(lp, min(width, lp.numel()))
            for v, t in zip(top.values.tolist(), top.indices.tolist()):
                cands.append((h["score"] + float(logp[t]), hi, t, float(logp[t]), s, alpha, e, c))
        cands.sort(key=lambda x: (-x[0], x[1], x[2]))
        new_live = []
        for total, hi, t, lpt, s, alpha, e, c in cands[:width]:
            h = live[hi]
            nh = {"tokens": h["tokens"] + [t], "alphas": h["alphas"] + [alpha], "energies": h["energies"] + [e],
                  "contexts": h["contexts"] + [c], "logps": h["logps"] + [lpt],
                  "score": total, "state": s, "y": t}
            (finished if t == eos else new_live).append(nh)
        live = new_live
        if len(finished) >= width or not live:
            break
    if len(finished) < width:
        finished.extend(live)
    ranked = sorted(enumerate(finished), key=lambda x: (-x[1]["score"] / len(x[1]["tokens"]), x[0]))
    out = []
    for _, h in ranked[:width]:
        r = _result(tv, h["tokens"], h["alphas"], h["energies"], h["contexts"], h["logps"], c_sum, T)
        r["normalized_score"] = h["score"] / len(h["tokens"])
        out.append(r)
    return out
