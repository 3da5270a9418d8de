// The GUI's side of a keystroke, offscreen: from a changed sentence (TranslationController, as
// the window uses it, debounce skipped) to a finished synchronous repaint of the heatmap view,
// then that repaint alone; the same keystroke through the whole window (a key event in the
// sentence box, the settings, every view, the window's repaint); and a repaint of a 200 x 200
// heatmap, whole and as a scroll area shows it. Medians of repeats, one JSON object per line, as
// bench_engine prints them. Never a CTest test.
//
//     QT_QPA_PLATFORM=offscreen bench_gui MODEL.safetensors
#include "timing.h"

#include "syntheticresult.h"

#include "alignmentview.h"
#include "alignmentmodel.h"
#include "mainwindow.h"
#include "translationcontroller.h"

#include <attnviz/models/model.h>
#include <attnviz/decoding/translate.h>

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QKeyEvent>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QTemporaryDir>

#include <iostream>

using namespace attnviz;

namespace {

// n distinct source words of the model, skipping SOS and EOS.
QString sentenceOf(const Model &model, int words, int variant)
{
    QStringList out;
    for (int i = 0; i < words; ++i)
        out << QString::fromStdString(model.sourceWord(2 + (i * 7 + variant) % (model.sourceVocabSize() - 2)));
    return out.join(QLatin1Char(' '));
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc != 2) {
        std::cerr << "usage: bench_gui MODEL.safetensors\n";
        return 2;
    }
    const std::string path = argv[1];
    const std::string stem = path.substr(path.find_last_of('/') + 1, path.rfind(".safetensors") - path.find_last_of('/') - 1);
    const auto model = Model::fromFile(path);

    AlignmentModel heatmap;
    AlignmentView view(AlignmentView::Kind::Heatmap, &heatmap);
    view.resize(1000, 700);
    view.show();
    TranslationController controller;
    controller.setModel(model);
    QObject::connect(&controller, &TranslationController::resultReady, [&](const TranslationOutput &output) {
        heatmap.setResult(output.result, 0);
        view.repaint();
    });

    const auto repaint = [&] { view.repaint(); };
    for (int words : {10, 20, 60}) {
        const std::string suffix = stem + "/words" + std::to_string(words);
        int variant = 0;
        const auto keystroke = [&] {
            // A different sentence every time, as typing makes.
            controller.setSentence(sentenceOf(*model, words, ++variant % 2));
            controller.translateNow();
            controller.waitForIdle(60'000);
        };
        std::cout << bench::toJson("gui/keystroke/" + suffix, bench::measure(keystroke)) << std::endl;
        std::cout << bench::toJson("gui/repaint/" + suffix, bench::measure(repaint)) << std::endl;
    }

    // The real window at 1600 x 1000: a key pressed in the sentence box (a letter typed at the end,
    // then Backspace: two sentences that alternate), through MainWindow, its settings and every
    // view it feeds, to the end of the repaint the event loop then does. Settings go to a
    // temporary folder, as the tests do, so the person's own stay as they are.
    {
        QTemporaryDir settingsDir;
        QCoreApplication::setOrganizationName(QStringLiteral("attnviz-bench"));
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
        MainWindow window;
        window.resize(1600, 1000);
        window.show();
        window.loadModel(QString::fromStdString(path));
        auto *box = window.findChild<QPlainTextEdit *>(QStringLiteral("sentence"));
        for (int words : {10, 20, 60}) {
            window.setSentence(sentenceOf(*model, words, 0));
            window.waitForTranslation(60'000);
            QApplication::processEvents();
            box->moveCursor(QTextCursor::End);
            bool typed = false;
            const auto keystroke = [&] {
                typed = !typed;
                QKeyEvent press(QEvent::KeyPress, typed ? Qt::Key_X : Qt::Key_Backspace, Qt::NoModifier,
                                typed ? QStringLiteral("x") : QString());
                QApplication::sendEvent(box, &press);
                window.waitForTranslation(60'000);
                QApplication::processEvents();
            };
            std::cout << bench::toJson("gui/keystroke-window/" + stem + "/words" + std::to_string(words),
                                       bench::measure(keystroke))
                      << std::endl;
        }
    }

    // 200 x 200: as the window shows it, in a 1000 x 700 scroll area (the part in view is
    // painted), and the whole heatmap at once (every cell and label; what an export paints).
    heatmap.setResult(test::syntheticResult(200, 200), 0);
    std::cout << bench::toJson("gui/repaint/heatmap200x200/all", bench::measure(repaint)) << std::endl;
    view.setZoom(0.4); // the smallest zoom: 2,100 pixels square
    std::cout << bench::toJson("gui/repaint/heatmap200x200/all-zoom0.4", bench::measure(repaint)) << std::endl;
    AlignmentModel scrolledModel;
    QScrollArea scrollArea;
    auto *scrolled = new AlignmentView(AlignmentView::Kind::Heatmap, &scrolledModel);
    scrollArea.setWidget(scrolled);
    scrollArea.setWidgetResizable(true);
    scrollArea.resize(1000, 700);
    scrollArea.show();
    scrolledModel.setResult(test::syntheticResult(200, 200), 0);
    QApplication::processEvents();
    scrollArea.verticalScrollBar()->setValue(scrollArea.verticalScrollBar()->maximum() / 2);
    scrollArea.horizontalScrollBar()->setValue(scrollArea.horizontalScrollBar()->maximum() / 2);
    QApplication::processEvents();
    // repaint() of the child paints what the viewport shows of it, as a scroll or an update does.
    const auto repaintViewport = [&] { scrolled->repaint(); };
    std::cout << bench::toJson("gui/repaint/heatmap200x200/in-view", bench::measure(repaintViewport)) << std::endl;
    return 0;
}
