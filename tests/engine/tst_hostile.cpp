// Hostile input the other engine tests do not already cover: every truncation of a model,
// absurd header claims, a header of a million entries, and sentences of every awkward kind.
// docs/reliability.md lists each input class with the test that checks it.
#include <attnviz/models/model.h>
#include <attnviz/io/model_file.h>
#include <attnviz/analysis/result_json.h>
#include <attnviz/io/text.h>
#include <attnviz/decoding/translate.h>

#include "filesizelimit.h"
#include "testmodels.h"

#include <QByteArray>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdint>
#include <fstream>
#include <string>

using namespace attnviz;

namespace {

std::string withLength(uint64_t length, const std::string &rest)
{
    std::string bytes;
    for (int i = 0; i < 8; ++i)
        bytes.push_back(char((length >> (8 * i)) & 0xffu));
    return bytes + rest;
}

std::string modelError(const std::string &bytes, bool asJson)
{
    try {
        loadModelFromBytes(bytes, asJson ? "hostile.json" : "hostile.safetensors", asJson);
    } catch (const ModelError &error) {
        return error.what();
    }
    return {};
}

// The peak resident set of this process so far, in MB (VmHWM); 0 where /proc is missing.
long peakRssMb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6)) / 1024;
    }
    return 0;
}

const Model &randomModel(Architecture architecture)
{
    static const Model bahdanau(test::makeRandomModel(Architecture::Bahdanau), "bahdanau");
    static const Model legacy(test::makeRandomModel(Architecture::TutorialLegacy), "legacy");
    return architecture == Architecture::Bahdanau ? bahdanau : legacy;
}

std::string words(int count)
{
    std::string text;
    for (int i = 0; i < count; ++i)
        text += (i % 3 == 0 ? "i " : i % 3 == 1 ? "am " : "cold ");
    return text;
}

std::string readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll().toStdString() : std::string();
}

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT

private slots:
    void truncatedAtEveryOffset_data();
    void truncatedAtEveryOffset();
    void headerLengthClaims_data();
    void headerLengthClaims();
    void millionEntryHeader();
    void awkwardSentences_data();
    void awkwardSentences();
    void longestSentenceIsTranslated();
    void tooManyWordsIsAnInputError();
    void cancelledStopsAtTheNextStep_data();
    void cancelledStopsAtTheNextStep();
    void absurdOptionsAreInputErrors();
    void tooLongTargetIsAnInputError();
    void failedWriteKeepsThePreviousFile_data();
    void failedWriteKeepsThePreviousFile();
    void failedModelSaveKeepsThePreviousModel();
};

void TestHostile::truncatedAtEveryOffset_data()
{
    QTest::addColumn<bool>("asJson");
    QTest::newRow("safetensors") << false;
    QTest::newRow("json") << true;
}

// Every prefix of a valid model must be a ModelError: never a crash, a hang, another
// exception, or (under the asan preset) a read past the buffer.
void TestHostile::truncatedAtEveryOffset()
{
    QFETCH(bool, asJson);
    const ModelFile model = test::makeRandomModel(Architecture::Bahdanau);
    const std::string valid = asJson ? serializeJsonModel(model) : serializeSafetensors(model);
    // A JSON document may end in white space after its last '}'; those prefixes are complete.
    const size_t complete = asJson ? valid.rfind('}') + 1 : valid.size();
    for (size_t length = 0; length < complete; ++length) {
        const std::string message = modelError(valid.substr(0, length), asJson);
        if (message.empty())
            QFAIL(qPrintable(QStringLiteral("the prefix of %1 bytes loaded").arg(length)));
        QVERIFY2(message.rfind(asJson ? "hostile.json: " : "hostile.safetensors: ", 0) == 0,
                 message.c_str());
    }
    QVERIFY(modelError(valid, asJson).empty());
}

