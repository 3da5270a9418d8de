#!/usr/bin/python3
"""Random-weight Joey NMT and OpenNMT-py models, saved and run by the toolkits' own code.

    /usr/bin/python3 tools/make_toolkit_fixtures.py JOEY_CHECKOUT ONMT_CHECKOUT [--out tests/data]

JOEY_CHECKOUT is a checkout of https://github.com/joeynmt/joeynmt and ONMT_CHECKOUT one of
https://github.com/OpenNMT/OpenNMT-py (each holding its `joeynmt/` or `onmt/` package). The
fixtures in tests/data/joey and tests/data/onmt were made with

    joeynmt     v2.3    c19c6c8438263d3ad01054742bf98ab1f1fa61b3
    OpenNMT-py  v3.5.1  3f0c5f7c24c0a26e7165e054cd8000e18b931799

and /usr/bin/python3 with Debian's python3-torch 1.13 and python3-yaml. Nothing of the
toolkits is copied into attnviz: this script imports them from the checkouts, builds every
model with the toolkit's own builder from a configuration (Joey: build_model from a config.yaml
dict; OpenNMT-py: build_model from the options its own parser makes), saves it with the
toolkit's own save code (Joey: TrainManager._save_checkpoint, the model directory with
config.yaml, src_vocab.txt, trg_vocab.txt, N.ckpt and the best.ckpt / latest.ckpt symlinks;
OpenNMT-py: ModelSaver, *_step_N.pt, and for one case its save_format safetensors split) and
records the toolkit's own inference (Joey: Model.forward and search.search; OpenNMT-py:
Translator._decode_and_generate and Translator.translate_batch with greedy sampling) into
golden.json beside each model:

    {"toolkit": "joey", "commit": ..., "config": {...what the case varies...},
     "sentences": [{"source": "...", "target": "...",
                    "forced": {"tokens": [...], "log_probs": [...], "attention": [[...]]},
                    "greedy": {"tokens": [...], "attention": [[...]]}}]}

`forced` is the target teacher-forced: per step the log-probability of the target token and
the attention row over the source positions (Joey: the words and </s>; OpenNMT-py: the words
only). `greedy` is the toolkit's greedy output, its EOS included when it stopped on one.

What inference never uses is stubbed (tensorboard, sacrebleu, subword_nmt, sentencepiece,
matplotlib, plotly, tqdm, configargparse for OpenNMT-py's option parser, ...): the stubs are
made on the fly below, outside the project. Two are small working stand-ins, for libraries
Debian does not package: pyonmttok's Vocab (a token list with a lookup that falls back to
<unk>, which is all OpenNMT-py's vocabulary code uses of it) and safetensors.torch.save_file
(the safetensors layout: 8-byte header length, JSON header, raw little-endian data).

How each toolkit's configuration maps onto the engine's family (docs/model-format.md,
docs/toolkits.md):

Joey NMT (model: encoder / decoder of type recurrent)
    rnn_type gru|lstm                   -> encoder.cell, decoder.cell
    encoder.num_layers, bidirectional   -> encoder.layers, encoder.bidirectional (merge concat)
    decoder.num_layers                  -> decoder.layers
    embeddings.embedding_dim, scale     -> embedding_size, embedding_scale
    decoder.input_feeding true|false    -> decoder.input input_feeding | embedding
    (always)                            -> query current, attentional state_context (tanh, bias),
                                           output_bias false
    decoder.attention bahdanau          -> additive, hidden_size Hd, no biases
    decoder.attention luong             -> bilinear, no bias
    decoder.init_hidden bridge|last|zero-> init bridge (tanh, bias) | last | zero;
                                           LSTM: cell_init hidden (Joey copies h into c)
    tied_embeddings, tied_softmax       -> the shared tensors are written twice
    source: the words and </s>; search: never <s> or <pad>, no </s> at the first step
    (min_output_length 1), at most int(1.5 x source length with </s>) steps
OpenNMT-py (encoder_type rnn|brnn, decoder_type rnn)
    rnn_type LSTM|GRU                   -> cell
    enc_layers, dec_layers              -> layers
    brnn                                -> bidirectional, hidden per direction enc_hid_size / 2
    word_vec_size                       -> embedding_size
    input_feed 1|0                      -> input_feeding | embedding
    global_attention general            -> general without bias, context_state tanh no bias
    global_attention dot                -> dot, context_state tanh no bias
    global_attention mlp                -> additive (query bias only), context_state identity + bias
    bridge                              -> init onmt_bridge (else final); LSTM: cell_init the same
    source: the words only (source_eos false); search: at most min(250, 1.25 x words + 5) steps
"""

