// attnviz-cli translate, run for real: its JSON against the engine's rules, and its exit codes.
#include "clirunner.h"
#include "testmodels.h"

#include <attnviz/io/model_file.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString golden(const char *name)
{
    return QStringLiteral(ATTNVIZ_GOLDEN_DIR "/") + QString::fromLatin1(name) + QStringLiteral(".safetensors");
}

QStringList words(const QJsonValue &array)
{
    QStringList out;
    for (const QJsonValue &v : array.toArray())
        out << v.toString();
    return out;
}

} // namespace

class TestTranslateCli : public QObject
{
    Q_OBJECT

private slots:
    void jsonMatchesPyTorchGolden();
    void transformerHeads();
    void legacyReportsPaddingAndRefusesTooLongInput();
    void beamsAndAblation();
    void inputFileWithTargets();
    void usageErrors_data();
    void usageErrors();
    void unitsWords();
    void alignUnits();
    void alignPerLayer();
};

// The first case of tests/golden/tiny-bahdanau.json, through the CLI instead of the library.
void TestTranslateCli::jsonMatchesPyTorchGolden()
{
    QFile file(QStringLiteral(ATTNVIZ_GOLDEN_DIR "/tiny-bahdanau.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject c = QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray()[0].toObject();
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-bahdanau"),
                                QStringLiteral("--json"), c[QStringLiteral("sentence")].toString()});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonObject greedy = c[QStringLiteral("greedy")].toObject();
    QCOMPARE(words(j[QStringLiteral("source_tokens")]), words(c[QStringLiteral("source_tokens")]));
    QCOMPARE(words(j[QStringLiteral("target_tokens")]), words(greedy[QStringLiteral("target_tokens")]));
    const QJsonArray attention = j[QStringLiteral("attention")].toArray();
    const QJsonArray expected = greedy[QStringLiteral("attention")].toArray();
    QCOMPARE(attention.size(), expected.size());
    for (int i = 0; i < attention.size(); ++i)
        for (int k = 0; k < expected[i].toArray().size(); ++k)
            QVERIFY(std::abs(attention[i].toArray()[k].toDouble() - expected[i].toArray()[k].toDouble()) < 1e-5);
    QVERIFY(std::abs(j[QStringLiteral("score")].toDouble() - greedy[QStringLiteral("score")].toDouble()) < 1e-5);
    QCOMPARE(j[QStringLiteral("summed_context")].toArray().size(), 6);
    QVERIFY(!j.contains(QStringLiteral("padding_mass")));
}

void TestTranslateCli::legacyReportsPaddingAndRefusesTooLongInput()
{
    const RunResult ok = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                 QStringLiteral("--json"), QStringLiteral("i am cold")});
    QCOMPARE(ok.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(ok.out.toUtf8()).object();
    // 3 words + EOS columns; the other 2 of the 6 slots are padding, whose mass is reported.
    const QJsonArray row = j[QStringLiteral("attention")].toArray()[0].toArray();
    QCOMPARE(row.size(), 4);
    double real = 0;
    for (const QJsonValue &v : row)
        real += v.toDouble();
    const double padding = j[QStringLiteral("padding_mass")].toArray()[0].toDouble();
    QVERIFY(padding > 0);
    QVERIFY(std::abs(real + padding - 1.0) < 1e-5);

    const RunResult tooLong = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                      QStringLiteral("i am very very very cold")});
    QCOMPARE(tooLong.exitCode, 1);
    QVERIFY2(tooLong.err.contains(QStringLiteral("at most 5 words")), qPrintable(tooLong.err));
    QCOMPARE(tooLong.out, QString());
}

void TestTranslateCli::beamsAndAblation()
{
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-luong-general"),
                                QStringLiteral("--beam"), QStringLiteral("3"), QStringLiteral("--ablation"),
                                QStringLiteral("summed"), QStringLiteral("--json"), QStringLiteral("he is cold")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonArray beams = j[QStringLiteral("beams")].toArray();
    QCOMPARE(beams.size(), 3);
    QCOMPARE(words(beams[0].toObject()[QStringLiteral("target_tokens")]), words(j[QStringLiteral("target_tokens")]));
    for (int k = 1; k < beams.size(); ++k)
        QVERIFY(beams[k - 1].toObject()[QStringLiteral("normalized_score")].toDouble()
                >= beams[k].toObject()[QStringLiteral("normalized_score")].toDouble());
    const QJsonObject ablation = j[QStringLiteral("ablation")].toObject();
    QCOMPARE(ablation[QStringLiteral("kind")].toString(), QStringLiteral("summed"));
    QCOMPARE(ablation[QStringLiteral("log_probs")].toArray().size(), ablation[QStringLiteral("target_tokens")].toArray().size());
}

