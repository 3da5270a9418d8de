// TorchFile, the reader that understands every object and runs none: real files written by
// Debian's PyTorch (tools/make_torch_fixtures.py) in both formats, every storage type, whole
// modules, and hostile pickles that would create a marker file if they were executed.
#include <attnviz/io/torch_file.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <fstream>

using namespace attnviz;

namespace {

std::string dataPath(const std::string &name)
{
    return ATTNVIZ_TORCH_DATA_DIR "/" + name;
}

std::string loadError(const std::string &bytes)
{
    try {
        TorchFile::fromBytes(bytes, "mem.pt");
    } catch (const ModelError &error) {
        return error.what();
    }
    return "(no error)";
}

// The legacy format in memory: magic, protocol 1001, {'little_endian': True}, the object, [].
std::string legacyFile(const std::string &objectPickle)
{
    using namespace std::string_literals;
    return "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."s + "\x80\x02M\xe9\x03."s
           + "\x80\x02}X\x0d\x00\x00\x00little_endian\x88s."s + objectPickle + "\x80\x02]."s;
}

const char *const marker = "attnviz-pwned"; // what the hostile pickles would create

} // namespace

class TestTorchFile : public QObject
{
    Q_OBJECT

private slots:
    void everyStorageType_data();
    void everyStorageType();
    void generalCheckpoint_data();
    void generalCheckpoint();
    void wholeModules_data();
    void wholeModules();
    void langRecords();
    void hostilePicklesNeverRun_data();
    void hostilePicklesNeverRun();
    void limits_data();
    void limits();
};

void TestTorchFile::everyStorageType_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("format");
    QTest::newRow("zip") << QStringLiteral("saved/dtypes.pt") << QStringLiteral("zip");
    QTest::newRow("legacy") << QStringLiteral("saved/legacy-dtypes.pt") << QStringLiteral("legacy");
}

// Each dtype widens to float32 as PyTorch's .float() would (the references are float64).
void TestTorchFile::everyStorageType()
{
    QFETCH(QString, file);
    QFETCH(QString, format);
    const TorchFile torch = TorchFile::open(dataPath(file.toStdString()));
    QCOMPARE(QString::fromStdString(torch.format()), format);
    std::ifstream in(dataPath("saved/dtypes.json"));
    const nlohmann::json expected = nlohmann::json::parse(in);
    QCOMPARE(torch.root().entries().size(), expected.size());
    for (const auto &[name, e] : expected.items()) {
        const TorchValue *value = torch.root().find(name);
        QVERIFY2(value && value->isTensor(), name.c_str());
        if (name != "matrix")
            QCOMPARE(value->dtype(), name);
        const Tensor tensor = torch.tensor(*value, name);
        QCOMPARE(tensor.shape, e["shape"].get<std::vector<int64_t>>());
        const auto data = e["data"].get<std::vector<double>>();
        QCOMPARE(tensor.values.size(), data.size());
        for (size_t i = 0; i < data.size(); ++i)
            QVERIFY2(tensor.values[i] == static_cast<float>(data[i]),
                     qPrintable(QStringLiteral("%1[%2]: %3 != %4").arg(QString::fromStdString(name)).arg(i)
                                    .arg(tensor.values[i]).arg(data[i])));
    }
}

void TestTorchFile::generalCheckpoint_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("location");
    QTest::newRow("zip") << QStringLiteral("saved/general-checkpoint.tar") << QStringLiteral("cpu");
    QTest::newRow("legacy") << QStringLiteral("saved/legacy-checkpoint.pt") << QStringLiteral("cpu");
    QTest::newRow("cuda:0") << QStringLiteral("saved/cuda-checkpoint.tar") << QStringLiteral("cuda:0");
    QTest::newRow("mps, legacy") << QStringLiteral("saved/mps-legacy-checkpoint.pt") << QStringLiteral("mps");
}