import argparse
import importlib.abc
import importlib.machinery
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import torch

JOEY_COMMIT = "c19c6c8438263d3ad01054742bf98ab1f1fa61b3"
ONMT_COMMIT = "3f0c5f7c24c0a26e7165e054cd8000e18b931799"

# Tiny on purpose: the whole suite runs three times in CI.
SRC_WORDS = "ich du er sie wir haus katze hund ist sind gut klein gross nicht ja das ein".split()
TRG_WORDS = "i you he she we house cat dog is are good small big not yes the a".split()
SENTENCES = [
    ("ich bin klein", "i am small"),  # "bin" and "am" are unknown words
    ("das haus ist gross", "the house is big"),
    ("der hund", "the dog"),
]


# --- stubs for what inference never touches --------------------------------------------------

class _Anything(types.ModuleType):
    """A module whose every attribute is a harmless class (decorators and bases included)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = type(name, (), {"__init__": lambda self, *a, **k: None,
                                "__call__": lambda self, *a, **k: None})
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, prefixes):
        self.prefixes = prefixes

    def find_spec(self, fullname, path, target=None):
        if any(fullname == p or fullname.startswith(p + ".") for p in self.prefixes):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Anything(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def _pyonmttok_stub():
    module = types.ModuleType("pyonmttok")

    class Vocab:
        def __init__(self, tokens):
            self.ids_to_tokens = list(tokens)
            self._ids = {t: i for i, t in enumerate(self.ids_to_tokens)}
            self.default_id = self._ids.get("<unk>", 0)

        def __len__(self):
            return len(self.ids_to_tokens)

        def __getitem__(self, token):
            return self._ids[token]

        def __contains__(self, token):
            return token in self._ids

        def __eq__(self, other):
            return isinstance(other, Vocab) and self.ids_to_tokens == other.ids_to_tokens

        def __call__(self, tokens):
            return [self._ids.get(t, self.default_id) for t in tokens]

        def lookup_token(self, token):
            return self._ids.get(token, self.default_id)

        def lookup_index(self, index):
            return self.ids_to_tokens[index]

        def add_token(self, token):
            if token not in self._ids:
                self._ids[token] = len(self.ids_to_tokens)
                self.ids_to_tokens.append(token)

    def build_vocab_from_tokens(tokens, maximum_size=0, minimum_frequency=1, special_tokens=None):
        ordered = []
        for t in list(special_tokens or []) + list(tokens):
            if t not in ordered:
                ordered.append(t)
        return Vocab(ordered)

    module.Vocab = Vocab
    module.build_vocab_from_tokens = build_vocab_from_tokens
    return module


def _configargparse_stub():
    module = types.ModuleType("configargparse")

    def strip(kwargs):
        kwargs.pop("is_config_file_arg", None)
        kwargs.pop("is_write_out_config_file_arg", None)
        return kwargs

    class Group(argparse._ArgumentGroup):
        def add_argument(self, *args, **kwargs):
            return super().add_argument(*args, **strip(kwargs))

        add = add_argument

    class ArgumentParser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            for key in ("config_file_parser_class", "default_config_files", "ignore_unknown_config_file_keys"):
                kwargs.pop(key, None)
            super().__init__(*args, **kwargs)

        def add_argument(self, *args, **kwargs):
            return super().add_argument(*args, **strip(kwargs))

        add = add_argument

        def add_argument_group(self, *args, **kwargs):
            group = Group(self, *args, **kwargs)
            self._action_groups.append(group)
            return group

    module.ArgumentParser = ArgumentParser
    module.Action = argparse.Action
    module.ArgumentTypeError = argparse.ArgumentTypeError
    module.Namespace = argparse.Namespace
    module.YAMLConfigFileParser = object
    module.ArgumentDefaultsHelpFormatter = argparse.ArgumentDefaultsHelpFormatter
    module.RawTextHelpFormatter = argparse.RawTextHelpFormatter
    module.RawDescriptionHelpFormatter = argparse.RawDescriptionHelpFormatter
    return module


def _safetensors_stub():
    """safetensors.torch.save_file: the layout of https://github.com/huggingface/safetensors."""
    package = types.ModuleType("safetensors")
    package.__path__ = []
    module = types.ModuleType("safetensors.torch")
    names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64"}

    def save_file(tensors, path, metadata=None):
        header, chunks, offset = {}, [], 0
        for name in sorted(tensors):
            t = tensors[name].detach().contiguous().cpu()
            data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.view(torch.int16).numpy().tobytes()
            header[name] = {"dtype": names[t.dtype], "shape": list(t.shape),
                            "data_offsets": [offset, offset + len(data)]}
            chunks.append(data)
            offset += len(data)
        if metadata:
            header["__metadata__"] = metadata
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * (-len(text) % 8)
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))

    module.save_file = save_file
    package.torch = module
    return package, module


