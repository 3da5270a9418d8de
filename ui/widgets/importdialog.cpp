#include "importdialog.h"

#include <attnviz/io/model_import.h>
#include <attnviz/io/tokenizer.h>

#include <QCheckBox>
#include <QCoreApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace attnviz {
namespace {

std::string local(const QLineEdit *edit)
{
    return QFile::encodeName(edit->text().trimmed()).toStdString();
}

QString sideText(const TokenizerSide &side)
{
    switch (side.kind) {
    case TokenizerKind::Bpe:
        return QCoreApplication::translate("ImportDialog", "BPE codes");
    case TokenizerKind::SentencePiece:
        return QCoreApplication::translate("ImportDialog", "SentencePiece");
    case TokenizerKind::Character:
        return QCoreApplication::translate("ImportDialog", "characters");
    default:
        return QCoreApplication::translate("ImportDialog", "words");
    }
}

// "source BPE codes, target SentencePiece"
QString tokenizerText(const TokenizerRecord &record)
{
    return QCoreApplication::translate("ImportDialog", "source %1, target %2")
        .arg(sideText(record.source), sideText(record.target));
}

} // namespace

ImportDialog::ImportDialog(QWidget *parent, Settings *settings, const QString &currentModel)
    : QDialog(parent)
    , m_settings(settings)
    , m_currentModel(currentModel)
{
    setWindowTitle(tr("Import checkpoint"));
    const QString torchFilter = tr("PyTorch checkpoints (*.pt *.pth);;All files (*)");
    const QString vocabFilter = tr("Vocabularies (*.json *.txt);;All files (*)");

    auto *weights = new QGroupBox(tr("Weights: the tutorial's torch.save files, or a toolkit's checkpoint"), this);
    auto *weightsGrid = new QGridLayout(weights);
    m_twoFiles = new QRadioButton(tr("&Encoder and decoder files (the tutorial's)"), weights);
    m_oneFile = new QRadioButton(tr("One &checkpoint: encoder.* and decoder.*, or a Joey NMT, OpenNMT-py or chatbot-tutorial model"), weights);
    m_twoFiles->setChecked(true);
    weightsGrid->addWidget(m_twoFiles, 0, 0, 1, 3);
    m_encoder = addFileRow(weightsGrid, 1, tr("Encoder:"), torchFilter, Settings::FileKind::Checkpoint);
    m_decoder = addFileRow(weightsGrid, 2, tr("Decoder:"), torchFilter, Settings::FileKind::Checkpoint);
    weightsGrid->addWidget(m_oneFile, 3, 0, 1, 3);
    m_checkpoint = addFileRow(weightsGrid, 4, tr("Checkpoint:"),
                              tr("Checkpoints (*.pt *.pth *.tar *.ckpt);;All files (*)"), Settings::FileKind::Checkpoint);
    // A Joey NMT model is a directory (config.yaml, vocabularies, N.ckpt).
    m_directory = new QPushButton(tr("Joey NMT &directory…"), weights);
    m_directory->setToolTip(tr("Choose a Joey NMT model directory: its config.yaml, vocabulary files and best checkpoint"));
    connect(m_directory, &QPushButton::clicked, this, [this]() {
        QString start = m_checkpoint->text().isEmpty() ? QString() : QFileInfo(m_checkpoint->text()).absolutePath();
        if (start.isEmpty() && m_settings)
            start = m_settings->startDirectory(Settings::FileKind::Checkpoint, m_currentModel);
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose a Joey NMT model directory"), start);
        if (dir.isEmpty())
            return;
        m_checkpoint->setText(dir);
        if (m_settings)
            m_settings->rememberDirectoryOf(Settings::FileKind::Checkpoint, dir + QStringLiteral("/config.yaml"));
    });
    weightsGrid->addWidget(m_directory, 5, 1, 1, 2, Qt::AlignLeft);

    auto *vocab = new QGroupBox(tr("Vocabularies (the tutorial does not save them)"), this);
    auto *vocabGrid = new QGridLayout(vocab);
    m_fromVocabFiles = new QRadioButton(tr("&Vocabulary files: JSON lists or one word per line"), vocab);
    m_fromPairs = new QRadioButton(tr("Rebuild from the training &pairs file with the tutorial's Lang rules"), vocab);
    m_fromVocabFiles->setChecked(true);
    vocabGrid->addWidget(m_fromVocabFiles, 0, 0, 1, 3);
    m_sourceVocab = addFileRow(vocabGrid, 1, tr("Source:"), vocabFilter, Settings::FileKind::Vocabulary);
    m_targetVocab = addFileRow(vocabGrid, 2, tr("Target:"), vocabFilter, Settings::FileKind::Vocabulary);
    vocabGrid->addWidget(m_fromPairs, 3, 0, 1, 3);
    m_pairs = addFileRow(vocabGrid, 4, tr("Pairs:"), tr("Text files (*.txt *.tsv);;All files (*)"),
                         Settings::FileKind::TrainingPairs);
    m_reverse = new QCheckBox(tr("&Reverse the pairs (the tutorial's fra → eng)"), vocab);
    m_filter = new QCheckBox(tr("&Filter as the tutorial does (fewer than 10 words, English prefixes)"), vocab);
    vocabGrid->addWidget(m_reverse, 5, 1, 1, 2);
    vocabGrid->addWidget(m_filter, 6, 1, 1, 2);

    // OpenNMT-py keeps its transforms out of the checkpoint: the subword files, as the CLI takes them.
    auto *subwords = new QGroupBox(tr("Subwords of an OpenNMT-py model (its checkpoint does not keep them)"), this);
    auto *subwordGrid = new QGridLayout(subwords);
    const QString codesFilter = tr("subword-nmt codes (*.bpe *.codes *.txt);;All files (*)");
    const QString spmFilter = tr("SentencePiece models (*.model);;All files (*)");
    m_bpeCodes = addFileRow(subwordGrid, 0, tr("Source BPE codes:"), codesFilter, Settings::FileKind::Vocabulary);
    m_sentencePiece = addFileRow(subwordGrid, 1, tr("Source SentencePiece:"), spmFilter, Settings::FileKind::Vocabulary);
    m_targetBpeCodes = addFileRow(subwordGrid, 2, tr("Target BPE codes:"), codesFilter, Settings::FileKind::Vocabulary);
    m_targetSentencePiece = addFileRow(subwordGrid, 3, tr("Target SentencePiece:"), spmFilter, Settings::FileKind::Vocabulary);
    m_bpeCodes->setObjectName(QStringLiteral("bpeCodes"));
    m_sentencePiece->setObjectName(QStringLiteral("sentencePiece"));
    m_targetBpeCodes->setObjectName(QStringLiteral("targetBpeCodes"));
    m_targetSentencePiece->setObjectName(QStringLiteral("targetSentencePiece"));
    for (QLineEdit *edit : {m_bpeCodes, m_sentencePiece, m_targetBpeCodes, m_targetSentencePiece})
        edit->setPlaceholderText(tr("empty: as the source side"));
    m_bpeCodes->setPlaceholderText(tr("--bpe-codes: or a SentencePiece model, not both"));
    m_sentencePiece->setPlaceholderText(tr("--sentencepiece"));

    auto *options = new QGridLayout;
    options->addWidget(new QLabel(tr("After attn_combine:"), this), 0, 0);
    m_activation = new QComboBox(this);
    m_activation->addItem(tr("ReLU (the original tutorial)"));
    m_activation->addItem(tr("none (as in our design notes)"));
    m_activation->setToolTip(tr("Only the original tutorial's decoder has this choice"));
    options->addWidget(m_activation, 0, 1);
    options->addWidget(new QLabel(tr("&Name:"), this), 1, 0);
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(tr("shown in the window and the model info"));
    qobject_cast<QLabel *>(options->itemAtPosition(1, 0)->widget())->setBuddy(m_name);
    options->addWidget(m_name, 1, 1);

    m_preview = new QLabel(this);
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setWordWrap(true);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ImportDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ImportDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(weights);
    layout->addWidget(vocab);
    layout->addWidget(subwords);
    layout->addLayout(options);
    layout->addWidget(m_preview);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    for (QRadioButton *radio : {m_twoFiles, m_oneFile, m_fromVocabFiles, m_fromPairs})
        connect(radio, &QRadioButton::toggled, this, [this]() {
            updateEnabled();
            updatePreview();
        });
    for (QLineEdit *edit : {m_encoder, m_decoder, m_checkpoint, m_bpeCodes, m_sentencePiece, m_targetBpeCodes,
                            m_targetSentencePiece})
        connect(edit, &QLineEdit::textChanged, this, &ImportDialog::updatePreview);
    updateEnabled();
    updatePreview();
}

