// What the alignment views (heatmap and lines) and the exported figure show: one row per
// output token, one column per source token (EOS included), plus one padding column when the
// attention has slots past the input (tutorial_legacy). No painting here.
#pragma once

#include "colormap.h"

#include <attnviz/analysis/alignment.h>
#include <attnviz/analysis/word_units.h>

#include <QAbstractTableModel>
#include <QStringList>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace attnviz {

class ResultSelection;
struct TranslationResult;

// What the cells show: the attention α (after the softmax, at a temperature) or the raw
// scores e_ij before it.
enum class HeatmapMode { Attention, Energies };

// A gold link drawn on a cell: sure (solid outline) or possible (dashed).
enum class GoldMark { None, Sure, Possible };

// Labels of tokens, an unknown word shown by its own text beside the token read for it
// ("rd→UNK"): per token but EOS, wordIndex gives its word in `words`.
void showUnknownWords(QStringList &labels, const std::vector<int> &wordIndex,
                      const std::vector<std::string> &words,
                      const std::vector<std::string> &unknown);
QStringList sourceLabels(const TranslationResult &result); // the source tokens, so labelled

class AlignmentModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Roles { ValueRole = Qt::UserRole + 1, PaddingRole };

    explicit AlignmentModel(QObject *parent = nullptr);
    ~AlignmentModel() override;

    // When the attention has more columns than source positions (tutorial_legacy: L slots of
    // which the first T are the source), the rest is summed into one padding column.
    void setResult(std::shared_ptr<const TranslationResult> result, int hypothesis);
    void clear();
    // When the result is read as words: how its words are made of the pieces of `pieces`, for
    // the tooltips (which list a cell's pieces and their weights). Set before setResult.
    void setWordMerge(std::shared_ptr<const WordMerge> merge, std::shared_ptr<const TranslationResult> pieces);
    const WordMerge *wordMerge() const { return m_merge.get(); }       // nullptr for pieces
    const TranslationResult *pieceResult() const { return m_pieces.get(); } // the same
    // Shows the selection's hypothesis, with the attention overrides its output was decoded
    // with, whenever it changes (not owned); or the self-attention it chose (attentionKind).
    void follow(const ResultSelection *selection);
    // A transformer's self-attention instead of the result's cross-attention (#23): these values
    // and labels, no gold links, raw scores nor overrides. Set before setResult; empty: the
    // cross-attention again.
    void setSelfAttention(MatrixRM values, QStringList rowLabels, QStringList columnLabels);
    void clearSelfAttention();
    bool showsSelfAttention() const { return m_self.has_value(); }

    const TranslationResult *result() const { return m_result.get(); }
    int hypothesis() const { return m_hypothesis; }

    int rows() const;
    int columns() const;
    QString rowLabel(int row) const;    // output token
    QString columnLabel(int column) const; // source token, or "pad (3 slots)"
    double value(int row, int column) const;
    bool isPaddingColumn(int column) const;
    bool hasPaddingColumn() const;
    int paddingSlots() const; // L - T when there are slots past the input, else 0
    QString toolTip(int row, int column) const; // "α(t'aime ← love) = 0.83"
    QString columnToolTip(int column) const;
    // Words: "\n▁ch ← ▁c 0.20 + at 0.10 = 0.30" per piece of the output word, and the mean
    // said when there are several; empty for pieces, or a word of one piece on both sides.
    QString piecesToolTip(int row, int column) const;

    ColorMap colorMap() const { return m_colorMap; }
    void setColorMap(ColorMap map);
    QColor colorForValue(double value) const; // attention scale, value in [0, 1]
    // The colour of a cell: the colour map for α; for energies a diverging scale centred on
    // the row's mean, one scale (±energyScale()) for the whole matrix.
    QColor cellColor(int row, int column) const;

    HeatmapMode mode() const { return m_mode; }
    // Whether the result has raw scores and so a temperature: not when read as words (a sum or
    // mean of scores before the softmax is no word's score). Without them the cells show α at
    // τ = 1 in either mode.
    bool hasEnergies() const;
    bool showsEnergies() const;
    void setMode(HeatmapMode mode);
    // α = softmax(e / τ); 1 shows the model's own weights. Clamped to [0.05, 20].
    double temperature() const { return m_temperature; }
    void setTemperature(double temperature);
    double rowMean(int row) const;   // energies mode: the mean of the row's cells, else 0
    double energyScale() const;      // energies mode: the largest |e_ij - mean_i|, else 1

    // The colour bar: its colour at t in [0, 1] (bottom to top), ticks and title.
    QColor colorBarColor(double t) const;
    QList<std::pair<double, QString>> colorBarTicks() const; // t in [0, 1], label
    QString colorBarTitle() const;

    // Gold links of this sentence, in word positions (source word, target word), EOS excluded.
    void setGoldAlignment(std::optional<GoldAlignment> gold);
    const std::optional<GoldAlignment> &goldAlignment() const { return m_gold; }
    // The word link a cell stands for: none for EOS, the padding column or out of range.
    std::optional<Link> linkAt(int row, int column) const;
    // Why a cell holds no gold link, for the person who tried to add one; empty when it can.
    QString whyNoLink(int row, int column) const;
    GoldMark goldMark(int row, int column) const;

    // Cells whose attention was forced (what-if): drawn with a pin.
    void setAttentionOverrides(std::vector<AttentionOverride> overrides);
    bool isOverridden(int row, int column) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

signals:
    void colorMapChanged(attnviz::ColorMap map);
    void displayChanged(); // mode, temperature, gold links or overrides

private:
    void recompute();
    bool usesTemperature() const;
    void valuesChanged();

    std::shared_ptr<const TranslationResult> m_result;
    std::shared_ptr<const WordMerge> m_merge;
    std::shared_ptr<const TranslationResult> m_pieces;
    int m_hypothesis = 0;
    bool m_paddingColumn = false;
    ColorMap m_colorMap = ColorMap::Viridis;
    QStringList m_rowLabels, m_columnLabels;
    HeatmapMode m_mode = HeatmapMode::Attention;
    double m_temperature = 1.0;
    std::vector<double> m_values, m_rowMeans; // [rows x columns], [rows]
    double m_energyScale = 1;
    std::optional<GoldAlignment> m_gold;
    std::vector<AttentionOverride> m_overrides;
    struct SelfAttention
    {
        MatrixRM values;
        QStringList rowLabels, columnLabels;
    };
    std::optional<SelfAttention> m_self;
};

// The value as the cells and tooltips print it: two decimals.
QString formatWeight(double value);

} // namespace attnviz
