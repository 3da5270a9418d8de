#!/usr/bin/python3
"""Write tests/data/subword/joey/: the pieces Joey NMT's own tokenizers give a sentence, for the
C++ tests of SentencePiece and BPE segmentation as Joey applies them (tests/engine/tst_subword.cpp).

    /usr/bin/python3 tools/make_joey_tokenizer_fixtures.py JOEY_CHECKOUT SUBWORD_NMT_CHECKOUT

JOEY_CHECKOUT is a checkout of https://github.com/joeynmt/joeynmt (v2.3,
c19c6c8438263d3ad01054742bf98ab1f1fa61b3), SUBWORD_NMT_CHECKOUT one of
https://github.com/rsennrich/subword-nmt at v0.3.8 (7bae758b2eac35168790ad9b617b668d541b44f2,
the release pip installs for Joey; later commits changed --separator to bytes, which Joey 2.3's
tokenizer cannot pass); SentencePiece
is Debian's python3-sentencepiece, the same library (0.1.97) that attnviz links. Their code is
imported from there, never copied; what Joey imports but tokenizing never uses (tensorboard,
importlib_metadata, plotting) is stubbed.

SentencePiece models are trained (SentencePieceTrainer, 120 pieces) on French lines of
data/eng-fra.txt; a Joey Vocabulary is built from the pieces of fewer lines, so that some of the
model's pieces are outside it, and Joey's SentencePieceTokenizer / SubwordNMTTokenizer with
set_vocab (SetVocabulary, bpe.vocab) tokenize 40 other lines after its pre_process
(lowercase, normalize). The lowercase case reuses the nfkc model. cases.json: each case's settings, the pieces of every
line and what Joey's post_process (its translation line) makes of the restricted pieces.
"""

import json
import os
import sys
import types
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "subword", "joey")


def install_stubs():
    metadata = types.ModuleType("importlib_metadata")
    metadata.version = lambda name: "0"
    sys.modules["importlib_metadata"] = metadata
    board = types.ModuleType("torch.utils.tensorboard")
    board.SummaryWriter = object
    sys.modules["torch.utils.tensorboard"] = board
    plotting = types.ModuleType("joeynmt.plotting")
    plotting.plot_heatmap = None
    sys.modules["joeynmt.plotting"] = plotting


def main():
    joey, subword_nmt = sys.argv[1], sys.argv[2]
    sys.path[:0] = [joey, subword_nmt]
    install_stubs()
    import sentencepiece
    from joeynmt.tokenizers import SentencePieceTokenizer, SubwordNMTTokenizer
    from joeynmt.vocabulary import Vocabulary
    from types import SimpleNamespace

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(ROOT, "data", "eng-fra.txt"), encoding="utf-8") as f:
        french = [line.rstrip("\n").split("\t")[1] for line in f]
    train, vocab_lines, test = french[2000:4000], french[2000:2025], french[4000:4040]
    test[0] = "  Ｔｏｍ  a  ＶＵ  l'été 1999…  "  # full-width letters, spaces, an ellipsis
    test[1] = "Ça, c'est « génial » !"
    with open(os.path.join(OUT, "train.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(train) + "\n")
    specials = SimpleNamespace(unk_token="<unk>", pad_token="<pad>", bos_token="<s>", eos_token="</s>",
                               sep_token=None, lang_tags=[], unk_id=0, pad_id=1, bos_id=2, eos_id=3)

    cases = []
    # The lowercase case reuses the nfkc model (its normalisation table alone is 230 KB).
    for name, model, model_type, rule, lowercase, normalize in [
            ("spm-unigram-nfkc", "spm-unigram-nfkc", "unigram", "nmt_nfkc", False, False),
            ("spm-bpe-identity", "spm-bpe-identity", "bpe", "identity", False, False),
            ("spm-lowercase-normalize", "spm-unigram-nfkc", "unigram", "nmt_nfkc", True, True)]:
        prefix = os.path.join(OUT, model)
        if not os.path.exists(prefix + ".model"):
            sentencepiece.SentencePieceTrainer.train(
                input=os.path.join(OUT, "train.txt"), model_prefix=prefix, vocab_size=120,
                model_type=model_type, normalization_rule_name=rule, character_coverage=1.0,
                minloglevel=2)
            os.remove(prefix + ".vocab")
        tokenizer = SentencePieceTokenizer(level="bpe", model_file=prefix + ".model",
                                           lowercase=lowercase, normalize=normalize)
        pieces = sorted({p for line in vocab_lines for p in tokenizer(tokenizer.pre_process(line))})
        vocab = Vocabulary(pieces, specials)
        unrestricted = [tokenizer(tokenizer.pre_process(line)) for line in test]
        # A new tokenizer, as at translation time (the BPE one caches what it segmented).
        tokenizer = SentencePieceTokenizer(level="bpe", model_file=prefix + ".model",
                                           lowercase=lowercase, normalize=normalize)
        tokenizer.set_vocab(vocab)
        restricted = [tokenizer(tokenizer.pre_process(line)) for line in test]
        vocab.to_file(Path(OUT) / (name + ".vocab.txt"))
        cases.append({"name": name, "kind": "sentencepiece", "model": model + ".model",
                      "vocabulary": name + ".vocab.txt", "lowercase": lowercase, "normalize": normalize,
                      "preprocessed": [tokenizer.pre_process(line) for line in test],
                      "unrestricted": unrestricted, "restricted": restricted,
                      "detokenized": [tokenizer.post_process(pieces) for pieces in restricted]})

    codes = os.path.join(ROOT, "tests", "data", "subword", "codes.bpe")
    tokenizer = SubwordNMTTokenizer(level="bpe", codes=codes, lowercase=False, normalize=False)
    pieces = sorted({p for line in vocab_lines for p in tokenizer(tokenizer.pre_process(line))})
    vocab = Vocabulary(pieces, specials)
    unrestricted = [tokenizer(tokenizer.pre_process(line)) for line in test]
    tokenizer = SubwordNMTTokenizer(level="bpe", codes=codes, lowercase=False, normalize=False)
    tokenizer.set_vocab(vocab)
    restricted = [tokenizer(tokenizer.pre_process(line)) for line in test]
    vocab.to_file(Path(OUT) / "bpe.vocab.txt")
    cases.append({"name": "subword-nmt", "kind": "bpe", "codes": "../codes.bpe", "vocabulary": "bpe.vocab.txt",
                  "lowercase": False, "normalize": False,
                  "preprocessed": [tokenizer.pre_process(line) for line in test], "unrestricted": unrestricted, "restricted": restricted,
                  "detokenized": [tokenizer.post_process(pieces) for pieces in restricted]})
    os.remove(os.path.join(OUT, "train.txt"))
    with open(os.path.join(OUT, "input.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(test) + "\n")
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
