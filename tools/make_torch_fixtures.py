#!/usr/bin/python3
"""Write tests/data/torch/: real torch.save checkpoints of the PyTorch tutorial's models, and
hand-made malicious ones, for the C++ importer's tests (engine/src/torch_import.cpp).

    /usr/bin/python3 tools/make_torch_fixtures.py

For each tutorial version (the current one with BahdanauAttention, the original one with
attn/attn_combine and ReLU, and a Luong "general" decoder) it saves, exactly as the tutorial
tells its readers to,

    torch.save(encoder.state_dict(), "encoder.pt")
    torch.save(decoder.state_dict(), "decoder.pt")

plus the weights as JSON (to compare the imported tensors with) and PyTorch's greedy and forced
outputs on a few sentences (tools/reference.py). The vocabularies are the tutorial's Lang rules
applied to pairs.txt with reverse and filter (as prepareData('eng', 'fra', True)); they are also
written as JSON lists and as text files. combined.pt holds a Luong "dot" model's encoder and
decoder under encoder./decoder. prefixes; encoder-half.pt is the Bahdanau encoder in float16.
Everything is a few KB; the C++ tests need no PyTorch because the files are committed.
"""

import io
import json
import os
import struct
import sys
import zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attnviz_torch as at  # noqa: E402
import reference as ref  # noqa: E402
from export_tutorial import tutorial_vocabs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "torch")

# eng<TAB>fra, as the tutorial's data/eng-fra.txt. With --filter, the 4th line fails the English
# prefixes, the 6th is 10 words long and the 7th has no tab.
PAIRS = """I am cold.\tJ'ai froid.
You are very tired!\tTu es très fatigué !
He is here.\tIl est là.
This line is dropped by the filter.\tCette ligne est filtrée.
We're happy.\tNous sommes heureux.
She is a very very very very very long writer.\tElle écrit beaucoup.
no tab on this line
I am happy.\tJe suis heureux.
"""

MODELS = {
    # the current tutorial: EncoderRNN + AttnDecoderRNN(BahdanauAttention)
    "bahdanau": {"architecture": "bahdanau"},
    # the original tutorial: AttnDecoderRNN with attn / attn_combine over MAX_LENGTH = 10 slots
    "legacy": {"architecture": "tutorial_legacy", "max_length": 10, "combine_activation": "relu"},
    "luong": {"architecture": "luong", "luong_score": "general"},
}

CASES = [
    {"sentence": "J'ai froid.", "target": "I am cold ."},
    {"sentence": "Tu es très fatigué !", "target": "you are very tired !"},
    {"sentence": "Nous sommes là.", "target": "we re here ."},
]


def make_model(overrides, seed, sv, tv):
    torch.manual_seed(seed)
    config = {"hidden_size": 4, "sos_token": "SOS", "eos_token": "EOS", "normalization": "tutorial"}
    config.update(overrides)
    model = at.Seq2Seq(config, len(sv), len(tv))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)  # sharper distributions make the comparison more telling
    model.eval()
    return model


def tensors_json(model):
    return {name: {"shape": list(t.shape), "data": [float(x) for x in t.flatten()]}
            for name, t in model.state_dict().items()}


def references(model, sv, tv):
    cases = []
    for case in CASES:
        cases.append({"sentence": case["sentence"],
                      "greedy": ref.greedy(model, sv, tv, case["sentence"]),
                      "forced": dict(ref.forced(model, sv, tv, case["sentence"], case["target"]),
                                     target=case["target"])})
    return cases


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, ensure_ascii=False)
        f.write("\n")


def write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------- malicious files

def op_unicode(s):
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def op_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


PROTO = b"\x80\x02"


