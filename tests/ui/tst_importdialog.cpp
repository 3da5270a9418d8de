// File → Import checkpoint: the dialog's preview, the import, and the imported model
// in the window (translating like PyTorch did, and saved as an attnviz file).
#include <attnviz/io/model_import.h>
#include "testsettings.h"
#include "alignmentmodel.h"
#include "importdialog.h"
#include "mainwindow.h"

#include <attnviz/models/model.h>

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QRadioButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using attnviz::ImportDialog;

namespace {

const QString torchDir = QStringLiteral(ATTNVIZ_TORCH_DATA_DIR);

void fillVocabularies(ImportDialog &dialog)
{
    dialog.sourceVocabEdit()->setText(torchDir + QStringLiteral("/source_vocab.json"));
    dialog.targetVocabEdit()->setText(torchDir + QStringLiteral("/target_vocab.json"));
}

void fillWeights(ImportDialog &dialog, const QString &version)
{
    dialog.encoderEdit()->setText(torchDir + QLatin1Char('/') + version + QStringLiteral("/encoder.pt"));
    dialog.decoderEdit()->setText(torchDir + QLatin1Char('/') + version + QStringLiteral("/decoder.pt"));
}

} // namespace

class TestImportDialog : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void previewNamesTheArchitecture_data();
    void previewNamesTheArchitecture();
    void refusedFileShowsWhy();
    void previewListsWhatWasFound();
    void importedModelTranslatesLikePyTorchAndSaves();
    void toolkitCheckpointsNeedNoVocabularies_data();
    void toolkitCheckpointsNeedNoVocabularies();
    void openNmtSubwordFiles();

private:
    attnviz::test::IsolatedSettings m_settings;
};

void TestImportDialog::initTestCase()
{
    QVERIFY(m_settings.isValid());
}

void TestImportDialog::previewNamesTheArchitecture_data()
{
    QTest::addColumn<QString>("version");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("activationChoice");
    QTest::newRow("current tutorial") << QStringLiteral("bahdanau") << QStringLiteral("Bahdanau (additive)") << false;
    QTest::newRow("original tutorial") << QStringLiteral("legacy") << QStringLiteral("location attention over 10 slots") << true;
    QTest::newRow("luong") << QStringLiteral("luong") << QStringLiteral("Luong attention, general score") << false;
}

void TestImportDialog::previewNamesTheArchitecture()
{
    QFETCH(QString, version);
    QFETCH(QString, expected);
    QFETCH(bool, activationChoice);
    ImportDialog dialog;
    QVERIFY(dialog.previewText().startsWith(QStringLiteral("Choose the weights")));
    fillWeights(dialog, version);
    QVERIFY2(dialog.previewText().contains(expected), qPrintable(dialog.previewText()));
    QVERIFY(dialog.previewText().contains(QStringLiteral("hidden size 4")));
    QCOMPARE(dialog.findChild<QComboBox *>()->isEnabled(), activationChoice);
}

// Whole modules with Langs beside them in one file: the preview names the Langs and the rest.
void TestImportDialog::previewListsWhatWasFound()
{
    ImportDialog dialog;
    dialog.encoderEdit()->setText(torchDir + QStringLiteral("/saved/general-checkpoint.tar"));
    dialog.decoderEdit()->setText(torchDir + QStringLiteral("/saved/decoder-module.pt"));
    QVERIFY2(dialog.previewText().contains(QStringLiteral("Bahdanau")), qPrintable(dialog.previewText()));
    QVERIFY2(dialog.previewText().contains(QStringLiteral("Ignored: epoch (12)")), qPrintable(dialog.previewText()));
}

void TestImportDialog::refusedFileShowsWhy()
{
    ImportDialog dialog;
    dialog.encoderEdit()->setText(torchDir + QStringLiteral("/malicious/builtins-eval.pt"));
    dialog.decoderEdit()->setText(torchDir + QStringLiteral("/bahdanau/decoder.pt"));
    QVERIFY2(dialog.previewText().contains(QStringLiteral("a record: nothing in the file was run")), qPrintable(dialog.previewText()));
    fillVocabularies(dialog);
    QVERIFY(!dialog.runImport());
    QVERIFY(!dialog.model());
    QVERIFY2(dialog.errorText().contains(QStringLiteral("builtins-eval.pt")), qPrintable(dialog.errorText()));
}