def install_stubs():
    sys.meta_path.insert(0, _StubFinder([
        "matplotlib", "plotly", "sacrebleu", "subword_nmt", "sentencepiece", "tqdm",
        "importlib_metadata", "tensorboard", "torch.utils.tensorboard", "sacremoses", "torchtext",
        "ctranslate2", "waitress", "flask", "spacy", "pyhanlp", "snownlp", "rapidfuzz",
        "ahocorasick", "fasttext", "bitsandbytes", "awq", "apex", "packaging", "regex"]))
    sys.modules["pyonmttok"] = _pyonmttok_stub()
    sys.modules["configargparse"] = _configargparse_stub()
    package, module = _safetensors_stub()
    sys.modules["safetensors"] = package
    sys.modules["safetensors.torch"] = module
    # OpenNMT-py 3.5 imports this PyTorch 2 function for its transformers only.
    if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        def scaled_dot_product_attention(*args, **kwargs):
            raise NotImplementedError("PyTorch 2 only; RNN models never call it")
        torch.nn.functional.scaled_dot_product_attention = scaled_dot_product_attention


def rows(tensor):
    return [[float(x) for x in row] for row in tensor.tolist()]


def write_golden(directory, golden):
    with open(directory / "golden.json", "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")


# --- Joey NMT ---------------------------------------------------------------------------------

# name -> model section of config.yaml (the rest is shared). Each varies what the family maps.
JOEY_CASES = {
    # the defaults of Joey's RNN configs: bidirectional GRU, Bahdanau, bridge, input feeding
    "gru-bahdanau-bridge": dict(enc=dict(rnn_type="gru"), dec=dict(rnn_type="gru", attention="bahdanau",
                                                                  init_hidden="bridge", input_feeding=True)),
    # 2-layer LSTMs, Luong, the decoder starts from the encoder's last state, scaled embeddings
    "lstm-luong-last-2layers": dict(enc=dict(rnn_type="lstm", num_layers=2, scale=True),
                                    dec=dict(rnn_type="lstm", num_layers=2, attention="luong",
                                             init_hidden="last", input_feeding=True, scale=True)),
    # zero initial state, no input feeding, a decoder of 3 layers over a 1-layer encoder
    "gru-luong-zero-nofeed": dict(enc=dict(rnn_type="gru"),
                                  dec=dict(rnn_type="gru", num_layers=3, attention="luong",
                                           init_hidden="zero", input_feeding=False)),
    # one vocabulary, tied embeddings and tied softmax (decoder embedding size = hidden size)
    "lstm-bahdanau-tied": dict(enc=dict(rnn_type="lstm"),
                               dec=dict(rnn_type="lstm", attention="bahdanau", init_hidden="bridge",
                                        input_feeding=True), tied=True),
    # LSTM encoder of 2 layers under a GRU-free LSTM decoder without input feeding; own special
    # tokens and lowercased input
    "lstm-bahdanau-last-nofeed-specials": dict(enc=dict(rnn_type="lstm", num_layers=2),
                                               dec=dict(rnn_type="lstm", attention="bahdanau",
                                                        init_hidden="last", input_feeding=False),
                                               specials=True, lowercase=True),
}


