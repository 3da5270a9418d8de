#!/usr/bin/python3
"""Checkpoints of the PyTorch chatbot tutorial, written and run by the tutorial's own code.

    /usr/bin/python3 tools/make_chatbot_fixtures.py CHATBOT_TUTORIAL_PY [--out tests/data/chatbot]

CHATBOT_TUTORIAL_PY is beginner_source/chatbot_tutorial.py of https://github.com/pytorch/tutorials
(the fixtures were made from commit 03b277366b12fc14f56a387cc5ec4cdf1ede744a). The tutorial is a
script that downloads and reads the Cornell corpus at the top level, so this generator runs only
its definitions: the file is parsed with `ast` and its imports, constant assignments, functions
and classes are executed (Voc, normalizeString, indexesFromSentence, the batching helpers,
EncoderRNN, Attn, LuongAttnDecoderRNN, train, trainIters, GreedySearchDecoder, evaluate), with
the globals those functions read from the script (hidden_size, teacher_forcing_ratio, decoder,
checkpoint) set as the script sets them. Nothing of the tutorial is copied into attnviz.

For each case a Voc is built from a few English sentences, the models are built as the
tutorial's "Run Model" block does (one nn.Embedding shared by encoder and decoder), the
tutorial's own trainIters runs one iteration and saves its checkpoint
(`{iteration, en, de, en_opt, de_opt, loss, voc_dict, embedding}` in `1_checkpoint.tar`), and
the tutorial's own inference is recorded in golden.json beside it, in the layout of
tools/make_toolkit_fixtures.py:

    {"toolkit": "pytorch-chatbot-tutorial", "commit": ..., "case": ..., "attn_model": ...,
     "sentences": [{"source": "...", "target": "...", "source_tokens": [...],
                    "forced": {"tokens": [...], "log_probs": [...], "attention": [[...]]},
                    "greedy": {"tokens": [...], "attention": [[...]]}}]}

`forced`: the target (normalized, EOS appended) fed step by step to LuongAttnDecoderRNN.forward;
log_probs = log of its softmax output at the target token; attention = what its Attn module
returned (a forward hook reads it). `greedy`: the tutorial's evaluate() with
GreedySearchDecoder (MAX_LENGTH = 10 steps), cut after the first EOS, and the attention rows of
those steps. Source tokens: normalizeString, then the words and EOS (indexesFromSentence).
"""

import argparse
import ast
import json
import math
import os
import random
import shutil
import sys
import tempfile

import torch

COMMIT = "03b277366b12fc14f56a387cc5ec4cdf1ede744a"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SENTENCES = [
    "I am cold.", "You are late!", "Where are you?", "She is happy.", "We are home.",
    "Are you cold?", "I am home.", "He is late.",
]
TESTS = [("I am cold.", "You are home."), ("Where are you?", "I am late!"), ("She is late.", "We are happy.")]

# name -> (attn_model, hidden_size, encoder_n_layers, decoder_n_layers, seed)
CASES = {
    "dot-2layers": ("dot", 6, 2, 2, 11),
    "general-1layer": ("general", 5, 1, 1, 12),
    "concat-2-1layers": ("concat", 4, 2, 1, 13),
}