void TestTranslateCli::inputFileWithTargets()
{
    QTemporaryDir dir;
    QFile src(dir.filePath(QStringLiteral("src.txt"))), ref(dir.filePath(QStringLiteral("ref.txt")));
    QVERIFY(src.open(QIODevice::WriteOnly) && ref.open(QIODevice::WriteOnly));
    src.write("i am cold\nyou are very very very very tired\nhe is\n");
    ref.write("je suis froid\ntu es fatigue\nil a zzz\n");
    src.close();
    ref.close();
    // tiny-legacy-notes fits 5 words: line 2 is reported and skipped, the others are translated.
    const RunResult r = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-legacy-notes"),
                                QStringLiteral("--input"), src.fileName(), QStringLiteral("--targets"), ref.fileName(),
                                QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(src.fileName() + QStringLiteral(":2: ")), qPrintable(r.err));
    const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    const QJsonObject first = QJsonDocument::fromJson(lines[0].toUtf8()).object();
    QVERIFY(first[QStringLiteral("forced")].toBool());
    QCOMPARE(words(first[QStringLiteral("target_tokens")]),
             (QStringList{QStringLiteral("je"), QStringLiteral("suis"), QStringLiteral("froid"), QStringLiteral("EOS")}));
    const QJsonObject third = QJsonDocument::fromJson(lines[1].toUtf8()).object();
    QCOMPARE(words(third[QStringLiteral("unknown_target_words")]), QStringList{QStringLiteral("zzz")});
    QVERIFY(third[QStringLiteral("perplexity")].toDouble() > 1.0);
}

void TestTranslateCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString t = QStringLiteral("translate"), m = QStringLiteral("--model"), f = golden("tiny-bahdanau");
    QTest::newRow("no sentence") << QStringList{t, m, f} << QStringLiteral("give the SENTENCE");
    QTest::newRow("zero beam") << QStringList{t, m, f, QStringLiteral("--beam"), QStringLiteral("0"), QStringLiteral("x")}
                               << QStringLiteral("--beam needs a whole number");
    QTest::newRow("bad ablation") << QStringList{t, m, f, QStringLiteral("--ablation"), QStringLiteral("zero"), QStringLiteral("x")}
                                  << QStringLiteral("'summed' or 'mean'");
    QTest::newRow("both inputs") << QStringList{t, m, f, QStringLiteral("--input"), f, QStringLiteral("x")}
                                 << QStringLiteral("not both");
}

void TestTranslateCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const RunResult r = runCli(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
}

