#!/usr/bin/python3
"""Export a model trained with the PyTorch seq2seq tutorial to an attnviz-seq2seq/1 file.

The tutorial saves nothing but weights. In your notebook, after training, add:

    torch.save(encoder.state_dict(), "encoder.pt")
    torch.save(decoder.state_dict(), "decoder.pt")
    import json
    json.dump([input_lang.index2word[i] for i in range(input_lang.n_words)], open("source_vocab.json", "w"))
    json.dump([output_lang.index2word[i] for i in range(output_lang.n_words)], open("target_vocab.json", "w"))

then:

    /usr/bin/python3 tools/export_tutorial.py --encoder encoder.pt --decoder decoder.pt \\
        --source-vocab source_vocab.json --target-vocab target_vocab.json --out my-model.safetensors

Without the vocabulary files, --pairs eng-fra.txt rebuilds them with the tutorial's own Lang rules
(SOS = 0, EOS = 1, then words in order of first appearance), with --reverse and --filter as in
the tutorial's prepareData('eng', 'fra', True). Which tutorial version trained the model (the
current one with BahdanauAttention, or the original fixed-length one with attn/attn_combine) is
read from the tensor names; the original's max_length is the number of rows of attn.weight.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402

ENG_PREFIXES = ("i am ", "i m ", "he is", "he s ", "she is", "she s ", "you are", "you re ",
                "we are", "we re ", "they are", "they re ")


def tutorial_vocabs(pairs_path, reverse, filter_pairs, max_length=10):
    """The tutorial's readLangs + filterPairs + Lang.addSentence."""
    pairs = []
    with open(pairs_path, encoding="utf-8") as f:
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) < 2:
                continue
            pair = [at.normalize_tutorial(s) for s in parts[:2]]
            pairs.append(list(reversed(pair)) if reverse else pair)
    if filter_pairs:
        pairs = [p for p in pairs if len(p[0].split(" ")) < max_length and len(p[1].split(" ")) < max_length
                 and p[1].startswith(ENG_PREFIXES)]
    vocabs = []
    for side in (0, 1):
        words = ["SOS", "EOS"]
        seen = set(words)
        for p in pairs:
            for w in p[side].split(" "):
                if w not in seen:
                    seen.add(w)
                    words.append(w)
        vocabs.append(words)
    return vocabs


def detect(encoder_sd, decoder_sd):
    """Config from the tensor names and shapes."""
    H = encoder_sd["embedding.weight"].shape[1]
    if "attention.Wa.weight" in decoder_sd:
        return {"architecture": "bahdanau", "hidden_size": H}
    if "attn.weight" in decoder_sd and "attn_combine.weight" in decoder_sd:
        return {"architecture": "tutorial_legacy", "hidden_size": H,
                "max_length": int(decoder_sd["attn.weight"].shape[0]), "combine_activation": "relu"}
    if "concat.weight" in decoder_sd:
        cfg = {"architecture": "luong", "hidden_size": H}
        cfg["luong_score"] = "general" if "attention.W.weight" in decoder_sd else "dot"
        return cfg
    raise SystemExit("decoder: cannot tell the architecture from its tensors: %s" % ", ".join(sorted(decoder_sd)))


def load_state_dict(path):
    sd = torch.load(path, map_location="cpu")
    if not isinstance(sd, dict):
        raise SystemExit("%s: expected a state dict saved with torch.save(module.state_dict(), ...)" % path)
    return {k: v.float() for k, v in sd.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--encoder", required=True)
    p.add_argument("--decoder", required=True)
    p.add_argument("--source-vocab", help="JSON list of source words (index = id)")
    p.add_argument("--target-vocab", help="JSON list of target words")
    p.add_argument("--pairs", help="the training pairs file, to rebuild the vocabularies instead")
    p.add_argument("--reverse", action="store_true", help="pairs are target<TAB>source (the tutorial's fra->eng)")
    p.add_argument("--filter", action="store_true", help="apply the tutorial's filterPairs (length < 10, eng prefixes)")
    p.add_argument("--combine-activation", choices=("relu", "none"), default="relu",
                   help="original tutorial: the activation after attn_combine (the tutorial uses relu)")
    p.add_argument("--name", default="")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)

    enc, dec = load_state_dict(args.encoder), load_state_dict(args.decoder)
    config = detect(enc, dec)
    if config["architecture"] == "tutorial_legacy":
        config["combine_activation"] = args.combine_activation
    config.update({"sos_token": "SOS", "eos_token": "EOS", "normalization": "tutorial"})
    if args.name:
        config["name"] = args.name
    if args.source_vocab and args.target_vocab:
        sv = json.load(open(args.source_vocab, encoding="utf-8"))
        tv = json.load(open(args.target_vocab, encoding="utf-8"))
    elif args.pairs:
        sv, tv = tutorial_vocabs(args.pairs, args.reverse, args.filter)
    else:
        raise SystemExit("give --source-vocab and --target-vocab, or --pairs to rebuild them")
    model = at.Seq2Seq(config, len(sv), len(tv))
    for prefix, module, sd in (("encoder", model.encoder, enc), ("decoder", model.decoder, dec)):
        missing, unexpected = module.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise SystemExit("%s: tensors do not match the %s architecture: missing %s, unexpected %s"
                             % (prefix, config["architecture"], missing, unexpected))
    at.save_model(args.out, model.encoder, model.decoder, sv, tv, config)
    print("wrote %s: %s, hidden %d, vocabularies %d / %d" % (
        args.out, config["architecture"], config["hidden_size"], len(sv), len(tv)))


if __name__ == "__main__":
    main()