def tutorial_namespace(path):
    """The tutorial's definitions, executed without its top-level script."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
            keep.append(node)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names = {t.id for t in node.targets}
            if names & {"PAD_token", "SOS_token", "EOS_token", "MAX_LENGTH", "USE_CUDA", "device"}:
                keep.append(node)
    ns = {"__name__": "chatbot_tutorial"}
    exec(compile(ast.Module(body=keep, type_ignores=[]), path, "exec"), ns)  # noqa: S102 (the tutorial's own code)
    return ns


def rounded(x):
    return [rounded(v) for v in x] if isinstance(x, list) else float(x)


def make_case(ns, name, attn_model, hidden, enc_layers, dec_layers, seed, out_dir):
    random.seed(seed)
    torch.manual_seed(seed)
    voc = ns["Voc"]("tiny")
    pairs = []
    for i, s in enumerate(SENTENCES):
        q, a = ns["normalizeString"](s), ns["normalizeString"](SENTENCES[(i + 1) % len(SENTENCES)])
        pairs.append([q, a])
        voc.addSentence(q)
        voc.addSentence(a)
    embedding = torch.nn.Embedding(voc.num_words, hidden)
    encoder = ns["EncoderRNN"](hidden, embedding, enc_layers, 0.1)
    decoder = ns["LuongAttnDecoderRNN"](attn_model, embedding, hidden, voc.num_words, dec_layers, 0.1)
    if attn_model == "concat":
        with torch.no_grad():
            decoder.attn.v.normal_()  # torch.FloatTensor(n) is uninitialized memory
    ns.update(hidden_size=hidden, teacher_forcing_ratio=1.0, decoder=decoder, checkpoint=None)
    encoder.train()
    decoder.train()
    encoder_optimizer = torch.optim.Adam(encoder.parameters(), lr=0.0001)
    decoder_optimizer = torch.optim.Adam(decoder.parameters(), lr=0.0001 * 5.0)
    save_dir = tempfile.mkdtemp(prefix="chatbot-")
    try:
        ns["trainIters"]("cb_model", voc, pairs, encoder, decoder, encoder_optimizer, decoder_optimizer, embedding,
                         enc_layers, dec_layers, save_dir, 1, 2, 1, 1, 50.0, "tiny", None)
        saved = os.path.join(save_dir, "cb_model", "tiny", "%d-%d_%d" % (enc_layers, dec_layers, hidden), "1_checkpoint.tar")
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        shutil.copyfile(saved, os.path.join(out_dir, name, "1_checkpoint.tar"))
    finally:
        shutil.rmtree(save_dir)

    encoder.eval()
    decoder.eval()
    rows = []
    decoder.attn.register_forward_hook(lambda module, args, output: rows.append(output[0, 0].tolist()))
    searcher = ns["GreedySearchDecoder"](encoder, decoder)
    sentences = []
    with torch.no_grad():
        for source, target in TESTS:
            src = ns["normalizeString"](source)
            tgt = ns["normalizeString"](target)
            ids = ns["indexesFromSentence"](voc, src)
            # forced: the decoder fed the target, as train() does with teacher forcing
            rows.clear()
            input_batch = torch.LongTensor([ids]).transpose(0, 1)
            encoder_outputs, encoder_hidden = encoder(input_batch, torch.tensor([len(ids)]))
            hidden_state = encoder_hidden[:decoder.n_layers]
            step_input = torch.LongTensor([[ns["SOS_token"]]])
            target_ids = ns["indexesFromSentence"](voc, tgt)
            log_probs = []
            for t in target_ids:
                output, hidden_state = decoder(step_input, hidden_state, encoder_outputs)
                log_probs.append(math.log(float(output[0, t])))
                step_input = torch.LongTensor([[t]])
            forced = {"tokens": [voc.index2word[t] for t in target_ids], "log_probs": log_probs,
                      "attention": rounded(list(rows))}
            rows.clear()
            words = ns["evaluate"](encoder, decoder, searcher, voc, src)
            n = words.index("EOS") + 1 if "EOS" in words else len(words)
            greedy = {"tokens": words[:n], "attention": rounded(rows[:n])}
            sentences.append({"source": source, "target": target,
                              "source_tokens": [voc.index2word[i] for i in ids], "forced": forced, "greedy": greedy})
    golden = {"toolkit": "pytorch-chatbot-tutorial", "commit": COMMIT, "case": name, "attn_model": attn_model,
              "hidden_size": hidden, "encoder_n_layers": enc_layers, "decoder_n_layers": dec_layers,
              "sentences": sentences}
    with open(os.path.join(out_dir, name, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print("%s: %s" % (name, [s["greedy"]["tokens"] for s in sentences]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tutorial", help="path of chatbot_tutorial.py")
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "data", "chatbot"))
    args = p.parse_args()
    torch.set_num_threads(1)
    ns = tutorial_namespace(args.tutorial)
    for name, (attn_model, hidden, enc_layers, dec_layers, seed) in CASES.items():
        make_case(ns, name, attn_model, hidden, enc_layers, dec_layers, seed, args.out)
    # A damaged copy for the refusal test: voc_dict lacks the word of id 5.
    checkpoint = torch.load(os.path.join(args.out, "dot-2layers", "1_checkpoint.tar"))
    del checkpoint["voc_dict"]["index2word"][5]
    torch.save(checkpoint, os.path.join(args.out, "bad-voc.tar"))
    # A fuzzed count: num_words 2^24 over the same 19 words, refused before 2^24 strings are made.
    checkpoint = torch.load(os.path.join(args.out, "dot-2layers", "1_checkpoint.tar"))
    checkpoint["voc_dict"]["num_words"] = 1 << 24
    torch.save(checkpoint, os.path.join(args.out, "huge-voc.tar"))


if __name__ == "__main__":
    sys.exit(main())
