#include "walkthroughrenderer.h"

#include "colormap.h"

#include <QAbstractTextDocumentLayout>
#include <QCoreApplication>
#include <QFontMetricsF>
#include <QPainter>
#include <QTextDocument>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace attnviz {
namespace {

constexpr double margin = 28;
constexpr double contentTop = 100, contentBottom = 432, contentRight = 620;
constexpr double panelLeft = 648, panelRight = 936;
constexpr double formulaTop = 444;
const QColor ink(0x20, 0x20, 0x20), faint(0x80, 0x80, 0x80), accent(0xe0, 0x40, 0x30), barBlue(0x2c, 0x7f, 0xb8),
    note(0xb0, 0x50, 0x00);

QFont font(double pixels, bool bold = false)
{
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(std::max(1, int(std::lround(pixels))));
    f.setBold(bold);
    return f;
}

// Typeset HTML (subscripts, Σ, α) in a box of `width` from `topLeft`; returns the height used.
double drawHtml(QPainter *p, const QPointF &topLeft, double width, const QString &html, double pixels,
                const QColor &color = ink, Qt::Alignment align = Qt::AlignLeft)
{
    QTextDocument doc;
    doc.setDocumentMargin(0);
    doc.setDefaultFont(font(pixels));
    doc.setTextWidth(width);
    const QString alignment = align & Qt::AlignRight ? QStringLiteral("right") : QStringLiteral("left");
    doc.setHtml(QStringLiteral("<div style=\"color:%1\" align=\"%2\">%3</div>").arg(color.name(), alignment, html));
    p->save();
    p->translate(topLeft);
    QAbstractTextDocumentLayout::PaintContext context;
    context.palette.setColor(QPalette::Text, color);
    doc.documentLayout()->draw(p, context);
    p->restore();
    return doc.size().height();
}

void drawText(QPainter *p, const QRectF &box, const QString &text, double pixels, const QColor &color = ink,
              Qt::Alignment align = Qt::AlignLeft | Qt::AlignVCenter, bool bold = false)
{
    p->setFont(font(pixels, bold));
    p->setPen(color);
    const QFontMetricsF metrics(p->font());
    const QString shown = metrics.elidedText(text, align & Qt::AlignRight ? Qt::ElideLeft : Qt::ElideRight, box.width());
    p->drawText(box, int(align), shown);
}

// A vector as a row of coloured cells, on the diverging scale of the context view.
template<typename V>
void drawStrip(QPainter *p, const QRectF &box, const V &values, double scale)
{
    const auto n = values.size();
    if (n == 0)
        return;
    const double w = box.width() / double(n);
    p->setPen(Qt::NoPen);
    for (Eigen::Index k = 0; k < n; ++k)
        p->fillRect(QRectF(box.left() + k * w, box.top(), w + 0.3, box.height()),
                    divergingColor(double(values[k]) / scale));
    p->setPen(QPen(QColor(0xc0, 0xc0, 0xc0), 0.6));
    p->setBrush(Qt::NoBrush);
    p->drawRect(box);
}

double rowHeight(int rows, double top, double bottom, double most)
{
    return std::min(most, (bottom - top) / std::max(1, rows));
}

void drawHeader(QPainter *p, const WalkthroughData &data, WalkthroughFrame frame)
{
    drawText(p, QRectF(margin, 14, 560, 30),
             QCoreApplication::translate("attnviz::Walkthrough", "Step %1 of %2 · %3")
                 .arg(frame.step + 1)
                 .arg(data.steps())
                 .arg(walkthroughStageTitle(frame.stage, data.transformer())),
             22, ink, Qt::AlignLeft | Qt::AlignVCenter, true);
    // The four stages, the current one filled.
    const double w = 76, gap = 4, top = 16;
    for (int s = 0; s < walkthroughStageCount; ++s) {
        const QRectF box(panelRight - (walkthroughStageCount - s) * (w + gap) + gap, top, w, 24);
        const bool current = s == int(frame.stage);
        p->setPen(QPen(current ? accent : QColor(0xc8, 0xc8, 0xc8), 1));
        p->setBrush(current ? accent : QColor(Qt::white));
        p->drawRoundedRect(box, 4, 4);
        drawText(p, box, QStringLiteral("%1 ").arg(s + 1) + walkthroughStageTitle(static_cast<WalkthroughStage>(s), data.transformer()).section(QLatin1Char(' '), 0, 0), 11,
                 current ? QColor(Qt::white) : faint, Qt::AlignCenter);
    }
    // The sentence, and the output so far: the step's word appears when it is chosen.
    QString output;
    for (int i = 0; i < frame.step; ++i)
        output += data.targetTokens[i].toHtmlEscaped() + QLatin1Char(' ');
    output += frame.stage == WalkthroughStage::Output
        ? QStringLiteral("<b><span style=\"color:%1\">%2</span></b>").arg(accent.name(), data.targetTokens[frame.step].toHtmlEscaped())
        : QStringLiteral("<span style=\"color:%1\">?</span>").arg(faint.name());
    const QString tr1 = QCoreApplication::translate("attnviz::Walkthrough", "Source");
    const QString tr2 = QCoreApplication::translate("attnviz::Walkthrough", "Output");
    QString line = QStringLiteral("<b>%1:</b> %2 &nbsp;&nbsp; <b>%3:</b> %4")
                       .arg(tr1, data.sourceLabels.join(QLatin1Char(' ')).toHtmlEscaped(), tr2, output);
    drawHtml(p, QPointF(margin, 50), panelRight - margin - 310, line, 14);
    QString right = data.modelName.toHtmlEscaped();
    if (data.transformer())
        right += QStringLiteral(", ") + data.headName;
    if (data.forced)
        right += QCoreApplication::translate("attnviz::Walkthrough", ", forced");
    else if (data.hypothesisCount > 1)
        right += QCoreApplication::translate("attnviz::Walkthrough", ", beam %1 of %2")
                     .arg(data.hypothesis + 1)
                     .arg(data.hypothesisCount);
    p->setFont(font(11));
    const double rightWidth = std::min(300.0, QFontMetricsF(p->font()).horizontalAdvance(right) + 2);
    drawText(p, QRectF(panelRight - rightWidth, 50, rightWidth, 20), right, 11, faint, Qt::AlignLeft | Qt::AlignVCenter);
    p->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 1));
    p->drawLine(QPointF(margin, 84), QPointF(panelRight, 84));
}

