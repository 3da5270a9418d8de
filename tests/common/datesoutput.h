// A TranslationOutput of the dates sample model, made without the controller, for the tests
// of what the window keeps (ResultSelection and what follows it).
#pragma once

#include "translationcontroller.h"

#include <attnviz/models/model.h>

#include <memory>
#include <string>

namespace attnviz::test {

inline TranslationOutput datesOutput(const std::string &sentence)
{
    TranslationOutput output;
    output.model = Model::fromFile(ATTNVIZ_SOURCE_DIR "/sample_models/dates.safetensors");
    output.sentence = QString::fromStdString(sentence);
    output.result = std::make_shared<TranslationResult>(translate(*output.model, sentence, {}));
    return output;
}

} // namespace attnviz::test
