#include "headalignmentmodel.h"

#include "alignmentsession.h"
#include "headgridmodel.h"
#include "resultselection.h"

#include <QColor>
#include <QFont>

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
    recompute();
}

void HeadAlignmentModel::recompute()
{
    beginResetModel();
    m_naive.reset();
    m_shifted.reset();
    m_note.clear();
    const TranslationResult *decoded = m_selection->decodedResult();
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
    endResetModel();
    emit changed();
}

const HeadScores &HeadAlignmentModel::scores(AlignmentRows rows) const
{
    static const HeadScores none;
    const std::optional<HeadScores> &s = rows == AlignmentRows::Shifted ? m_shifted : m_naive;
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
    return tr("Best, %1").arg(parts.join(QStringLiteral("  ·  ")));
}

int HeadAlignmentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !available() ? 0 : m_naive->layers + 1;
}

int HeadAlignmentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() || !available() ? 0 : m_naive->heads + 1;
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
