#!/usr/bin/python3
"""Random-weight Joey NMT models that read subword pieces, saved and run by Joey's own code, for
the end-to-end test of typed text -> pieces -> translation (tests/engine/tst_toolkitimport.cpp).

    /usr/bin/python3 tools/make_joey_subword_fixtures.py JOEY_CHECKOUT SUBWORD_NMT_CHECKOUT [--out tests/data]

JOEY_CHECKOUT is a checkout of https://github.com/joeynmt/joeynmt at v2.3 (c19c6c8), and
SUBWORD_NMT_CHECKOUT one of https://github.com/rsennrich/subword-nmt at v0.3.8 (7bae758, the
release pip installs for Joey 2.3); SentencePiece is Debian's python3-sentencepiece, the
library attnviz links. Their code is imported from there, never copied; what Joey imports but
inference never uses (tensorboard, importlib_metadata, plotting, tqdm, sacrebleu) is stubbed.

Each case is a model directory as Joey's training leaves it: config.yaml with data.src/trg at
level bpe (tokenizer_cfg naming the codes or SentencePiece model by a path relative to where
Joey ran, which does not exist here), the copy Joey's copy_cfg_file saves in the model directory,
src_vocab.txt / trg_vocab.txt built from Joey's own tokenization of training lines, and the
checkpoint written by TrainManager._save_checkpoint. golden.json holds, for RAW sentences, the
pieces Joey's tokenizers feed the model (pre_process, then the tokenizer after set_vocab), its
forced and greedy decoding (as tools/make_toolkit_fixtures.py records them) and the translation
line Joey's post_process makes of the greedy output.

    subword-nmt-bpe    codes learnt by subword-nmt's learn_bpe (60 merges, joint), lowercase
                       and normalize on the source
    sentencepiece      a 60-piece unigram model per side (SentencePieceTrainer), normalize on
                       both sides
"""

import argparse
import io
import json
import os
import shutil
import sys
import types
from pathlib import Path

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_toolkit_fixtures import JOEY_COMMIT, _StubFinder, decode_joey, joey_config, save_joey_model, write_golden  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Raw sentences (case, punctuation, an odd space), English -> French.
SENTENCES = [
    ("I am cold.", "J'ai froid."),
    ("Tom  is  here !", "Tom est ici !"),
    ("We saw a big dog.", "Nous avons vu un gros chien."),
]


def install_stubs():
    # The real subword_nmt and sentencepiece; stand-ins for what only training and scoring use.
    sys.meta_path.insert(0, _StubFinder(["matplotlib", "plotly", "sacrebleu", "tensorboard",
                                         "sacremoses", "torchtext"]))
    progress = types.ModuleType("tqdm")
    progress.tqdm = lambda iterable=None, *args, **kwargs: iterable  # learn_bpe iterates through it
    sys.modules["tqdm"] = progress
    metadata = types.ModuleType("importlib_metadata")
    metadata.version = lambda name: "0"
    sys.modules["importlib_metadata"] = metadata
    board = types.ModuleType("torch.utils.tensorboard")
    board.SummaryWriter = object
    sys.modules["torch.utils.tensorboard"] = board
    plotting = types.ModuleType("joeynmt.plotting")
    plotting.plot_heatmap = None
    sys.modules["joeynmt.plotting"] = plotting


def training_pairs():
    with open(ROOT / "data" / "eng-fra.txt", encoding="utf-8") as f:
        pairs = [line.rstrip("\n").split("\t")[:2] for line in f]
    return pairs[3000:3150]


