// Replays the committed fuzz corpus (fuzz/corpus/<target>/: the seeds, and every input a fuzzer
// ever crashed on) through the same entry points as the fuzz targets, in the normal build and
// under the asan preset, so a fixed finding stays fixed without clang or libFuzzer.
#include <attnviz/analysis/alignment.h>
#include <attnviz/io/model_file.h>
#include <attnviz/io/text.h>
#include <attnviz/io/torch_file.h>
#include <attnviz/io/torch_import.h>

#include "fuzz_model.h"
#include "fuzz_subword.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <functional>
#include <string>

using namespace attnviz;

namespace {

using Check = std::function<void(const std::string &bytes)>;

// Runs check on every file of fuzz/corpus/<target>; returns how many there were.
int replay(const char *target, const Check &check)
{
    const QDir dir(QStringLiteral(ATTNVIZ_SOURCE_DIR "/fuzz/corpus/") + QLatin1String(target));
    int count = 0;
    for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) {
            qWarning("cannot read %s", qPrintable(file.fileName()));
            return -1;
        }
        const QByteArray bytes = file.readAll();
        try {
            check(bytes.toStdString());
        } catch (const std::exception &error) {
            qWarning("%s: unexpected %s", qPrintable(file.fileName()), error.what());
            return -1;
        }
        ++count;
    }
    return count;
}

} // namespace

class TestFuzzCorpus : public QObject
{
    Q_OBJECT

private slots:
    void modelSafetensors();
    void modelJson();
    void text();
    void pharaoh();
    void torch();
    void bpeCodes();
    void tokenizer();
};

void TestFuzzCorpus::modelSafetensors()
{
    const int count = replay("fuzz_model_safetensors", [](const std::string &bytes) {
        fuzz::loadAndTranslate(bytes, "corpus.safetensors", false);
    });
    QVERIFY(count > 0);
}

void TestFuzzCorpus::modelJson()
{
    const int count = replay("fuzz_model_json", [](const std::string &bytes) {
        fuzz::loadAndTranslate(bytes, "corpus.json", true);
    });
    QVERIFY(count > 0);
}

void TestFuzzCorpus::text()
{
    const int count = replay("fuzz_text", [](const std::string &bytes) {
        for (const Normalization n : {Normalization::Tutorial, Normalization::None}) {
            for (const std::string &token : splitTokens(normalizeText(bytes, n))) {
                if (token.empty() || token.find_first_of(" \t\n\r\f\v") != std::string::npos)
                    throw std::runtime_error("bad token '" + token + "'");
            }
        }
    });
    QVERIFY(count > 0);
}

void TestFuzzCorpus::pharaoh()
{
    const int count = replay("fuzz_pharaoh", [](const std::string &bytes) {
        try {
            const auto parsed = parsePharaoh(bytes, "corpus.gold");
            if (parsePharaoh(writePharaoh(parsed), "again.gold").size() != parsed.size())
                throw std::runtime_error("writePharaoh changed the number of sentences");
        } catch (const AlignmentFormatError &) {
        }
    });
    QVERIFY(count > 0);
}

void TestFuzzCorpus::torch()
{
    const int count = replay("fuzz_torch", [](const std::string &bytes) { fuzz::readTorchBytes(bytes, "corpus.pt"); });
    QVERIFY(count > 0);
    // The toolkit seeds are whole models, so the fuzzer starts inside the importers.
    for (const char *seed : {"onmt-brnn-gru-dot-bridge.pt", "chatbot-general.tar"}) {
        const std::string path = std::string(ATTNVIZ_SOURCE_DIR "/fuzz/corpus/fuzz_torch/") + seed;
        const TorchFile file = TorchFile::open(path);
        QVERIFY2(isOnmtCheckpoint(file) || isChatbotCheckpoint(file), seed);
        QVERIFY(!(isOnmtCheckpoint(file) ? openOnmtModel(file, path) : chatbotModel(file, path)).tensors.empty());
    }
}

void TestFuzzCorpus::bpeCodes()
{
    const int count = replay("fuzz_bpe_codes", [](const std::string &bytes) {
        try {
            fuzz::segmentWithCodes(bytes);
        } catch (const ModelError &) {
        }
    });
    QVERIFY(count > 0);
}

// The seeds are valid records: each must build and encode (a ModelError would be a seed that
// tests only the refusal).
void TestFuzzCorpus::tokenizer()
{
    const int count = replay("fuzz_tokenizer", [](const std::string &bytes) { fuzz::tokenizeWithRecord(bytes); });
    QVERIFY(count > 0);
}

QTEST_GUILESS_MAIN(TestFuzzCorpus)
#include "tst_fuzzcorpus.moc"