// The heatmap so far: a row fills in when its weights are computed (stage 2 of its step).
void drawHeatmap(QPainter *p, const WalkthroughData &data, WalkthroughFrame frame)
{
    const MatrixRM &attention = data.attention;
    const int T = data.sourceLength();
    const bool padding = data.columns() > T; // the location score's slots: one column, their sum
    const int rows = data.steps(), cols = T + (padding ? 1 : 0);
    const double labelWidth = 64, labelHeight = 56;
    const double left = panelLeft + labelWidth, top = contentTop + 18 + labelHeight;
    const double cell = std::min({24.0, (panelRight - left) / cols, (contentBottom - top) / std::max(1, rows)});
    drawText(p, QRectF(panelLeft, contentTop - 4, panelRight - panelLeft, 18),
             data.transformer() ? QCoreApplication::translate("attnviz::Walkthrough", "The alignment so far: %1").arg(data.headName)
                                : QCoreApplication::translate("attnviz::Walkthrough", "The alignment so far"),
             12, faint);
    for (int j = 0; j < cols; ++j) {
        p->save();
        p->translate(left + (j + 0.5) * cell, top - 4);
        p->rotate(-60);
        drawText(p, QRectF(0, -7, labelHeight + 8, 14),
                 j < T ? data.columnLabels[j] : QCoreApplication::translate("attnviz::Walkthrough", "pad"), 10,
                 j >= T ? faint : ink);
        p->restore();
    }
    for (int i = 0; i < rows; ++i) {
        const bool filled = i < frame.step || (i == frame.step && frame.stage != WalkthroughStage::Encoder);
        const bool known = i < frame.step || (i == frame.step && frame.stage == WalkthroughStage::Output);
        drawText(p, QRectF(panelLeft, top + i * cell, labelWidth - 4, cell), known ? data.targetTokens[i] : QStringLiteral("·"),
                 std::min(11.0, cell * 0.7), i == frame.step ? accent : ink, Qt::AlignRight | Qt::AlignVCenter);
        for (int j = 0; j < cols; ++j) {
            const QRectF box(left + j * cell, top + i * cell, cell, cell);
            const double value = j < T ? double(attention(i, j)) : double(attention.row(i).tail(attention.cols() - T).sum());
            if (filled)
                p->fillRect(box, colorMapColor(ColorMap::Viridis, value));
            else
                p->fillRect(box.adjusted(0.5, 0.5, -0.5, -0.5), QColor(0xf2, 0xf2, 0xf2));
        }
    }
    p->setBrush(Qt::NoBrush);
    p->setPen(QPen(accent, 1.6));
    p->drawRect(QRectF(left, top + frame.step * cell, cols * cell, cell));
}

