#include "units_option.h"

namespace attnviz::cli {

std::optional<TokenUnits> unitsOption(const ParsedCommand &command)
{
    if (!command.has("units"))
        return std::nullopt;
    const std::string name = command.value("units");
    if (const std::optional<TokenUnits> units = parseTokenUnits(name))
        return units;
    throw UsageError("--units is 'pieces' or 'words', not '" + name + "'", command.command);
}

UnitsResult inUnits(const Model &model, TranslationResult result, TokenUnits units)
{
    UnitsResult out {std::move(result), std::nullopt};
    if (units == TokenUnits::Words)
        out.merge = mergeToWords(out.pieces, pieceMarkings(model), specialTokens(model));
    return out;
}

} // namespace attnviz::cli
