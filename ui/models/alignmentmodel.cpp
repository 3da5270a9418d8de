#include "alignmentmodel.h"

#include "headgridmodel.h"
#include "resultselection.h"

#include <attnviz/decoding/translate.h>
#include <attnviz/analysis/statistics.h>

#include <algorithm>
#include <cmath>

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

void showUnknownWords(QStringList &labels, const std::vector<int> &wordIndex,
                      const std::vector<std::string> &words,
                      const std::vector<std::string> &unknown)
{
    for (size_t i = 0; i < wordIndex.size() && int(i) < labels.size(); ++i) {
        const int w = wordIndex[i];
        if (w < 0 || size_t(w) >= words.size()
            || std::find(unknown.begin(), unknown.end(), words[size_t(w)]) == unknown.end())
            continue;
        const QString word = QString::fromStdString(words[size_t(w)]);
        if (word != labels[int(i)])
            labels[int(i)] = word + QStringLiteral("→") + labels[int(i)];
    }
}

QStringList sourceLabels(const TranslationResult &result)
{
    QStringList labels = toQStringList(result.sourceTokens);
    showUnknownWords(labels, result.sourceWordIndex, result.sourceWords, result.unknownWords);
    return labels;
}

AlignmentModel::AlignmentModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

AlignmentModel::~AlignmentModel() = default;

bool AlignmentModel::hasEnergies() const
{
    if (m_self)
        return false;
    if (!m_result)
        return true;
    const Hypothesis &h = m_result->hypotheses[size_t(m_hypothesis)];
    return h.energies.rows() == h.attention.rows() && h.energies.cols() == h.attention.cols();
}

bool AlignmentModel::showsEnergies() const
{
    return m_mode == HeatmapMode::Energies && hasEnergies();
}

bool AlignmentModel::usesTemperature() const
{
    return m_temperature != 1.0 && hasEnergies();
}

void AlignmentModel::setWordMerge(std::shared_ptr<const WordMerge> merge,
                                  std::shared_ptr<const TranslationResult> pieces)
{
    m_merge = std::move(merge);
    m_pieces = m_merge ? std::move(pieces) : nullptr;
}

void AlignmentModel::setResult(std::shared_ptr<const TranslationResult> result, int hypothesis)
{
    beginResetModel();
    m_result = std::move(result);
    m_paddingColumn = false;
    m_hypothesis = 0;
    m_rowLabels.clear();
    m_columnLabels.clear();
    if (m_result && !m_result->hypotheses.empty()) {
        m_hypothesis = std::clamp(hypothesis, 0, int(m_result->hypotheses.size()) - 1);
        m_paddingColumn = hasPaddingSlots(*m_result, m_hypothesis);
        m_rowLabels = toQStringList(m_result->hypotheses[size_t(m_hypothesis)].targetTokens);
        m_columnLabels = toQStringList(m_result->sourceTokens);
        m_columnLabels = sourceLabels(*m_result);
        if (m_result->forced)
            showUnknownWords(m_rowLabels, m_result->targetWordIndex, m_result->targetWords,
                             m_result->unknownTargetWords);
        if (m_self) {
            m_paddingColumn = false;
            m_rowLabels = m_self->rowLabels;
            m_columnLabels = m_self->columnLabels;
        }
        if (m_paddingColumn)
            m_columnLabels << (paddingSlots() == 1 ? tr("pad (1 slot)")
                                                   : tr("pad (%1 slots)").arg(paddingSlots()));
    } else {
        m_result.reset();
    }
    recompute();
    endResetModel();
}