void drawEncoder(QPainter *p, const WalkthroughData &data)
{
    const TranslationResult &r = *data.result;
    double y = contentTop + drawHtml(p, QPointF(margin, contentTop), contentRight - margin, data.encoderText, 14) + 10;
    const int T = data.sourceLength();
    const double row = rowHeight(T, y, contentBottom - 20, 30);
    for (int j = 0; j < T; ++j) {
        const double top = y + j * row;
        drawHtml(p, QPointF(margin, top + row / 2 - 9), 40,
                 QStringLiteral("<i>h</i><sub>%1</sub>").arg(j + 1), 13, faint);
        drawText(p, QRectF(margin + 36, top, 80, row), data.sourceLabels[j], std::min(13.0, row * 0.6), ink,
                 Qt::AlignRight | Qt::AlignVCenter, true);
        drawStrip(p, QRectF(margin + 126, top + 2, contentRight - margin - 126, row - 4), r.encoderOutputs.row(j),
                  data.annotationScale);
    }
    drawText(p, QRectF(margin + 126, y + T * row + 2, contentRight - margin - 126, 16),
             QCoreApplication::translate("attnviz::Walkthrough", "blue: negative, white: 0, red: positive (up to ±%1)")
                 .arg(walkthroughNumber(data.annotationScale)),
             10, faint);
}