QLineEdit *ImportDialog::addFileRow(QGridLayout *grid, int row, const QString &label, const QString &filter,
                                     Settings::FileKind kind)
{
    auto *edit = new QLineEdit(this);
    auto *text = new QLabel(label, this);
    text->setBuddy(edit);
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this, edit, filter, kind]() {
        QString start = edit->text().isEmpty() ? QString() : QFileInfo(edit->text()).absolutePath();
        if (start.isEmpty() && m_settings)
            start = m_settings->startDirectory(kind, m_currentModel);
        const QString path = QFileDialog::getOpenFileName(this, tr("Choose a file"), start, filter);
        if (path.isEmpty())
            return;
        edit->setText(path);
        if (m_settings)
            m_settings->rememberDirectoryOf(kind, path);
    });
    grid->addWidget(text, row, 0);
    grid->addWidget(edit, row, 1);
    grid->addWidget(browse, row, 2);
    return edit;
}

void ImportDialog::updateEnabled()
{
    const bool two = m_twoFiles->isChecked(), files = m_fromVocabFiles->isChecked();
    for (QLineEdit *edit : {m_encoder, m_decoder})
        edit->setEnabled(two);
    m_checkpoint->setEnabled(!two);
    m_directory->setEnabled(!two);
    // A toolkit's checkpoint carries its vocabularies: nothing to fix there.
    const bool vocabularies = m_toolkit.isEmpty();
    m_fromVocabFiles->setEnabled(vocabularies);
    m_fromPairs->setEnabled(vocabularies);
    for (QLineEdit *edit : {m_sourceVocab, m_targetVocab})
        edit->setEnabled(vocabularies && files);
    m_pairs->setEnabled(vocabularies && !files);
    m_reverse->setEnabled(vocabularies && !files);
    m_filter->setEnabled(vocabularies && !files);
    m_activation->setEnabled(m_legacy);
    const bool onmt = m_toolkit == QLatin1String("OpenNMT-py");
    for (QLineEdit *edit : {m_bpeCodes, m_sentencePiece, m_targetBpeCodes, m_targetSentencePiece})
        edit->setEnabled(onmt);
}

