#include <attnviz/io/half.h>

#include <QTest>

#include <cmath>
#include <cstring>

namespace {

uint32_t floatBits(float value)
{
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
}

} // namespace

class TestHalf : public QObject
{
    Q_OBJECT

private slots:
    void half_data();
    void half();
    void bfloat16_data();
    void bfloat16();
    void nan();

private:
    void addColumns()
    {
        QTest::addColumn<uint>("input");
        QTest::addColumn<float>("expected");
    }
};

void TestHalf::half_data()
{
    addColumns();
    QTest::newRow("zero") << 0x0000u << 0.0f;
    QTest::newRow("negative zero") << 0x8000u << -0.0f;
    QTest::newRow("one") << 0x3C00u << 1.0f;
    QTest::newRow("minus two") << 0xC000u << -2.0f;
    QTest::newRow("one third") << 0x3555u << 0.333251953125f;
    QTest::newRow("smallest subnormal") << 0x0001u << std::ldexp(1.0f, -24);
    QTest::newRow("negative subnormal") << 0x8001u << -std::ldexp(1.0f, -24);
    QTest::newRow("largest subnormal") << 0x03FFu << std::ldexp(1023.0f, -24);
    QTest::newRow("smallest normal") << 0x0400u << std::ldexp(1.0f, -14);
    QTest::newRow("largest finite") << 0x7BFFu << 65504.0f;
    QTest::newRow("infinity") << 0x7C00u << INFINITY;
    QTest::newRow("negative infinity") << 0xFC00u << -INFINITY;
}

void TestHalf::half()
{
    QFETCH(uint, input);
    QFETCH(float, expected);
    QCOMPARE(floatBits(attnviz::halfToFloat(uint16_t(input))), floatBits(expected));
}

void TestHalf::bfloat16_data()
{
    addColumns();
    QTest::newRow("zero") << 0x0000u << 0.0f;
    QTest::newRow("negative zero") << 0x8000u << -0.0f;
    QTest::newRow("one") << 0x3F80u << 1.0f;
    QTest::newRow("minus two") << 0xC000u << -2.0f;
    QTest::newRow("smallest subnormal") << 0x0001u << std::ldexp(1.0f, -133);
    QTest::newRow("largest finite") << 0x7F7Fu << std::ldexp(255.0f / 128.0f, 127);
    QTest::newRow("infinity") << 0x7F80u << INFINITY;
    QTest::newRow("negative infinity") << 0xFF80u << -INFINITY;
}

void TestHalf::bfloat16()
{
    QFETCH(uint, input);
    QFETCH(float, expected);
    QCOMPARE(floatBits(attnviz::bfloat16ToFloat(uint16_t(input))), floatBits(expected));
}

void TestHalf::nan()
{
    QVERIFY(std::isnan(attnviz::halfToFloat(0x7E00)));
    QVERIFY(std::isnan(attnviz::halfToFloat(0xFC01)));
    QVERIFY(std::isnan(attnviz::bfloat16ToFloat(0x7FC0)));
    QVERIFY(std::isnan(attnviz::bfloat16ToFloat(0xFF81)));
}

QTEST_APPLESS_MAIN(TestHalf)

#include "tst_half.moc"
