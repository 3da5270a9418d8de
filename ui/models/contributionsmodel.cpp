#include "contributionsmodel.h"

#include "alignmentmodel.h"
#include "colormap.h"
#include "resultselection.h"

#include <algorithm>

namespace attnviz {

namespace {

// The diverging scale at an opacity that follows α: a word the step does not attend to shows
// its cosine faintly, however large.
QColor cosineColor(double cosine, double share)
{
    QColor color = divergingColor(cosine);
    color.setAlphaF(0.06 + 0.94 * share);
    return color;
}

} // namespace

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
    m_shares.clear();
    m_largest = 0;
    const TranslationResult *result = m_selection->result();
    const Hypothesis *h = m_selection->hypothesis();
    const int step = m_selection->step();
    if (result && h && step >= 0 && step < h->steps() && h->contexts.rows() > step) {
        // Words: each word's part is made from its pieces' α_ij h_j (wordContextContributions).
        const WordMerge *merge = m_selection->wordMerge();
        m_parts = merge ? wordContextContributions(*m_selection->pieceOutput().result,
                                                   m_selection->hypothesisIndex(), *merge, step)
                        : contextContributions(*result, *h, step);
        m_words = sourceLabels(*result).mid(0, int(m_parts.size()));
        for (const Contribution &part : m_parts)
            m_largest = std::max(m_largest, part.norm);
        const auto alpha = h->attention.row(step).head(Eigen::Index(m_parts.size()));
        const double strongest = alpha.size() > 0 ? double(alpha.maxCoeff()) : 0.0;
        for (Eigen::Index j = 0; j < alpha.size(); ++j)
            m_shares.push_back(strongest > 0 ? std::clamp(double(alpha[j]) / strongest, 0.0, 1.0)
                                             : 0.0);
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
    const double share = m_shares[size_t(index.row())];
    const int column = index.column();
    if (role == ShareRole)
        return share;
    if (role == Qt::ToolTipRole)
        return share < 0.05
            ? tr("α is %1 of the step's largest: this word adds almost nothing to c_i, so its "
                 "cosine says little")
                  .arg(QString::number(share, 'f', 3))
            : tr("α is %1 of the step's largest").arg(QString::number(share, 'f', 2));
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
        return cosineColor(part.cosine, share);
    case Qt::ForegroundRole:
        // On a faded cell the table's own text colour reads best.
        return column == CosineColumn && share >= 0.5
            ? QVariant(contrastingTextColor(divergingColor(part.cosine)))
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
