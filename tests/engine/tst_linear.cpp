// The step's kernels against plain computations: linearRows (with its AVX2 kernels on CPUs that
// have them: four rows of W at a time, or W streamed for one row of x or a W over 16 MB) against
// Eigen's product, for shapes that leave every tail of both in use; tanhInPlace and
// logSoftmaxInPlace against std::tanh and a double-precision log-softmax; argmaxOrNan against
// the first largest value.
#include <attnviz/layers/linear.h>

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

class TestLinear : public QObject
{
    Q_OBJECT

private slots:
    void matchesEigen_data();
    void matchesEigen();
    void tanhMatchesStd();
    void logSoftmaxMatchesDouble();
    void argmaxIsTheFirstLargest();
};

void TestLinear::matchesEigen_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("outputs");
    QTest::addColumn<int>("inputs");
    QTest::addColumn<bool>("bias");
    QTest::newRow("greedy") << 1 << 4 << 8 << true;
    QTest::newRow("odd sizes") << 3 << 7 << 13 << true;
    QTest::newRow("tiny") << 2 << 3 << 2 << true;
    QTest::newRow("no bias") << 5 << 9 << 17 << false;
    QTest::newRow("beam-sized") << 5 << 1001 << 256 << true;
    // One row streams W: its dot product has a 32-wide, an 8-wide and a scalar part.
    QTest::newRow("greedy, every tail") << 1 << 5 << 45 << true;
    // Over 16 MB of W streams it too, four rows of x at a time and then one by one.
    QTest::newRow("large W, beam") << 6 << 17000 << 259 << true;
}

void TestLinear::matchesEigen()
{
    QFETCH(int, rows);
    QFETCH(int, outputs);
    QFETCH(int, inputs);
    QFETCH(bool, bias);
    std::srand(7);
    const attnviz::MatrixRM w = attnviz::MatrixRM::Random(outputs, inputs);
    const attnviz::Vector b = attnviz::Vector::Random(outputs);
    // x is a block of a wider matrix and y of a taller one, as the decoder passes them.
    const attnviz::MatrixRM xs = attnviz::MatrixRM::Random(rows + 1, inputs + 3);
    attnviz::MatrixRM ys = attnviz::MatrixRM::Constant(rows + 2, outputs + 5, 99.0f);
    const attnviz::LinearView linear{w.data(), bias ? b.data() : nullptr, outputs, inputs};
    attnviz::linearRows(xs.block(1, 0, rows, inputs), linear, ys.block(0, 0, rows, outputs));

    attnviz::MatrixRM expected = xs.block(1, 0, rows, inputs) * w.transpose();
    if (bias)
        expected.rowwise() += b.transpose();
    for (int k = 0; k < rows; ++k)
        for (int v = 0; v < outputs; ++v)
            QVERIFY2(std::abs(ys(k, v) - expected(k, v)) <= 1e-5f * (1 + std::abs(expected(k, v))),
                     qPrintable(QStringLiteral("y(%1, %2) = %3, expected %4").arg(k).arg(v).arg(ys(k, v)).arg(expected(k, v))));
    QCOMPARE(ys(rows, 0), 99.0f); // nothing written outside the block
    QCOMPARE(ys(0, outputs), 99.0f);
}

void TestLinear::tanhMatchesStd()
{
    std::vector<float> values;
    for (float x = -12.0f; x <= 12.0f; x += 0.0137f)
        values.push_back(x);
    values.insert(values.end(), {0.0f, -0.0f, 1e-5f, -3e-4f, 1e-30f, 40.0f, -40.0f}); // an odd count
    std::vector<float> out = values;
    attnviz::tanhInPlace(out.data(), Eigen::Index(out.size()));
    for (size_t i = 0; i < values.size(); ++i)
        QVERIFY2(std::abs(out[i] - std::tanh(values[i])) <= 1e-6f, // a few ulp of 1 near saturation
                 qPrintable(QStringLiteral("tanh(%1) = %2").arg(values[i]).arg(out[i])));
}

void TestLinear::logSoftmaxMatchesDouble()
{
    for (int n : {1, 7, 8, 13, 5003}) {
        std::srand(n);
        attnviz::Vector x = attnviz::Vector::Random(n) * 30.0f; // exp underflows for some
        const Eigen::VectorXd d = x.cast<double>();
        const double logSum = std::log((d.array() - d.maxCoeff()).exp().sum()) + d.maxCoeff();
        attnviz::logSoftmaxInPlace(x);
        for (int i = 0; i < n; ++i)
            QVERIFY2(std::abs(x[i] - (d[i] - logSum)) <= 1e-5 * (1 + std::abs(d[i] - logSum)),
                     qPrintable(QStringLiteral("n %1, [%2] = %3, expected %4").arg(n).arg(i).arg(x[i]).arg(d[i] - logSum)));
    }
}

// argmaxOrNan: the first of equal largest values (as torch.argmax, and -0 equal to +0), a
// largest value in the last count % 8, every value -inf, and -1 for a NaN anywhere.
void TestLinear::argmaxIsTheFirstLargest()
{
    std::vector<float> v(37);
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = std::sin(float(i)); // no two alike
    const long expected = std::max_element(v.begin(), v.end()) - v.begin();
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), expected);
    v[3] = v[20] = v[30] = 2.0f;
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), 3L);
    v[35] = 3.0f; // in the tail after the last 8
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), 35L);
    std::fill(v.begin(), v.end(), -std::numeric_limits<float>::infinity());
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), 0L);
    v[9] = -0.0f;
    v[12] = 0.0f;
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), 9L);
    v[33] = std::numeric_limits<float>::quiet_NaN();
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), -1L);
    v[33] = 0;
    v[5] = std::numeric_limits<float>::quiet_NaN(); // in a full vector of 8
    QCOMPARE(attnviz::argmaxOrNan(v.data(), long(v.size())), -1L);
    QCOMPARE(attnviz::argmaxOrNan(v.data(), 0), -1L);
    QCOMPARE(attnviz::argmaxOrNan(v.data(), 6), -1L); // the NaN in the scalar part
    QCOMPARE(attnviz::argmaxOrNan(v.data(), 5), 0L);
}

QTEST_GUILESS_MAIN(TestLinear)
#include "tst_linear.moc"
