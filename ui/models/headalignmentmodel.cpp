#include "headalignmentmodel.h"

#include "alignmentsession.h"
#include "headgridmodel.h"
#include "resultselection.h"
#include "workerjob.h"

#include <attnviz/decoding/options.h>
#include <attnviz/models/model.h>

#include <QColor>
#include <QFont>
#include <QPointer>

namespace attnviz {

QString bestHeadName(const HeadScores::Best &best)
{
    if (best.layer < 0)
        return HeadAlignmentModel::tr("all layers");
    if (best.head < 0)
        return HeadAlignmentModel::tr("layer %1, mean").arg(best.layer + 1);
    return HeadAlignmentModel::tr("layer %1, head %2").arg(best.layer + 1).arg(best.head + 1);
}

HeadAlignmentModel::HeadAlignmentModel(ResultSelection *selection, const AlignmentSession *gold, QObject *parent)
    : QAbstractTableModel(parent), m_selection(selection), m_gold(gold)
{
    // The session's score follows the selection's hypothesis (and so every view and reading).
    connect(gold, &AlignmentSession::goldChanged, this, &HeadAlignmentModel::recompute);
    connect(gold, &AlignmentSession::scoreChanged, this, &HeadAlignmentModel::recompute);
    m_pool.setMaxThreadCount(1);
    recompute();
}

HeadAlignmentModel::~HeadAlignmentModel()
{
    if (m_setCancel)
        m_setCancel->store(true);
    m_pool.waitForDone();
}

bool HeadAlignmentModel::SetKey::operator==(const SetKey &other) const
{
    return model == other.model && words == other.words && threshold == other.threshold
        && sentences == other.sentences && references == other.references && links == other.links;
}

HeadAlignmentModel::SetKey HeadAlignmentModel::setKey() const
{
    SetKey key;
    key.model = m_model.get();
    key.words = m_selection->showsWords() || (!m_selection->hasResult() && m_setKey.words);
    key.threshold = m_gold->threshold();
    // A set from files is scored whole; of the sentences annotated in the window, those with links.
    const QStringList &sentences = m_gold->setSentences(), &references = m_gold->setReferences();
    const std::vector<GoldAlignment> &links = m_gold->setLinks();
    for (int n = 0; n < sentences.size() && size_t(n) < links.size(); ++n) {
        if (!m_gold->isFromFiles() && links[size_t(n)].sure.empty() && links[size_t(n)].possible.empty())
            continue;
        key.sentences << sentences[n];
        key.references << (n < references.size() ? references[n] : QString());
        key.links.push_back(links[size_t(n)]);
    }
    return key;
}

bool HeadAlignmentModel::canScore(const SetKey &key) const
{
    return m_model && m_model->isTransformer() && !key.sentences.isEmpty();
}

bool HeadAlignmentModel::canScoreSet() const
{
    return canScore(setKey());
}

int HeadAlignmentModel::setSize() const
{
    return m_setRunning ? m_setTotal : m_set ? m_set->sentences : int(setKey().sentences.size());
}

void HeadAlignmentModel::setScope(Scope scope)
{
    if (scope == m_scope)
        return;
    beginResetModel();
    if (scope == Scope::Sentence)
        stopSet();
    m_scope = scope;
    refreshSet();
    endResetModel();
    emit changed();
}

void HeadAlignmentModel::stopSet()
{
    if (m_setCancel)
        m_setCancel->store(true);
    ++m_setJob; // a result still queued is dropped
    if (m_setRunning)
        m_set.reset(); // half a set is no score: computed again when asked
    m_setRunning = false;
}

void HeadAlignmentModel::dropSet()
{
    stopSet();
    m_set.reset();
    m_setFailed = false;
}

void HeadAlignmentModel::cancelSetScoring()
{
    beginResetModel();
    stopSet();
    m_scope = Scope::Sentence;
    endResetModel();
    emit changed();
}

bool HeadAlignmentModel::waitForSet(int milliseconds)
{
    processEventsWhile([this] { return m_setRunning; }, milliseconds);
    return !m_setRunning && m_set.has_value();
}

void HeadAlignmentModel::refreshSet()
{
    if (m_scope != Scope::Set)
        return;
    SetKey key = setKey();
    if (!canScore(key)) {
        dropSet(); // of another model, or of links no longer there
        m_setNote = tr("AER over the set: open an alignment set (File → Open alignment set…) or annotate "
                       "sentences, with a transformer model.");
        return;
    }
    if ((m_set || m_setRunning || m_setFailed) && key == m_setKey)
        return; // current, being computed, or refused (its note says why) until something changes
    dropSet();
    m_setKey = key;
    m_setRunning = true;
    m_setTotal = int(key.sentences.size());
    m_setNote = tr("AER over the set: scoring %1 sentences…").arg(m_setTotal);
    auto cancelled = std::make_shared<std::atomic_bool>(false);
    m_setCancel = cancelled;
    const quint64 job = ++m_setJob;
    QPointer<HeadAlignmentModel> self(this);
    std::vector<std::string> sentences, references;
    for (const QString &text : key.sentences)
        sentences.push_back(text.toStdString());
    for (const QString &text : key.references)
        references.push_back(text.trimmed().toStdString());
    HeadSetOptions options;
    options.words = key.words;
    options.threshold = key.threshold;
    options.cancelled = [cancelled] { return cancelled->load(); };
    options.progress = [self, job](int done, int total) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, job, done, total] {
                if (!self || self->m_setJob != job || !self->m_setRunning)
                    return;
                self->m_setNote = tr("AER over the set: scoring sentence %1 of %2…").arg(std::min(done + 1, total)).arg(total);
                emit self->changed();
            },
            Qt::QueuedConnection);
    };
    m_pool.start([self, job, model = m_model, sentences = std::move(sentences), references = std::move(references),
                  links = key.links, options]() {
        computeAndPost<HeadSetScores>([&] { return scoreHeadSet(*model, sentences, references, links, options); },
                                      [self, job](std::shared_ptr<HeadSetScores> result, const QString &error) {
                                          if (self)
                                              self->setFinished(job, std::move(result), error);
                                      });
    });
}

