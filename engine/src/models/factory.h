// The one place where a configuration chooses the pieces of a model (internal to the engine):
// a new cell or scorer is a case here, a layer in layers/, and a row in the tensor table.
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/layers/attention.h>

#include <memory>

namespace attnviz {

class Encoder;
class Decoder;
class Transformer;

std::unique_ptr<Scorer> makeScorer(const ModelFile &file);
std::unique_ptr<Encoder> makeEncoder(const ModelFile &file);
std::unique_ptr<Decoder> makeDecoder(const ModelFile &file);
std::unique_ptr<Transformer> makeTransformer(const ModelFile &file);

} // namespace attnviz
