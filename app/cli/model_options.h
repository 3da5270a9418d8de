// What the commands that take --model share: the subword files for a checkpoint that records
// no tokenizer (OpenNMT-py), and loading the model with them.
#pragma once

#include "command_line.h"

#include <attnviz/io/model_import.h>
#include <attnviz/models/model.h>

#include <memory>
#include <vector>

namespace attnviz::cli {

// --bpe-codes FILE, --sentencepiece FILE, --target-bpe-codes FILE, --target-sentencepiece FILE.
std::vector<OptionSpec> subwordOptions();
// `options` followed by those.
std::vector<OptionSpec> withSubwordOptions(std::vector<OptionSpec> options);
SubwordFiles subwordFiles(const ParsedCommand &command);

// --model through openModel (mapped weights), with the subword files if given.
std::shared_ptr<const Model> loadModel(const ParsedCommand &command);

} // namespace attnviz::cli