void drawScores(QPainter *p, const WalkthroughData &data, int step)
{
    const MatrixRM &attention = data.attention, &energies = data.energies;
    const StepDetail &s = data.details.steps[size_t(step)];
    double y = contentTop;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin, walkthroughQueryText(data, step), 14) + 4;
    drawStrip(p, QRectF(margin, y, contentRight - margin, 12), s.query, data.queryScale);
    y += 18;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin, data.scoreFormula, 13) + 4;
    if (data.transformer()) {
        // The head's strongest source positions, as the heads' thumbnails show them.
        std::vector<int> order(size_t(data.columns()));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return attention(step, a) > attention(step, b); });
        QString strongest;
        for (size_t k = 0; k < std::min<size_t>(3, order.size()); ++k)
            strongest += (k ? QStringLiteral(" · ") : QString()) + data.columnLabels[order[k]].toHtmlEscaped()
                + QStringLiteral(" ") + walkthroughNumber(attention(step, order[k]));
        y += drawHtml(p, QPointF(margin, y), contentRight - margin,
                      QCoreApplication::translate("attnviz::Walkthrough", "<b>Largest weights:</b> %1").arg(strongest), 12,
                      note)
            + 4;
    }
    if (!data.details.scoresReadAnnotations) {
        double padding = 0;
        for (int j = data.sourceLength(); j < data.columns(); ++j)
            padding += attention(step, j);
        y += drawHtml(p, QPointF(margin, y), contentRight - margin,
                      QCoreApplication::translate("attnviz::Walkthrough",
                                                  "<b>Location attention:</b> the scores do not look at the "
                                                  "<i>h</i><sub><i>j</i></sub> at all, only at the previous word and "
                                                  "state; the %1 slots past the input are padding and take %2 of the weight.")
                          .arg(data.columns() - data.sourceLength())
                          .arg(walkthroughNumber(padding)),
                      12, note)
            + 4;
    }
    const double eLeft = margin + 100, eWidth = 230, aLeft = eLeft + eWidth + 30, aWidth = contentRight - aLeft - 40;
    drawHtml(p, QPointF(eLeft, y), eWidth, QStringLiteral("<i>e</i><sub><i>ij</i></sub> (score)"), 12, faint);
    drawHtml(p, QPointF(aLeft, y), aWidth, QStringLiteral("<i>α</i><sub><i>ij</i></sub> = softmax(<i>e</i><sub><i>i</i></sub>)<sub><i>j</i></sub>"), 12, faint);
    y += 20;
    // Every source position; of the location score's padding slots the first two, then the rest
    // as one row (their summed weight and the range of their scores).
    struct Row
    {
        QString label;
        double e, a, eHigh;
        bool pad, many;
    };
    std::vector<Row> rows;
    const int T = data.sourceLength(), C = data.columns();
    constexpr int padShown = 2;
    for (int j = 0; j < C; ++j) {
        if (j >= T + padShown && C - j > 1) {
            double a = 0, low = energies(step, j), high = low;
            for (int k = j; k < C; ++k) {
                a += attention(step, k);
                low = std::min(low, double(energies(step, k)));
                high = std::max(high, double(energies(step, k)));
            }
            rows.push_back({QCoreApplication::translate("attnviz::Walkthrough", "pad %1–%2").arg(j + 1).arg(C), low, a,
                            high, true, true});
            break;
        }
        rows.push_back({data.columnLabels[j], energies(step, j), attention(step, j), 0, j >= T, false});
    }
    const int count = int(rows.size());
    const double row = rowHeight(count, y, contentBottom, 26);
    double eScale = 1e-12;
    for (const Row &r : rows)
        eScale = std::max({eScale, std::abs(r.e), r.many ? std::abs(r.eHigh) : 0.0});
    const double zero = eLeft + eWidth / 2;
    const double text = std::min(12.0, row * 0.62);
    for (int j = 0; j < count; ++j) {
        const Row &r = rows[size_t(j)];
        const double top = y + j * row, bar = row * 0.62;
        drawText(p, QRectF(margin - 20, top, 112, row), r.label, text, r.pad ? faint : ink, Qt::AlignRight | Qt::AlignVCenter);
        if (r.many) {
            drawText(p, QRectF(eLeft - 10, top, eWidth / 2 + 4, row),
                     QStringLiteral("%1 … %2").arg(walkthroughNumber(r.e), walkthroughNumber(r.eHigh)), text, faint,
                     Qt::AlignRight | Qt::AlignVCenter);
        } else {
            const double w = r.e / eScale * (eWidth / 2 - 34);
            p->fillRect(QRectF(std::min(zero, zero + w), top + (row - bar) / 2, std::abs(w), bar),
                        r.e >= 0 ? QColor(0xd6, 0x60, 0x4d) : QColor(0x43, 0x93, 0xc3));
            drawText(p, QRectF(r.e >= 0 ? zero + w + 3 : zero + w - 46, top, 43, row), walkthroughNumber(r.e), text, ink,
                     (r.e >= 0 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
        }
        p->fillRect(QRectF(aLeft, top + (row - bar) / 2, r.a * aWidth, bar), r.pad ? faint : barBlue);
        drawText(p, QRectF(aLeft + r.a * aWidth + 3, top, 60, row),
                 walkthroughNumber(r.a) + (r.many ? QCoreApplication::translate("attnviz::Walkthrough", " in all") : QString()),
                 text);
    }
    p->setPen(QPen(faint, 0.8));
    p->drawLine(QPointF(zero, y), QPointF(zero, y + count * row));
    p->drawLine(QPointF(aLeft, y), QPointF(aLeft, y + count * row));
}

// Rows "a_ij · name_j word" with the strip a_ij vectors_j in [left, left + width), from y: the
// terms of a weighted sum (an RNN's c_i, a head's o_i), each faded by its weight.
void drawWeightedTerms(QPainter *p, const WalkthroughData &data, int step, double y, double row, const MatrixRM &vectors,
                       const char *name, double left, double width, double scale)
{
    for (int j = 0; j < data.sourceLength(); ++j) {
        const double top = y + j * row, a = data.attention(step, j);
        drawHtml(p, QPointF(margin, top + row / 2 - 9), 190,
                 QStringLiteral("%1 · <i>%2</i><sub>%3</sub> %4")
                     .arg(walkthroughNumber(a), QLatin1String(name), QString::number(j + 1),
                          data.sourceLabels[j].toHtmlEscaped()),
                 std::min(13.0, row * 0.55));
        const Vector term = vectors.row(j).transpose() * a;
        drawStrip(p, QRectF(left, top + 2, width, row - 4), term, scale);
    }
}

// A transformer's first stage: the decoder's state x, the head's query q = W_q x, and its keys k_j.
void drawQuery(QPainter *p, const WalkthroughData &data, int step)
{
    const StepDetails &d = data.details;
    const StepDetail &s = d.steps[size_t(step)];
    double y = contentTop + drawHtml(p, QPointF(margin, contentTop), contentRight - margin, data.encoderText, 13) + 6;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin, walkthroughQueryText(data, step), 12, faint) + 4;
    const double stripLeft = margin + 126, stripWidth = contentRight - stripLeft;
    const auto labelled = [&](double top, double height, const QString &html, const QColor &color) {
        drawHtml(p, QPointF(margin, top + height / 2 - 9), 124, html, 13, color);
    };
    labelled(y, 22, QStringLiteral("<i>x</i> (%1)").arg(s.head.normed.size()), ink);
    drawStrip(p, QRectF(stripLeft, y + 3, stripWidth, 16), s.head.normed, data.streamScale);
    y += 26;
    const double qWidth = stripWidth * std::min(1.0, std::max(0.25, double(d.headSize) / double(s.head.normed.size()) * 2));
    labelled(y, 22, QStringLiteral("<i>q</i> = <i>W</i><sub>q</sub><i>x</i> (%1)").arg(d.headSize), accent);
    drawStrip(p, QRectF(stripLeft, y + 3, qWidth, 16), s.query, data.queryScale);
    y += 30;
    const int T = data.sourceLength();
    const double row = rowHeight(T, y, contentBottom - 18, 26);
    for (int j = 0; j < T; ++j) {
        const double top = y + j * row;
        drawHtml(p, QPointF(margin, top + row / 2 - 9), 40, QStringLiteral("<i>k</i><sub>%1</sub>").arg(j + 1), 13, faint);
        drawText(p, QRectF(margin + 30, top, 90, row), data.sourceLabels[j], std::min(13.0, row * 0.6), ink,
                 Qt::AlignRight | Qt::AlignVCenter, true);
        drawStrip(p, QRectF(stripLeft, top + 2, qWidth, row - 4), d.keys.row(j), data.queryScale);
    }
    drawText(p, QRectF(stripLeft, y + T * row + 2, stripWidth, 16),
             QCoreApplication::translate("attnviz::Walkthrough",
                                         "blue: negative, white: 0, red: positive (q and k up to ±%1, x up to ±%2)")
                 .arg(walkthroughNumber(data.queryScale), walkthroughNumber(data.streamScale)),
             10, faint);
}