void AlignmentModel::recompute()
{
    m_values.clear();
    m_rowMeans.clear();
    m_energyScale = 1;
    if (!m_result)
        return;
    const Hypothesis &h = m_result->hypotheses[size_t(m_hypothesis)];
    const int rowCount = rows(), columnCount = columns();
    const int sourceLength = m_result->sourceLength();
    const int slotCount = int(h.attention.cols()); // T, or the L slots of tutorial_legacy
    const bool haveEnergies = h.energies.rows() == h.attention.rows() && h.energies.cols() == slotCount;
    m_values.assign(size_t(rowCount) * size_t(columnCount), 0.0);
    m_rowMeans.assign(size_t(rowCount), 0.0);
    if (m_self) {
        for (int row = 0; row < rowCount && row < m_self->values.rows(); ++row)
            for (int j = 0; j < columnCount && j < m_self->values.cols(); ++j)
                m_values[size_t(row) * size_t(columnCount) + size_t(j)] = double(m_self->values(row, j));
        return;
    }
    double largest = 0;
    for (int row = 0; row < rowCount; ++row) {
        double *out = m_values.data() + size_t(row) * size_t(columnCount);
        if (showsEnergies() && haveEnergies) {
            for (int j = 0; j < sourceLength && j < slotCount; ++j)
                out[j] = double(h.energies(row, j));
            if (m_paddingColumn) {
                // The slots past the input as one score whose softmax share is their total mass.
                double top = -INFINITY;
                for (int j = sourceLength; j < slotCount; ++j)
                    top = std::max(top, double(h.energies(row, j)));
                double sum = 0;
                for (int j = sourceLength; j < slotCount; ++j)
                    sum += std::exp(double(h.energies(row, j)) - top);
                out[columnCount - 1] = slotCount > sourceLength ? top + std::log(sum) : 0.0;
            }
            double mean = 0;
            for (int j = 0; j < columnCount; ++j)
                mean += out[j];
            mean /= std::max(1, columnCount);
            m_rowMeans[size_t(row)] = mean;
            for (int j = 0; j < columnCount; ++j)
                largest = std::max(largest, std::abs(out[j] - mean));
        } else if (m_temperature == 1.0 || !haveEnergies) {
            // The model's own weights, exactly (and with any what-if override in them).
            for (int j = 0; j < sourceLength && j < slotCount; ++j)
                out[j] = double(h.attention(row, j));
            if (m_paddingColumn)
                out[columnCount - 1] = size_t(row) < h.paddingMass.size() ? h.paddingMass[size_t(row)] : 0.0;
        } else {
            const Vector energies = h.energies.row(row).transpose();
            const Vector p = softmaxAtTemperature(energies, m_temperature); // over all L slots
            for (int j = 0; j < sourceLength && j < slotCount; ++j)
                out[j] = double(p(j));
            if (m_paddingColumn) {
                double mass = 0;
                for (int j = sourceLength; j < slotCount; ++j)
                    mass += double(p(j));
                out[columnCount - 1] = mass;
            }
            // A forced step keeps its forced share at every temperature, as the decoder did.
            for (const AttentionOverride &o : m_overrides) {
                if (o.step != row || o.position < 0 || o.position >= sourceLength)
                    continue;
                for (int j = 0; j < columnCount; ++j)
                    out[j] *= 1 - o.share;
                out[o.position] += o.share;
            }
        }
    }
    if (showsEnergies())
        m_energyScale = largest > 0 ? largest : 1;
}

void AlignmentModel::valuesChanged()
{
    recompute();
    if (rows() > 0 && columns() > 0)
        emit dataChanged(index(0, 0), index(rows() - 1, columns() - 1));
    emit displayChanged();
}

void AlignmentModel::setMode(HeatmapMode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    valuesChanged();
}

void AlignmentModel::setTemperature(double temperature)
{
    temperature = std::clamp(temperature, 0.05, 20.0);
    if (temperature == m_temperature)
        return;
    m_temperature = temperature;
    valuesChanged();
}

double AlignmentModel::rowMean(int row) const
{
    return showsEnergies() && row >= 0 && size_t(row) < m_rowMeans.size()
        ? m_rowMeans[size_t(row)]
        : 0.0;
}

double AlignmentModel::energyScale() const
{
    return showsEnergies() ? m_energyScale : 1.0;
}

QColor AlignmentModel::cellColor(int row, int column) const
{
    const double v = value(row, column);
    if (showsEnergies())
        return divergingColor((v - rowMean(row)) / m_energyScale);
    return colorForValue(v);
}

QColor AlignmentModel::colorBarColor(double t) const
{
    return showsEnergies() ? divergingColor(2 * t - 1) : colorForValue(t);
}

QList<std::pair<double, QString>> AlignmentModel::colorBarTicks() const
{
    if (showsEnergies()) {
        const QString scale = QString::number(m_energyScale, 'g', 2);
        return {{0.0, QStringLiteral("−") + scale}, {0.5, tr("mean")}, {1.0, QStringLiteral("+") + scale}};
    }
    return {{0.0, QStringLiteral("0")}, {0.5, QStringLiteral("0.5")}, {1.0, QStringLiteral("1")}};
}

QString AlignmentModel::colorBarTitle() const
{
    if (showsEnergies())
        return tr("e − row mean");
    if (usesTemperature())
        return QStringLiteral("α, τ = %1").arg(QString::number(m_temperature, 'g', 3));
    return QStringLiteral("α");
}

void AlignmentModel::setGoldAlignment(std::optional<GoldAlignment> gold)
{
    m_gold = std::move(gold);
    emit displayChanged();
}