void TestImportDialog::importedModelTranslatesLikePyTorchAndSaves()
{
    ImportDialog dialog;
    fillWeights(dialog, QStringLiteral("bahdanau"));
    fillVocabularies(dialog);
    QVERIFY2(dialog.runImport(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.model());

    QFile file(torchDir + QStringLiteral("/bahdanau/reference.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject reference = QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray()[0].toObject();
    const QJsonObject greedy = reference[QStringLiteral("greedy")].toObject();

    attnviz::MainWindow window;
    window.useModel(std::make_shared<const attnviz::Model>(*dialog.model(), "imported"), QStringLiteral("imported"));
    window.setSentence(reference[QStringLiteral("sentence")].toString());
    QVERIFY(window.waitForTranslation());
    const attnviz::AlignmentModel &heatmap = *window.alignmentModel();
    const QJsonArray tokens = greedy[QStringLiteral("target_tokens")].toArray();
    QCOMPARE(heatmap.rows(), tokens.size());
    for (int i = 0; i < tokens.size(); ++i) {
        QCOMPARE(heatmap.rowLabel(i), tokens[i].toString());
        const QJsonArray row = greedy[QStringLiteral("attention")].toArray()[i].toArray();
        for (int j = 0; j < row.size(); ++j)
            QVERIFY(std::abs(heatmap.value(i, j) - row[j].toDouble()) < 1e-5);
    }

    // Saved, it loads back as a normal model file with the same weights.
    const QString saved = m_settings.filePath(QStringLiteral("imported.safetensors"));
    QString error;
    QVERIFY2(window.saveModelAs(saved, &error), qPrintable(error));
    const attnviz::ModelFile reloaded = attnviz::loadModelFile(saved.toStdString());
    QCOMPARE(reloaded.tensors.size(), dialog.model()->tensors.size());
    QVERIFY(reloaded.tensors.at("decoder.attention.energy_layer.weight").values
            == dialog.model()->tensors.at("decoder.attention.energy_layer.weight").values);
    QCOMPARE(window.modelPath(), saved);
    QVERIFY(!window.saveModelAs(QStringLiteral("/proc/self/m.safetensors"), &error));
    QVERIFY(error.contains(QStringLiteral("/proc/self/m.safetensors")));
}

// A Joey NMT directory, an OpenNMT-py checkpoint and the chatbot tutorial's .tar carry their
// vocabularies: the preview names the toolkit and what was found, the vocabulary rows are
// disabled, and the import gives the model openModel gives.
void TestImportDialog::toolkitCheckpointsNeedNoVocabularies_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("toolkit");
    const QString data = QStringLiteral(ATTNVIZ_TEST_DATA_DIR);
    QTest::addRow("joey directory") << data + QStringLiteral("/joey/gru-bahdanau-bridge") << QStringLiteral("Joey NMT");
    QTest::addRow("onmt") << data + QStringLiteral("/onmt/brnn-gru-dot-bridge/model_step_200.pt") << QStringLiteral("OpenNMT-py");
    QTest::addRow("chatbot") << data + QStringLiteral("/chatbot/general-1layer/1_checkpoint.tar")
                             << QStringLiteral("PyTorch chatbot tutorial");
}

void TestImportDialog::toolkitCheckpointsNeedNoVocabularies()
{
    QFETCH(QString, path);
    QFETCH(QString, toolkit);
    ImportDialog dialog;
    dialog.oneFileButton()->setChecked(true);
    dialog.checkpointEdit()->setText(path);
    QVERIFY2(dialog.previewText().startsWith(QStringLiteral("Recognised: a %1 model").arg(toolkit)),
             qPrintable(dialog.previewText()));
    QVERIFY(!dialog.sourceVocabEdit()->isEnabled());
    QVERIFY(!dialog.pairsButton()->isEnabled());
    QVERIFY2(dialog.runImport(), qPrintable(dialog.errorText()));
    const attnviz::ModelFile expected = attnviz::openModel(path.toStdString()).model;
    QCOMPARE(dialog.model()->sourceVocab, expected.sourceVocab);
    QCOMPARE(dialog.model()->tensors.size(), expected.tensors.size());
    QCOMPARE(attnviz::describeArchitecture(dialog.model()->config), attnviz::describeArchitecture(expected.config));
    // Back to a tutorial file: the vocabularies are asked for again.
    dialog.checkpointEdit()->setText(torchDir + QStringLiteral("/saved/general-checkpoint.tar"));
    QVERIFY(dialog.sourceVocabEdit()->isEnabled());
}

// An OpenNMT-py checkpoint keeps no transform: the dialog's subword rows (the CLI's
// --bpe-codes, --sentencepiece, --target-*) are enabled for it alone, and the imported model
// embeds the files, as attnviz-cli import does.
void TestImportDialog::openNmtSubwordFiles()
{
    const QString data = QStringLiteral(ATTNVIZ_TEST_DATA_DIR);
    const QString path = data + QStringLiteral("/onmt/lstm-general-feed/model_step_100.pt");
    const QString codes = data + QStringLiteral("/subword/codes.bpe");
    const QString spm = data + QStringLiteral("/subword/joey/spm-bpe-identity.model");
    ImportDialog dialog;
    QVERIFY(!dialog.bpeCodesEdit()->isEnabled()); // nothing chosen yet
    dialog.oneFileButton()->setChecked(true);
    // A path typed a letter at a time names no file at first: said, not thrown (it was).
    dialog.checkpointEdit()->setText(QStringLiteral("/w"));
    QVERIFY2(dialog.previewText().startsWith(QStringLiteral("Not recognised: /w")), qPrintable(dialog.previewText()));
    dialog.checkpointEdit()->setText(data + QStringLiteral("/chatbot/general-1layer/1_checkpoint.tar"));
    QVERIFY(!dialog.bpeCodesEdit()->isEnabled()); // the chatbot tutorial has no subwords
    dialog.checkpointEdit()->setText(path);
    QVERIFY(dialog.bpeCodesEdit()->isEnabled());
    QVERIFY(dialog.targetSentencePieceEdit()->isEnabled());
    QVERIFY2(!dialog.previewText().contains(QStringLiteral("Subwords")), qPrintable(dialog.previewText()));

    dialog.bpeCodesEdit()->setText(codes);
    dialog.targetSentencePieceEdit()->setText(spm);
    QVERIFY2(dialog.previewText().contains(QStringLiteral("Subwords: source BPE codes, target SentencePiece.")),
             qPrintable(dialog.previewText()));
    QCOMPARE(QString::fromStdString(dialog.subwordFiles().bpeCodes), codes);
    QVERIFY2(dialog.runImport(), qPrintable(dialog.errorText()));
    attnviz::ImportOptions options;
    options.subwords.bpeCodes = codes.toStdString();
    options.subwords.targetSentencePiece = spm.toStdString();
    const attnviz::ModelFile expected = attnviz::openModel(path.toStdString(), options).model;
    QVERIFY(dialog.model()->tokenizer && expected.tokenizer);
    QVERIFY(dialog.model()->tokenizer->source.codes == expected.tokenizer->source.codes);
    QVERIFY(!dialog.model()->tokenizer->source.codes.empty());
    QVERIFY(dialog.model()->tokenizer->target.sentencePieceModel == expected.tokenizer->target.sentencePieceModel);

    // Two on the source side: refused with the CLI's message, and the dialog stays open.
    dialog.sentencePieceEdit()->setText(spm);
    QVERIFY(!dialog.runImport());
    QVERIFY2(dialog.errorText().contains(QStringLiteral("--bpe-codes and --sentencepiece")), qPrintable(dialog.errorText()));
    // A missing file is named.
    dialog.sentencePieceEdit()->clear();
    dialog.bpeCodesEdit()->setText(QStringLiteral("/nonexistent/codes.bpe"));
    QVERIFY(!dialog.runImport());
    QVERIFY2(dialog.errorText().contains(QStringLiteral("/nonexistent/codes.bpe")), qPrintable(dialog.errorText()));
    // Another toolkit: the rows are disabled and not used.
    dialog.checkpointEdit()->setText(data + QStringLiteral("/joey/gru-bahdanau-bridge"));
    QVERIFY(!dialog.bpeCodesEdit()->isEnabled());
    QVERIFY(dialog.subwordFiles().empty());
}

QTEST_MAIN(TestImportDialog)
#include "tst_importdialog.moc"
