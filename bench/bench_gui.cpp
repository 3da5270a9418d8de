// The GUI's side of a keystroke, offscreen: from a changed sentence (TranslationController, as
// the window uses it, debounce skipped) to a finished synchronous repaint of the heatmap view,
// then that repaint alone; and a full repaint of a 200 x 200 heatmap. Medians of repeats, one JSON object per line, as
// bench_engine prints them. Never a CTest test.
//
//     QT_QPA_PLATFORM=offscreen bench_gui MODEL.safetensors
#include "alignmentview.h"
#include "heatmapmodel.h"
#include "translationcontroller.h"

#include <attnviz/model.h>
#include <attnviz/translate.h>

#include <nlohmann/json.hpp>

#include <QApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <functional>
#include <iostream>
#include <random>

using namespace attnviz;

namespace {

// As bench_engine: one warm-up, then at least 5 repeats and 0.5 s, at most 100.
nlohmann::json measure(const std::string &name, const std::function<void()> &run)
{
    run();
    std::vector<double> times;
    double total = 0;
    while (times.size() < 100 && (times.size() < 5 || total < 500)) {
        QElapsedTimer timer;
        timer.start();
        run();
        times.push_back(timer.nsecsElapsed() / 1e6);
        total += times.back();
    }
    std::sort(times.begin(), times.end());
    const size_t n = times.size();
    return {{"case", name},
            {"median_ms", n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2},
            {"min_ms", times.front()},
            {"repeats", static_cast<int>(n)}};
}

// n distinct source words of the model, skipping SOS and EOS.
QString sentenceOf(const Model &model, int words, int variant)
{
    QStringList out;
    for (int i = 0; i < words; ++i)
        out << QString::fromStdString(model.sourceWord(2 + (i * 7 + variant) % (model.sourceVocabSize() - 2)));
    return out.join(QLatin1Char(' '));
}

// A result with a rows x columns attention matrix (columns - 1 source words and EOS).
std::shared_ptr<TranslationResult> syntheticResult(int rows, int columns)
{
    auto r = std::make_shared<TranslationResult>();
    std::mt19937 random(1);
    std::uniform_real_distribution<float> uniform(0, 1);
    for (int j = 0; j < columns; ++j) {
        r->sourceWords.push_back("word" + std::to_string(j));
        r->sourceTokens.push_back(j + 1 < columns ? r->sourceWords.back() : "EOS");
        r->sourceIds.push_back(j);
    }
    r->sourceWords.pop_back();
    Hypothesis h;
    h.attention.resize(rows, columns);
    for (int i = 0; i < rows; ++i) {
        h.targetIds.push_back(i);
        h.targetTokens.push_back("mot" + std::to_string(i));
        for (int j = 0; j < columns; ++j)
            h.attention(i, j) = uniform(random);
        h.attention.row(i) /= h.attention.row(i).sum();
    }
    h.energies = h.attention;
    r->hypotheses.push_back(std::move(h));
    return r;
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
    const bool legacy = model->config().architecture == Architecture::TutorialLegacy;

    HeatmapModel heatmap;
    AlignmentView view(AlignmentView::Kind::Heatmap, &heatmap);
    view.resize(1000, 700);
    view.show();
    TranslationController controller;
    controller.setModel(model);
    QObject::connect(&controller, &TranslationController::resultReady, [&](const TranslationOutput &output) {
        heatmap.setResult(output.result, 0, legacy);
        view.repaint();
    });

    for (int words : {10, 20, 60}) {
        int variant = 0;
        std::cout << measure("gui/keystroke/" + stem + "/words" + std::to_string(words),
                             [&] {
                                 // A different sentence every time, as typing makes.
                                 controller.setSentence(sentenceOf(*model, words, ++variant % 2));
                                 controller.translateNow();
                                 controller.waitForIdle(60'000);
                             })
                  << std::endl;
        std::cout << measure("gui/repaint/" + stem + "/words" + std::to_string(words), [&] { view.repaint(); })
                  << std::endl;
    }

    const auto big = syntheticResult(200, 200);
    heatmap.setResult(big, 0, false);
    std::cout << measure("gui/repaint/heatmap200x200", [&] { view.repaint(); }) << std::endl;
    return 0;
}
