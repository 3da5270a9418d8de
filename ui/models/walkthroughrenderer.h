// Paints one page of the walkthrough (walkthroughmodel.h) on any QPainter: the window's view,
// the PDF, PNG and GIF exports and attnviz-cli walkthrough all draw with this one function. A page
// is laid out on a 960 x 540 (16:9) canvas, scaled to fit the target, on a white background;
// its text is drawn as text (QTextDocument for the typeset formulas), so a PDF keeps it.
#pragma once

#include "walkthroughmodel.h"

#include <QRectF>
#include <QSizeF>

class QPainter;

namespace attnviz {

inline constexpr double walkthroughPageWidth = 960, walkthroughPageHeight = 540;

void paintWalkthroughPage(QPainter *painter, const WalkthroughData &data, WalkthroughFrame frame,
                          const QRectF &target);

} // namespace attnviz