void HeadAlignmentModel::setFinished(quint64 job, std::shared_ptr<HeadSetScores> scores, const QString &error)
{
    if (job != m_setJob || !m_setRunning)
        return; // cancelled, or the set changed since
    m_setRunning = false;
    beginResetModel();
    if (scores) {
        m_set = std::move(*scores);
        m_setNote.clear();
    } else {
        m_set.reset();
        m_setFailed = true;
        m_setNote = tr("AER over the set: %1").arg(error);
    }
    endResetModel();
    emit changed();
}

const HeadScores *HeadAlignmentModel::current(AlignmentRows rows) const
{
    if (m_scope == Scope::Set)
        return m_set && !m_setRunning ? &m_set->in(rows) : nullptr;
    const std::optional<HeadScores> &s = rows == AlignmentRows::Shifted ? m_shifted : m_naive;
    return s ? &*s : nullptr;
}

void HeadAlignmentModel::recompute()
{
    beginResetModel();
    m_naive.reset();
    m_shifted.reset();
    m_note.clear();
    const TranslationResult *decoded = m_selection->decodedResult();
    if (m_selection->hasResult() && m_selection->pieceOutput().model
        && m_selection->pieceOutput().model != m_model) {
        m_model = m_selection->pieceOutput().model;
        dropSet(); // another model: its set scores are to compute again
    }
    const std::optional<GoldAlignment> gold = m_gold->goldAlignment();
    if (!m_selection->showsHeads() || !decoded || !m_selection->hypothesis()) {
        m_note = m_selection->hasResult() ? tr("AER per head: only for transformer models.") : QString();
    } else if (!gold || (gold->sure.empty() && gold->possible.empty())) {
        m_note = tr("AER per head: give this sentence gold links (File → Open alignment set…, or "
                    "Edit → Annotate gold links) to score every layer and head.");
    } else {
        // The gold links index the units shown: words when the pieces are read as words.
        const WordMerge *words = m_selection->showsWords() ? m_selection->wordMerge() : nullptr;
        try {
            m_naive = scoreHeads(*decoded, m_selection->hypothesisIndex(), *gold, words, m_gold->threshold(),
                                 AlignmentRows::Naive);
            m_shifted = scoreHeads(*decoded, m_selection->hypothesisIndex(), *gold, words, m_gold->threshold(),
                                   AlignmentRows::Shifted);
        } catch (const std::exception &error) { // a link outside the sentence, for one
            m_naive.reset();
            m_shifted.reset();
            m_note = tr("AER per head: %1").arg(QString::fromStdString(error.what()));
        }
    }
    refreshSet();
    endResetModel();
    emit changed();
}

const HeadScores &HeadAlignmentModel::scores(AlignmentRows rows) const
{
    static const HeadScores none;
    const HeadScores *s = current(rows);
    return s ? *s : none;
}

AlignmentRows HeadAlignmentModel::rows() const
{
    return m_selection->alignmentRows();
}

QString HeadAlignmentModel::summary() const
{
    if (!available())
        return {};
    QStringList parts;
    for (AlignmentRows r : {AlignmentRows::Naive, AlignmentRows::Shifted}) {
        const HeadScores::Best best = scores(r).best();
        const QString rowsName = r == AlignmentRows::Shifted ? tr("shifted rows") : tr("naive rows");
        parts << (best.layer < 0 && best.aer >= 1.0 && scores(r).allLayers.a + scores(r).allLayers.s == 0
                      ? tr("%1: no links").arg(rowsName)
                      : tr("%1: %2, AER %3").arg(rowsName, bestHeadName(best), QString::number(best.aer, 'f', 3)));
    }
    if (m_scope == Scope::Set)
        return (m_set->sentences == 1 ? tr("Whole set, 1 sentence: best, %1")
                                      : tr("Whole set, %1 sentences: best, %2").arg(m_set->sentences))
            .arg(parts.join(QStringLiteral("  ·  ")));
    return tr("Best, %1").arg(parts.join(QStringLiteral("  ·  ")));
}

