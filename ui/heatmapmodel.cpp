#include "heatmapmodel.h"

#include <attnviz/translate.h>

#include <algorithm>

namespace attnviz {

namespace {

QStringList toQStringList(const std::vector<std::string> &strings)
{
    QStringList list;
    list.reserve(int(strings.size()));
    for (const std::string &s : strings)
        list << QString::fromStdString(s);
    return list;
}

} // namespace

QString formatWeight(double value)
{
    return QString::number(value, 'f', 2);
}

HeatmapModel::HeatmapModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

HeatmapModel::~HeatmapModel() = default;

void HeatmapModel::setResult(std::shared_ptr<const TranslationResult> result, int hypothesis,
                             bool legacy)
{
    beginResetModel();
    m_result = std::move(result);
    m_legacy = legacy;
    m_hypothesis = 0;
    m_rowLabels.clear();
    m_columnLabels.clear();
    if (m_result && !m_result->hypotheses.empty()) {
        m_hypothesis = std::clamp(hypothesis, 0, int(m_result->hypotheses.size()) - 1);
        m_rowLabels = toQStringList(m_result->hypotheses[size_t(m_hypothesis)].targetTokens);
        m_columnLabels = toQStringList(m_result->sourceTokens);
        if (m_legacy)
            m_columnLabels << (paddingSlots() == 1 ? tr("pad (1 slot)")
                                                   : tr("pad (%1 slots)").arg(paddingSlots()));
    } else {
        m_result.reset();
    }
    endResetModel();
}

void HeatmapModel::clear()
{
    setResult(nullptr, 0, false);
}

int HeatmapModel::rows() const
{
    return int(m_rowLabels.size());
}

int HeatmapModel::columns() const
{
    return int(m_columnLabels.size());
}

QString HeatmapModel::rowLabel(int row) const
{
    return m_rowLabels.value(row);
}

QString HeatmapModel::columnLabel(int column) const
{
    return m_columnLabels.value(column);
}

bool HeatmapModel::hasPaddingColumn() const
{
    return m_result && m_legacy;
}

bool HeatmapModel::isPaddingColumn(int column) const
{
    return hasPaddingColumn() && column == columns() - 1;
}

int HeatmapModel::paddingSlots() const
{
    if (!hasPaddingColumn())
        return 0;
    const auto &attention = m_result->hypotheses[size_t(m_hypothesis)].attention;
    return std::max(0, int(attention.cols()) - m_result->sourceLength());
}

double HeatmapModel::value(int row, int column) const
{
    if (row < 0 || row >= rows() || column < 0 || column >= columns())
        return 0;
    const Hypothesis &h = m_result->hypotheses[size_t(m_hypothesis)];
    if (isPaddingColumn(column))
        return size_t(row) < h.paddingMass.size() ? h.paddingMass[size_t(row)] : 0.0;
    return double(h.attention(row, column));
}

QString HeatmapModel::toolTip(int row, int column) const
{
    if (row < 0 || row >= rows() || column < 0 || column >= columns())
        return {};
    const QString source = isPaddingColumn(column)
        ? tr("padding, %1 slots").arg(paddingSlots())
        : columnLabel(column);
    return QStringLiteral("α(%1 ← %2) = %3")
        .arg(rowLabel(row), source, formatWeight(value(row, column)));
}

QString HeatmapModel::columnToolTip(int column) const
{
    if (column < 0 || column >= columns())
        return {};
    if (isPaddingColumn(column))
        return tr("Attention on the %1 slots past the input of this tutorial_legacy model")
            .arg(paddingSlots());
    const auto &words = m_result->sourceWords;
    const QString token = columnLabel(column);
    // Shows the typed word behind an UNK token when the two line up one to one.
    if (m_result->sourceTokens.size() == words.size() + 1 && size_t(column) < words.size()
        && QString::fromStdString(words[size_t(column)]) != token)
        return tr("%1 (typed: %2)").arg(token, QString::fromStdString(words[size_t(column)]));
    return token;
}

void HeatmapModel::setColorMap(ColorMap map)
{
    if (map == m_colorMap)
        return;
    m_colorMap = map;
    if (rows() > 0 && columns() > 0)
        emit dataChanged(index(0, 0), index(rows() - 1, columns() - 1), {Qt::BackgroundRole});
    emit colorMapChanged(map);
}

QColor HeatmapModel::colorForValue(double value) const
{
    return colorMapColor(m_colorMap, value);
}

int HeatmapModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : rows();
}

int HeatmapModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : columns();
}

QVariant HeatmapModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const double v = value(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole:
        return formatWeight(v);
    case Qt::ToolTipRole:
        return toolTip(index.row(), index.column());
    case Qt::BackgroundRole:
        return colorForValue(v);
    case ValueRole:
        return v;
    case PaddingRole:
        return isPaddingColumn(index.column());
    default:
        return {};
    }
}

QVariant HeatmapModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    const bool horizontal = orientation == Qt::Horizontal;
    if (section < 0 || section >= (horizontal ? columns() : rows()))
        return {};
    if (role == Qt::DisplayRole)
        return horizontal ? columnLabel(section) : rowLabel(section);
    if (role == Qt::ToolTipRole && horizontal)
        return columnToolTip(section);
    return {};
}

} // namespace attnviz