def joey_config(name, case, model_dir):
    hidden = 8
    tied = case.get("tied", False)
    emb = 16 if tied else 6  # tied softmax needs the decoder's embedding size = its hidden size
    dec_hidden = 16 if tied else hidden
    enc = {"type": "recurrent", "rnn_type": "gru", "hidden_size": hidden, "bidirectional": True,
           "num_layers": 1, "dropout": 0.0, "embeddings": {"embedding_dim": emb, "scale": False}}
    dec = {"type": "recurrent", "rnn_type": "gru", "hidden_size": dec_hidden, "num_layers": 1,
           "dropout": 0.0, "hidden_dropout": 0.0, "embeddings": {"embedding_dim": emb, "scale": False}}
    for target, source in ((enc, case["enc"]), (dec, case["dec"])):
        for key, value in source.items():
            if key == "scale":
                target["embeddings"]["scale"] = value
            else:
                target[key] = value
    data = {"src": {"lang": "de", "level": "word", "lowercase": case.get("lowercase", False)},
            "trg": {"lang": "en", "level": "word", "lowercase": case.get("lowercase", False)},
            "dataset_type": "plain"}
    if case.get("specials"):
        data["special_symbols"] = {"unk_token": "<UNK>", "pad_token": "<PAD>", "bos_token": "<BOS>",
                                   "eos_token": "<EOS>", "unk_id": 0, "pad_id": 1, "bos_id": 2, "eos_id": 3}
    return {
        "name": name,
        "joeynmt_version": "2.3.0",
        "model_dir": str(model_dir),
        "use_cuda": False,
        "data": data,
        "testing": {"beam_size": 1, "batch_size": 1, "batch_type": "sentence"},
        "training": {"optimizer": "adam", "learning_rate": 0.001, "scheduling": "plateau",
                     "batch_size": 2, "batch_type": "sentence", "epochs": 1, "keep_best_ckpts": 2,
                     "model_dir": str(model_dir)},
        "model": {"initializer": "xavier_uniform", "bias_initializer": "normal", "bias_init_weight": 0.5,
                  "embed_initializer": "normal", "embed_init_weight": 0.5,
                  "tied_embeddings": tied, "tied_softmax": tied, "encoder": enc, "decoder": dec},
    }


def save_joey_model(model, cfg, model_dir, index):
    """TrainManager._save_checkpoint on the parts of a trainer it reads, and config.yaml."""
    from joeynmt.builders import build_optimizer, build_scheduler
    from joeynmt.training import TrainManager
    import yaml

    optimizer = build_optimizer(cfg["training"], model.parameters())
    scheduler, _ = build_scheduler(cfg["training"], optimizer, "min", hidden_size=8)
    stats = TrainManager.TrainStatistics(minimize_metric=True)
    stats.steps = stats.best_ckpt_iter = 100 * (index + 1)
    trainer = types.SimpleNamespace(
        rank=0, model_dir=model_dir, model=model, optimizer=optimizer, scaler=None,
        scheduler=scheduler, stats=stats, ckpt_queue=[],
        train_iter=types.SimpleNamespace(batch_sampler=types.SimpleNamespace(get_state=lambda: {})),
        args=types.SimpleNamespace(keep_best_ckpts=2, minimize_metric=True))
    TrainManager._save_checkpoint(trainer, new_best=True, score=1.0)
    config_for_file = dict(cfg)
    config_for_file["model_dir"] = "."  # the directory moves into the repository
    config_for_file["training"] = dict(cfg["training"], model_dir=".")
    with open(model_dir / "config.yaml", "w", encoding="utf-8") as f:
        yaml.safe_dump(config_for_file, f, sort_keys=False, allow_unicode=True)


