// The GUI's side of a keystroke, offscreen: from a changed sentence (TranslationController, as
// the window uses it, debounce skipped) to a finished synchronous repaint of the heatmap view,
// then that repaint alone; and a full repaint of a 200 x 200 heatmap. Medians of repeats, one JSON object per line, as
// bench_engine prints them. Never a CTest test.
//
//     QT_QPA_PLATFORM=offscreen bench_gui MODEL.safetensors
#include "timing.h"

#include "alignmentview.h"
#include "heatmapmodel.h"
#include "translationcontroller.h"

#include <attnviz/model.h>
#include <attnviz/translate.h>

#include <nlohmann/json.hpp>

#include <QApplication>

#include <iostream>
#include <random>

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

    heatmap.setResult(syntheticResult(200, 200), 0, false);
    std::cout << bench::toJson("gui/repaint/heatmap200x200", bench::measure(repaint)) << std::endl;
    return 0;
}
