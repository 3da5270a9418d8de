#include "zoomfit.h"

namespace attnviz {

double fitZoom(const std::function<QSizeF(double)> &sizeAt, const QSizeF &available,
               double minimum, double maximum)
{
    const auto fits = [&](double zoom) {
        const QSizeF size = sizeAt(zoom);
        return size.width() <= available.width() && size.height() <= available.height();
    };
    if (maximum <= minimum || !fits(minimum))
        return minimum;
    if (fits(maximum))
        return maximum;
    // Bisection: the drawing is not exactly linear in the zoom (fonts, rounding to pixels).
    double low = minimum, high = maximum;
    for (int i = 0; i < 18 && high - low > 1e-3; ++i) {
        const double middle = (low + high) / 2;
        (fits(middle) ? low : high) = middle;
    }
    return low;
}

} // namespace attnviz