def decode_joey(model, src_vocab, trg_vocab, src_tokens, trg_tokens):
    """Joey's forced decoding (Model.forward) and greedy search of one sentence: the source's
    vocabulary tokens, the forced and greedy records of golden.json, and the output ids."""
    from joeynmt.batch import Batch
    from joeynmt.search import search

    src, src_length, _ = src_vocab.sentences_to_ids([src_tokens], bos=False, eos=True)
    trg, _, _ = trg_vocab.sentences_to_ids([trg_tokens], bos=True, eos=True)
    batch = Batch(torch.tensor(src), torch.tensor(src_length), None, torch.tensor(trg), None,
                  torch.tensor([0]), torch.device("cpu"), src_vocab.pad_index, src_vocab.eos_index,
                  is_train=False)
    with torch.no_grad():
        encoder_output, encoder_hidden, _, _ = model(return_type="encode", **vars(batch))
        outputs, _, att_probs, _ = model(
            return_type="decode", trg_input=batch.trg_input, encoder_output=encoder_output,
            encoder_hidden=encoder_hidden, src_mask=batch.src_mask,
            unroll_steps=batch.trg_input.size(1))
        log_probs = torch.log_softmax(outputs, dim=-1)[0]
    gold = batch.trg[0]
    forced = {"tokens": [trg_vocab._itos[i] for i in gold.tolist()],
              "log_probs": [float(log_probs[t, i]) for t, i in enumerate(gold.tolist())],
              "attention": rows(att_probs[0])}
    output, scores, attention = search(model, batch, max_output_length=-1, beam_size=1, beam_alpha=-1,
                                       return_prob="hyp", min_output_length=1)
    greedy = {"tokens": [trg_vocab._itos[i] for i in output[0].tolist()],
              "log_probs": [float(x) for x in scores[0].tolist()],
              "attention": rows(torch.tensor(attention[0]))}
    return [src_vocab._itos[i] for i in src[0]], forced, greedy, output


def make_joey(joey_root, out_root):
    sys.path.insert(0, str(joey_root))
    from joeynmt.config import _check_special_symbols
    from joeynmt.model import build_model
    from joeynmt.tokenizers import BasicTokenizer
    from joeynmt.vocabulary import Vocabulary

    for index, (name, case) in enumerate(JOEY_CASES.items()):
        torch.manual_seed(1000 + index)
        model_dir = out_root / "joey" / name
        shutil.rmtree(model_dir, ignore_errors=True)
        model_dir.mkdir(parents=True)
        cfg = joey_config(name, case, model_dir)
        specials = types.SimpleNamespace(**_check_special_symbols(dict(cfg["data"].get("special_symbols", {}))))
        src_words = SRC_WORDS + (TRG_WORDS if case.get("tied") else [])
        trg_words = src_words if case.get("tied") else TRG_WORDS
        # A training vocabulary file lists words once each; Joey puts its specials first.
        src_vocab, trg_vocab = Vocabulary(src_words, specials), Vocabulary(trg_words, specials)
        src_vocab.to_file(model_dir / "src_vocab.txt")
        trg_vocab.to_file(model_dir / "trg_vocab.txt")

        model = build_model(cfg["model"], src_vocab=src_vocab, trg_vocab=trg_vocab)
        model.eval()

        save_joey_model(model, cfg, model_dir, index)

        tokenizer = BasicTokenizer(level="word", lowercase=cfg["data"]["src"]["lowercase"])
        sentences = []
        for source, target in SENTENCES:
            if case.get("specials"):
                source, target = source.capitalize(), target.capitalize()  # lowercased by Joey
            src_tokens = tokenizer(tokenizer.pre_process(source))
            trg_tokens = tokenizer(tokenizer.pre_process(target))
            source_tokens, forced, greedy, _ = decode_joey(model, src_vocab, trg_vocab, src_tokens, trg_tokens)
            sentences.append({"source": source, "target": target, "source_tokens": source_tokens,
                              "forced": forced, "greedy": greedy})
        write_golden(model_dir, {"toolkit": "joeynmt", "version": "2.3.0", "commit": JOEY_COMMIT,
                                 "case": name, "sentences": sentences})
        print("joey", name, [s["greedy"]["tokens"] for s in sentences])
    sys.path.remove(str(joey_root))


