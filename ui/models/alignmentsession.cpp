#include "alignmentsession.h"

#include "exportwriter.h"
#include "resultselection.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace attnviz {

namespace {

// The lines of a text file, without the empty one after a final newline.
std::optional<QStringList> readLines(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = AlignmentSession::tr("Cannot read “%1”: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QString text = QString::fromUtf8(file.readAll());
    text.remove(QLatin1Char('\r'));
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    return text.isEmpty() ? QStringList() : text.split(QLatin1Char('\n'));
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
    m_sentence = sentence;
    m_reference = reference;
    if (m_fromFiles)
        return;
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

void AlignmentSession::setGoldAlignment(std::optional<GoldAlignment> gold)
{
    if (!gold) {
        m_gold.clear();
        m_sentences.clear();
        m_references.clear();
        m_index = -1;
        m_fromFiles = false;
        m_modified = false;
    } else if (m_index < 0) {
        // The first links for this sentence (and reference): a new entry of the annotations.
        m_gold.push_back(*gold);
        m_sentences << m_sentence;
        m_references << m_reference;
        m_index = int(m_gold.size()) - 1;
        m_modified = true;
    } else {
        m_gold[size_t(m_index)] = *gold;
        m_modified = true;
    }
    changed();
}

std::optional<GoldAlignment> AlignmentSession::goldAlignment() const
{
    if (m_index < 0)
        return std::nullopt;
    return m_gold[size_t(m_index)];
}

void AlignmentSession::toggle(const Link &link)
{
    GoldAlignment gold = goldAlignment().value_or(GoldAlignment {});
    gold.toggle(link);
    setGoldAlignment(gold);
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
    m_modified = false;
    m_index = 0;
    showSentence(0);
    return true;
}

void AlignmentSession::showSentence(int index)
{
    if (!m_fromFiles || index < 0 || index >= size())
        return;
    m_index = index;
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
    m_modified = false;
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
    if (m_fromFiles)
        return tr("Sentence %1 of %2").arg(m_index + 1).arg(m_gold.size());
    if (m_gold.empty())
        return {};
    return tr("Annotated: %n sentence(s)%1", nullptr, annotatedSentences())
        .arg(m_modified ? tr(", not saved") : QString());
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
