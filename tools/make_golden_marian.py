#!/usr/bin/python3
"""Golden outputs of Hugging Face transformers for the trained Marian sample
(sample_models/eng-fra-marian/), written to tests/golden/eng-fra-marian.json.

    /usr/bin/python3 tools/make_golden_marian.py --transformers-src /path/to/transformers/src

The folder is opened with MarianMTModel.from_pretrained and MarianTokenizer (its files)
(transformers 4.27 on Debian's torch 1.13; imports never used are stubbed by
tools/train_marian.py's import_transformers). For each sentence (held-out sources of the
split of tools/train_subword.py, plus one with a word the vocabulary has never seen):
- source_ids / source_pieces: MarianTokenizer's ids (source.spm pieces, then </s>);
- greedy: model.generate(num_beams=1, max_length=40) ids (they start with
  decoder_start_token_id = pad and end with </s>), the text decoded by the tokenizer, and
  log_probs: the model's log-softmax at each greedy token, by a forward pass with the greedy
  ids (minus the last) as decoder_input_ids (no logits processor applied);
- beam4: model.generate(num_beams=4, max_length=40) ids and text (length_penalty 1.0,
  early_stopping false: generate's defaults, bad_words_ids from config.json);
- cross_attention: of that forward pass, every decoder layer and head,
  [layer][head][output step][source position], output step t is the row that predicts
  greedy token t+1; last_layer = cross_attention[-1].
"""

import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_marian import import_transformers  # noqa: E402
from train_subword import read_raw_pairs, split  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def r(x):
    return [round(float(v), 7) for v in x]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--transformers-src", required=True)
    p.add_argument("--model", default=os.path.join(ROOT, "sample_models", "eng-fra-marian"))
    p.add_argument("--data", default=os.path.join(ROOT, "data", "eng-fra.txt"))
    p.add_argument("--out", default=os.path.join(ROOT, "tests", "golden", "eng-fra-marian.json"))
    p.add_argument("--count", type=int, default=4, help="held-out sentences (one more is added)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    transformers, _, MarianMTModel, MarianTokenizer = import_transformers(args.transformers_src)
    model = MarianMTModel.from_pretrained(args.model).eval()
    # The tokenizer from the folder's files and tokenizer_config.json, as from_pretrained builds it
    # (from_pretrained itself would import the fast-tokenizer machinery, which is not installed).
    with open(os.path.join(args.model, "tokenizer_config.json"), encoding="utf-8") as f:
        tok_config = json.load(f)
    tok = MarianTokenizer(vocab=os.path.join(args.model, "vocab.json"),
                          source_spm=os.path.join(args.model, "source.spm"),
                          target_spm=os.path.join(args.model, "target.spm"), **tok_config)
    _, test = split(read_raw_pairs(args.data), 0.05, 1)
    sentences = [g[0][0] for g in test[:args.count]] + ["The zyxomorph ate my homework yesterday."]
    cases = []
    with torch.no_grad():
        for s in sentences:
            enc = tok([s], return_tensors="pt")
            src = enc["input_ids"][0].tolist()
            greedy = model.generate(**enc, num_beams=1, do_sample=False, max_length=40)[0].tolist()
            beam = model.generate(**enc, num_beams=4, do_sample=False, max_length=40)[0].tolist()
            dec_in = torch.tensor([greedy[:-1]])
            out = model(**enc, decoder_input_ids=dec_in, output_attentions=True)
            logp = F.log_softmax(out.logits[0], dim=-1)
            gold = greedy[1:]
            token_logp = [float(logp[t, g]) for t, g in enumerate(gold)]
            cross = [[[r(row) for row in head] for head in layer[0]] for layer in out.cross_attentions]
            cases.append({
                "sentence": s,
                "source_ids": src,
                "source_pieces": tok.convert_ids_to_tokens(src),
                "greedy": {"ids": greedy, "pieces": tok.convert_ids_to_tokens(greedy),
                           "text": tok.decode(greedy, skip_special_tokens=True, clean_up_tokenization_spaces=False),
                           "log_probs": r(token_logp), "sum_log_prob": round(sum(token_logp), 6)},
                "beam4": {"ids": beam,
                          "text": tok.decode(beam, skip_special_tokens=True, clean_up_tokenization_spaces=False)},
                "cross_attention": cross,
            })
    c = model.config
    doc = {
        "generator": "tools/make_golden_marian.py (transformers %s, PyTorch %s)" % (
            transformers.__version__, torch.__version__),
        "model": "sample_models/eng-fra-marian",
        "config": {"vocab_size": c.vocab_size, "d_model": c.d_model, "encoder_layers": c.encoder_layers,
                   "decoder_layers": c.decoder_layers, "heads": c.decoder_attention_heads,
                   "pad_token_id": c.pad_token_id, "eos_token_id": c.eos_token_id,
                   "decoder_start_token_id": c.decoder_start_token_id},
        "notes": "greedy/beam4 ids as generate returns them (first id = decoder_start_token_id); log_probs[t] "
                 "= log p(greedy.ids[t+1]); cross_attention[layer][head][t][source position], t as log_probs; "
                 "sacremoses not installed, so MarianTokenizer applied no Moses punctuation normalization.",
        "cases": cases,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print("wrote %s (%d bytes)" % (args.out, os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
