#!/usr/bin/python3
"""Write the reference outputs that the C++ engine's golden tests compare against.

    /usr/bin/python3 tools/make_golden.py            # tiny random models + sample models

For tiny random-weight models of every architecture (written next to their
references, float32) and for every sample model present in sample_models/, it
runs PyTorch (tools/reference.py) on a fixed set of sentences: greedy, forced,
beam 3 and the two no-attention ablations, and writes tests/golden/<name>.json.
The C++ tests need no PyTorch: the files are committed.

The models are version 1 files; they are decoded as their points of the v2 family
(tools/family_torch.py). tools/check_family_v1.py checks, without writing anything,
that this reproduces the committed files; tools/make_golden_family.py writes the
family-*.json goldens of the v2 family.
"""

import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
import family_torch as fam  # noqa: E402
import reference as ref  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "golden")

SRC_WORDS = ["SOS", "EOS", "UNK", "i", "am", "you", "are", "he", "is", "cold", "tired", "very", ".", "!"]
TGT_WORDS = ["SOS", "EOS", "UNK", "je", "suis", "tu", "es", "il", "a", "froid", "fatigue", "tres", ".", "!"]

# name: config overrides; every tiny model has hidden size 6
TINY = {
    "tiny-bahdanau": {"architecture": "bahdanau", "unk_token": "UNK"},
    "tiny-luong-dot": {"architecture": "luong", "luong_score": "dot"},
    "tiny-luong-general": {"architecture": "luong", "luong_score": "general", "unk_token": "UNK"},
    # the original tutorial: ReLU after attn_combine, L != H
    "tiny-legacy-relu": {"architecture": "tutorial_legacy", "max_length": 9, "combine_activation": "relu"},
    # the design notes' variant: L == H, no ReLU
    "tiny-legacy-notes": {"architecture": "tutorial_legacy", "max_length": 6, "combine_activation": "none",
                          "unk_token": "UNK"},
}

TINY_CASES = [
    {"sentence": "I am cold.", "target": "Je suis tres froid ."},
    {"sentence": "You are very tired!", "target": "tu es fatigue !"},
    {"sentence": "he is", "target": "il a"},
    {"sentence": "Héllo, he is COLD?", "target": "il a froid xyz"},  # OOV words both sides
    {"sentence": "i", "target": "je", "max_length": 3},
]

SAMPLE_CASES = {
    "eng-fra": [
        {"sentence": "I am cold.", "target": "J'ai froid."},
        {"sentence": "He is very tired.", "target": "Il est tres fatigue."},
        {"sentence": "We are happy!", "target": "Nous sommes heureux !"},
        {"sentence": "You're not alone.", "target": "Tu n'es pas seul."},
    ],
    "dates": [
        {"sentence": "the 3rd of may 1999", "target": "1999 05 03"},
        {"sentence": "december 25 , 2001", "target": "2001 12 25"},
        {"sentence": "1984 april 1st", "target": "1984 04 01"},
    ],
}


def make_tiny(name, overrides, seed):
    torch.manual_seed(seed)
    config = {"hidden_size": 6, "sos_token": "SOS", "eos_token": "EOS", "normalization": "tutorial",
              "name": name}
    config.update(overrides)
    model = at.Seq2Seq(config, len(SRC_WORDS), len(TGT_WORDS))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)  # sharper distributions make the comparison more telling
    model.eval()
    path = os.path.join(OUT, name + ".safetensors")
    at.save_model(path, model.encoder, model.decoder, SRC_WORDS, TGT_WORDS, config, "F32")
    return path


def compute_case(model, sv, tv, case, with_encoder):
    """One case of a golden file; model: a family_torch.FamilySeq2Seq (or a v1 Seq2Seq)."""
    model = fam.as_family(model)
    sentence = case["sentence"]
    ids, words, unknown = ref.encode_source(model, sv, sentence)
    out = {"sentence": sentence, "source_ids": ids, "source_tokens": words, "unknown_words": unknown}
    with torch.no_grad():
        annotations, _ = model.encode(ids)
    if with_encoder:
        out["encoder_outputs"] = [[float(x) for x in row] for row in annotations]
    out["summed_context"] = [float(x) for x in ref.summed_context(model, annotations)]
    max_length = case.get("max_length")
    out["max_length"] = max_length or ref.model_max_length(model, ids)
    out["greedy"] = ref.greedy(model, sv, tv, sentence, max_length)
    out["forced"] = ref.forced(model, sv, tv, sentence, case["target"])
    out["forced"]["target"] = case["target"]
    out["beam"] = {"width": 3, "hypotheses": ref.beam(model, sv, tv, sentence, 3, max_length)}
    out["ablation"] = {}
    for kind in ("summed", "mean"):
        r = ref.greedy(model, sv, tv, sentence, max_length, ablation=kind)
        out["ablation"][kind] = {k: r[k] for k in ("target_ids", "target_tokens", "log_probs", "contexts")}
    return out


def write_golden(name, model_path, cases, with_encoder):
    model, sv, tv = fam.load_model(model_path)  # a version 1 file opens as its point of the family
    data = {
        "generator": "tools/make_golden.py (PyTorch %s)" % torch.__version__,
        "model": os.path.relpath(model_path, ROOT),
        "cases": [compute_case(model, sv, tv, c, with_encoder) for c in cases],
    }
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path, ROOT))


TRICKY_TEXT = [
    "Il a été là!", "  I'm  COLD...  ", "¿Qué tal?", "İstanbul", "cafe\u0301 noir", "\u212Aelvin",
    "naïve façade — œuvre", "Straße", "ﬁne", "日本語 text", "emoji 😀 ok!", "שלום hello",
    "tab\tand\nnewline", "a.b!c?d", "...", "", "   ", "Ǆemal ǅ", "Ångström Å", "x\u0301\u0323y",
    "ΣΊΣΥΦΟΣ", "Привет, мир!", "\u00A0nbsp\u2003space", "ＦＵＬＬ ｗｉｄｔｈ！",
]


def write_normalization_golden():
    """The tutorial normalization of tricky strings and of every 5th line of the data."""
    texts = list(TRICKY_TEXT)
    with open(os.path.join(ROOT, "data", "eng-fra.txt"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 5 == 0:
                texts.extend(line.rstrip("\n").split("\t"))
    data = {"generator": "tools/make_golden.py", "cases": [[t, at.normalize_tutorial(t)] for t in texts]}
    with open(os.path.join(OUT, "normalization.json"), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=0)
        f.write("\n")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    write_normalization_golden()
    for i, (name, overrides) in enumerate(sorted(TINY.items())):
        path = make_tiny(name, overrides, seed=100 + i)
        write_golden(name, path, TINY_CASES, with_encoder=True)
    samples = os.path.join(ROOT, "sample_models")
    for fname in sorted(os.listdir(samples)):
        if not fname.endswith(".safetensors"):
            continue
        stem = fname[:-len(".safetensors")]
        cases = SAMPLE_CASES["dates" if stem.startswith(("dates", "tiny")) else "eng-fra"]
        write_golden("sample-" + stem, os.path.join(samples, fname), cases, with_encoder=False)


if __name__ == "__main__":
    main()