# --- OpenNMT-py -------------------------------------------------------------------------------

# name -> command-line options of onmt_train (on top of the shared ones)
ONMT_CASES = {
    # the defaults of onmt_train's RNN: LSTM, general attention, input feeding, no bridge
    "lstm-general-feed": ["-encoder_type", "rnn", "-rnn_type", "LSTM", "-global_attention", "general"],
    # bidirectional GRU, dot attention, 2 layers, a bridge
    "brnn-gru-dot-bridge": ["-encoder_type", "brnn", "-rnn_type", "GRU", "-layers", "2",
                            "-global_attention", "dot", "-bridge"],
    # mlp (Bahdanau) attention without input feeding: the cuDNN decoder (nn.LSTM)
    "brnn-lstm-mlp-nofeed": ["-encoder_type", "brnn", "-rnn_type", "LSTM", "-global_attention", "mlp",
                             "-input_feed", "0"],
    # LSTM bridge over 2 layers, general attention, saved as .pt + .safetensors
    "lstm-general-bridge-safetensors": ["-encoder_type", "rnn", "-rnn_type", "LSTM", "-layers", "2",
                                        "-global_attention", "general", "-bridge",
                                        "-save_format", "safetensors"],
    # GRU without input feeding, mlp attention, 3 layers, shared embeddings
    "gru-mlp-nofeed-3layers": ["-encoder_type", "rnn", "-rnn_type", "GRU", "-layers", "3",
                               "-global_attention", "mlp", "-input_feed", "0"],
    # bidirectional LSTM with the bridge: OpenNMT's per-half bridge
    "brnn-lstm-general-bridge": ["-encoder_type", "brnn", "-rnn_type", "LSTM", "-enc_layers", "2",
                                 "-dec_layers", "2", "-global_attention", "general", "-bridge"],
}


