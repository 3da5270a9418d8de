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


MARKER = "attnviz-pwned"


class Evil:
    """The __reduce__ trick: unpickling calls os.system."""
    def __reduce__(self):
        return (os.system, ("touch " + MARKER,))


def hostile():
    """Pickles that run code when Python unpickles them; each is checked to do so."""
    import copyreg
    import pickle
    import subprocess
    import tempfile
    inst = PROTO + b"(" + op_unicode("touch " + MARKER) + b"ios\nsystem\n."
    obj = PROTO + b"(" + op_global("os", "system") + op_unicode("touch " + MARKER) + b"o."
    popen = PROTO + op_global("subprocess", "Popen") + b"(" + op_unicode("touch") + op_unicode(MARKER) + b"l\x85R."
    # BUILD on the state of a record, twice, then on a record inside: only described
    nested_build = (PROTO + op_global("__main__", "Thing") + b")\x81" + b"}" + op_unicode("a") + b"K\x01sb"
                    + b"}" + op_unicode("b") + op_global("os", "system") + op_unicode("touch " + MARKER)
                    + b"\x85Rsb.")
    # BUILD on a class: would set os.system's attributes (setattr on a module-level name)
    build_on_class = PROTO + op_global("os", "system") + b"}" + op_unicode("x") + b"K\x01sb."
    # NEWOBJ_EX with keyword arguments
    newobj_ex = (b"\x80\x04" + op_global("subprocess", "Popen") + b"(" + op_unicode("touch") + op_unicode(MARKER)
                 + b"l\x85}" + b"\x92.")
    # copyreg's _reconstructor, as protocols 0 and 1 write objects, with os.system's name inside
    reconstructor = (PROTO + op_global("copyreg", "_reconstructor") + b"(" + op_global("__main__", "Thing")
                     + op_global("builtins", "object") + b"N" + b"tR" + b"}" + op_unicode("cmd")
                     + op_global("os", "system") + op_unicode("touch " + MARKER) + b"\x85Rsb.")
    reduce_trick = pickle.dumps({"x": Evil()}, protocol=2)
    module = os.system.__module__  # "posix"
    copyreg.add_extension(module, "system", 0xf1)
    try:
        extension = pickle.dumps(Evil(), protocol=2)  # os.system as EXT1 0xf1
    finally:
        copyreg.remove_extension(module, "system", 0xf1)
    assert b"\x82\xf1" in extension
    files = {"inst-os-system.pt": inst, "obj-os-system.pt": obj, "subprocess-popen.pt": popen,
             "nested-build.pt": nested_build, "build-on-class.pt": build_on_class, "newobj-ex.pt": newobj_ex,
             "copyreg-reconstructor.pt": reconstructor, "reduce-trick.pt": reduce_trick,
             "copyreg-extension.pt": extension}
    runs = ["inst-os-system.pt", "obj-os-system.pt", "subprocess-popen.pt", "reduce-trick.pt"]
    for name in runs:  # these are real attacks: Python's pickle runs them
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                pickle.loads(files[name])
                subprocess.run(["sleep", "0.2"])  # Popen returns before touch ends
                assert os.path.exists(MARKER), name
            finally:
                os.chdir(cwd)
    return files


