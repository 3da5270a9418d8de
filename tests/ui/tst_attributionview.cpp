// The Attribution tab (issue #20): computed only while shown, on a worker thread, with the
// engine's values for the selected output; cached per method; the figures in its status line.
#include "attributionfigure.h"
#include "attributionmodel.h"
#include "colormap.h"
#include "attributionview.h"
#include "mainwindow.h"
#include "showtranslation.h"
#include "resultselection.h"
#include "testsettings.h"
#include "translationcontroller.h"

#include <attnviz/analysis/attribution.h>

#include <QComboBox>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QLabel>
#include <QTabWidget>
#include <QTest>

using namespace attnviz;

namespace {

const QString bahdanauModelPath = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors");

using attnviz::test::showTranslation;

// Whether some pixel of the image has exactly this colour.
bool hasPixel(const QImage &image, QColor color)
{
    const QRgb wanted = color.rgb();
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            if ((image.pixel(x, y) | 0xff000000u) == (wanted | 0xff000000u))
                return true;
    return false;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestAttributionView : public QObject
{
    Q_OBJECT

private slots:
    // A transformer: attributed like an RNN; its agreement is with the attention view chosen
    // (the last layer's mean over the heads by default), and choosing other heads re-measures
    // the agreement without computing the attribution again.
    void transformerAgreesWithTheViewChosen()
    {
        test::IsolatedSettings settings;
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(showTranslation(window, QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian"),
                                QStringLiteral("I am cold.")));
        auto *panel = window.findChild<AttributionPanel *>(QStringLiteral("attribution"));
        AttributionModel *model = panel->model();
        model->setMethod(AttributionMethod::InputXGradient);
        window.findChild<QTabWidget *>()->setCurrentWidget(panel);
        QVERIFY(model->waitForComputed());
        const AttributionView *view = model->current();
        QVERIFY2(view, qPrintable(model->error()));
        const TranslationOutput &output = window.selection()->pieceOutput();
        const std::shared_ptr<const TranslationResult> shown = output.result; // setView replaces it
        const Hypothesis &h = shown->best();
        AttributionOptions options;
        options.method = AttributionMethod::InputXGradient;
        const Attribution expected = attribute(*output.model, shown->sourceIds, h.targetIds, options);
        QVERIFY((view->attribution.values - expected.values).cwiseAbs().maxCoeff() < 1e-12);
        const int layers = h.crossAttention.layers, heads = h.crossAttention.heads;
        QCOMPARE(QString::fromStdString(view->alphaView),
                 QStringLiteral("layer %1, mean of %2 heads").arg(layers).arg(heads));
        QVERIFY2(panel->summaryText().startsWith(QStringLiteral("Agreement with attention (layer %1, mean of %2 heads): Spearman")
                                                     .arg(layers)
                                                     .arg(heads)),
                 qPrintable(panel->summaryText()));
        const auto agreementWith = [&](const MatrixRM &alpha) {
            std::vector<RowAgreement> rows;
            for (int i = 0; i < h.steps(); ++i)
                rows.push_back(rowAgreement(alpha.row(i).head(shown->sourceLength()).cast<double>().transpose(),
                                            expected.values.row(i).transpose()));
            return rows;
        };
        const std::vector<RowAgreement> byDefault = agreementWith(h.attention);
        for (size_t i = 0; i < byDefault.size(); ++i)
            QCOMPARE(view->rows[i].spearman, byDefault[i].spearman);

        HeadSelection head;
        head.layer = 0;
        head.heads = {1};
        QVERIFY(window.selection()->setView(head));
        QVERIFY(!model->isComputing()); // the attribution is kept; only the agreement changes
        QVERIFY((output.result->best().attention - h.crossAttention.at(0, 1)).cwiseAbs().maxCoeff() < 1e-6f);
        view = model->current();
        QVERIFY(view);
        QCOMPARE(QString::fromStdString(view->alphaView), QStringLiteral("layer 1, head 2"));
        const std::vector<RowAgreement> byHead = agreementWith(h.crossAttention.at(0, 1));
        bool differs = false;
        for (size_t i = 0; i < byHead.size(); ++i) {
            QCOMPARE(view->rows[i].spearman, byHead[i].spearman);
            differs = differs || byHead[i].spearman != byDefault[i].spearman;
        }
        QVERIFY(differs);
        QVERIFY(panel->summaryText().startsWith(QStringLiteral("Agreement with attention (layer 1, head 2)")));
    }

    // The heads chosen for one sentence stay chosen for the next (the controller's view follows).
    void chosenHeadsStayForTheNextSentence()
    {
        test::IsolatedSettings settings;
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(showTranslation(window, QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-marian"),
                                QStringLiteral("I am cold.")));
        HeadSelection head;
        head.layer = 1;
        head.heads = {3};
        QVERIFY(window.selection()->setView(head));
        window.setSentence(QStringLiteral("Tom is cold."));
        QVERIFY(window.waitForTranslation());
        const TranslationOutput &output = window.selection()->pieceOutput();
        QCOMPARE(output.result->view.layer, 1);
        QCOMPARE(output.result->view.heads, std::vector<int>{3});
        const MatrixRM &shown = output.result->best().attention;
        QVERIFY((shown - output.result->best().crossAttention.at(1, 3)).cwiseAbs().maxCoeff() < 1e-6f);
    }

    void computedWhileShownWithTheEnginesValues()
    {
        test::IsolatedSettings settings;
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(showTranslation(window, bahdanauModelPath, QStringLiteral("i am cold .")));
        auto *panel = window.findChild<AttributionPanel *>(QStringLiteral("attribution"));
        QVERIFY(panel);
        AttributionModel *model = panel->model();
        QVERIFY(!model->isActive()); // the Heatmap tab is shown: nothing computed while typing
        QVERIFY(!model->current());

        auto *tabs = window.findChild<QTabWidget *>();
        tabs->setCurrentWidget(panel);
        QVERIFY(model->isActive());
        QVERIFY(model->waitForComputed());
        const AttributionView *view = model->current();
        QVERIFY(view);
        QCOMPARE(view->attribution.method, AttributionMethod::IntegratedGradients);

        // The engine's own numbers for the result the window shows.
        const TranslationResult &result = *window.selection()->pieceOutput().result;
        AttributionOptions options;
        const Attribution expected = attribute(*window.selection()->pieceOutput().model, result.sourceIds,
                                               result.best().targetIds, options);
        QCOMPARE(view->attribution.values.rows(), expected.values.rows());
        QVERIFY((view->attribution.values - expected.values).cwiseAbs().maxCoeff() < 1e-12);
        QCOMPARE(view->rows.size(), size_t(result.best().steps()));
        QVERIFY2(panel->summaryText().startsWith(QStringLiteral("Agreement with attention: Spearman")),
                 qPrintable(panel->summaryText()));
        QVERIFY(panel->summaryText().contains(QStringLiteral("Completeness")));

        // Another method: computed once, then cached.
        auto *method = panel->findChild<QComboBox *>(QStringLiteral("attributionMethod"));
        method->setCurrentIndex(method->findText(QStringLiteral("occlusion")));
        QVERIFY(model->waitForComputed());
        const AttributionView *occlusion = model->current();
        QCOMPARE(occlusion->attribution.method, AttributionMethod::Occlusion);
        QVERIFY(!panel->summaryText().contains(QStringLiteral("Completeness")));
        method->setCurrentIndex(method->findText(QStringLiteral("integrated-gradients")));
        QVERIFY(!model->isComputing());
        QCOMPARE(model->current(), view);

        // A new sentence: the old figures go, the new ones come while the tab is shown.
        window.setSentence(QStringLiteral("he is late ."));
        QVERIFY(window.waitForTranslation());
        QVERIFY(model->waitForComputed());
        QVERIFY(model->current() != view);
        QCOMPARE(model->current()->sourceTokens, window.selection()->pieceOutput().result->sourceTokens);
    }

    // The figure (File → Export attribution…, the tab's Export…): PNG at its size in points at
    // the dpi, the scale's ends in the cells that reach them, SVG and PDF with the tokens as text.
    void exportsTheFigureInEveryFormat()
    {
        test::IsolatedSettings settings;
        MainWindow window;
        window.resize(1200, 800);
        window.show();
        QVERIFY(showTranslation(window, bahdanauModelPath, QStringLiteral("i am cold .")));
        AttributionPanel *panel = window.attributionPanel();
        QTemporaryDir dir;
        QString error;
        QVERIFY(!panel->exportFigure(dir.filePath(QStringLiteral("early.png")), 300, {}, &error));
        QVERIFY2(error.contains(QStringLiteral("translate")) || error.contains(QStringLiteral("computed")), qPrintable(error));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("early.png"))));

