// Two models on one sentence, drawn: A's heatmap, B's heatmap and α_A − α_B on a diverging
// scale, side by side; for the Compare window and its export (PNG, SVG, PDF). docs/compare.md.
//
//     attnviz::ComparisonFigure figure(attnviz::compareModels(*a, *b, "I am cold.", {}), "A", "B");
//     QByteArray svg = attnviz::renderComparisonFigure(figure, attnviz::FigureFormat::Svg);
#pragma once

#include "alignmentmodel.h"
#include "figureexport.h"

#include <attnviz/analysis/compare.h>

#include <QString>

#include <memory>

class QPainter;
class QPaintDevice;

namespace attnviz {

class ComparisonFigure
{
public:
    ComparisonFigure(ModelComparison comparison, QString labelA, QString labelB);

    const ModelComparison &comparison() const { return m_comparison; }
    const AlignmentModel &heatmapA() const { return *m_heatmapA; }
    const AlignmentModel &heatmapB() const { return *m_heatmapB; }
    const QString &labelA() const { return m_labelA; }
    const QString &labelB() const { return m_labelB; }
    // The difference's colour scale runs from −bound (blue) to +bound (red): the largest
    // |α_A − α_B| rounded up to a tenth, so that small differences still show.
    double differenceBound() const { return m_bound; }
    double difference(int row, int column) const; // α_A − α_B

    // In the device's pixels (sizes in points, as the single heatmap figure).
    QSizeF size(const QPaintDevice *device) const;
    void paint(QPainter &painter, const QPaintDevice *device) const; // white background, from (0, 0)

private:
    ModelComparison m_comparison;
    QString m_labelA, m_labelB;
    std::unique_ptr<AlignmentModel> m_heatmapA, m_heatmapB;
    double m_bound = 0.1;
};

// "mean JSD 0.081 nats · agreement 4/4 · log p A 0.00, B −0.48"
QString comparisonSummary(const ModelComparison &comparison);

QByteArray renderComparisonFigure(const ComparisonFigure &figure, FigureFormat format, int dpi = defaultFigureDpi);

} // namespace attnviz
