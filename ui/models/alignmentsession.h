// The gold links the window shows and scores: one GoldAlignment per sentence, either an
// alignment set opened from files (sentences, references, Pharaoh links; the set chooses the
// sentence) or the sentences annotated in the window (the links follow the sentence and
// reference typed). Opening, toggling, saving and the precision / recall / AER of the selected
// hypothesis against the links, without dialogs.
#pragma once

#include <attnviz/analysis/alignment.h>

#include <QObject>
#include <QStringList>

#include <optional>
#include <vector>

namespace attnviz {

class ResultSelection;

class AlignmentSession : public QObject
{
    Q_OBJECT
public:
    // The score follows the selection's hypothesis (not owned).
    explicit AlignmentSession(const ResultSelection *selection, QObject *parent = nullptr);

    // The sentence and reference now in the boxes. Links belong to the input they were made or
    // opened for: another input shows none (nor a score), and coming back shows them again.
    void followInput(const QString &sentence, const QString &reference);
    // The model in use (its path, or an imported model's label). A set from files belongs to the
    // model it was opened (or last stepped through) with: another model hides its links, going
    // back shows them. renameModel: the model in use was saved as `model`.
    void followModel(const QString &path);
    void renameModel(const QString &path);

    // Links of the current input (word positions, EOS excluded); nullopt drops every link and set
    // (close()). While a set from files is hidden (another sentence or model) nothing changes.
    void setGoldAlignment(std::optional<GoldAlignment> gold);
    void close() { setGoldAlignment(std::nullopt); }
    std::optional<GoldAlignment> goldAlignment() const; // nullopt while hidden
    // none -> sure -> none, on the current input's links; false while a set is hidden
    bool toggle(const Link &link);
    // A set from files whose sentence, reference or model is not the one in use.
    bool isHidden() const;

    // Sentences, references and gold links, one sentence per line; false with *error on
    // mismatched line counts or a Pharaoh syntax error. Chooses the first sentence.
    bool open(const QString &sentences, const QString &references, const QString &gold,
              QString *error);
    // A set from files: emits sentenceChosen() for its sentence index; nothing out of range.
    void showSentence(int index);
    bool isFromFiles() const { return m_fromFiles; }
    int size() const { return int(m_gold.size()); }
    int index() const { return m_index; } // into the set; -1: no links for this input
    // Every sentence of the set (or annotated), its reference and links, in order: what the Heads
    // panel scores as a whole set, whichever sentence is shown.
    const QStringList &setSentences() const { return m_sentences; }
    const QStringList &setReferences() const { return m_references; }
    const std::vector<GoldAlignment> &setLinks() const { return m_gold; }
    bool hasPrevious() const { return m_fromFiles && m_index > 0; }
    bool hasNext() const { return m_fromFiles && m_index + 1 < size(); }

    // The links (writePharaoh), atomically. Annotations made in the window, not in a set opened
    // from files, are saved as a set: NAME.src and NAME.ref beside the links.
    bool save(const QString &path, QString *error);
    QStringList files(const QString &path) const; // what save(path) writes
    // Links that differ from those opened or saved (toggling one on and off again is none).
    bool isModified() const { return changedSentences() > 0; }
    int changedSentences() const; // sentences whose links differ from the saved ones
    int annotatedSentences() const; // with at least one link
    QString statusText() const; // "Sentence 2 of 5", "Annotated: 3 sentence(s), not saved"

    double threshold() const { return m_threshold; } // the model's links: argmax, and above it
    void setThreshold(double threshold);
    // "P 1.00  R 0.67  AER 0.20 (3 model links, 3 sure)"; empty without links or result.
    QString scoreText() const;

signals:
    void goldChanged(); // the current links, the set, or whether it is saved
    void sentenceChosen(const QString &sentence, const QString &reference);
    void scoreChanged();

private:
    void changed();
    void keepSaved(); // what is there now is what the files hold

    const ResultSelection *m_selection;
    std::vector<GoldAlignment> m_gold;
    QStringList m_sentences, m_references;
    QString m_sentence, m_reference; // the input now typed
    QString m_model, m_setModel;      // the model in use; the one a set from files is for
    // As opened or last saved, to tell real changes.
    std::vector<GoldAlignment> m_savedGold;
    QStringList m_savedSentences, m_savedReferences;
    int m_index = -1;
    bool m_fromFiles = false;
    double m_threshold = 0;
};

} // namespace attnviz