def zip_bytes(entries, prefix="archive"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, data in entries.items():  # a fixed date keeps the files byte-identical across runs
            z.writestr(zipfile.ZipInfo(prefix + "/" + name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def one_tensor_pickle(numel, size, stride, offset=0, storage="FloatStorage"):
    """{'w': _rebuild_tensor_v2(storage '0', offset, size, stride, False, OrderedDict())}"""
    def ints(values):
        return b"(" + b"".join(b"J" + struct.pack("<i", v) if abs(v) < 2**31 else
                               b"\x8a\x08" + struct.pack("<q", v) for v in values) + b"t"
    return (PROTO + op_global("collections", "OrderedDict") + b")R(" + op_unicode("w")
            + op_global("torch._utils", "_rebuild_tensor_v2")
            + b"((" + op_unicode("storage") + op_global("torch", storage) + op_unicode("0")
            + op_unicode("cpu") + b"J" + struct.pack("<i", numel) + b"tQ"
            + b"J" + struct.pack("<i", offset) + ints(size) + ints(stride)
            + b"\x89" + op_global("collections", "OrderedDict") + b")Rt" + b"Ru.")


def malicious(good_archive):
    version = b"3\n"
    files = {
        # the classic: os.system("...") on load
        "os-system.pt": zip_bytes({"data.pkl": PROTO + op_global("os", "system")
                                   + op_unicode("echo pwned") + b"\x85R.", "version": version}),
        "builtins-eval.pt": zip_bytes({"data.pkl": PROTO + op_global("builtins", "eval")
                                       + op_unicode("print(1)") + b"\x85R.", "version": version}),
        # 1000 nested MARKs, then as many TUPLEs
        "deep-marks.pt": zip_bytes({"data.pkl": PROTO + b"(" * 1000 + b"t" * 1000 + b".", "version": version}),
        # 1000 nested one-element tuples, without any MARK
        "deep-tuples.pt": zip_bytes({"data.pkl": PROTO + b")" + b"\x85" * 1000 + b".", "version": version}),
        # INST (protocol 0) is not one of the opcodes a state dict needs
        "unknown-opcode.pt": zip_bytes({"data.pkl": PROTO + b"ios\nsystem\n.", "version": version}),
        # storage '0' claims 1000 floats, the entry holds 4
        "storage-too-large.pt": zip_bytes({"data.pkl": one_tensor_pickle(1000, [1000], [1]),
                                           "data/0": b"\0" * 16, "version": version}),
        # a [5, 2] tensor over a storage of 4 floats
        "tensor-outside-storage.pt": zip_bytes({"data.pkl": one_tensor_pickle(4, [5, 2], [2, 1]),
                                                "data/0": b"\0" * 16, "version": version}),
        # a transposed view
        "non-contiguous.pt": zip_bytes({"data.pkl": one_tensor_pickle(4, [2, 2], [1, 2]),
                                        "data/0": b"\0" * 16, "version": version}),
        # 2^40 x 2^40 elements
        "element-count-overflow.pt": zip_bytes({"data.pkl": one_tensor_pickle(4, [2**40, 2**40], [2**40, 1]),
                                                "data/0": b"\0" * 16, "version": version}),
        # the persistent id names an entry that is not there
        "missing-storage.pt": zip_bytes({"data.pkl": one_tensor_pickle(4, [4], [1]), "version": version}),
        # a LongStorage (e.g. BatchNorm's num_batches_tracked) is not a float tensor
        "long-storage.pt": zip_bytes({"data.pkl": one_tensor_pickle(1, [1], [1], storage="LongStorage"),
                                      "data/0": b"\0" * 8, "version": version}),
        "no-data-pkl.pt": zip_bytes({"version": version}),
        "truncated.pt": good_archive[:len(good_archive) // 2],
        # {'a': <itself>}: a cycle through the memo
        "cyclic-dict.pt": zip_bytes({"data.pkl": PROTO + b"}q\x00" + op_unicode("a") + b"h\x00s.",
                                     "version": version}),
        # not a state dict: a list
        "not-a-dict.pt": zip_bytes({"data.pkl": PROTO + b"]." , "version": version}),
        # the pre-1.6 format (_use_new_zipfile_serialization=False): a bare pickle stream
        "legacy-format.pt": PROTO + b"\x8a\x0a" + b"\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19" + b".",
    }
    os.makedirs(os.path.join(OUT, "malicious"), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(OUT, "malicious", name), "wb") as f:
            f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    pairs_path = os.path.join(OUT, "pairs.txt")
    write_text(pairs_path, PAIRS)
    sv, tv = tutorial_vocabs(pairs_path, reverse=True, filter_pairs=True)
    plain_sv, plain_tv = tutorial_vocabs(pairs_path, reverse=False, filter_pairs=False)
    write_json(os.path.join(OUT, "pairs-vocabs.json"), {
        "reverse_filter": {"source": sv, "target": tv},
        "plain": {"source": plain_sv, "target": plain_tv}})
    write_json(os.path.join(OUT, "source_vocab.json"), sv)
    write_json(os.path.join(OUT, "target_vocab.json"), tv)
    write_text(os.path.join(OUT, "source_vocab.txt"), "".join(w + "\n" for w in sv))
    write_text(os.path.join(OUT, "target_vocab.txt"), "".join(w + "\n" for w in tv))
    svocab, tvocab = at.Vocab(sv), at.Vocab(tv)

    for seed, (name, overrides) in enumerate(MODELS.items(), start=1):
        model = make_model(overrides, seed, sv, tv)
        directory = os.path.join(OUT, name)
        os.makedirs(directory, exist_ok=True)
        torch.save(model.encoder.state_dict(), os.path.join(directory, "encoder.pt"))
        torch.save(model.decoder.state_dict(), os.path.join(directory, "decoder.pt"))
        write_json(os.path.join(directory, "reference.json"), {
            "generator": "tools/make_torch_fixtures.py (PyTorch %s)" % torch.__version__,
            "config": model.config,
            "tensors": tensors_json(model),
            "cases": references(model, svocab, tvocab)})
        if name == "bahdanau":
            torch.save({k: v.half() for k, v in model.encoder.state_dict().items()},
                       os.path.join(directory, "encoder-half.pt"))

    model = make_model({"architecture": "luong", "luong_score": "dot"}, 7, sv, tv)
    torch.save(model.state_dict(), os.path.join(OUT, "combined.pt"))

    with open(os.path.join(OUT, "bahdanau", "encoder.pt"), "rb") as f:
        malicious(f.read())
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