def malicious(good_archive):
    version = b"3\n"
    files = {
        # the classics: each would create the file attnviz-pwned in the current directory if run
        # (hostile() below proves it with Python's own pickle); attnviz must only describe them
        "os-system.pt": zip_bytes({"data.pkl": PROTO + op_global("os", "system")
                                   + op_unicode("touch " + MARKER) + b"\x85R.", "version": version}),
        "builtins-eval.pt": zip_bytes({"data.pkl": PROTO + op_global("builtins", "eval")
                                       + op_unicode("open(%r, 'w')" % MARKER) + b"\x85R.", "version": version}),
        **{name: zip_bytes({"data.pkl": data, "version": version}) for name, data in hostile().items()},
        # 1000 nested MARKs, then as many TUPLEs
        "deep-marks.pt": zip_bytes({"data.pkl": PROTO + b"(" * 1000 + b"t" * 1000 + b".", "version": version}),
        # 1000 nested one-element tuples, without any MARK
        "deep-tuples.pt": zip_bytes({"data.pkl": PROTO + b")" + b"\x85" * 1000 + b".", "version": version}),
        # 0xff is no pickle opcode
        "unknown-opcode.pt": zip_bytes({"data.pkl": PROTO + b"\xff.", "version": version}),
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
        # a LongStorage (e.g. BatchNorm's num_batches_tracked): read, widened to float
        "long-storage.pt": zip_bytes({"data.pkl": one_tensor_pickle(1, [1], [1], storage="LongStorage"),
                                      "data/0": struct.pack("<q", -3), "version": version}),
        # complex numbers are not read
        "complex-storage.pt": zip_bytes({"data.pkl": one_tensor_pickle(1, [1], [1], storage="ComplexFloatStorage"),
                                         "data/0": b"\0" * 8, "version": version}),
        "no-data-pkl.pt": zip_bytes({"version": version}),
        "truncated.pt": good_archive[:len(good_archive) // 2],
        # {'a': <itself>}: a cycle through the memo
        "cyclic-dict.pt": zip_bytes({"data.pkl": PROTO + b"}q\x00" + op_unicode("a") + b"h\x00s.",
                                     "version": version}),
        # not a state dict: a list
        "not-a-dict.pt": zip_bytes({"data.pkl": PROTO + b"]." , "version": version}),
        # the pre-1.6 format (_use_new_zipfile_serialization=False), cut after its magic number
        "legacy-truncated.pt": PROTO + b"\x8a\x0a" + b"\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19" + b".",
    }
    os.makedirs(os.path.join(OUT, "malicious"), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(OUT, "malicious", name), "wb") as f:
            f.write(data)


# ---------------------------------------------------------------- the ways users save

class Lang:
    """The tutorial's Lang, as users pickle it beside (or inside) their checkpoints."""
    def __init__(self, name):
        self.name = name
        self.word2index = {}
        self.word2count = {}
        self.index2word = {0: "SOS", 1: "EOS"}
        self.n_words = 2

    def addWord(self, word):
        if word not in self.word2index:
            self.word2index[word] = self.n_words
            self.word2count[word] = 1
            self.index2word[self.n_words] = word
            self.n_words += 1
        else:
            self.word2count[word] += 1


def make_lang(name, words):
    lang = Lang(name)
    for w in words[2:]:  # SOS and EOS are there from the start
        lang.addWord(w)
    return lang


class EncoderRNN(torch.nn.Module):  # the tutorial's classes, in __main__ as in the tutorial
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = torch.nn.Embedding(input_size, hidden_size)
        self.gru = torch.nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = torch.nn.Dropout(dropout_p)


class BahdanauAttention(torch.nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = torch.nn.Linear(hidden_size, hidden_size)
        self.Ua = torch.nn.Linear(hidden_size, hidden_size)
        self.Va = torch.nn.Linear(hidden_size, 1)


class AttnDecoderRNN(torch.nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = torch.nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = torch.nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = torch.nn.Linear(hidden_size, output_size)
        self.dropout = torch.nn.Dropout(dropout_p)


def save_legacy(obj, path):
    torch.save(obj, path, _use_new_zipfile_serialization=False)


def saved_variants(model, sv, tv):
    """The Bahdanau model of bahdanau/ saved each way users save it (its reference.json applies)."""
    import pickle
    directory = os.path.join(OUT, "saved")
    os.makedirs(directory, exist_ok=True)
    encoder = EncoderRNN(len(sv), 4)
    decoder = AttnDecoderRNN(4, len(tv))
    encoder.load_state_dict(model.encoder.state_dict())
    decoder.load_state_dict(model.decoder.state_dict())
    input_lang, output_lang = make_lang("fra", sv), make_lang("eng", tv)
    optimizer = torch.optim.SGD(list(encoder.parameters()) + list(decoder.parameters()), lr=0.1, momentum=0.9)
    loss = (encoder.embedding.weight.sum() + decoder.out.weight.sum()) ** 2
    loss.backward()
    optimizer.step()  # momentum buffers: tensors in the optimizer's state
    optimizer.zero_grad()
    encoder.load_state_dict(model.encoder.state_dict())
    decoder.load_state_dict(model.decoder.state_dict())
    path = lambda name: os.path.join(directory, name)  # noqa: E731
    # PyTorch's "saving a general checkpoint" recipe
    general = {"epoch": 12, "encoder_state_dict": encoder.state_dict(), "decoder_state_dict": decoder.state_dict(),
               "optimizer_state_dict": optimizer.state_dict(), "loss": 0.75}
    torch.save(general, path("general-checkpoint.tar"))
    save_legacy(general, path("legacy-checkpoint.pt"))
    # whole modules, one per file, with the Langs pickled beside them
    torch.save(encoder, path("encoder-module.pt"))
    torch.save(decoder, path("decoder-module.pt"))
    save_legacy(encoder, path("legacy-encoder-module.pt"))
    save_legacy(decoder, path("legacy-decoder-module.pt"))
    with open(path("langs.pkl"), "wb") as f:
        pickle.dump((input_lang, output_lang), f)
    # everything in one file: modules and Langs
    torch.save({"encoder": encoder, "decoder": decoder, "input_lang": input_lang, "output_lang": output_lang,
                "epoch": 3}, path("modules-and-langs.pt"))
    # one state dict with encoder./decoder. prefixes under "model_state_dict"
    torch.save({"model_state_dict": {**{"encoder." + k: v for k, v in encoder.state_dict().items()},
                                     **{"decoder." + k: v for k, v in decoder.state_dict().items()}},
                "scheduler": {"last_epoch": 3}}, path("model-state-dict.pt"))
    # saved on a GPU: torch.save writes the storage's location; on this CPU-only machine the
    # location function is replaced, which is all a GPU changes in the file
    location_tag = torch.serialization.location_tag
    try:
        torch.serialization.location_tag = lambda storage: "cuda:0"
        torch.save(general, path("cuda-checkpoint.tar"))
        torch.serialization.location_tag = lambda storage: "mps"
        save_legacy(general, path("mps-legacy-checkpoint.pt"))
    finally:
        torch.serialization.location_tag = location_tag
    # every storage type, with the values as float64 to compare with
    values = [0.0, 1.0, -2.0, 3.0, 100.0, -7.0]
    tensors = {"float64": torch.tensor([0.1, -2.5e-3, 1e30, -3.0, 7.25, 1e-300], dtype=torch.float64),
               "float32": torch.tensor([0.1, -2.5e-3, 1e30, -3.0, 7.25, 1e-30], dtype=torch.float32),
               "float16": torch.tensor([0.1, -2.5e-3, 6e4, -3.0, 7.25, 1e-5], dtype=torch.float16),
               "bfloat16": torch.tensor([0.1, -2.5e-3, 1e30, -3.0, 7.25, 1e-30], dtype=torch.bfloat16),
               "int64": torch.tensor([0, 2**40, -2**40, 3, 100, -7], dtype=torch.int64),
               "int32": torch.tensor([0, 2**30, -2**30, 3, 100, -7], dtype=torch.int32),
               "int16": torch.tensor([0, 2**14, -2**14, 3, 100, -7], dtype=torch.int16),
               "int8": torch.tensor([0, 1, -2, 3, 100, -7], dtype=torch.int8),
               "uint8": torch.tensor([0, 1, 2, 3, 100, 255], dtype=torch.uint8),
               "bool": torch.tensor([False, True, True, False, True, False]),
               "matrix": torch.arange(6, dtype=torch.float32).reshape(2, 3)[1:]}  # a view at offset 3
    assert len(values) == 6
    torch.save(tensors, path("dtypes.pt"))
    save_legacy(tensors, path("legacy-dtypes.pt"))
    write_json(path("dtypes.json"), {k: {"shape": list(v.shape), "data": [float(x) for x in v.double().flatten()]}
                                     for k, v in tensors.items()})


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

        if name == "bahdanau":
            saved_variants(model, sv, tv)

    model = make_model({"architecture": "luong", "luong_score": "dot"}, 7, sv, tv)
    torch.save(model.state_dict(), os.path.join(OUT, "combined.pt"))

    with open(os.path.join(OUT, "bahdanau", "encoder.pt"), "rb") as f:
        malicious(f.read())
    print("wrote", os.path.relpath(OUT, ROOT))


if __name__ == "__main__":
    main()