def make_case(name, index, out_root, prepare):
    from joeynmt.config import _check_special_symbols
    from joeynmt.model import build_model
    from joeynmt.tokenizers import build_tokenizer
    from joeynmt.vocabulary import Vocabulary

    torch.manual_seed(3000 + index)
    model_dir = out_root / "joey" / name
    shutil.rmtree(model_dir, ignore_errors=True)
    model_dir.mkdir(parents=True)
    scratch = out_root / "joey" / (name + ".scratch")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    case = dict(enc=dict(rnn_type="gru"), dec=dict(rnn_type="gru", attention="bahdanau", init_hidden="bridge",
                                                   input_feeding=True))
    cfg = joey_config(name, case, model_dir)
    src_cfg, trg_cfg = prepare(scratch)
    cfg["data"]["src"] = dict(lang="en", **src_cfg)
    cfg["data"]["trg"] = dict(lang="fr", **trg_cfg)
    tokenizer = build_tokenizer(cfg["data"])
    for lang in ("en", "fr"):
        tokenizer[lang].copy_cfg_file(model_dir)  # what Joey's training does

    specials = types.SimpleNamespace(**_check_special_symbols({}))
    pairs = training_pairs()
    src_pieces = sorted({p for s, _ in pairs for p in tokenizer["en"](tokenizer["en"].pre_process(s))})
    trg_pieces = sorted({p for _, t in pairs for p in tokenizer["fr"](tokenizer["fr"].pre_process(t))})
    # Fewer pieces than the codes make, so that the vocabulary restriction has work to do.
    src_vocab = Vocabulary(src_pieces[::2], specials)
    trg_vocab = Vocabulary(trg_pieces[::2], specials)
    src_vocab.to_file(model_dir / "src_vocab.txt")
    trg_vocab.to_file(model_dir / "trg_vocab.txt")
    # A new tokenizer, as at translation time: subword-nmt's BPE caches what it segmented before
    # set_vocab, and load_data calls set_vocab before the first sentence.
    tokenizer = build_tokenizer(cfg["data"])
    tokenizer["en"].set_vocab(src_vocab)
    tokenizer["fr"].set_vocab(trg_vocab)

    model = build_model(cfg["model"], src_vocab=src_vocab, trg_vocab=trg_vocab)
    model.eval()
    save_joey_model(model, cfg, model_dir, index)
    shutil.rmtree(scratch)

    sentences = []
    for source, target in SENTENCES:
        src_tokens = tokenizer["en"](tokenizer["en"].pre_process(source))
        trg_tokens = tokenizer["fr"](tokenizer["fr"].pre_process(target))
        source_tokens, forced, greedy, output = decode_joey(model, src_vocab, trg_vocab, src_tokens, trg_tokens)
        # prediction.predict: arrays_to_sentences cuts at EOS, then the tokenizer's post_process.
        hyp = trg_vocab.arrays_to_sentences(arrays=output, cut_at_eos=True)[0]
        greedy["translation"] = tokenizer["fr"].post_process(hyp, generate_unk=True)
        sentences.append({"source": source, "target": target, "source_tokens": source_tokens,
                          "source_pieces": src_tokens, "target_pieces": trg_tokens,
                          "forced": forced, "greedy": greedy})
    write_golden(model_dir, {"toolkit": "joeynmt", "version": "2.3.0", "commit": JOEY_COMMIT, "case": name,
                             "sentences": sentences})
    print("joey", name, [s["source_pieces"] for s in sentences], [s["greedy"]["translation"] for s in sentences])


def prepare_bpe(scratch):
    from subword_nmt.learn_bpe import learn_bpe
    pairs = training_pairs()
    text = io.StringIO("\n".join(s.lower() + "\n" + t for s, t in pairs) + "\n")
    (scratch / "data").mkdir()
    with open(scratch / "data" / "codes.bpe", "w", encoding="utf-8") as out:
        learn_bpe(text, out, 60)
    # Joey reads the codes from where it ran (here: scratch/data/codes.bpe); config.yaml keeps
    # the relative path "data/codes.bpe", which attnviz will not find from elsewhere.
    cwd = os.getcwd()
    os.chdir(scratch)
    common = {"level": "bpe", "tokenizer_type": "subword-nmt", "tokenizer_cfg": {"codes": "data/codes.bpe"}}
    return (dict(common, lowercase=True, normalize=True), dict(common, lowercase=False, normalize=False)), cwd


def prepare_spm(scratch):
    import sentencepiece
    pairs = training_pairs()
    (scratch / "data").mkdir()
    for lang, lines in (("en", [s for s, _ in pairs]), ("fr", [t for _, t in pairs])):
        (scratch / ("train." + lang)).write_text("\n".join(lines) + "\n", encoding="utf-8")
        sentencepiece.SentencePieceTrainer.train(
            input=str(scratch / ("train." + lang)), model_prefix=str(scratch / "data" / ("spm." + lang)),
            vocab_size=60, model_type="unigram", normalization_rule_name="identity", character_coverage=1.0,
            minloglevel=2)
    cwd = os.getcwd()
    os.chdir(scratch)
    side = lambda lang: {"level": "bpe", "tokenizer_type": "sentencepiece", "normalize": True,
                         "tokenizer_cfg": {"model_file": "data/spm.%s.model" % lang}}
    return (side("en"), side("fr")), cwd


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("joey", type=Path)
    parser.add_argument("subword_nmt", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    args = parser.parse_args()
    sys.path[:0] = [str(args.joey.resolve()), str(args.subword_nmt.resolve())]
    install_stubs()
    torch.set_num_threads(1)
    out = args.out.resolve()
    for index, (name, prepare) in enumerate((("subword-nmt-bpe", prepare_bpe), ("sentencepiece", prepare_spm))):
        state = {}

        def prepared(scratch, prepare=prepare):
            sides, state["cwd"] = prepare(scratch)
            return sides

        try:
            make_case(name, index, out, prepared)
        finally:
            if "cwd" in state:
                os.chdir(state["cwd"])


if __name__ == "__main__":
    main()
