//===- HeatMapPng.cpp - a grid of scores as a PNG heat map ----------------===//

#include "tools/llmc/HeatMapPng.h"

#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace llmc::tool {

namespace {

using Rgb = std::array<uint8_t, 3>;

/// Viridis' ends and three stops between, linearly interpolated.
Rgb colour(double t) {
  static const Rgb stops[] = {{68, 1, 84},
                              {59, 82, 139},
                              {33, 145, 140},
                              {94, 201, 98},
                              {253, 231, 37}};
  constexpr int last = std::size(stops) - 1;
  t = std::clamp(t, 0.0, 1.0) * last;
  const int i = std::min(static_cast<int>(t), last - 1);
  const double f = t - i;
  Rgb mixed;
  for (int c = 0; c < 3; ++c)
    mixed[c] = static_cast<uint8_t>(
        std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  return mixed;
}

void appendBytes(png_structp png, png_bytep data, png_size_t length) {
  auto *out = static_cast<std::string *>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char *>(data), length);
}

} // namespace

bool encodeHeatMap(const std::vector<std::vector<double>> &rows,
                   std::string &png, std::string &error, int cell) {
  size_t columns = 0;
  double low = INFINITY, high = -INFINITY;
  for (const std::vector<double> &row : rows) {
    columns = std::max(columns, row.size());
    for (double score : row) {
      low = std::min(low, score);
      high = std::max(high, score);
    }
  }
  if (rows.empty() || columns == 0) {
    error = "no scores to draw";
    return false;
  }
  const double span = high > low ? high - low : 1.0;
  const int width = static_cast<int>(columns) * cell,
            height = static_cast<int>(rows.size()) * cell;
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * 3, 160);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const Rgb rgb = colour((rows[r][c] - low) / span);
      // A one-pixel gap between cells.
      for (int y = 0; y + 1 < cell; ++y)
        for (int x = 0; x + 1 < cell; ++x) {
          uint8_t *at =
              pixels.data() +
              ((r * cell + y) * static_cast<size_t>(width) + c * cell + x) * 3;
          std::copy(rgb.begin(), rgb.end(), at);
        }
    }
  png_structp writer =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = writer ? png_create_info_struct(writer) : nullptr;
  if (!info) {
    png_destroy_write_struct(&writer, nullptr);
    error = "libpng could not start";
    return false;
  }
  png.clear();
  if (setjmp(png_jmpbuf(writer))) {
    png_destroy_write_struct(&writer, &info);
    error = "libpng failed to encode the image";
    return false;
  }
  png_set_write_fn(writer, &png, appendBytes, nullptr);
  png_set_IHDR(writer, info, width, height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(writer, info);
  for (int y = 0; y < height; ++y)
    png_write_row(writer, pixels.data() + static_cast<size_t>(y) * width * 3);
  png_write_end(writer, nullptr);
  png_destroy_write_struct(&writer, &info);
  return true;
}

} // namespace llmc::tool