// PyTorch's "saving a general checkpoint" recipe: numbers, state dicts and the optimizer's.
void TestTorchFile::generalCheckpoint()
{
    QFETCH(QString, file);
    QFETCH(QString, location);
    const TorchFile torch = TorchFile::open(dataPath(file.toStdString()));
    const TorchValue &root = torch.root();
    QVERIFY(root.isDict());
    QCOMPARE(root.find("epoch")->integer(), int64_t(12));
    QCOMPARE(root.find("loss")->real(), 0.75);
    QVERIFY(!root.find("absent"));
    const TorchValue *encoder = root.find("encoder_state_dict");
    QVERIFY(encoder && encoder->isDict());
    const TorchValue *embedding = encoder->find("embedding.weight");
    QVERIFY(embedding && embedding->isTensor());
    QCOMPARE(embedding->shape(), (std::vector<int64_t> {19, 4}));
    QCOMPARE(embedding->storage()->location(), location.toStdString());
    // The optimizer's state is keyed by integers; its momentum buffers are tensors.
    const TorchValue *optimizer = root.find("optimizer_state_dict");
    QVERIFY(optimizer && optimizer->find("state") && optimizer->find("param_groups")->isList());
    const auto state = optimizer->find("state")->entries();
    QVERIFY(!state.empty());
    QCOMPARE(state.front().first, std::string("0"));
    QVERIFY(state.front().second->find("momentum_buffer")->isTensor());

    const StateDict all = collectTensors(torch, root);
    QVERIFY(all.count("encoder_state_dict.gru.weight_ih_l0"));
    QVERIFY(all.count("optimizer_state_dict.state.0.momentum_buffer"));
    const StateDict decoder = collectTensors(torch, *root.find("decoder_state_dict"), "decoder");
    QCOMPARE(decoder.at("decoder.attention.Va.weight").shape, (std::vector<int64_t> {1, 4}));
}

void TestTorchFile::wholeModules_data()
{
    QTest::addColumn<QString>("encoder");
    QTest::addColumn<QString>("decoder");
    QTest::newRow("zip") << QStringLiteral("saved/encoder-module.pt") << QStringLiteral("saved/decoder-module.pt");
    QTest::newRow("legacy") << QStringLiteral("saved/legacy-encoder-module.pt")
                            << QStringLiteral("saved/legacy-decoder-module.pt");
}

// torch.save(encoder): records of __main__ classes whose _parameters/_modules give the same
// tensors as the state dict, bit for bit.
void TestTorchFile::wholeModules()
{
    QFETCH(QString, encoder);
    QFETCH(QString, decoder);
    const TorchFile state = TorchFile::open(dataPath("saved/general-checkpoint.tar"));
    for (const auto &[file, key] : {std::pair(encoder, "encoder_state_dict"), std::pair(decoder, "decoder_state_dict")}) {
        const TorchFile module = TorchFile::open(dataPath(file.toStdString()));
        QVERIFY(module.root().isRecord());
        QVERIFY(isModuleRecord(module.root()));
        QVERIFY(module.root().className().rfind("__main__.", 0) == 0);
        QVERIFY(module.root().find("training")->isBool());
        const StateDict fromModule = collectTensors(module, module.root());
        const StateDict fromState = collectTensors(state, *state.root().find(key));
        QCOMPARE(fromModule.size(), fromState.size());
        for (const auto &[name, tensor] : fromState) {
            QVERIFY2(fromModule.count(name), name.c_str());
            QCOMPARE(fromModule.at(name).shape, tensor.shape);
            QVERIFY(std::equal(tensor.values.begin(), tensor.values.end(), fromModule.at(name).values.begin()));
        }
    }
}

// The tutorial's Lang objects, inside a checkpoint: records with their __dict__.
void TestTorchFile::langRecords()
{
    const TorchFile torch = TorchFile::open(dataPath("saved/modules-and-langs.pt"));
    const TorchValue *lang = torch.root().find("output_lang");
    QVERIFY(lang && lang->isRecord());
    QCOMPARE(lang->className(), std::string("__main__.Lang"));
    QCOMPARE(lang->find("name")->text(), std::string("eng"));
    QCOMPARE(lang->find("n_words")->integer(), int64_t(17));
    const TorchValue *index2word = lang->find("index2word");
    QVERIFY(index2word && index2word->isDict());
    QCOMPARE(index2word->entries().front(), (std::pair<std::string, const TorchValue *>("0", index2word->dictItems()[0].second)));
    QCOMPARE(index2word->dictItems()[0].second->text(), std::string("SOS"));
    QCOMPARE(collectTensors(torch, *torch.root().find("encoder")).count("embedding.weight"), size_t(1));
}

