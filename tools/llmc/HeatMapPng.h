//===- HeatMapPng.h - a grid of scores as a PNG heat map ------------------===//

#ifndef LLMC_TOOLS_LLMC_HEATMAPPNG_H
#define LLMC_TOOLS_LLMC_HEATMAPPNG_H

#include <string>
#include <vector>

namespace llmc::tool {

/// `rows` (each a row of cells; rows may differ in length, the missing
/// cells grey) as the bytes of a PNG of `cell`-pixel squares coloured from
/// dark violet (the lowest score) through teal to yellow (the highest);
/// false with `error` set when there is nothing to draw or libpng fails.
bool encodeHeatMap(const std::vector<std::vector<double>> &rows,
                   std::string &png, std::string &error, int cell = 24);

} // namespace llmc::tool

#endif // LLMC_TOOLS_LLMC_HEATMAPPNG_H