// #16: --units words on the hand-made piece model tests/data/pieces.json, checked against the
// same command's pieces: columns summed, rows averaged, log p summed, no raw scores.
void TestTranslateCli::unitsWords()
{
    const QStringList args {QStringLiteral("translate"), QStringLiteral("--model"),
                            QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/pieces.json"), QStringLiteral("--target"),
                            QStringLiteral("▁les ▁ch at s ▁dorm ent"), QStringLiteral("--json"),
                            QStringLiteral("▁the ▁c at s ▁sleep")};
    const RunResult p = runCli(args);
    const RunResult w = runCli(args + QStringList {QStringLiteral("--units"), QStringLiteral("words")});
    QCOMPARE(p.exitCode, 0);
    QCOMPARE(w.exitCode, 0);
    const QJsonObject pieces = QJsonDocument::fromJson(p.out.toUtf8()).object();
    const QJsonObject words = QJsonDocument::fromJson(w.out.toUtf8()).object();
    QCOMPARE(pieces[QStringLiteral("units")].toString(), QStringLiteral("pieces"));
    QCOMPARE(words[QStringLiteral("units")].toString(), QStringLiteral("words"));
    QCOMPARE(::words(words[QStringLiteral("source_tokens")]),
             QString::fromUtf8("the cats sleep EOS").split(QLatin1Char(' ')));
    QCOMPARE(::words(words[QStringLiteral("target_tokens")]),
             QString::fromUtf8("les chats dorment EOS").split(QLatin1Char(' ')));
    QCOMPARE(::words(words[QStringLiteral("target_pieces")].toArray()[1]),
             QString::fromUtf8("▁ch at s").split(QLatin1Char(' ')));
    QCOMPARE(::words(words[QStringLiteral("source_pieces")].toArray()[3]), QStringList {QStringLiteral("EOS")});
    QVERIFY(!words.contains(QStringLiteral("energies")));
    QVERIFY(pieces.contains(QStringLiteral("energies")));
    const QList<QList<int>> sourceGroups {{0}, {1, 2, 3}, {4}, {5}}, targetGroups {{0}, {1, 2, 3}, {4, 5}, {6}};
    const QJsonArray pa = pieces[QStringLiteral("attention")].toArray(), wa = words[QStringLiteral("attention")].toArray();
    const QJsonArray pl = pieces[QStringLiteral("log_probs")].toArray(), wl = words[QStringLiteral("log_probs")].toArray();
    QCOMPARE(wa.size(), 4);
    for (int r = 0; r < 4; ++r) {
        double rowSum = 0, logProb = 0;
        for (int i : targetGroups[r])
            logProb += pl[i].toDouble();
        QVERIFY(std::abs(wl[r].toDouble() - logProb) < 1e-9);
        for (int c = 0; c < 4; ++c) {
            double expected = 0;
            for (int i : targetGroups[r])
                for (int j : sourceGroups[c])
                    expected += pa[i].toArray()[j].toDouble() / targetGroups[r].size();
            const double value = wa[r].toArray()[c].toDouble();
            QVERIFY2(std::abs(value - expected) < 1e-6, qPrintable(QStringLiteral("%1,%2").arg(r).arg(c)));
            rowSum += value;
        }
        QVERIFY(std::abs(rowSum - 1) < 1e-5);
    }
    // The text table says its units.
    QStringList text = args;
    text.removeAll(QStringLiteral("--json"));
    const RunResult t = runCli(text + QStringList {QStringLiteral("--units"), QStringLiteral("words")});
    QVERIFY2(t.out.startsWith(QStringLiteral("units:       words\nsource:      the cats sleep EOS\n")), qPrintable(t.out));

    // export writes the same words: the CSV's header and rows, the JSON's units.
    QTemporaryDir dir;
    QFile input(dir.filePath(QStringLiteral("in.txt")));
    QVERIFY(input.open(QIODevice::WriteOnly));
    input.write("▁the ▁c at s ▁sleep\n");
    input.close();
    for (const QString &format : {QStringLiteral("csv"), QStringLiteral("json")}) {
        const RunResult e = runCli({QStringLiteral("export"), QStringLiteral("--model"),
                                    QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/pieces.json"), QStringLiteral("--input"),
                                    input.fileName(), QStringLiteral("--out"), dir.filePath(format),
                                    QStringLiteral("--format"), format, QStringLiteral("--units"), QStringLiteral("words")});
        QCOMPARE(e.exitCode, 0);
        QFile out(dir.filePath(format + QStringLiteral("/0001.") + format));
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QByteArray bytes = out.readAll();
        if (format == QStringLiteral("csv"))
            QVERIFY2(bytes.startsWith(",the,cats,sleep,EOS\n"), bytes.constData());
        else
            QCOMPARE(QJsonDocument::fromJson(bytes).object()[QStringLiteral("units")].toString(), QStringLiteral("words"));
    }
}

