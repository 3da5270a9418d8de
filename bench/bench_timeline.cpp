// A training run in the window, offscreen (issue #19): the time to open a run of 50 checkpoints
// of a ~10 MB model (every checkpoint read and forced on the last one's translation, on the
// worker, as File → Open training run does it), and a slider move to the end of the repaint of
// the run view. The run is generated in a temporary folder at each start (random weights, a
// different seed per checkpoint; never committed). Medians, one JSON object per line, as
// bench_engine prints them. Never a CTest test.
//
//     QT_QPA_PLATFORM=offscreen bench_timeline [CHECKPOINTS]
#include "timing.h"

#include "testmodels.h"
#include "timelinecontroller.h"
#include "timelinewindow.h"

#include <attnviz/io/model_file.h>

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QSlider>
#include <QTemporaryDir>

#include <iostream>

using namespace attnviz;

namespace {

// H = 256, 2,000 words on each side: 2.6 M weights, 10.5 MB as F32.
ModelFile randomCheckpoint(unsigned seed)
{
    ModelFile model;
    model.config = bahdanauConfig(256);
    model.config.sosToken = "SOS";
    model.config.eosToken = "EOS";
    model.config.unkToken = "UNK";
    model.config.name = "bench-run";
    model.sourceVocab = {"SOS", "EOS", "UNK"};
    model.targetVocab = {"SOS", "EOS", "UNK"};
    for (int i = 0; model.sourceVocab.size() < 2000; ++i) {
        model.sourceVocab.push_back("s" + std::to_string(i));
        model.targetVocab.push_back("t" + std::to_string(i));
    }
    test::setRandomWeights(model, seed, 0.1f);
    return model;
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int checkpoints = argc > 1 ? std::max(2, std::atoi(argv[1])) : 50;
    QTemporaryDir dir;
    for (int i = 0; i < checkpoints; ++i)
        saveModelFile(randomCheckpoint(unsigned(i + 1)),
                      dir.filePath(QStringLiteral("model_step_%1.safetensors").arg((i + 1) * 100)).toStdString());
    const double megabytes = QFileInfo(dir.filePath(QStringLiteral("model_step_100.safetensors"))).size() / 1e6;
    std::cerr << checkpoints << " checkpoints of " << megabytes << " MB in " << dir.path().toStdString() << '\n';
    const QString sentence = QStringLiteral("s1 s7 s12 s30 s42 s99 s120 s404 s777 s1500");
    const std::string suffix = std::to_string(checkpoints) + "x" + std::to_string(int(megabytes + 0.5)) + "MB";

    // Opening: a new run each time (its model cache empty), read on the worker, until the
    // timeline is there; the files are in the page cache after the first (warm-up) run.
    const auto open = [&] {
        TimelineController controller;
        controller.openAsync(TrainingRun::fromDirectory(dir.path().toStdString()), QStringLiteral("bench"), sentence,
                             QString());
        if (!controller.waitForTimeline(600'000))
            throw std::runtime_error("the run did not open");
    };
    std::cout << bench::toJson("gui/timeline/open/" + suffix, bench::measure(open)) << std::endl;

    auto *controller = new TimelineController;
    controller->openAsync(TrainingRun::fromDirectory(dir.path().toStdString()), QStringLiteral("bench"), sentence,
                          QString());
    controller->waitForTimeline(600'000);
    TimelineWindow window(controller);
    window.resize(1600, 1000);
    window.show();
    QApplication::processEvents();
    // A slider move (the next checkpoint, back and forth over the run) to the end of the
    // synchronous repaint of the window: the heatmap, the curves and the step label.
    int index = 0, direction = 1;
    const auto slide = [&] {
        if (index + direction < 0 || index + direction >= checkpoints)
            direction = -direction;
        index += direction;
        window.slider()->setValue(index);
        window.repaint();
    };
    std::cout << bench::toJson("gui/timeline/slider/" + suffix, bench::measure(slide)) << std::endl;
    // Its parts: the controller's move alone (the heatmap's model set), and the repaint alone.
    const auto move = [&] {
        if (index + direction < 0 || index + direction >= checkpoints)
            direction = -direction;
        index += direction;
        controller->setCurrent(index);
    };
    std::cout << bench::toJson("gui/timeline/slider-model/" + suffix, bench::measure(move)) << std::endl;
    const auto repaint = [&] { window.repaint(); };
    std::cout << bench::toJson("gui/timeline/repaint/" + suffix, bench::measure(repaint)) << std::endl;
    return 0;
}
