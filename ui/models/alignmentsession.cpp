#include "alignmentsession.h"

#include "exportwriter.h"
#include "resultselection.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace attnviz {

namespace {

// The lines of a text file, without the empty one after a final newline. "\n" is one empty line
// (what save() writes for one sentence without a reference); only an empty file has none.
std::optional<QStringList> readLines(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = AlignmentSession::tr("Cannot read “%1”: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QString text = QString::fromUtf8(file.readAll());
    text.remove(QLatin1Char('\r'));
    if (text.isEmpty())
        return QStringList();
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    return text.split(QLatin1Char('\n'));
}

QByteArray lines(const QStringList &texts)
{
    QByteArray bytes;
    for (const QString &text : texts)
        bytes += text.toUtf8() + '\n';
    return bytes;
}

} // namespace

AlignmentSession::AlignmentSession(const ResultSelection *selection, QObject *parent)
    : QObject(parent)
    , m_selection(selection)
{
    connect(selection, &ResultSelection::hypothesisChanged, this, &AlignmentSession::scoreChanged);
}

void AlignmentSession::changed()
{
    emit goldChanged();
    emit scoreChanged();
}

void AlignmentSession::followInput(const QString &sentence, const QString &reference)
{
    if (m_fromFiles) {
        const QString before = statusText();
        m_sentence = sentence;
        m_reference = reference;
        if (statusText() != before) // shown or hidden, and why
            changed();
        return;
    }
    m_sentence = sentence;
    m_reference = reference;
    const int before = m_index;
    m_index = -1;
    for (int i = 0; i < m_sentences.size(); ++i) {
        if (m_sentences[i] == sentence && m_references[i] == reference) {
            m_index = i;
            break;
        }
    }
    if (m_index != before)
        changed();
}

namespace {

// One model opened by two spellings of its path ("sample_models/x", "/work/…/x") is one model.
QString modelKey(const QString &model)
{
    const QString canonical = QFileInfo(model).canonicalFilePath();
    return canonical.isEmpty() ? model : canonical;
}

} // namespace

void AlignmentSession::followModel(const QString &path)
{
    const QString model = modelKey(path);
    const QString before = statusText();
    m_model = model;
    if (m_fromFiles && m_setModel.isEmpty()) // opened before any model: the first one
        m_setModel = model;
    if (m_fromFiles && statusText() != before)
        changed();
}

void AlignmentSession::renameModel(const QString &path)
{
    const QString model = modelKey(path);
    if (m_fromFiles && m_setModel == m_model)
        m_setModel = model;
    m_model = model;
}

bool AlignmentSession::isHidden() const
{
    return m_fromFiles && m_index >= 0
        && (m_sentences[m_index] != m_sentence || m_references[m_index] != m_reference
            || m_setModel != m_model);
}

void AlignmentSession::setGoldAlignment(std::optional<GoldAlignment> gold)
{
    if (!gold) {
        m_gold.clear();
        m_sentences.clear();
        m_references.clear();
        m_index = -1;
        m_fromFiles = false;
        m_setModel.clear();
        keepSaved();
    } else if (isHidden()) {
        return;
    } else if (m_index < 0) {
        // The first links for this sentence (and reference): a new entry of the annotations.
        m_gold.push_back(*gold);
        m_sentences << m_sentence;
        m_references << m_reference;
        m_index = int(m_gold.size()) - 1;
    } else {
        m_gold[size_t(m_index)] = *gold;
    }
    changed();
}

std::optional<GoldAlignment> AlignmentSession::goldAlignment() const
{
    if (m_index < 0 || isHidden())
        return std::nullopt;
    return m_gold[size_t(m_index)];
}

bool AlignmentSession::toggle(const Link &link)
{
    if (isHidden())
        return false;
    GoldAlignment gold = goldAlignment().value_or(GoldAlignment {});
    gold.toggle(link);
    setGoldAlignment(gold);
    return true;
}

void AlignmentSession::keepSaved()
{
    m_savedGold = m_gold;
    m_savedSentences = m_sentences;
    m_savedReferences = m_references;
}

int AlignmentSession::changedSentences() const
{
    int changed = 0;
    for (size_t i = 0; i < m_gold.size(); ++i) {
        // The saved entry at the same place (a set, or annotations saved since); annotations
        // gain entries as sentences are typed: else the saved one of the same input, or none.
        const int at = int(i);
        const bool samePlace = at < m_savedSentences.size() && m_savedSentences[at] == m_sentences[at]
            && m_savedReferences[at] == m_references[at];
        GoldAlignment saved;
        if (samePlace)
            saved = m_savedGold[i];
        for (int j = 0; !samePlace && j < m_savedSentences.size(); ++j) {
            if (m_savedSentences[j] == m_sentences[int(i)]
                && m_savedReferences[j] == m_references[int(i)]) {
                saved = m_savedGold[size_t(j)];
                break;
            }
        }
        if (saved != m_gold[i])
            ++changed;
    }
    return changed;
}

bool AlignmentSession::open(const QString &sentencesPath, const QString &referencesPath,
                            const QString &goldPath, QString *error)
{
    QString message;
    const auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    const std::optional<QStringList> sentences = readLines(sentencesPath, &message);
    if (!sentences)
        return fail(message);
    const std::optional<QStringList> references = readLines(referencesPath, &message);
    if (!references)
        return fail(message);
    QFile goldFile(goldPath);
    if (!goldFile.open(QIODevice::ReadOnly))
        return fail(tr("Cannot read “%1”: %2").arg(goldPath, goldFile.errorString()));
    std::vector<GoldAlignment> gold;
    try {
        gold = parsePharaoh(goldFile.readAll().toStdString(),
                            QFileInfo(goldPath).fileName().toStdString());
    } catch (const std::exception &e) {
        return fail(QString::fromStdString(e.what()));
    }
    if (sentences->isEmpty())
        return fail(tr("“%1” has no sentences.").arg(sentencesPath));
    if (references->size() != sentences->size() || int(gold.size()) != sentences->size())
        return fail(
            tr("The files do not line up: %1 sentences, %2 references and %3 gold alignment lines.")
                .arg(sentences->size())
                .arg(references->size())
                .arg(gold.size()));
    m_gold = std::move(gold);
    m_sentences = *sentences;
    m_references = *references;
    m_fromFiles = true;
    m_setModel = m_model;
    keepSaved();
    m_index = 0;
    showSentence(0);
    return true;
}

void AlignmentSession::showSentence(int index)
{
    if (!m_fromFiles || index < 0 || index >= size())
        return;
    // Stepping through the set is using it with the model now in use.
    m_setModel = m_model;
    m_index = index;
    m_sentence = m_sentences[index];
    m_reference = m_references[index];
    emit sentenceChosen(m_sentences[index], m_references[index]);
    changed();
}

QStringList AlignmentSession::files(const QString &path) const
{
    if (m_fromFiles)
        return {path};
    // Annotations made in the window are saved as a set that open() reads:
    // NAME.src (sentences), NAME.ref (references), and the links at `path` (NAME.gold).
    const QFileInfo info(path);
    const QString base = info.absolutePath() + QLatin1Char('/') + info.completeBaseName();
    const QString suffix = info.suffix().toLower();
    const QString gold = suffix == QLatin1String("src") || suffix == QLatin1String("ref")
        ? base + QStringLiteral(".gold")
        : path;
    return {base + QStringLiteral(".src"), base + QStringLiteral(".ref"), gold};
}

bool AlignmentSession::save(const QString &path, QString *error)
{
    if (m_gold.empty()) {
        if (error)
            *error =
                tr("There are no gold links to save: open an alignment set or annotate first.");
        return false;
    }
    const QStringList paths = files(path);
    // Each file is replaced whole or not at all; the links go last, so a failure never leaves
    // links that do not match the sentences beside them.
    if (paths.size() == 3
        && (!writeFileAtomically(paths[0], lines(m_sentences), error)
            || !writeFileAtomically(paths[1], lines(m_references), error)))
        return false;
    if (!writeFileAtomically(paths.last(), QByteArray::fromStdString(writePharaoh(m_gold)), error))
        return false;
    keepSaved();
    emit goldChanged();
    return true;
}

int AlignmentSession::annotatedSentences() const
{
    return int(std::count_if(m_gold.begin(), m_gold.end(), [](const GoldAlignment &g) {
        return !g.sure.empty() || !g.possible.empty();
    }));
}

QString AlignmentSession::statusText() const
{
    if (m_fromFiles) {
        const QString where = tr("Sentence %1 of %2").arg(m_index + 1).arg(m_gold.size());
        if (!isHidden())
            return where;
        // Short: the status bar's permanent part sets the window's minimum width.
        if (m_setModel != m_model)
            return tr("%1 (hidden: another model)").arg(where);
        return tr("%1 (hidden: another sentence)").arg(where);
    }
    if (m_gold.empty())
        return {};
    return tr("Annotated: %n sentence(s)%1", nullptr, annotatedSentences())
        .arg(isModified() ? tr(", not saved") : QString());
}

void AlignmentSession::setThreshold(double threshold)
{
    if (threshold == m_threshold)
        return;
    m_threshold = threshold;
    emit scoreChanged();
}

QString AlignmentSession::scoreText() const
{
    const std::optional<GoldAlignment> gold = goldAlignment();
    const TranslationResult *result = m_selection->result();
    const Hypothesis *hypothesis = m_selection->hypothesis();
    if (!gold || !result || !hypothesis)
        return {};
    const AlignmentCounts counts =
        countAgreement(hardLinks(*result, *hypothesis, m_threshold), *gold);
    return tr("P %1  R %2  AER %3 (%4 model links, %5 sure)")
        .arg(QString::number(counts.precision(), 'f', 2), QString::number(counts.recall(), 'f', 2),
             QString::number(counts.alignmentErrorRate(), 'f', 2))
        .arg(counts.a)
        .arg(counts.s);
}

} // namespace attnviz