SubwordFiles ImportDialog::subwordFiles() const
{
    SubwordFiles files;
    if (m_toolkit != QLatin1String("OpenNMT-py"))
        return files;
    files.bpeCodes = local(m_bpeCodes);
    files.sentencePiece = local(m_sentencePiece);
    files.targetBpeCodes = local(m_targetBpeCodes);
    files.targetSentencePiece = local(m_targetSentencePiece);
    return files;
}

TorchImportOptions ImportDialog::options() const
{
    TorchImportOptions o;
    if (m_twoFiles->isChecked()) {
        o.encoderPath = local(m_encoder);
        o.decoderPath = local(m_decoder);
    } else {
        o.checkpointPath = local(m_checkpoint);
    }
    if (m_fromVocabFiles->isChecked()) {
        o.sourceVocabPath = local(m_sourceVocab);
        o.targetVocabPath = local(m_targetVocab);
    } else {
        o.pairsPath = local(m_pairs);
        o.reversePairs = m_reverse->isChecked();
        o.filterPairs = m_filter->isChecked();
    }
    o.combineRelu = m_activation->currentIndex() == 0;
    o.name = m_name->text().trimmed().toStdString();
    return o;
}

// " Ignored: epoch (12), loss (0.75)." for the preview, or nothing.
QString ImportDialog::ignoredText(const std::vector<std::string> &entries)
{
    QStringList ignored;
    for (const std::string &entry : entries)
        ignored << QString::fromStdString(entry);
    return ignored.isEmpty() ? QString() : QLatin1Char(' ') + tr("Ignored: %1.").arg(ignored.join(QStringLiteral(", ")));
}