        // Asked before it is computed (the tab hidden): written once it is.
        QSignalSpy exported(panel, &AttributionPanel::exported);
        window.findChild<QTabWidget *>()->setCurrentWidget(panel);
        panel->requestExport(dir.filePath(QStringLiteral("ig.png")), 150, QStringLiteral("i am cold ."));
        QVERIFY(panel->model()->waitForComputed());
        QTRY_COMPARE(exported.count(), 1);
        QVERIFY(!panel->hasPendingExport());
        const AttributionView &view = *panel->model()->current();
        QImage png = QImage::fromData(readAll(dir.filePath(QStringLiteral("ig.png"))), "PNG");
        QVERIFY(!png.isNull());
        QCOMPARE(png.dotsPerMeterX(), qRound(150 / 0.0254));
        QImage probe(1, 1, QImage::Format_ARGB32);
        probe.setDotsPerMeterX(png.dotsPerMeterX());
        probe.setDotsPerMeterY(png.dotsPerMeterY());
        AttributionFigureOptions options;
        options.title = QStringLiteral("i am cold .");
        const QSizeF size = attributionFigureSize(view, options, &probe);
        QCOMPARE(png.size(), QSize(int(std::ceil(size.width())), int(std::ceil(size.height()))));
        // Integrated gradients is signed: the largest |value| is a full red or blue cell.
        const double bound = attributionBound(view);
        QVERIFY(bound > 0);
        Eigen::Index i = 0, j = 0;
        view.attribution.values.cwiseAbs().maxCoeff(&i, &j);
        const double sign = view.attribution.values(i, j) > 0 ? 1 : -1;
        QVERIFY(hasPixel(png, divergingColor(sign)));
        QVERIFY(!hasPixel(png, colorMapColor(ColorMap::Viridis, 1.0)));