std::optional<Link> AlignmentModel::linkAt(int row, int column) const
{
    if (!m_result || m_self || row < 0 || row >= rows() || column < 0 || isPaddingColumn(column))
        return std::nullopt;
    const TranslationResult &r = *m_result;
    if (size_t(column) >= r.sourceWordIndex.size())
        return std::nullopt; // EOS
    const Hypothesis &h = r.hypotheses[size_t(m_hypothesis)];
    if (h.targetTokens[size_t(row)] == r.eosToken)
        return std::nullopt; // the output's EOS
    int target = row;
    if (r.forced) {
        if (size_t(row) >= r.targetWordIndex.size())
            return std::nullopt;
        target = r.targetWordIndex[size_t(row)];
    }
    return Link {r.sourceWordIndex[size_t(column)], target};
}

QString AlignmentModel::whyNoLink(int row, int column) const
{
    if (!m_result || row < 0 || row >= rows() || column < 0 || column >= columns()
        || linkAt(row, column))
        return {};
    // Gold links are written as Pharaoh "i-j" pairs of word positions (writePharaoh), and EOS
    // and the padding slots are no words of either sentence.
    // Short: the status bar shares its width with the score at 800 px.
    if (m_self)
        return tr("Self-attention: gold links join source and output words");
    if (isPaddingColumn(column))
        return tr("Padding column: no gold link (it stands for slots past the input)");
    if (size_t(column) >= m_result->sourceWordIndex.size())
        return tr("EOS column: no gold link (Pharaoh files index words only)");
    return tr("EOS row: no gold link (Pharaoh files index words only)");
}

GoldMark AlignmentModel::goldMark(int row, int column) const
{
    if (!m_gold)
        return GoldMark::None;
    const std::optional<Link> link = linkAt(row, column);
    if (!link)
        return GoldMark::None;
    return m_gold->isSure(*link) ? GoldMark::Sure : m_gold->isPossible(*link) ? GoldMark::Possible : GoldMark::None;
}

void AlignmentModel::setAttentionOverrides(std::vector<AttentionOverride> overrides)
{
    m_overrides = std::move(overrides);
    valuesChanged();
}

bool AlignmentModel::isOverridden(int row, int column) const
{
    if (isPaddingColumn(column) || m_self)
        return false;
    return std::any_of(m_overrides.begin(), m_overrides.end(), [&](const AttentionOverride &o) {
        return o.step == row && o.position == column;
    });
}

void AlignmentModel::clear()
{
    setResult(nullptr, 0);
}

void AlignmentModel::setSelfAttention(MatrixRM values, QStringList rowLabels, QStringList columnLabels)
{
    m_self = SelfAttention {std::move(values), std::move(rowLabels), std::move(columnLabels)};
}

void AlignmentModel::clearSelfAttention()
{
    m_self.reset();
}

void AlignmentModel::follow(const ResultSelection *selection)
{
    connect(selection, &ResultSelection::hypothesisChanged, this, [this, selection]() {
        // A self-attention, merged to words as the cross-attention is when words are shown.
        std::optional<SelfAttentionView> self;
        if (selection->showsHeads() && selection->hasResult())
            self = selfAttentionView(*selection->pieceOutput().result, selection->hypothesisIndex(),
                                     selection->attentionKind(), selection->view(), selection->wordMerge());
        if (self) {
            setSelfAttention(std::move(self->values), std::move(self->rowLabels), std::move(self->columnLabels));
            setWordMerge(nullptr, nullptr);
            setResult(selection->pieceOutput().result, selection->hypothesisIndex());
            setAttentionOverrides({});
            return;
        }
        clearSelfAttention();
        setWordMerge(selection->sharedWordMerge(), selection->pieceOutput().result);
        setResult(selection->output().result, selection->hypothesisIndex());
        setAttentionOverrides(selection->output().attentionOverrides);
    });
}

int AlignmentModel::rows() const
{
    return int(m_rowLabels.size());
}

int AlignmentModel::columns() const
{
    return int(m_columnLabels.size());
}

QString AlignmentModel::rowLabel(int row) const
{
    return m_rowLabels.value(row);
}

QString AlignmentModel::columnLabel(int column) const
{
    return m_columnLabels.value(column);
}

bool AlignmentModel::hasPaddingColumn() const
{
    return m_result && m_paddingColumn;
}

bool AlignmentModel::isPaddingColumn(int column) const
{
    return hasPaddingColumn() && column == columns() - 1;
}

int AlignmentModel::paddingSlots() const
{
    if (!hasPaddingColumn())
        return 0;
    const auto &attention = m_result->hypotheses[size_t(m_hypothesis)].attention;
    return std::max(0, int(attention.cols()) - m_result->sourceLength());
}

double AlignmentModel::value(int row, int column) const
{
    if (row < 0 || row >= rows() || column < 0 || column >= columns())
        return 0;
    return m_values[size_t(row) * size_t(columns()) + size_t(column)];
}

