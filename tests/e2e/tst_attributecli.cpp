// attnviz-cli attribute, run for real: its JSON against the PyTorch autograd references
// (tests/golden/attribution.json), the agreement it reports, --input's corpus means, and its
// usage errors.
#include "clirunner.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

namespace {

QJsonObject goldenCase(const QString &model)
{
    QFile file(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/attribution.json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    for (const QJsonValue &c : QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray())
        if (c.toObject()[QStringLiteral("model")].toString() == model)
            return c.toObject();
    return {};
}

QJsonObject familyCase(const QString &name)
{
    QFile file(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/") + name + QStringLiteral(".json"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray()[0].toObject();
}

} // namespace

class TestAttributeCli : public QObject
{
    Q_OBJECT

private slots:
    void jsonMatchesAutograd_data()
    {
        QTest::addColumn<QString>("method");
        for (const char *m : {"occlusion", "leave-one-out", "gradient", "input-x-gradient", "integrated-gradients"})
            QTest::newRow(m) << QString::fromLatin1(m);
    }

    // The golden case's sentence and forced target, through the CLI: the same values as
    // PyTorch's, and the agreement columns computed from the attention the CLI printed.
    void jsonMatchesAutograd()
    {
        QFETCH(QString, method);
        const QString name = QStringLiteral("family-opennmt-brnn");
        const QJsonObject golden = goldenCase(QStringLiteral("tests/golden/") + name + QStringLiteral(".safetensors"));
        const QJsonObject family = familyCase(name);
        QVERIFY(!golden.isEmpty() && !family.isEmpty());
        const RunResult r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"),
                                    QStringLiteral(ATTNVIZ_GOLDEN_DIR "/") + name + QStringLiteral(".safetensors"),
                                    QStringLiteral("--method"), method, QStringLiteral("--steps"), QStringLiteral("8"),
                                    QStringLiteral("--target"), family[QStringLiteral("forced")].toObject()[QStringLiteral("target")].toString(),
                                    QStringLiteral("--json"), family[QStringLiteral("sentence")].toString()});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j[QStringLiteral("method")].toString(), method);
        const QJsonArray values = j[QStringLiteral("attribution")].toArray();
        const QJsonArray expected = golden[method].toArray();
        QCOMPARE(values.size(), expected.size());
        for (int i = 0; i < values.size(); ++i)
            for (int k = 0; k < values[i].toArray().size(); ++k) {
                const double v = values[i].toArray()[k].toDouble(), e = expected[i].toArray()[k].toDouble();
                QVERIFY2(std::abs(v - e) <= 1e-8 * std::max(1.0, std::abs(e)), qPrintable(QStringLiteral("%1 vs %2").arg(v).arg(e)));
            }
        const QJsonArray perStep = j[QStringLiteral("agreement")].toObject()[QStringLiteral("per_step")].toArray();
        QCOMPARE(perStep.size(), values.size());
        double top1 = 0;
        for (int i = 0; i < perStep.size(); ++i) {
            // top-1 by hand: argmax of the attention row vs argmax of |attribution|
            const QJsonArray a = j[QStringLiteral("attention")].toArray()[i].toArray(), b = values[i].toArray();
            int ia = 0, ib = 0;
            for (int k = 1; k < a.size(); ++k) {
                if (a[k].toDouble() > a[ia].toDouble())
                    ia = k;
                if (std::abs(b[k].toDouble()) > std::abs(b[ib].toDouble()))
                    ib = k;
            }
            QCOMPARE(perStep[i].toObject()[QStringLiteral("top1")].toBool(), ia == ib);
            top1 += ia == ib;
        }
        QVERIFY(std::abs(j[QStringLiteral("agreement")].toObject()[QStringLiteral("top1")].toDouble() - top1 / perStep.size()) < 1e-12);
        if (method == QStringLiteral("integrated-gradients"))
            QCOMPARE(j[QStringLiteral("completeness")].toObject()[QStringLiteral("sum")].toArray().size(), values.size());
    }

    // A transformer through the CLI: Hugging Face Marian's float64 autograd values
    // (tests/golden/transformer_attribution.json), and the attention view the agreement is with
    // (the last layer's mean by default; --layer and --head choose another), named in "view".
    void transformerMatchesToolkitAutograd_data() { jsonMatchesAutograd_data(); }

    void transformerMatchesToolkitAutograd()
    {
        QFETCH(QString, method);
        QFile file(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/transformer_attribution.json"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonObject golden;
        for (const QJsonValue &m : QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("models")].toArray())
            if (m.toObject()[QStringLiteral("name")].toString() == QStringLiteral("marian-opus-swish"))
                golden = m.toObject();
        QVERIFY(!golden.isEmpty());
        const QString model = QStringLiteral(ATTNVIZ_SOURCE_DIR "/") + golden[QStringLiteral("path")].toString();
        // the case's sentence and target (tests/golden/transformer.json): "Hello!" -> "Salut !"
        const QStringList common = {QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--method"),
                                    method, QStringLiteral("--steps"), QStringLiteral("8"), QStringLiteral("--target"),
                                    QStringLiteral("Salut !"), QStringLiteral("--json")};
        RunResult r = runCli(common + QStringList{QStringLiteral("Hello!")});
        QCOMPARE(r.exitCode, 0);
        QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j[QStringLiteral("view")].toString(), QStringLiteral("layer 2, mean of 4 heads"));
        const QJsonArray values = j[QStringLiteral("attribution")].toArray();
        const QJsonArray expected = golden[method].toArray();
        QCOMPARE(values.size(), expected.size());
        for (int i = 0; i < values.size(); ++i) {
            QCOMPARE(values[i].toArray().size(), expected[i].toArray().size());
            for (int k = 0; k < values[i].toArray().size(); ++k) {
                const double v = values[i].toArray()[k].toDouble(), e = expected[i].toArray()[k].toDouble();
                QVERIFY2(std::abs(v - e) <= 1e-9 * std::max(1.0, std::abs(e)), qPrintable(QStringLiteral("%1 vs %2").arg(v).arg(e)));
            }
        }
        const double spearman = j[QStringLiteral("agreement")].toObject()[QStringLiteral("spearman")].toDouble();
        r = runCli(common + QStringList{QStringLiteral("--layer"), QStringLiteral("1"), QStringLiteral("--head"),
                                        QStringLiteral("2"), QStringLiteral("Hello!")});
        QCOMPARE(r.exitCode, 0);
        j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j[QStringLiteral("view")].toString(), QStringLiteral("layer 1, head 2"));
        QCOMPARE(j[QStringLiteral("attribution")].toArray(), values); // the attribution does not depend on the view
        QVERIFY(j[QStringLiteral("agreement")].toObject()[QStringLiteral("spearman")].toDouble() != spearman);
    }

    void inputFileGivesCorpusMeans()
    {
        QTemporaryDir dir;
        const QString input = dir.filePath(QStringLiteral("in.txt"));
        QFile file(input);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("i am cold .\nshe is happy .\n");
        file.close();
        const RunResult r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"),
                                    QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors"),
                                    QStringLiteral("--method"), QStringLiteral("gradient"), QStringLiteral("--input"), input,
                                    QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3);
        double spearman = 0;
        int rows = 0;
        for (int n = 0; n < 2; ++n) {
            const QJsonObject j = QJsonDocument::fromJson(lines[n].toUtf8()).object();
            for (const QJsonValue &s : j[QStringLiteral("agreement")].toObject()[QStringLiteral("per_step")].toArray()) {
                spearman += s.toObject()[QStringLiteral("spearman")].toDouble();
                ++rows;
            }
        }
        const QJsonObject corpus = QJsonDocument::fromJson(lines[2].toUtf8()).object()[QStringLiteral("corpus")].toObject();
        QCOMPARE(corpus[QStringLiteral("sentences")].toInt(), 2);
        QCOMPARE(corpus[QStringLiteral("rows")].toInt(), rows);
        QVERIFY(std::abs(corpus[QStringLiteral("spearman")].toDouble() - spearman / rows) < 1e-12);
    }

    void usageErrors()
    {
        const QString model = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/tiny.safetensors");
        RunResult r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--method"),
                              QStringLiteral("saliency"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--method is occlusion, leave-one-out, gradient, input-x-gradient or "
                                               "integrated-gradients, not 'saliency'")),
                 qPrintable(r.err));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("give the SENTENCE")));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--image"),
                    QStringLiteral("a.gif"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--image FILE ends in .png, .svg or .pdf, not 'a.gif'")), qPrintable(r.err));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--image"),
                    QStringLiteral("a.png"), QStringLiteral("--input"), model});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("does not go with --input")), qPrintable(r.err));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--dpi"),
                    QStringLiteral("150"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--dpi and --title go with --image FILE")), qPrintable(r.err));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--layer"),
                    QStringLiteral("1"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--layer is for transformers")), qPrintable(r.err));
    }

    // An OpenNMT-py checkpoint with its subword-nmt codes (--bpe-codes): attribute reads the
    // pieces tokenize prints, through the same loading as translate (loadModel).
    void openNmtSubwordOptions()
    {
        const QString model = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/onmt/lstm-general-feed/model_step_100.pt");
        const QString codes = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/subword/codes.bpe");
        const QString sentence = QStringLiteral("the lower newest .");
        const RunResult pieces = runCli({QStringLiteral("tokenize"), QStringLiteral("--model"), model,
                                         QStringLiteral("--bpe-codes"), codes, sentence});
        QCOMPARE(pieces.exitCode, 0);
        const QStringList expected = pieces.out.trimmed().split(QLatin1Char(' '));
        QCOMPARE(expected.size(), 12); // t@@ h@@ e l@@ o@@ w@@ er n@@ e@@ w@@ est .: not the 4 words
        RunResult r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--bpe-codes"),
                              codes, QStringLiteral("--method"), QStringLiteral("gradient"), QStringLiteral("--json"), sentence});
        QCOMPARE(r.exitCode, 0);
        QStringList tokens;
        for (const QJsonValue &t : QJsonDocument::fromJson(r.out.toUtf8()).object()[QStringLiteral("source_tokens")].toArray())
            tokens << t.toString();
        // One column per piece (OpenNMT-py frames no EOS on the source); the tiny fixture's
        // vocabulary knows few of them, so the others read <unk>.
        QCOMPARE(tokens.size(), expected.size());
        for (int i = 0; i < tokens.size(); ++i)
            QVERIFY2(tokens[i] == expected[i] || tokens[i] == QStringLiteral("<unk>"), qPrintable(tokens[i]));
        QCOMPARE(tokens[6], QStringLiteral("er"));
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--json"), sentence});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object()[QStringLiteral("source_tokens")].toArray().size(), 4);
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--bpe-codes"),
                    QStringLiteral("/nonexistent/codes.bpe"), sentence});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("/nonexistent/codes.bpe")), qPrintable(r.err));
    }

    // --image: the figure the window's Attribution tab exports, beside the JSON printed as usual.
    void imageWritesTheFigure()
    {
        QTemporaryDir dir;
        const QString model = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors");
        const auto run = [&](const QString &file, const QStringList &more) {
            return runCli(QStringList{QStringLiteral("attribute"), QStringLiteral("--model"), model,
                                      QStringLiteral("--method"), QStringLiteral("occlusion"), QStringLiteral("--image"),
                                      dir.filePath(file)}
                          + more + QStringList{QStringLiteral("i am cold .")});
        };
        RunResult r = run(QStringLiteral("a.png"), {QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j[QStringLiteral("method")].toString(), QStringLiteral("occlusion")); // stdout is still the JSON
        const QImage at300(dir.filePath(QStringLiteral("a.png")));
        QVERIFY(!at300.isNull());
        QCOMPARE(at300.dotsPerMeterX(), qRound(300 / 0.0254));
        r = run(QStringLiteral("b.png"), {QStringLiteral("--dpi"), QStringLiteral("150")});
        QCOMPARE(r.exitCode, 0);
        const QImage at150(dir.filePath(QStringLiteral("b.png")));
        // Sizes in points: half the pixels at half the dpi (to rounding).
        QVERIFY2(std::abs(at300.width() - 2 * at150.width()) <= 3 && std::abs(at300.height() - 2 * at150.height()) <= 3,
                 qPrintable(QStringLiteral("%1x%2 vs %3x%4").arg(at300.width()).arg(at300.height())
                                .arg(at150.width()).arg(at150.height())));
        // The grid has a column per source token and a row per output step.
        const int columns = j[QStringLiteral("source_tokens")].toArray().size();
        const int rows = j[QStringLiteral("target_tokens")].toArray().size();
        QVERIFY(columns >= 4 && rows >= 2);
        QVERIFY(at300.width() > columns * 24 * 300 / 72 && at300.height() > rows * 24 * 300 / 72);

        r = run(QStringLiteral("c.svg"), {QStringLiteral("--title")});
        QCOMPARE(r.exitCode, 0);
        QFile svg(dir.filePath(QStringLiteral("c.svg")));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray text = svg.readAll();
        QVERIFY(text.contains("cold"));
        QVERIFY(text.contains("occlusion"));
        QVERIFY(text.contains("i am cold .")); // the title
        r = run(QStringLiteral("d.pdf"), {});
        QCOMPARE(r.exitCode, 0);
        QFile pdf(dir.filePath(QStringLiteral("d.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QVERIFY(pdf.readAll().startsWith("%PDF-"));
        // An unwritable place: a clear error, exit 1, nothing left.
        r = runCli({QStringLiteral("attribute"), QStringLiteral("--model"), model, QStringLiteral("--image"),
                    dir.filePath(QStringLiteral("missing/e.png")), QStringLiteral("i am cold .")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("e.png")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestAttributeCli)
#include "tst_attributecli.moc"
