#include "tokenize_command.h"
#include "model_options.h"
#include "text_files.h"

#include <attnviz/io/text.h>

#include <iostream>

namespace attnviz::cli {
namespace {

// The pieces translate() feeds the encoder, before the vocabulary lookup (EOS not shown).
std::string pieceLine(const Model &model, const std::string &text, bool target)
{
    const Tokenizer *tokenizer = target ? model.targetTokenizer() : model.sourceTokenizer();
    const std::vector<std::string> pieces =
        tokenizer ? tokenizer->encode(text) : tokenize(text, model.config().normalization);
    std::string line;
    for (const std::string &piece : pieces)
        line += (line.empty() ? "" : " ") + piece;
    return line;
}

int run(const ParsedCommand &command)
{
    const bool fromFile = command.has("input");
    if (fromFile == (command.positionals.size() == 1) || command.positionals.size() > 1)
        throw UsageError(fromFile ? "give either --input FILE or one TEXT, not both"
                                  : "give the TEXT to tokenize (quote it), or --input FILE",
                         command.command);
    const auto model = loadModel(command);
    const bool target = command.has("target-side");
    const std::vector<std::string> lines = fromFile ? readLines(command.value("input")) : command.positionals;
    for (const std::string &line : lines)
        std::cout << pieceLine(*model, line, target) << '\n';
    return 0;
}

} // namespace

CommandSpec tokenizeCommand()
{
    std::vector<OptionSpec> options = withSubwordOptions({
        {"model", "FILE", "Model file (.safetensors, .json) or a toolkit's checkpoint", true},
        {"input", "FILE", "Tokenize each line of FILE"},
        {"target-side", "", "Use the target side's tokenizer (what forced decoding reads)"}});
    return {"tokenize",
            "Print the pieces the model reads for TEXT (or each line of a file), one line each, separated by spaces.",
            options, run, "TEXT"};
}

} // namespace attnviz::cli
