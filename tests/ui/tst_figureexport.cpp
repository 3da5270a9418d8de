// The publication figure in PNG, SVG and PDF, drawn by the same renderer as the window's view.
#include <figureexport.h>
#include <alignmentmodel.h>

#include <attnviz/decoding/translate.h>

#include <QSvgRenderer>
#include <QTest>

namespace {

struct Figure
{
    std::shared_ptr<const attnviz::Model> model;
    std::shared_ptr<const attnviz::TranslationResult> result;
    attnviz::AlignmentModel heatmap;
};

void makeFigure(Figure &f, const std::string &modelPath, const std::string &sentence)
{
    f.model = attnviz::Model::fromFile(modelPath);
    f.result = std::make_shared<const attnviz::TranslationResult>(attnviz::translate(*f.model, sentence, {}));
    f.heatmap.setResult(f.result, 0);
}

} // namespace

class TestFigureExport : public QObject
{
    Q_OBJECT

private slots:
    void svgIsValidAndKeepsEveryLabelAsText();
    void pdfHasOnePage();
    void pngSizeFollowsTheScale();
    void formatNames();
};

void TestFigureExport::svgIsValidAndKeepsEveryLabelAsText()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "the 3rd of may , 1999");
    attnviz::FigureOptions options;
    options.title = QStringLiteral("the 3rd of may , 1999 \u2014 dates");
    const QByteArray svg = attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Svg, options);
    QSvgRenderer renderer(svg);
    QVERIFY(renderer.isValid());
    QVERIFY(renderer.defaultSize().width() > 100);
    for (const std::string &token : f.result->sourceTokens)
        QVERIFY2(svg.contains(QByteArray(">" + QByteArray::fromStdString(token) + "</text>")), token.c_str());
    for (const std::string &token : f.result->best().targetTokens)
        QVERIFY2(svg.contains(QByteArray(">" + QByteArray::fromStdString(token) + "</text>")), token.c_str());
    QVERIFY(svg.contains("the 3rd of may , 1999 \xe2\x80\x94 dates</text>"));
    QVERIFY(!svg.contains("<image")); // vector, not a picture inside an SVG
}

void TestFigureExport::pdfHasOnePage()
{
    Figure f;
    makeFigure(f, ATTNVIZ_GOLDEN_DIR "/tiny-legacy-relu.safetensors", "i am cold");
    const QByteArray pdf = attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Pdf, {});
    QVERIFY(pdf.startsWith("%PDF"));
    QCOMPARE(pdf.count("/Type /Page\n") + pdf.count("/Type /Page ") + pdf.count("/Type /Page/") + pdf.count("/Type/Page\n"), 1);
    QVERIFY(pdf.contains("/Count 1"));
}

void TestFigureExport::pngSizeFollowsTheScale()
{
    Figure f;
    makeFigure(f, ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors", "december 25 , 2001");
    attnviz::FigureOptions options;
    const QImage one = attnviz::renderFigureImage(f.heatmap, options);
    options.scale = 2;
    const QImage two = attnviz::renderFigureImage(f.heatmap, options);
    options.scale = 4;
    const QImage four = attnviz::renderFigureImage(f.heatmap, options);
    QVERIFY(one.width() > 100 && one.height() > 50);
    // Each size is rounded up to whole pixels, so allow one pixel per doubling.
    QVERIFY(std::abs(two.width() - 2 * one.width()) <= 2);
    QVERIFY(std::abs(two.height() - 2 * one.height()) <= 2);
    QVERIFY(std::abs(four.width() - 4 * one.width()) <= 4);
    QCOMPARE(two.pixelColor(0, 0), QColor(Qt::white));
    // The PNG bytes decode to the same image size.
    QImage decoded;
    QVERIFY(decoded.loadFromData(attnviz::renderFigure(f.heatmap, attnviz::FigureFormat::Png, options), "PNG"));
    QCOMPARE(decoded.size(), four.size());
}

void TestFigureExport::formatNames()
{
    QCOMPARE(attnviz::figureFormatFromName(QStringLiteral("SVG")), std::optional(attnviz::FigureFormat::Svg));
    QCOMPARE(attnviz::figureFormatFromName(QStringLiteral("pdf")), std::optional(attnviz::FigureFormat::Pdf));
    QVERIFY(!attnviz::figureFormatFromName(QStringLiteral("jpg")));
}

QTEST_MAIN(TestFigureExport)
#include "tst_figureexport.moc"