void TestHostile::headerLengthClaims_data()
{
    QTest::addColumn<quint64>("claim");
    QTest::addColumn<QString>("expected");
    QTest::newRow("2 GB") << quint64(2'147'483'648ULL)
                          << QStringLiteral("header length 2147483648 is over the limit of 100 MB");
    QTest::newRow("2^64 - 1") << quint64(UINT64_MAX)
                              << QStringLiteral("header length 18446744073709551615 is over the limit");
    QTest::newRow("just under the limit, file short")
        << quint64(100'000'000)
        << QStringLiteral("header length 100000000 is past the end of the file (only 2 bytes");
}

// The 8-byte length is checked against the limit and the file size before anything is
// allocated, so a claim of gigabytes costs nothing.
void TestHostile::headerLengthClaims()
{
    QFETCH(quint64, claim);
    QFETCH(QString, expected);
    const std::string message = modelError(withLength(claim, "{}"), false);
    QVERIFY2(QString::fromStdString(message).contains(expected), message.c_str());
}

// A million tensor entries is 50 MB of header, under the 100 MB limit: the header parser stops
// at the first 1,000 keys of one object (a valid model has at most 19), before building a
// million-entry JSON tree.
void TestHostile::millionEntryHeader()
{
    std::string header = "{";
    header.reserve(50'000'000);
    for (int i = 0; i < 1'000'000; ++i) {
        if (i > 0)
            header += ',';
        header += "\"t" + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    }
    header += '}';
    QVERIFY(header.size() < 100'000'000);
    const long rssBefore = peakRssMb();
    QElapsedTimer timer;
    timer.start();
    const std::string message = modelError(withLength(header.size(), header), false);
    QVERIFY2(message.find("header has more than 1000 keys in one object") != std::string::npos,
             message.c_str());
    QVERIFY2(timer.elapsed() < 10'000, qPrintable(QString::number(timer.elapsed())));
    // The file itself is 55 MB; parsing it must not add a multiple of that.
    if (rssBefore > 0)
        QVERIFY2(peakRssMb() - rssBefore < 200, qPrintable(QString::number(peakRssMb() - rssBefore)));
}

void TestHostile::awkwardSentences_data()
{
    QTest::addColumn<QByteArray>("sentence");
    QTest::addColumn<QString>("words"); // after the tutorial normalization, joined by spaces
    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("only spaces") << QByteArray(" \t  \n ") << QString();
    QTest::newRow("only punctuation") << QByteArray(",;:-'\"()") << QString();
    QTest::newRow("sentence punctuation") << QByteArray("?!.") << QStringLiteral("? ! .");
    QTest::newRow("emoji") << QByteArray("i \U0001F600 am \U0001F44D\U0001F3FD cold")
                           << QStringLiteral("i am cold");
    QTest::newRow("CJK") << QByteArray("\u6211\u5f88\u51b7 i am") << QStringLiteral("i am");
    QTest::newRow("right-to-left") << QByteArray("\u200f\u05d0\u05e0\u05d9 \u05e7\u05e8\u200f cold")
                                   << QStringLiteral("cold");
    QTest::newRow("combining characters") << QByteArray("co\u0301\u0308ld i\u0327")
                                          << QStringLiteral("cold i");
    QTest::newRow("control characters") << QByteArray("i\x01\x07\x1b am\x7f\x08 cold")
                                        << QStringLiteral("i am cold");
    QTest::newRow("NUL") << QByteArray("i\0am", 4) << QStringLiteral("i am");
    QTest::newRow("invalid UTF-8") << QByteArray("i\xff\xfe am \xc3 cold \xed\xa0\x80")
                                   << QStringLiteral("i am cold");
}

// Text never fails: anything outside a-z and . ! ? is a separator (docs/decoding.md), and the
// sentence is translated; no words at all is the encoder input [EOS].
void TestHostile::awkwardSentences()
{
    QFETCH(QByteArray, sentence);
    QFETCH(QString, words);
    const std::string text = sentence.toStdString();
    QStringList tokens;
    for (const std::string &token : tokenize(text, Normalization::Tutorial))
        tokens << QString::fromStdString(token);
    QCOMPARE(tokens.join(QLatin1Char(' ')), words);
    for (const Architecture architecture : {Architecture::Bahdanau, Architecture::TutorialLegacy}) {
        // tutorial_legacy's 5 slots hold 4 words; every row here has fewer.
        const TranslationResult r = translate(randomModel(architecture), text, {});
        QCOMPARE(int(r.sourceWords.size()), int(tokens.size()));
        QCOMPARE(r.sourceLength(), int(tokens.size()) + 1);
        QVERIFY(!r.best().targetIds.empty());
        QVERIFY(r.best().attention.allFinite());
    }
}

// The longest sentence allowed, decoded for the longest default length with a beam: the time
// and memory stay small (a model that never says EOS is the worst case; random weights).
void TestHostile::longestSentenceIsTranslated()
{
    ModelFile file = test::makeRandomModel(Architecture::Bahdanau);
    file.tensors["decoder.out.bias"].values[1] = -1000.0f; // EOS is never the best token
    const Model model(std::move(file), "no-eos");
    DecodeOptions options;
    options.beamWidth = 4;
    QElapsedTimer timer;
    timer.start();
    const TranslationResult r = translate(model, words(maxSourceWords), options);
    QCOMPARE(r.sourceLength(), maxSourceWords + 1);
    QCOMPARE(int(r.best().targetIds.size()), maxOutputSteps);
    QVERIFY2(timer.elapsed() < 60'000, qPrintable(QString::number(timer.elapsed())));
}

void TestHostile::cancelledStopsAtTheNextStep_data()
{
    QTest::addColumn<int>("beam");
    QTest::addColumn<bool>("forced");
    QTest::addColumn<bool>("ablation");
    QTest::newRow("greedy") << 1 << false << false;
    QTest::newRow("beam 4") << 4 << false << false;
    QTest::newRow("forced") << 1 << true << false;
    QTest::newRow("the ablation") << 1 << false << true;
}

// The longest translation there is (500 words, a model that never says EOS) stops at the step
// after `cancelled` first says so: asked once before encoding, then before every step.
void TestHostile::cancelledStopsAtTheNextStep()
{
    QFETCH(int, beam);
    QFETCH(bool, forced);
    QFETCH(bool, ablation);
    ModelFile file = test::makeRandomModel(Architecture::Bahdanau);
    file.tensors["decoder.out.bias"].values[1] = -1000.0f; // EOS is never the best token
    const Model model(std::move(file), "no-eos");
    DecodeOptions options;
    options.beamWidth = beam;
    if (forced)
        options.target = words(900);
    // Stop at the 6th question: in the ablation, after the whole translation and 3 of its steps.
    const int translationQuestions = 1 + (forced ? 901 : maxOutputSteps);
    const int stopAt = ablation ? translationQuestions + 4 : 6;
    if (ablation)
        options.ablation = Ablation::Summed;
    int asked = 0;
    options.cancelled = [&asked, stopAt]() { return ++asked >= stopAt; };
    QVERIFY_THROWS_EXCEPTION(Cancelled, translate(model, words(maxSourceWords), options));
    QCOMPARE(asked, stopAt);

    // Never cancelled: the same call runs to its end, asking once per step.
    asked = 0;
    options.cancelled = [&asked]() { return ++asked < 0; };
    const TranslationResult r = translate(model, words(maxSourceWords), options);
    QCOMPARE(asked, translationQuestions + (ablation ? maxOutputSteps : 0));
    QVERIFY(!r.hypotheses.empty());
}

void TestHostile::tooManyWordsIsAnInputError()
{
    const std::string fiveThousand = words(5000);
    try {
        translate(randomModel(Architecture::Bahdanau), fiveThousand, {});
        QFAIL("expected an InputError");
    } catch (const InputError &error) {
        QVERIFY2(QByteArray(error.what()).contains("the sentence has 5000 words; attnviz translates "
                                                   "at most 500"),
                 error.what());
    }
    // 501 words: one over; punctuation and unknown words count as words too.
    QVERIFY_THROWS_EXCEPTION(InputError,
                             translate(randomModel(Architecture::Bahdanau), words(500) + " ?", {}));
}

void TestHostile::absurdOptionsAreInputErrors()
{
    DecodeOptions longer;
    longer.maxLength = maxOutputSteps + 1;
    QVERIFY_THROWS_EXCEPTION(InputError, translate(randomModel(Architecture::Bahdanau), "i am", longer));
    DecodeOptions wider;
    wider.beamWidth = 1'000'000;
    QVERIFY_THROWS_EXCEPTION(InputError, translate(randomModel(Architecture::Bahdanau), "i am", wider));
}

void TestHostile::tooLongTargetIsAnInputError()
{
    DecodeOptions forced;
    forced.target = words(maxOutputSteps);
    QVERIFY_THROWS_EXCEPTION(InputError, translate(randomModel(Architecture::Bahdanau), "i am", forced));
    forced.target = words(maxOutputSteps - 1);
    QCOMPARE(int(translate(randomModel(Architecture::Bahdanau), "i am", forced).best().targetIds.size()),
             maxOutputSteps);
}

void TestHostile::failedWriteKeepsThePreviousFile_data()
{
    QTest::addColumn<QString>("target"); // relative to a fresh directory holding "previous.txt"
    QTest::addColumn<QString>("expected");
    QTest::newRow("disk full (file size limit)") << QStringLiteral("previous.txt")
                                                 << QStringLiteral("File too large");
    QTest::newRow("a directory in the way") << QStringLiteral("sub") << QStringLiteral("cannot rename");
    QTest::newRow("/proc/self refuses new files")
        << QStringLiteral("/proc/self/previous.txt") << QStringLiteral("cannot create");
}

// writeFileAtomically (CLI export, index.csv, saveModelFile): a failed write throws with the
// path and the reason, leaves the previous file as it was, and no temporary file behind.
void TestHostile::failedWriteKeepsThePreviousFile()
{
    QFETCH(QString, target);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString previous = dir.filePath(QStringLiteral("previous.txt"));
    writeFileAtomically(previous.toStdString(), "the previous content\n");
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("sub")));
    QVERIFY(QFile::copy(previous, dir.filePath(QStringLiteral("sub/keep.txt"))));
    const QString path = target.startsWith(QLatin1Char('/')) ? target : dir.filePath(target);
    try {
        const test::FileSizeLimit limit(expected == QStringLiteral("File too large") ? 4096 : RLIM_INFINITY);
        writeFileAtomically(path.toStdString(), std::string(1 << 20, 'x'));
        QFAIL("expected an error");
    } catch (const std::runtime_error &error) {
        const QString message = QString::fromUtf8(error.what());
        QVERIFY2(message.startsWith(path + QStringLiteral(": ")), error.what());
        QVERIFY2(message.contains(expected), error.what());
    }
    QCOMPARE(readAll(previous), std::string("the previous content\n"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList {QStringLiteral("previous.txt")});
}

void TestHostile::failedModelSaveKeepsThePreviousModel()
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("model.safetensors")).toStdString();
    const ModelFile first = test::makeRandomModel(Architecture::Bahdanau, LuongScore::General,
                                                  true, 1);
    saveModelFile(first, path);
    ModelFile bigger = test::makeRandomModel(Architecture::Bahdanau, LuongScore::General,
                                             true, 2);
    bigger.config.description = std::string(100'000, 'd');
    {
        const test::FileSizeLimit limit(16'384);
        QVERIFY_THROWS_EXCEPTION(ModelError, saveModelFile(bigger, path));
    }
    QCOMPARE(loadModelFile(path).tensors.at("decoder.out.bias").values,
             first.tensors.at("decoder.out.bias").values);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot).size(), 1);
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
