// Views of a model file's tensors, by their names in the format (internal to the engine).
#pragma once

#include <attnviz/io/model_file.h>
#include <attnviz/layers/rnn.h>

#include <string>

namespace attnviz {

MatrixView matrixView(const ModelFile &file, const std::string &name);
// prefix.weight and, if the file has it, prefix.bias (validation has checked which it needs).
LinearView linearView(const ModelFile &file, const std::string &prefix);
// prefix.weight_ih_l{layer}[_reverse] and the rest of that layer and direction.
RnnCellView rnnView(const ModelFile &file, const std::string &prefix, Cell cell, int layer, bool reverse);

} // namespace attnviz
