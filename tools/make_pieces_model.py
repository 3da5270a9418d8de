#!/usr/bin/env python3
"""Writes tests/data/pieces.json: a hand-made 2-unit Bahdanau model (arbitrary weights, fixed
seed) whose vocabularies are SentencePiece-style pieces ("▁" starts a word), for the tests of
reading an alignment of pieces as words (docs/subword.md). Until a model file records its
tokenizer, its input is typed as pieces separated by spaces, e.g. "▁the ▁c at s ▁sleep".

    /usr/bin/python3 tools/make_pieces_model.py
"""
import json
import pathlib
import random

random.seed(16)
source = ["SOS", "EOS", "▁the", "▁c", "at", "s", "▁sleep", "▁"]
target = ["SOS", "EOS", "▁les", "▁ch", "at", "s", "▁dorm", "ent"]
H = 2
shapes = {
    "encoder.embedding.weight": [len(source), H],
    "encoder.gru.weight_ih_l0": [3 * H, H],
    "encoder.gru.weight_hh_l0": [3 * H, H],
    "encoder.gru.bias_ih_l0": [3 * H],
    "encoder.gru.bias_hh_l0": [3 * H],
    "decoder.embedding.weight": [len(target), H],
    "decoder.attention.Wa.weight": [H, H],
    "decoder.attention.Wa.bias": [H],
    "decoder.attention.Ua.weight": [H, H],
    "decoder.attention.Ua.bias": [H],
    "decoder.attention.Va.weight": [1, H],
    "decoder.attention.Va.bias": [1],
    "decoder.gru.weight_ih_l0": [3 * H, 2 * H],
    "decoder.gru.weight_hh_l0": [3 * H, H],
    "decoder.gru.bias_ih_l0": [3 * H],
    "decoder.gru.bias_hh_l0": [3 * H],
    "decoder.out.weight": [len(target), H],
    "decoder.out.bias": [len(target)],
}
tensors = {}
for name, shape in sorted(shapes.items()):
    n = 1
    for d in shape:
        n *= d
    tensors[name] = {"shape": shape, "data": [round(random.uniform(-1.5, 1.5), 2) for _ in range(n)]}
model = {
    "format": "attnviz-seq2seq/1",
    "config": {"architecture": "bahdanau", "hidden_size": H, "sos_token": "SOS", "eos_token": "EOS",
               "normalization": "none", "name": "tiny-pieces",
               "description": "Hand-made 2-unit Bahdanau model with SentencePiece-style pieces, for tests; weights are arbitrary.",
               "source_language": "eng", "target_language": "fra"},
    "source_vocab": source,
    "target_vocab": target,
    "tensors": tensors,
}
out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "pieces.json"
out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
print(out)