// Reads the weights alone and names the architecture, so a wrong file shows before importing.
void ImportDialog::updatePreview()
{
    m_legacy = false;
    m_toolkit.clear();
    const TorchImportOptions o = options();
    const bool ready = m_oneFile->isChecked() ? !o.checkpointPath.empty()
                                              : !o.encoderPath.empty() && !o.decoderPath.empty();
    if (!ready) {
        m_preview->setText(tr("Choose the weights to see which architecture they are."));
        updateEnabled();
        return;
    }
    if (m_oneFile->isChecked()) {
        try { // a path typed half-way may name no file yet
            m_toolkit = QString::fromStdString(recognizeToolkit(o.checkpointPath));
        } catch (const std::exception &error) {
            m_preview->setText(tr("Not recognised: %1").arg(QString::fromStdString(error.what())));
            updateEnabled();
            return;
        }
    }
    if (!m_toolkit.isEmpty()) {
        try {
            ImportOptions withSubwords;
            withSubwords.checkpointPath = o.checkpointPath;
            withSubwords.subwords = subwordFiles();
            const ImportedModel imported = openModel(o.checkpointPath, withSubwords);
            QString text = tr("Recognised: a %1 model (%2), %3. Vocabularies: %4.")
                               .arg(m_toolkit, QString::fromStdString(imported.report.format),
                                    QString::fromStdString(imported.report.configuration),
                                    QString::fromStdString(imported.report.vocabularies));
            if (const auto &tokenizer = imported.model.tokenizer)
                text += QLatin1Char(' ') + tr("Subwords: %1.").arg(tokenizerText(*tokenizer));
            m_preview->setText(text + ignoredText(imported.report.ignored));
        } catch (const std::exception &error) {
            m_preview->setText(tr("Not recognised: %1").arg(QString::fromStdString(error.what())));
        }
        updateEnabled();
        return;
    }
    try {
        const TutorialWeights weights = findTutorialWeights(o);
        const ModelConfig config = detectArchitecture(weights.encoder, weights.decoder, "weights");
        const std::optional<Architecture> architecture = architectureOf(config);
        m_legacy = architecture == Architecture::TutorialLegacy;
        QString kind;
        switch (architecture.value_or(Architecture::Bahdanau)) {
        case Architecture::Bahdanau:
            kind = tr("the current tutorial's Bahdanau (additive) attention");
            break;
        case Architecture::Luong:
            kind = tr("Luong attention, %1 score").arg(QString::fromStdString(scoreName(config.attention.score)));
            break;
        case Architecture::TutorialLegacy:
            kind = tr("the original tutorial's location attention over %1 slots").arg(config.attention.locationSlots);
            break;
        }
        QString text = tr("Recognised: %1, hidden size %2.").arg(kind).arg(config.decoder.hiddenSize);
        QStringList langs;
        for (const std::string &path : weights.vocabularies)
            langs << QString::fromStdString(path);
        if (langs.size() >= 2)
            text += QLatin1Char(' ') + tr("Vocabularies in the file: %1.").arg(langs.join(QStringLiteral(", ")));
        m_preview->setText(text + ignoredText(weights.ignored));
    } catch (const std::exception &error) {
        m_preview->setText(tr("Not recognised: %1").arg(QString::fromStdString(error.what())));
    }
    updateEnabled();
}

QString ImportDialog::previewText() const
{
    return m_preview->text();
}

QString ImportDialog::errorText() const
{
    return m_error->text();
}

bool ImportDialog::runImport()
{
    m_model.reset();
    try {
        const TorchImportOptions o = options();
        if (!m_toolkit.isEmpty()) {
            ImportOptions withSubwords;
            withSubwords.checkpointPath = o.checkpointPath;
            withSubwords.subwords = subwordFiles();
            m_model = openModel(o.checkpointPath, withSubwords).model;
            if (!o.name.empty())
                m_model->config.name = o.name;
        } else {
            m_model = importTorchCheckpoint(o);
        }
        m_error->clear();
        return true;
    } catch (const std::exception &error) {
        m_error->setText(QString::fromStdString(error.what()));
        return false;
    }
}

void ImportDialog::accept()
{
    if (runImport())
        QDialog::accept();
}

QString ImportDialog::modelLabel() const
{
    const std::string name = options().name;
    if (!name.empty())
        return QString::fromStdString(name);
    const QLineEdit *weights = m_checkpoint->isEnabled() ? m_checkpoint : m_decoder;
    return QFileInfo(weights->text()).completeBaseName() + tr(" (imported)");
}

} // namespace attnviz
