// fitZoom(): the zoom at which the alignment views fill their viewport (issue #22).
#include "zoomfit.h"

#include <QTest>

#include <cmath>

using attnviz::fitZoom;

class TestZoomFit : public QObject
{
    Q_OBJECT

private slots:
    void fillsTheLimitingDimension_data();
    void fillsTheLimitingDimension();
    void roundingNeverOverflows();
    void tooLargeKeepsTheMinimum();
    void smallStopsAtTheMaximum();
};

void TestZoomFit::fillsTheLimitingDimension_data()
{
    QTest::addColumn<QSizeF>("natural"); // at zoom 1
    QTest::addColumn<QSizeF>("available");
    QTest::newRow("wide view, height limits") << QSizeF(200, 100) << QSizeF(1000, 300);
    QTest::newRow("tall view, width limits") << QSizeF(200, 100) << QSizeF(500, 900);
    QTest::newRow("with a fixed margin") << QSizeF(150, 80) << QSizeF(700, 700);
}

void TestZoomFit::fillsTheLimitingDimension()
{
    QFETCH(QSizeF, natural);
    QFETCH(QSizeF, available);
    // Labels that do not grow with the zoom: a fixed part plus a growing part.
    const auto sizeAt = [natural](double zoom) { return QSizeF(40, 30) + natural * zoom; };
    const double zoom = fitZoom(sizeAt, available, 0.5, 10);
    const QSizeF size = sizeAt(zoom);
    QVERIFY(size.width() <= available.width() && size.height() <= available.height());
    const double filled = std::max(size.width() / available.width(), size.height() / available.height());
    QVERIFY2(filled > 0.995, qPrintable(QString::number(filled)));
}

void TestZoomFit::roundingNeverOverflows()
{
    // As the renderer does: whole pixels, rounded up.
    const auto sizeAt = [](double zoom) {
        return QSizeF(std::ceil(123.4 * zoom + 0.7), std::ceil(77.7 * zoom + 0.7));
    };
    for (int height = 100; height < 400; height += 7) {
        const QSizeF available(2000, height);
        const QSizeF size = sizeAt(fitZoom(sizeAt, available, 0.1, 20));
        QVERIFY2(size.height() <= height, qPrintable(QStringLiteral("%1 > %2").arg(size.height()).arg(height)));
        QVERIFY(size.height() >= height - 2);
    }
}

void TestZoomFit::tooLargeKeepsTheMinimum()
{
    const auto sizeAt = [](double zoom) { return QSizeF(1000, 1000) * zoom; };
    QCOMPARE(fitZoom(sizeAt, QSizeF(300, 300), 0.8, 3), 0.8);
}

void TestZoomFit::smallStopsAtTheMaximum()
{
    // A two-word sentence in a large view: the cap, not the view, decides.
    const auto sizeAt = [](double zoom) { return QSizeF(60, 50) * zoom; };
    QCOMPARE(fitZoom(sizeAt, QSizeF(1200, 800), 0.8, attnviz::maxFitCellPoints / 20), 3.2);
}

QTEST_GUILESS_MAIN(TestZoomFit)

#include "tst_zoomfit.moc"
