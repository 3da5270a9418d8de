// A translation result with a rows x columns attention matrix of random weights (columns - 1
// source words and EOS), for drawing tests and the GUI benchmark: no model needed.
#pragma once

#include <attnviz/decoding/translate.h>

#include <memory>
#include <random>
#include <string>

namespace attnviz::test {

inline std::shared_ptr<TranslationResult> syntheticResult(int rows, int columns, unsigned seed = 1)
{
    auto r = std::make_shared<TranslationResult>();
    std::mt19937 random(seed);
    std::uniform_real_distribution<float> uniform(0, 1);
    for (int j = 0; j < columns; ++j) {
        r->sourceWords.push_back("source-word-" + std::to_string(j));
        r->sourceTokens.push_back(j + 1 < columns ? r->sourceWords.back() : "EOS");
        r->sourceIds.push_back(j);
    }
    r->sourceWords.pop_back();
    r->eosToken = "EOS";
    Hypothesis h;
    h.attention.resize(rows, columns);
    for (int i = 0; i < rows; ++i) {
        h.targetIds.push_back(i);
        h.targetTokens.push_back("target-" + std::to_string(i));
        for (int j = 0; j < columns; ++j)
            h.attention(i, j) = uniform(random);
        h.attention.row(i) /= h.attention.row(i).sum();
    }
    h.energies = h.attention;
    r->hypotheses.push_back(std::move(h));
    return r;
}

} // namespace attnviz::test