// A transformer's third stage: a_ij v_j summed to the head's context, the heads concatenated, W_o,
// and the residual.
void drawHeadContext(QPainter *p, const WalkthroughData &data, int step)
{
    const StepDetails &d = data.details;
    const StepDetail &s = d.steps[size_t(step)];
    const int T = data.sourceLength();
    double y = contentTop;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin,
                  QCoreApplication::translate("attnviz::Walkthrough",
                                              "Each value <i>v</i><sub><i>j</i></sub> scaled by its weight, then summed: "
                                              "the head's context <i>o</i><sub>%1</sub>; then every head's, side by side, "
                                              "through <i>W</i><sub>o</sub>")
                      .arg(step + 1),
                  13)
        + 6;
    const double stripLeft = margin + 190, stripWidth = contentRight - stripLeft;
    const double headWidth = stripWidth / std::max(1, d.heads);
    const double headLeft = stripLeft + d.head * headWidth;
    const double row = rowHeight(T + 5, y, contentBottom - 6, 24);
    const double text = std::min(13.0, row * 0.55);
    drawWeightedTerms(p, data, step, y, row, d.values, "v", headLeft, headWidth, data.valueScale);
    double top = y + T * row + 3;
    p->setPen(QPen(ink, 1));
    p->drawLine(QPointF(headLeft, top), QPointF(headLeft + headWidth, top));
    top += 3;
    const auto line = [&](const QString &label, const Vector &v, double scale, const QColor &color) {
        drawHtml(p, QPointF(margin, top + row / 2 - 9), 190, label, text, color);
        drawStrip(p, QRectF(stripLeft, top + 2, stripWidth, row - 4), v, scale);
        top += row;
    };
    drawHtml(p, QPointF(margin, top + row / 2 - 9), 190,
             QStringLiteral("= <i>o</i><sub>%1</sub><sup>(%2)</sup>").arg(step + 1).arg(d.head + 1), text, accent);
    drawStrip(p, QRectF(headLeft, top + 2, headWidth, row - 4), d.contexts.row(step), data.valueScale);
    top += row;
    const double concatTop = top;
    line(QCoreApplication::translate("attnviz::Walkthrough", "[<i>o</i><sup>(1)</sup> ; … ; <i>o</i><sup>(%1)</sup>]").arg(d.heads),
         s.head.concat, data.valueScale, ink);
    p->setPen(QPen(accent, 1.4));
    p->setBrush(Qt::NoBrush);
    p->drawRect(QRectF(headLeft, concatTop + 1, headWidth, row - 2));
    line(QStringLiteral("<i>W</i><sub>o</sub> […] + <i>b</i><sub>o</sub>"), s.head.projected, data.streamScale, ink);
    line(QCoreApplication::translate("attnviz::Walkthrough", "+ <i>x</i> (residual)"), s.head.input, data.streamScale, faint);
    line(d.preNorm ? QCoreApplication::translate("attnviz::Walkthrough", "= the layer's output")
                   : QCoreApplication::translate("attnviz::Walkthrough", "LN(sum): the layer's output"),
         s.head.output, data.streamScale, accent);
}