def make_onmt(onmt_root, out_root):
    sys.path.insert(0, str(onmt_root))
    import onmt.opts as opts
    from onmt.decoders.decoder import InputFeedRNNDecoder
    from onmt.inputters.inputter import build_vocab
    from onmt.model_builder import build_model
    from onmt.models.model_saver import build_model_saver
    from onmt.translate import GNMTGlobalScorer, Translator
    from onmt.utils.optimizers import Optimizer
    from onmt.utils.parse import ArgumentParser

    for index, (name, extra) in enumerate(ONMT_CASES.items()):
        torch.manual_seed(2000 + index)
        case_dir = out_root / "onmt" / name
        shutil.rmtree(case_dir, ignore_errors=True)
        case_dir.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            (scratch / "src.vocab").write_text("".join(f"{w} 1\n" for w in SRC_WORDS), encoding="utf-8")
            (scratch / "tgt.vocab").write_text("".join(f"{w} 1\n" for w in TRG_WORDS), encoding="utf-8")
            (scratch / "train.src").write_text(" ".join(SRC_WORDS) + "\n", encoding="utf-8")
            (scratch / "train.tgt").write_text(" ".join(TRG_WORDS) + "\n", encoding="utf-8")
            data = json.dumps({"corpus_1": {"path_src": str(scratch / "train.src"),
                                            "path_tgt": str(scratch / "train.tgt")}})
            parser = ArgumentParser(description="train")
            opts.train_opts(parser)
            args = ["-data", data, "-save_model", str(case_dir / "model"),
                    "-src_vocab", str(scratch / "src.vocab"), "-tgt_vocab", str(scratch / "tgt.vocab"),
                    "-word_vec_size", "6", "-hidden_size", "8", "-param_init", "0.5",
                    "-dropout", "0.0", "-attention_dropout", "0.0", "-gpu_ranks"] + extra
            opt = parser.parse_args(args)
            ArgumentParser.validate_prepare_opts(opt)
            ArgumentParser.validate_train_opts(opt)
            ArgumentParser.update_model_opts(opt)
            ArgumentParser.validate_model_opts(opt)
            vocabs = build_vocab(opt, {"src": [], "tgt": []})
            model = build_model(opt, opt, vocabs, None, 0)
            # the generator is made with skip_init (uninitialized memory): give it weights
            with torch.no_grad():
                torch.nn.init.uniform_(model.generator.weight, -0.5, 0.5)
                torch.nn.init.uniform_(model.generator.bias, -0.5, 0.5)
            model.eval()
            # the input-feeding decoder stacks its attention [steps, batch, source], the other
            # one returns it [batch, steps, source]
            input_feeding = isinstance(model.decoder, InputFeedRNNDecoder)
            optim = Optimizer.from_opt(model, opt, checkpoint=None)
            saver = build_model_saver(opt, opt, model, vocabs, optim, 0)
            saver.save(100 * (index + 1))

            tparser = ArgumentParser(description="translate")
            opts.translate_opts(tparser)
            topt = tparser.parse_args(["-model", "x.pt", "-src", "x", "-random_sampling_topk", "1",
                                       "-beam_size", "1"])
            translator = Translator.from_opt(model, vocabs, topt, opt,
                                             global_scorer=GNMTGlobalScorer.from_opt(topt),
                                             out_file=open(os.devnull, "w"), report_score=False)
            src_v, tgt_v = vocabs["src"], vocabs["tgt"]
            sentences = []
            for source, target in SENTENCES:
                src_ids = src_v(source.split(" "))
                tgt_ids = tgt_v([vocabs["decoder_start_token"]] + target.split(" ") + ["</s>"])
                batch = {"src": torch.tensor([src_ids]).unsqueeze(-1), "srclen": torch.tensor([len(src_ids)]),
                         "tgt": torch.tensor([tgt_ids]).unsqueeze(-1), "indices": torch.tensor([0])}
                with torch.no_grad():
                    src, enc_final_hs, enc_out, src_len = translator._run_encoder(batch)
                    model.decoder.init_state(src, enc_out, enc_final_hs)
                    log_probs, attn = translator._decode_and_generate(batch["tgt"][:, :-1, :], enc_out, batch,
                                                                      src_len=src_len)
                gold = tgt_ids[1:]
                forced = {"tokens": [tgt_v.lookup_index(i) for i in gold],
                          "log_probs": [float(log_probs[0, t, i]) for t, i in enumerate(gold)],
                          "attention": rows(attn[:, 0] if input_feeding else attn[0])}
                greedy_batch = {k: v for k, v in batch.items() if k != "tgt"}
                result = translator.translate_batch(greedy_batch, attn_debug=True)
                prediction = result["predictions"][0][0].tolist()
                greedy = {"tokens": [tgt_v.lookup_index(i) for i in prediction],
                          "attention": rows(result["attention"][0][0])}
                sentences.append({"source": source, "target": target,
                                  "source_tokens": [src_v.lookup_index(i) for i in src_ids],
                                  "forced": forced, "greedy": greedy})
            write_golden(case_dir, {"toolkit": "opennmt-py", "version": "3.5.1", "commit": ONMT_COMMIT,
                                    "case": name, "options": extra, "sentences": sentences})
            print("onmt", name, [s["greedy"]["tokens"] for s in sentences])
    sys.path.remove(str(onmt_root))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("joey", type=Path, help="a checkout of joeynmt (v2.3)")
    parser.add_argument("onmt", type=Path, help="a checkout of OpenNMT-py (v3.5.1)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "data")
    parser.add_argument("--only", choices=["joey", "onmt"])
    args = parser.parse_args()
    install_stubs()
    torch.set_num_threads(1)
    if args.only != "onmt":
        make_joey(args.joey.resolve(), args.out)
    if args.only != "joey":
        make_onmt(args.onmt.resolve(), args.out)


if __name__ == "__main__":
    main()