// align on words or pieces: said in the output; without --units, detected from the gold file.
void TestTranslateCli::alignUnits()
{
    QTemporaryDir dir;
    const auto write = [&](const QString &name, const QByteArray &text) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return QString();
        f.write(text);
        return f.fileName();
    };
    const QString src = write(QStringLiteral("s.txt"), "▁the ▁c at s ▁sleep\n");
    const QString ref = write(QStringLiteral("r.txt"), "▁les ▁ch at s ▁dorm ent\n");
    const QString wordsGold = write(QStringLiteral("w.gold"), "0-0 1-1 2-2\n");   // 3 words each side
    const QString piecesGold = write(QStringLiteral("p.gold"), "0-0 3-3 4-4\n");  // past the words
    const auto align = [&](const QString &gold, const QStringList &more) {
        const RunResult r = runCli(QStringList {QStringLiteral("align"), QStringLiteral("--model"),
                                                QStringLiteral(ATTNVIZ_TEST_DATA_DIR "/pieces.json"),
                                                QStringLiteral("--input"), src, QStringLiteral("--targets"), ref,
                                                QStringLiteral("--gold"), gold, QStringLiteral("--json")}
                                   + more);
        return std::make_pair(r.exitCode, QJsonDocument::fromJson(r.out.toUtf8()).object());
    };
    auto [code, j] = align(wordsGold, {});
    QCOMPARE(code, 0);
    QCOMPARE(j[QStringLiteral("units")].toString(), QStringLiteral("words"));
    QVERIFY(j[QStringLiteral("units_detected")].toString().contains(QStringLiteral("within")));
    QCOMPARE(j[QStringLiteral("model_links")].toInt(), 3); // one per output word, EOS excluded
    std::tie(code, j) = align(piecesGold, {});
    QCOMPARE(code, 0);
    QCOMPARE(j[QStringLiteral("units")].toString(), QStringLiteral("pieces"));
    QVERIFY(j[QStringLiteral("units_detected")].toString().contains(QStringLiteral("p.gold:1 links 3-3")));
    QCOMPARE(j[QStringLiteral("model_links")].toInt(), 6); // one per output piece
    // Said explicitly: no detection, and a pieces file read as words is refused with its line.
    std::tie(code, j) = align(wordsGold, {QStringLiteral("--units"), QStringLiteral("pieces")});
    QCOMPARE(code, 0);
    QVERIFY(!j.contains(QStringLiteral("units_detected")));
    QCOMPARE(j[QStringLiteral("units")].toString(), QStringLiteral("pieces"));
    std::tie(code, j) = align(piecesGold, {QStringLiteral("--units"), QStringLiteral("words")});
    QCOMPARE(code, 1);
}