void drawContext(QPainter *p, const WalkthroughData &data, int step)
{
    const TranslationResult &r = *data.result;
    const Hypothesis &h = data.hypothesisResult();
    const int T = data.sourceLength();
    double y = contentTop;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin,
                  QCoreApplication::translate("attnviz::Walkthrough",
                                              "Each <i>h</i><sub><i>j</i></sub> scaled by its weight, then summed: "
                                              "the context <i>c</i><sub>%1</sub>")
                      .arg(step + 1),
                  14)
        + 8;
    const double stripLeft = margin + 190, stripWidth = contentRight - stripLeft;
    const double row = rowHeight(T + 3, y, contentBottom - 10, 26);
    drawWeightedTerms(p, data, step, y, row, r.encoderOutputs, "h", stripLeft, stripWidth, data.annotationScale);
    double top = y + T * row + 4;
    p->setPen(QPen(ink, 1));
    p->drawLine(QPointF(stripLeft, top), QPointF(contentRight, top));
    top += 4;
    drawHtml(p, QPointF(margin, top + row / 2 - 9), 190, QStringLiteral("= <i>c</i><sub>%1</sub>").arg(step + 1), 13, accent);
    drawStrip(p, QRectF(stripLeft, top + 2, stripWidth, row - 4), h.contexts.row(step), data.annotationScale);
    top += row + 6;
    const double cScale = std::max(1e-12, double(r.summedContext.cwiseAbs().maxCoeff()));
    drawHtml(p, QPointF(margin, top + row / 2 - 9), 190,
             QCoreApplication::translate("attnviz::Walkthrough", "<i>c</i> = Σ<sub><i>j</i></sub> <i>h</i><sub><i>j</i></sub> (own scale)"),
             std::min(12.0, row * 0.55), faint);
    drawStrip(p, QRectF(stripLeft, top + 2, stripWidth, row - 4), r.summedContext, cScale);
}

