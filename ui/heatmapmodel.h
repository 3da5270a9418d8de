// What the alignment views show: one row per output token, one column per source token
// (EOS included), plus one padding column for tutorial_legacy models. No painting here.
#pragma once

#include "colormap.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <memory>

namespace attnviz {

struct TranslationResult;

class HeatmapModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Roles { ValueRole = Qt::UserRole + 1, PaddingRole };

    explicit HeatmapModel(QObject *parent = nullptr);
    ~HeatmapModel() override;

    // legacy: the model is tutorial_legacy, so the attention has L slot columns of which the
    // first T are the source positions; the rest is summed into one padding column.
    void setResult(std::shared_ptr<const TranslationResult> result, int hypothesis, bool legacy);
    void clear();

    const TranslationResult *result() const { return m_result.get(); }
    int hypothesis() const { return m_hypothesis; }

    int rows() const;
    int columns() const;
    QString rowLabel(int row) const;    // output token
    QString columnLabel(int column) const; // source token, or "pad (3 slots)"
    double value(int row, int column) const;
    bool isPaddingColumn(int column) const;
    bool hasPaddingColumn() const;
    int paddingSlots() const; // L - T for tutorial_legacy, else 0
    QString toolTip(int row, int column) const; // "α(t'aime ← love) = 0.83"
    QString columnToolTip(int column) const;

    ColorMap colorMap() const { return m_colorMap; }
    void setColorMap(ColorMap map);
    QColor colorForValue(double value) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

signals:
    void colorMapChanged(attnviz::ColorMap map);

private:
    std::shared_ptr<const TranslationResult> m_result;
    int m_hypothesis = 0;
    bool m_legacy = false;
    ColorMap m_colorMap = ColorMap::Viridis;
    QStringList m_rowLabels, m_columnLabels;
};

// The value as the cells and tooltips print it: two decimals.
QString formatWeight(double value);

} // namespace attnviz
