#include "models/factory.h"

#include "models/decoder.h"
#include "models/encoder.h"
#include "models/transformer.h"
#include "models/weights.h"

namespace attnviz {

std::unique_ptr<Scorer> makeScorer(const ModelFile &file)
{
    const std::string prefix = "decoder.attention.";
    switch (file.config.attention.score) {
    case Score::Dot:
        return makeDotScorer();
    case Score::General:
        return makeGeneralScorer(linearView(file, prefix + "linear"));
    case Score::Bilinear:
        return makeBilinearScorer(linearView(file, prefix + "linear"));
    case Score::Additive:
        return makeAdditiveScorer(linearView(file, prefix + "query_layer"), linearView(file, prefix + "key_layer"),
                                  linearView(file, prefix + "energy_layer"));
    case Score::Concat:
        return makeConcatScorer(linearView(file, prefix + "concat"), file.config.decoder.hiddenSize,
                                linearView(file, prefix + "energy_layer"));
    case Score::Location:
        return makeLocationScorer(linearView(file, prefix + "location"));
    }
    return nullptr;
}

std::unique_ptr<Encoder> makeEncoder(const ModelFile &file)
{
    return std::make_unique<Encoder>(file);
}

std::unique_ptr<Decoder> makeDecoder(const ModelFile &file)
{
    return std::make_unique<Decoder>(file);
}

std::unique_ptr<Transformer> makeTransformer(const ModelFile &file)
{
    return std::make_unique<Transformer>(file);
}

} // namespace attnviz