void drawOutput(QPainter *p, const WalkthroughData &data, int step)
{
    const StepDetail &s = data.details.steps[size_t(step)];
    double y = contentTop;
    y += drawHtml(p, QPointF(margin, y), contentRight - margin, data.outputFormula, 14) + 10;
    std::vector<WordProbability> rows = s.top;
    const bool chosenShown = s.chosenRank <= int(s.top.size());
    const int count = int(rows.size()) + (chosenShown ? 0 : 1);
    const double row = rowHeight(count, y, contentBottom, 30);
    const double barLeft = margin + 140, barWidth = contentRight - barLeft - 130;
    const double text = std::min(14.0, row * 0.55);
    const auto drawRow = [&](int index, const WordProbability &w, int rank) {
        const double top = y + index * row, bar = row * 0.6;
        const bool chosen = w.id == s.chosen.id;
        drawText(p, QRectF(margin, top, 132, row), QString::fromStdString(w.token), text, chosen ? accent : ink,
                 Qt::AlignRight | Qt::AlignVCenter, chosen);
        p->fillRect(QRectF(barLeft, top + (row - bar) / 2, std::max(0.5, w.probability * barWidth), bar),
                    chosen ? accent : barBlue);
        QString label = walkthroughNumber(w.probability, 3);
        if (rank > int(s.top.size()))
            label += QCoreApplication::translate("attnviz::Walkthrough", " (rank %1)").arg(rank);
        if (chosen)
            label += data.forced ? QCoreApplication::translate("attnviz::Walkthrough", "  ◀ reference")
                                 : QCoreApplication::translate("attnviz::Walkthrough", "  ◀ chosen");
        if (data.transformer() ? w.id == s.withUniformHead.id : w.id == s.withSummedContext.id)
            label += data.transformer() ? QCoreApplication::translate("attnviz::Walkthrough", "  ◆ uniform")
                                        : QCoreApplication::translate("attnviz::Walkthrough", "  ◆ with c");
        drawText(p, QRectF(barLeft + w.probability * barWidth + 4, top, 220, row), label, std::min(12.0, text), ink);
    };
    for (int k = 0; k < int(rows.size()); ++k)
        drawRow(k, rows[k], k + 1);
    if (!chosenShown)
        drawRow(int(rows.size()), s.chosen, s.chosenRank);
}

} // namespace

void paintWalkthroughPage(QPainter *painter, const WalkthroughData &data, WalkthroughFrame frame, const QRectF &target)
{
    if (data.steps() == 0)
        return;
    frame.step = std::clamp(frame.step, 0, data.steps() - 1);
    painter->save();
    const double scale = std::min(target.width() / walkthroughPageWidth, target.height() / walkthroughPageHeight);
    painter->translate(target.center().x() - walkthroughPageWidth * scale / 2,
                       target.center().y() - walkthroughPageHeight * scale / 2);
    painter->scale(scale, scale);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->fillRect(QRectF(0, 0, walkthroughPageWidth, walkthroughPageHeight), Qt::white);
    drawHeader(painter, data, frame);
    QString formula;
    switch (frame.stage) {
    case WalkthroughStage::Encoder:
        if (data.transformer())
            drawQuery(painter, data, frame.step);
        else
            drawEncoder(painter, data);
        formula = data.encoderFormula;
        break;
    case WalkthroughStage::Scores:
        drawScores(painter, data, frame.step);
        formula = walkthroughSoftmaxFormula(data, frame.step);
        break;
    case WalkthroughStage::Context:
        if (data.transformer())
            drawHeadContext(painter, data, frame.step);
        else
            drawContext(painter, data, frame.step);
        formula = walkthroughContextFormula(data, frame.step);
        break;
    case WalkthroughStage::Output:
        drawOutput(painter, data, frame.step);
        formula = walkthroughOutputText(data, frame.step);
        break;
    }
    drawHeatmap(painter, data, frame);
    painter->setPen(QPen(QColor(0xdd, 0xdd, 0xdd), 1));
    painter->drawLine(QPointF(margin, formulaTop - 6), QPointF(panelRight, formulaTop - 6));
    drawHtml(painter, QPointF(margin, formulaTop), panelRight - margin, formula, 16);
    painter->restore();
}

} // namespace attnviz