QString HeadAlignmentModel::toTsv() const
{
    if (!available())
        return {};
    QStringList lines;
    QStringList header {tr("AER")};
    for (int c = 0; c < columnCount(); ++c)
        header << headerData(c, Qt::Horizontal).toString();
    lines << header.join(QLatin1Char('\t'));
    for (int r = 0; r < rowCount(); ++r) {
        QStringList cells {headerData(r, Qt::Vertical).toString()};
        for (int c = 0; c < columnCount(); ++c) {
            const QVariant aer = data(index(r, c), AerRole);
            cells << (aer.isValid() ? QString::number(aer.toDouble(), 'f', 4) : QString());
        }
        lines << cells.join(QLatin1Char('\t'));
    }
    const HeadScores::Best best = scores(rows()).best();
    lines << tr("%1, %2; best: %3 (AER %4)")
                 .arg(m_scope == Scope::Set ? tr("whole set, %1 sentences").arg(m_set->sentences) : tr("this sentence"),
                      rows() == AlignmentRows::Shifted ? tr("shifted rows") : tr("naive rows"), bestHeadName(best),
                      QString::number(best.aer, 'f', 4));
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

int HeadAlignmentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !available() ? 0 : scores(AlignmentRows::Naive).layers + 1;
}

int HeadAlignmentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !available() ? 0 : scores(AlignmentRows::Naive).heads + 1;
}

const AlignmentCounts *HeadAlignmentModel::countsAt(const QModelIndex &index) const
{
    if (!available() || !index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return nullptr;
    const HeadScores &s = scores(rows());
    if (index.row() == s.layers) // the last row: every layer's and head's mean, in the mean column
        return index.column() == s.heads ? &s.allLayers : nullptr;
    if (index.column() == s.heads)
        return &s.perLayer[size_t(index.row())];
    return &s.head(index.row(), index.column());
}

std::optional<HeadSelection> HeadAlignmentModel::selectionAt(const QModelIndex &index) const
{
    if (!countsAt(index))
        return std::nullopt;
    const HeadScores &s = scores(rows());
    HeadSelection view;
    if (index.row() == s.layers) {
        view.allLayers = true;
        return view;
    }
    view.layer = index.row();
    if (index.column() < s.heads)
        view.heads = {index.column()};
    return view;
}

void HeadAlignmentModel::activate(const QModelIndex &index)
{
    const std::optional<HeadSelection> view = selectionAt(index);
    if (!view)
        return;
    m_selection->setAttentionKind(AttentionKind::Cross); // the AER is of the cross-attention
    m_selection->setView(*view);
}

bool HeadAlignmentModel::isBest(const QModelIndex &index) const
{
    if (!countsAt(index))
        return false;
    const HeadScores &s = scores(rows());
    const HeadScores::Best best = s.best();
    const int row = best.layer < 0 ? s.layers : best.layer;
    const int column = best.head < 0 ? s.heads : best.head;
    return index.row() == row && index.column() == column
        && (best.layer >= 0 || s.allLayers.a + s.allLayers.s > 0);
}

QVariant HeadAlignmentModel::data(const QModelIndex &index, int role) const
{
    const AlignmentCounts *c = countsAt(index);
    if (!c)
        return {};
    switch (role) {
    case Qt::DisplayRole: return QString::number(c->alignmentErrorRate(), 'f', 3);
    case AerRole: return c->alignmentErrorRate();
    case BestRole: return isBest(index);
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole:
        if (isBest(index))
            return QColor(0xff, 0xd5, 0x4f); // amber: readable on light and dark palettes with black text
        return {};
    case Qt::ForegroundRole:
        if (isBest(index))
            return QColor(Qt::black);
        return {};
    case Qt::FontRole:
        if (isBest(index)) {
            QFont bold;
            bold.setBold(true);
            return bold;
        }
        return {};
    case Qt::ToolTipRole:
        return tr("P %1  R %2  AER %3 (%4 model links, %5 sure)%6\nClick or Enter: show these heads")
            .arg(QString::number(c->precision(), 'f', 3), QString::number(c->recall(), 'f', 3),
                 QString::number(c->alignmentErrorRate(), 'f', 3))
            .arg(c->a)
            .arg(c->s)
            .arg(isBest(index) ? tr("; the best") : QString());
    default: return {};
    }
}

QVariant HeadAlignmentModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || !available())
        return {};
    const HeadScores &s = scores(rows());
    if (orientation == Qt::Horizontal)
        return section == s.heads ? tr("mean") : tr("head %1").arg(section + 1);
    return section == s.layers ? tr("all layers") : tr("layer %1").arg(section + 1);
}

} // namespace attnviz