// A Marian folder: every layer's and head's attention in the JSON, the view chosen by --layer
// and --head, self-attention on request, and the options refused for an RNN.
void TestTranslateCli::transformerHeads()
{
    const QString folder = QStringLiteral(ATTNVIZ_SOURCE_DIR "/tests/data/transformer/marian-opus-swish");
    const RunResult plain = runCli({QStringLiteral("translate"), QStringLiteral("--model"), folder,
                                    QStringLiteral("I am cold."), QStringLiteral("--json")});
    QCOMPARE(plain.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(plain.out.toUtf8()).object();
    QCOMPARE(j[QStringLiteral("layers")].toInt(), 2);
    QCOMPARE(j[QStringLiteral("heads")].toInt(), 4);
    QCOMPARE(j[QStringLiteral("view")].toString(), QStringLiteral("layer 2, mean of 4 heads"));
    const QJsonArray cross = j[QStringLiteral("cross_attention")].toArray();
    const QJsonArray attention = j[QStringLiteral("attention")].toArray();
    QCOMPARE(cross.size(), 2);
    QCOMPARE(cross[1].toArray().size(), 4);
    QCOMPARE(cross[1].toArray()[0].toArray().size(), attention.size()); // steps
    // The default view is the last layer's mean over its heads.
    for (int i = 0; i < attention.size(); ++i) {
        for (int k = 0; k < attention[i].toArray().size(); ++k) {
            double mean = 0;
            for (int h = 0; h < 4; ++h)
                mean += cross[1].toArray()[h].toArray()[i].toArray()[k].toDouble() / 4;
            QVERIFY(std::abs(mean - attention[i].toArray()[k].toDouble()) < 1e-5);
        }
    }
    QVERIFY(!j.contains(QStringLiteral("self_attention")));

    const RunResult one = runCli({QStringLiteral("translate"), QStringLiteral("--model"), folder, QStringLiteral("I am cold."),
                                  QStringLiteral("--json"), QStringLiteral("--layer"), QStringLiteral("1"),
                                  QStringLiteral("--head"), QStringLiteral("3"), QStringLiteral("--self-attention")});
    QCOMPARE(one.exitCode, 0);
    const QJsonObject k = QJsonDocument::fromJson(one.out.toUtf8()).object();
    QCOMPARE(k[QStringLiteral("view")].toString(), QStringLiteral("layer 1, head 3"));
    QCOMPARE(k[QStringLiteral("attention")].toArray()[0], k[QStringLiteral("cross_attention")].toArray()[0].toArray()[2].toArray()[0]);
    const QJsonObject self = k[QStringLiteral("self_attention")].toObject();
    QCOMPARE(self[QStringLiteral("encoder")].toArray().size(), 2);
    const QJsonArray decoderHead = self[QStringLiteral("decoder")].toArray()[0].toArray()[0].toArray();
    QCOMPARE(decoderHead[0].toArray()[0].toDouble(), 1.0); // the first step sees only the start token
    QCOMPARE(decoderHead[0].toArray()[1].toDouble(), 0.0); // causal

    const RunResult badHead = runCli({QStringLiteral("translate"), QStringLiteral("--model"), folder, QStringLiteral("a"),
                                      QStringLiteral("--head"), QStringLiteral("9")});
    QVERIFY(badHead.exitCode != 0);
    QVERIFY2(badHead.err.contains(QStringLiteral("head 9 does not exist: each layer has 4 heads")), qPrintable(badHead.err));
    const RunResult rnn = runCli({QStringLiteral("translate"), QStringLiteral("--model"), golden("tiny-bahdanau"), QStringLiteral("a"),
                                  QStringLiteral("--layer"), QStringLiteral("1")});
    QCOMPARE(rnn.exitCode, 2);
    QVERIFY2(rnn.err.contains(QStringLiteral("--layer is for transformers")), qPrintable(rnn.err));
}

// align --per-layer on a transformer: a table of AER per layer and head, in --json per_layer; the
// last layer's mean is the default view, so it scores as the overall figures do.
void TestTranslateCli::alignPerLayer()
{
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("t.safetensors"));
    attnviz::saveModelFile(attnviz::test::makeTransformerModel(3, 2), model.toStdString());
    const auto write = [&](const QString &name, const QByteArray &text) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly))
            return QString();
        f.write(text);
        return f.fileName();
    };
    const QString src = write(QStringLiteral("s.txt"), "i am cold\nyou are tired .\n");
    const QString ref = write(QStringLiteral("r.txt"), "je suis froid\ntu es fatigue .\n");
    const QString gold = write(QStringLiteral("g.gold"), "0-0 1-1 2-2\n0-0 1-1 2-2 3-3\n");
    const QStringList args {QStringLiteral("align"), QStringLiteral("--model"), model, QStringLiteral("--input"), src,
                            QStringLiteral("--targets"), ref, QStringLiteral("--gold"), gold,
                            QStringLiteral("--per-layer")};
    RunResult r = runCli(args + QStringList {QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
    const QJsonObject perLayer = j[QStringLiteral("per_layer")].toObject();
    QCOMPARE(perLayer[QStringLiteral("rows")].toString(), QStringLiteral("naive"));
    const QJsonArray layers = perLayer[QStringLiteral("layers")].toArray();
    QCOMPARE(layers.size(), 3);
    QCOMPARE(layers[0].toObject()[QStringLiteral("heads")].toArray().size(), 2);
    const QJsonObject last = layers[2].toObject()[QStringLiteral("mean")].toObject();
    QCOMPARE(last[QStringLiteral("aer")].toDouble(), j[QStringLiteral("aer")].toDouble());
    QCOMPARE(last[QStringLiteral("model_links")].toInt(), 7); // one per output word, EOS excluded
    const QJsonObject best = perLayer[QStringLiteral("best")].toObject();
    QVERIFY(best[QStringLiteral("aer")].toDouble() <= last[QStringLiteral("aer")].toDouble());
    // The table: a row per layer, the all-layer mean, the best named.
    r = runCli(args + QStringList {QStringLiteral("--shifted")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QStringLiteral("shifted rows")), qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("layer 3")));
    QVERIFY(r.out.contains(QStringLiteral("all layers, mean of 6 heads")));
    QVERIFY(r.out.contains(QStringLiteral("best: ")));
    QVERIFY(r.out.contains(QStringLiteral("*")));
    // An RNN has no heads; --shifted alone is a usage error.
    r = runCli({QStringLiteral("align"), QStringLiteral("--model"), golden("tiny-bahdanau"), QStringLiteral("--input"),
                src, QStringLiteral("--targets"), ref, QStringLiteral("--gold"), gold, QStringLiteral("--per-layer")});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains(QStringLiteral("RNN")), qPrintable(r.err));
    r = runCli(QStringList(args.mid(0, 9)) + QStringList {QStringLiteral("--shifted")});
    QVERIFY(r.exitCode != 0);
}

QTEST_GUILESS_MAIN(TestTranslateCli)
#include "tst_translatecli.moc"