        // SVG and PDF: vector, with the tokens and the method as text.
        QVERIFY2(panel->exportFigure(dir.filePath(QStringLiteral("ig.svg")), 300, {}, &error), qPrintable(error));
        const QByteArray svg = readAll(dir.filePath(QStringLiteral("ig.svg")));
        QVERIFY(svg.startsWith("<?xml"));
        QVERIFY(svg.contains("cold"));
        QVERIFY(svg.contains("integrated-gradients"));
        QVERIFY2(panel->exportFigure(dir.filePath(QStringLiteral("ig.pdf")), 300, {}, &error), qPrintable(error));
        QVERIFY(readAll(dir.filePath(QStringLiteral("ig.pdf"))).startsWith("%PDF-"));
        QVERIFY(!panel->exportFigure(dir.filePath(QStringLiteral("ig.csv")), 300, {}, &error));
        QVERIFY2(error.contains(QStringLiteral("PNG, SVG or PDF")), qPrintable(error));

        // The gradient norm is unsigned: viridis, its largest value the scale's top.
        auto *method = panel->findChild<QComboBox *>(QStringLiteral("attributionMethod"));
        method->setCurrentIndex(method->findText(QStringLiteral("gradient")));
        QVERIFY(panel->model()->waitForComputed());
        QVERIFY2(panel->exportFigure(dir.filePath(QStringLiteral("gradient.png")), 300, {}, &error), qPrintable(error));
        png = QImage::fromData(readAll(dir.filePath(QStringLiteral("gradient.png"))), "PNG");
        QVERIFY(hasPixel(png, colorMapColor(ColorMap::Viridis, 1.0)));
        QVERIFY(!hasPixel(png, divergingColor(1.0)));
        QCOMPARE(attributionMethodText(*panel->model()->current()), QStringLiteral("gradient"));
        QCOMPARE(attributionMethodText(view), QStringLiteral("integrated-gradients, 50 steps"));
        QVERIFY(attributionSummary(view).startsWith(QStringLiteral("Agreement with attention: Spearman ")));
    }
};

QTEST_MAIN(TestAttributionView)
#include "tst_attributionview.moc"
