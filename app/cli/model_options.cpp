#include "model_options.h"

namespace attnviz::cli {

std::vector<OptionSpec> subwordOptions()
{
    return {{"bpe-codes", "FILE", "subword-nmt codes the model reads (OpenNMT-py's bpe transform), kept in a converted file"},
            {"sentencepiece", "FILE", "A SentencePiece model the model reads (OpenNMT-py's sentencepiece transform)"},
            {"target-bpe-codes", "FILE", "The target side's codes, when they are not the source side's"},
            {"target-sentencepiece", "FILE", "The target side's SentencePiece model, likewise"}};
}

std::vector<OptionSpec> withSubwordOptions(std::vector<OptionSpec> options)
{
    for (OptionSpec &option : subwordOptions())
        options.push_back(std::move(option));
    return options;
}

SubwordFiles subwordFiles(const ParsedCommand &command)
{
    SubwordFiles files;
    files.bpeCodes = command.value("bpe-codes");
    files.sentencePiece = command.value("sentencepiece");
    files.targetBpeCodes = command.value("target-bpe-codes");
    files.targetSentencePiece = command.value("target-sentencepiece");
    return files;
}

std::shared_ptr<const Model> loadModel(const ParsedCommand &command)
{
    ImportOptions options;
    options.access = WeightAccess::Map;
    options.subwords = subwordFiles(command);
    const std::string path = command.value("model");
    return std::make_shared<const Model>(openModel(path, options).model, path);
}

} // namespace attnviz::cli
