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

    // The sentence and reference now in the boxes. Without a set from files, annotations belong
    // to the input they were made for: another input shows none, and coming back shows them again.
    void followInput(const QString &sentence, const QString &reference);

    // Links of the current input (word positions, EOS excluded); nullopt drops every link and set.
    void setGoldAlignment(std::optional<GoldAlignment> gold);
    std::optional<GoldAlignment> goldAlignment() const;
    void toggle(const Link &link); // none -> sure -> none, on the current input's links

    // Sentences, references and gold links, one sentence per line; false with *error on
    // mismatched line counts or a Pharaoh syntax error. Chooses the first sentence.
    bool open(const QString &sentences, const QString &references, const QString &gold,
              QString *error);
    // A set from files: emits sentenceChosen() for its sentence index; nothing out of range.
    void showSentence(int index);
    bool isFromFiles() const { return m_fromFiles; }
    int size() const { return int(m_gold.size()); }
    int index() const { return m_index; } // into the set; -1: no links for this input
    bool hasPrevious() const { return m_fromFiles && m_index > 0; }
    bool hasNext() const { return m_fromFiles && m_index + 1 < size(); }

    // The links (writePharaoh), atomically. Annotations made in the window, not in a set opened
    // from files, are saved as a set: NAME.src and NAME.ref beside the links.
    bool save(const QString &path, QString *error);
    QStringList files(const QString &path) const; // what save(path) writes
    bool isModified() const { return m_modified; } // changed since opened or saved
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

    const ResultSelection *m_selection;
    std::vector<GoldAlignment> m_gold;
    QStringList m_sentences, m_references;
    QString m_sentence, m_reference; // the input now typed
    int m_index = -1;
    bool m_fromFiles = false;
    bool m_modified = false;
    double m_threshold = 0;
};

} // namespace attnviz