void TestTorchFile::hostilePicklesNeverRun_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("expected"); // the class of the root record, or the refusal
    const auto row = [](const char *file, const char *expected) {
        QTest::newRow(file) << QString::fromLatin1(file) << QString::fromLatin1(expected);
    };
    row("os-system.pt", "record os.system");
    row("builtins-eval.pt", "record builtins.eval");
    row("inst-os-system.pt", "record os.system");
    row("obj-os-system.pt", "record os.system");
    row("subprocess-popen.pt", "record subprocess.Popen");
    row("newobj-ex.pt", "record subprocess.Popen");
    row("nested-build.pt", "record __main__.Thing");
    row("copyreg-reconstructor.pt", "record __main__.Thing");
    row("reduce-trick.pt", "dict");
    row("build-on-class.pt", "BUILD on the name 'os.system'");
    row("copyreg-extension.pt", "refusing extension code 241");
}

// Read in an empty directory: had anything run, the marker file would be there.
void TestTorchFile::hostilePicklesNeverRun()
{
    QFETCH(QString, file);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString previous = QDir::currentPath();
    QVERIFY(QDir::setCurrent(dir.path()));
    QString found;
    try {
        const TorchFile torch = TorchFile::open(dataPath("malicious/" + file.toStdString()));
        const TorchValue &root = torch.root();
        found = root.isRecord() ? QStringLiteral("record ") + QString::fromStdString(root.className())
                                : root.isDict() ? QStringLiteral("dict") : QString::fromStdString(root.describe());
        collectTensors(torch, root);
        if (file == QLatin1String("nested-build.pt")) { // both BUILDs kept; the call inside only described
            QCOMPARE(root.find("a")->integer(), int64_t(1));
            QCOMPARE(QString::fromStdString(root.find("b")->className()), QStringLiteral("os.system"));
            QCOMPARE(root.find("b")->recordArgs().front()->text(), std::string("touch attnviz-pwned"));
        }
    } catch (const ModelError &error) {
        found = QString::fromStdString(error.what());
        QVERIFY(!found.contains(QLatin1Char('\n')));
    }
    const bool ran = QFile::exists(dir.filePath(QLatin1String(marker)));
    QVERIFY(QDir::setCurrent(previous));
    QVERIFY2(!ran, "the pickle was executed");
    QVERIFY2(found.contains(expected), qPrintable(found));
}

void TestTorchFile::limits_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const auto legacy = [](const std::string &pickle) {
        const std::string file = legacyFile(pickle);
        return QByteArray(file.data(), int(file.size()));
    };
    std::string memo = "\x80\x02N";
    for (uint32_t i = 0; i <= TorchFile::maxMemoEntries; ++i)
        memo += 'r' + std::string(reinterpret_cast<const char *>(&i), 4); // little-endian hosts only
    QTest::newRow("memo") << legacy(memo + "." ) << QStringLiteral("more than 1048576 memo entries");
    QTest::newRow("objects") << legacy("\x80\x02]" + std::string(TorchFile::maxValues, 'N') + ".")
                             << QStringLiteral("makes more than 1048576 objects");
    QTest::newRow("huge string") << legacy(std::string("\x80\x02X\xff\xff\xff\x7f", 7) + ".")
                                 << QStringLiteral("a string of 2147483647 bytes");
    QTest::newRow("deep lists") << legacy("\x80\x02" + std::string(100, ']') + std::string(99, 'a') + ".")
                                << QStringLiteral("nesting deeper than 64 levels");
    QTest::newRow("big integer") << legacy(std::string("\x80\x02\x8a\x09", 4) + std::string(9, '\1') + ".")
                                 << QStringLiteral("integer of 9 bytes at byte");
    QTest::newRow("not torch") << QByteArray("\x80\x02]." , 4) << QStringLiteral("a pickle, but not one written by torch.save");
    QTest::newRow("text") << QByteArray("hello") << QStringLiteral("not a PyTorch checkpoint");
}

void TestTorchFile::limits()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    const QString what = QString::fromStdString(loadError(bytes.toStdString()));
    QVERIFY2(what.startsWith(QStringLiteral("mem.pt: ")), qPrintable(what));
    QVERIFY2(what.contains(message), qPrintable(what));
}

QTEST_APPLESS_MAIN(TestTorchFile)

#include "tst_torchfile.moc"
