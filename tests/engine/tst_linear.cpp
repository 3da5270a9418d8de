// linearRows (the output layer's product, with its AVX2 kernel on CPUs that have it) against
// Eigen's product, for shapes that leave every tail of the kernel in use.
#include <attnviz/layers.h>

#include <QTest>

class TestLinear : public QObject
{
    Q_OBJECT

private slots:
    void matchesEigen_data();
    void matchesEigen();
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

QTEST_GUILESS_MAIN(TestLinear)
#include "tst_linear.moc"
