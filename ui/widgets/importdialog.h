// File → Import checkpoint…: the tutorial's torch.save files and vocabularies in, an
// attnviz model out, with a preview of the architecture recognised from the tensors. One
// checkpoint may also be a Joey NMT model directory or .ckpt, an OpenNMT-py *_step_N.pt or the
// chatbot tutorial's .tar: those carry their vocabularies, which the dialog then does not ask for.
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/io/model_import.h>
#include <attnviz/io/torch_import.h>

#include "settings.h"

#include <QDialog>

#include <optional>

class QCheckBox;
class QGridLayout;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace attnviz {

class ImportDialog : public QDialog
{
    Q_OBJECT
public:
    // With settings, each Browse starts in the folder last used for its kind of file (else
    // beside currentModel) and remembers where it ended.
    explicit ImportDialog(QWidget *parent = nullptr, Settings *settings = nullptr,
                          const QString &currentModel = {});

    TorchImportOptions options() const;
    // An OpenNMT-py checkpoint's subword files (it keeps no transform): the CLI's --bpe-codes,
    // --sentencepiece, --target-bpe-codes and --target-sentencepiece, embedded on import.
    SubwordFiles subwordFiles() const;
    // The architecture line of the preview, or the reason there is none.
    QString previewText() const;
    // Runs the import; on success the model is kept for model(), on failure errorText() says why.
    bool runImport();
    const std::optional<ModelFile> &model() const { return m_model; }
    QString errorText() const;
    // What the window calls the imported model: the name typed, else the weights file's name
    // with " (imported)".
    QString modelLabel() const;

    // For tests and for remembering the last folders.
    QLineEdit *encoderEdit() const { return m_encoder; }
    QLineEdit *decoderEdit() const { return m_decoder; }
    QLineEdit *checkpointEdit() const { return m_checkpoint; }
    QLineEdit *sourceVocabEdit() const { return m_sourceVocab; }
    QLineEdit *targetVocabEdit() const { return m_targetVocab; }
    QLineEdit *pairsEdit() const { return m_pairs; }
    QLineEdit *bpeCodesEdit() const { return m_bpeCodes; }
    QLineEdit *sentencePieceEdit() const { return m_sentencePiece; }
    QLineEdit *targetBpeCodesEdit() const { return m_targetBpeCodes; }
    QLineEdit *targetSentencePieceEdit() const { return m_targetSentencePiece; }
    QRadioButton *oneFileButton() const { return m_oneFile; }
    QRadioButton *pairsButton() const { return m_fromPairs; }
    QCheckBox *reverseBox() const { return m_reverse; }
    QCheckBox *filterBox() const { return m_filter; }

    void accept() override; // imports; stays open with the message when that fails

private:
    void updatePreview();
    static QString ignoredText(const std::vector<std::string> &entries);
    void updateEnabled();
    QLineEdit *addFileRow(QGridLayout *grid, int row, const QString &label, const QString &filter,
                          Settings::FileKind kind);

    QRadioButton *m_twoFiles, *m_oneFile, *m_fromVocabFiles, *m_fromPairs;
    QLineEdit *m_encoder, *m_decoder, *m_checkpoint, *m_sourceVocab, *m_targetVocab, *m_pairs, *m_name;
    QLineEdit *m_bpeCodes, *m_sentencePiece, *m_targetBpeCodes, *m_targetSentencePiece;
    QCheckBox *m_reverse, *m_filter;
    QComboBox *m_activation;
    QLabel *m_preview, *m_error;
    QDialogButtonBox *m_buttons;
    bool m_legacy = false;
    QString m_toolkit; // the one checkpoint is this toolkit's (Joey NMT, OpenNMT-py...): it holds everything
    QPushButton *m_directory;
    Settings *m_settings;
    QString m_currentModel;
    std::optional<ModelFile> m_model;
};

} // namespace attnviz