QString AlignmentModel::toolTip(int row, int column) const
{
    if (row < 0 || row >= rows() || column < 0 || column >= columns())
        return {};
    const QString source = isPaddingColumn(column)
        ? tr("padding, %1 slots").arg(paddingSlots())
        : columnLabel(column);
    if (showsEnergies())
        return QStringLiteral("e(%1 ← %2) = %3   (row mean %4)")
            .arg(rowLabel(row), source, formatWeight(value(row, column)), formatWeight(rowMean(row)));
    QString text = QStringLiteral("α(%1 ← %2) = %3")
                       .arg(rowLabel(row), source, formatWeight(value(row, column)));
    if (usesTemperature())
        text += QStringLiteral("   (τ = %1)").arg(QString::number(m_temperature, 'g', 3));
    if (isOverridden(row, column))
        text += tr("   (forced)");
    return text + piecesToolTip(row, column);
}

QString AlignmentModel::piecesToolTip(int row, int column) const
{
    if (m_self || !m_merge || !m_pieces || isPaddingColumn(column) || size_t(m_hypothesis) >= m_merge->target.size()
        || size_t(m_hypothesis) >= m_pieces->hypotheses.size() || column >= m_merge->source.size())
        return {};
    const WordGrouping &rows = m_merge->target[size_t(m_hypothesis)];
    if (row >= rows.size())
        return {};
    const std::vector<int> &steps = rows.words[size_t(row)].pieces;
    const std::vector<int> &positions = m_merge->source.words[size_t(column)].pieces;
    if (steps.size() == 1 && positions.size() == 1)
        return {}; // one piece each: the weight itself
    const Hypothesis &h = m_pieces->hypotheses[size_t(m_hypothesis)];
    QString text;
    for (int i : steps) {
        QStringList parts;
        double sum = 0;
        for (int j : positions) {
            const double a = i < h.attention.rows() && j < h.attention.cols() ? double(h.attention(i, j)) : 0.0;
            sum += a;
            parts << QString::fromStdString(m_pieces->sourceTokens[size_t(j)]) + QLatin1Char(' ')
                    + formatWeight(a);
        }
        text += QLatin1Char('\n') + QString::fromStdString(h.targetTokens[size_t(i)]) + QStringLiteral(" ← ")
            + parts.join(QStringLiteral(" + "));
        if (positions.size() > 1)
            text += QStringLiteral(" = ") + formatWeight(sum);
    }
    if (steps.size() > 1)
        text += QLatin1Char('\n') + tr("(the mean of the word's %1 rows)").arg(steps.size());
    return text;
}

QString AlignmentModel::columnToolTip(int column) const
{
    if (column < 0 || column >= columns())
        return {};
    if (isPaddingColumn(column))
        return tr("Attention on the %1 slots past the input of this tutorial_legacy model")
            .arg(paddingSlots());
    if (m_self)
        return columnLabel(column);
    const auto &words = m_result->sourceWords;
    const QString token = QString::fromStdString(m_result->sourceTokens[size_t(column)]);
    if (m_merge && m_pieces && column < m_merge->source.size()) {
        // A word: the pieces the model read for it.
        QStringList pieces;
        for (int p : m_merge->source.words[size_t(column)].pieces)
            pieces << QString::fromStdString(m_pieces->sourceTokens[size_t(p)]);
        return pieces.size() > 1 ? tr("%1 (pieces: %2)").arg(token, pieces.join(QLatin1Char(' '))) : token;
    }
    // Shows the typed word behind an UNK token when the two line up one to one.
    if (m_result->sourceTokens.size() == words.size() + 1 && size_t(column) < words.size()
        && QString::fromStdString(words[size_t(column)]) != token)
        return tr("%1 (typed: %2)").arg(token, QString::fromStdString(words[size_t(column)]));
    return token;
}

void AlignmentModel::setColorMap(ColorMap map)
{
    if (map == m_colorMap)
        return;
    m_colorMap = map;
    if (rows() > 0 && columns() > 0)
        emit dataChanged(index(0, 0), index(rows() - 1, columns() - 1), {Qt::BackgroundRole});
    emit colorMapChanged(map);
}

QColor AlignmentModel::colorForValue(double value) const
{
    return colorMapColor(m_colorMap, value);
}

int AlignmentModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : rows();
}

int AlignmentModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : columns();
}

QVariant AlignmentModel::data(const QModelIndex &index, int role) const
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
        return cellColor(index.row(), index.column());
    case ValueRole:
        return v;
    case PaddingRole:
        return isPaddingColumn(index.column());
    default:
        return {};
    }
}

QVariant AlignmentModel::headerData(int section, Qt::Orientation orientation, int role) const
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
