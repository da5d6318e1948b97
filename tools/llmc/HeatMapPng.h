//===- HeatMapPng.h - a grid of scores as a PNG heat map ------------------===//

#ifndef LLMC_TOOLS_LLMC_HEATMAPPNG_H
#define LLMC_TOOLS_LLMC_HEATMAPPNG_H

#include <string>
#include <vector>

namespace llmc::tool {

/// Writes `rows` (each a row of cells; rows may differ in length, the
/// missing cells grey) as a PNG of `cell`-pixel squares coloured from dark
/// violet (the lowest score) through teal to yellow (the highest), to
/// `path` whole or not at all; an error message, or "".
std::string writeHeatMap(const std::vector<std::vector<double>> &rows,
                         const std::string &path, int cell = 24);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_HEATMAPPNG_H
