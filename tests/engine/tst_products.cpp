// The attribution tapes' double products over float weights (engine/src/analysis/attribution/
// products.h: W x, W X, W^T G, and the transformer's row-major X W^T and G W) against Eigen's
// double products of a converted copy: every kernel this CPU has (Eigen, AVX2, AVX-512), forced
// one at a time, on shapes that use every block and tail (rows past a 256-row tile, columns not
// a multiple of 4 or 8, each seed count from 1 to 13).
#include "analysis/attribution/products.h"

#include <QTest>

using namespace attnviz::detail;

namespace {

using FloatMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

const char *kernelName(ProductKernel k)
{
    switch (k) {
    case ProductKernel::Auto: return "auto";
    case ProductKernel::Eigen: return "eigen";
    case ProductKernel::Avx2: return "avx2";
    case ProductKernel::Avx512: return "avx512";
    }
    return "?";
}

double relativeError(const GradD &got, const GradD &want)
{
    return (got - want).cwiseAbs().maxCoeff() / std::max(1.0, want.cwiseAbs().maxCoeff());
}

} // namespace

class TestProducts : public QObject
{
    Q_OBJECT

private slots:
    void cleanup() { forceProductKernel(ProductKernel::Auto); }
    void matchesEigen_data();
    void matchesEigen();
};

void TestProducts::matchesEigen_data()
{
    QTest::addColumn<int>("kernel");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    const struct { int rows, cols; } shapes[] = {{1, 128}, {384, 128}, {3, 13}, {257, 40}, {600, 37}, {5, 3}, {300, 256}};
    for (const ProductKernel k : {ProductKernel::Eigen, ProductKernel::Avx2, ProductKernel::Avx512})
        for (const auto &s : shapes)
            QTest::addRow("%s %dx%d", kernelName(k), s.rows, s.cols) << int(k) << s.rows << s.cols;
}

void TestProducts::matchesEigen()
{
    QFETCH(int, kernel);
    QFETCH(int, rows);
    QFETCH(int, cols);
    if (!forceProductKernel(ProductKernel(kernel)))
        QSKIP("this CPU lacks the kernel");
    std::srand(unsigned(rows * 1000 + cols));
    const FloatMatrix stored = FloatMatrix::Random(rows, cols);
    const WeightF w(stored.data(), rows, cols);
    const MatrixD copy = stored.cast<double>();

    const VectorD x = VectorD::Random(cols);
    const VectorD y = timesVector(w, x);
    QCOMPARE(y.size(), Eigen::Index(rows));
    QVERIFY2(relativeError(y, copy * x) < 1e-13, "W x");

    for (int seeds = 1; seeds <= 13; ++seeds) {
        const GradD g = GradD::Random(rows, seeds);
        const GradD got = transposeTimes(w, g);
        QCOMPARE(got.rows(), Eigen::Index(cols));
        QCOMPARE(got.cols(), Eigen::Index(seeds));
        QVERIFY2(relativeError(got, copy.transpose() * g) < 1e-13, qPrintable(QStringLiteral("W^T G, %1 seeds").arg(seeds)));

        const GradD m = GradD::Random(cols, seeds);
        const GradD wm = timesMatrix(w, m);
        QCOMPARE(wm.rows(), Eigen::Index(rows));
        QVERIFY2(relativeError(wm, copy * m) < 1e-13, qPrintable(QStringLiteral("W X, %1 columns").arg(seeds)));

        // The transformer's row-major forms: X W^T and G W.
        const MatrixD xr = MatrixD::Random(seeds, cols), gr = MatrixD::Random(seeds, rows);
        const MatrixD xw = rowsTimesTransposed(xr, w), gw = rowsTimes(gr, w);
        QCOMPARE(xw.rows(), Eigen::Index(seeds));
        QCOMPARE(xw.cols(), Eigen::Index(rows));
        QCOMPARE(gw.cols(), Eigen::Index(cols));
        QVERIFY2(relativeError(xw, xr * copy.transpose()) < 1e-13, qPrintable(QStringLiteral("X W^T, %1 rows").arg(seeds)));
        QVERIFY2(relativeError(gw, gr * copy) < 1e-13, qPrintable(QStringLiteral("G W, %1 rows").arg(seeds)));
    }
}

QTEST_GUILESS_MAIN(TestProducts)
#include "tst_products.moc"
