#include "contributionsmodel.h"

#include "colormap.h"
#include "resultselection.h"

#include <algorithm>

namespace attnviz {

ContributionsModel::ContributionsModel(const ResultSelection *selection, QObject *parent)
    : QAbstractTableModel(parent)
    , m_selection(selection)
{
    connect(selection, &ResultSelection::hypothesisChanged, this, &ContributionsModel::update);
    connect(selection, &ResultSelection::stepChanged, this, &ContributionsModel::update);
    update();
}

void ContributionsModel::setBarColor(const QColor &color)
{
    m_barColor = color;
    if (!m_parts.empty())
        emit dataChanged(index(0, NormColumn), index(rowCount() - 1, NormColumn),
                         {Qt::BackgroundRole});
}

void ContributionsModel::update()
{
    beginResetModel();
    m_words.clear();
    m_parts.clear();
    m_largest = 0;
    const TranslationResult *result = m_selection->result();
    const Hypothesis *h = m_selection->hypothesis();
    const int step = m_selection->step();
    if (result && h && step >= 0 && step < h->steps() && h->contexts.rows() > step) {
        m_parts = contextContributions(*result, *h, step);
        for (size_t j = 0; j < m_parts.size(); ++j) {
            m_words << QString::fromStdString(result->sourceTokens[j]);
            m_largest = std::max(m_largest, m_parts[j].norm);
        }
    }
    endResetModel();
}

int ContributionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_parts.size());
}

int ContributionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ContributionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Contribution &part = m_parts[size_t(index.row())];
    const int column = index.column();
    if (column == WordColumn)
        return role == Qt::DisplayRole ? QVariant(m_words[index.row()]) : QVariant();
    const double value = column == NormColumn ? part.norm : part.cosine;
    switch (role) {
    case Qt::DisplayRole:
        return QString::number(value, 'f', 3);
    case Qt::UserRole:
        return value;
    case Qt::TextAlignmentRole:
        return int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::BackgroundRole:
        if (column == NormColumn) {
            // A bar behind each number: the norm against the largest.
            QColor bar = m_barColor;
            bar.setAlphaF(m_largest > 0 ? 0.15 + 0.6 * part.norm / m_largest : 0.0);
            return bar;
        }
        return divergingColor(part.cosine);
    case Qt::ForegroundRole:
        return column == CosineColumn ? QVariant(contrastingTextColor(divergingColor(part.cosine)))
                                      : QVariant();
    default:
        return {};
    }
}

QVariant ContributionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0
        || section >= ColumnCount)
        return {};
    switch (section) {
    case WordColumn:
        return tr("Source word");
    case NormColumn:
        return QStringLiteral("‖αᵢⱼ hⱼ‖");
    default:
        return QStringLiteral("cos(αᵢⱼ hⱼ, cᵢ)");
    }
}

} // namespace attnviz
