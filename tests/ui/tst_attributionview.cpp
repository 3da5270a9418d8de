// The Attribution tab (issue #20): computed only while shown, on a worker thread, with the
// engine's values for the selected output; cached per method; the figures in its status line.
#include "attributionmodel.h"
#include "attributionview.h"
#include "mainwindow.h"
#include "showtranslation.h"
#include "resultselection.h"
#include "testsettings.h"
#include "translationcontroller.h"

#include <attnviz/analysis/attribution.h>

#include <QComboBox>
#include <QLabel>
#include <QTabWidget>
#include <QTest>

using namespace attnviz;

namespace {

const QString bahdanauModelPath = QStringLiteral(ATTNVIZ_SOURCE_DIR "/sample_models/eng-fra-bahdanau.safetensors");

using attnviz::test::showTranslation;

} // namespace

class TestAttributionView : public QObject
{
    Q_OBJECT

private slots:
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
};

QTEST_MAIN(TestAttributionView)
#include "tst_attributionview.moc"
