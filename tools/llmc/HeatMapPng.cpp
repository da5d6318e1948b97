//===- HeatMapPng.cpp - a grid of scores as a PNG heat map ----------------===//

#include "tools/llmc/HeatMapPng.h"

#include "llvm/Support/raw_ostream.h"

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

std::string writeHeatMap(const std::vector<std::vector<double>> &rows,
                         const std::string &path, int cell) {
  size_t columns = 0;
  double low = INFINITY, high = -INFINITY;
  for (const std::vector<double> &row : rows) {
    columns = std::max(columns, row.size());
    for (double score : row) {
      low = std::min(low, score);
      high = std::max(high, score);
    }
  }
  if (rows.empty() || columns == 0)
    return "no scores to draw";
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
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return "libpng could not start";
  }
  std::string encoded;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return "libpng failed to encode the image";
  }
  png_set_write_fn(png, &encoded, appendBytes, nullptr);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y)
    png_write_row(png, pixels.data() + static_cast<size_t>(y) * width * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  // Whole or not at all: a temporary file renamed into place.
  const std::string temporary = path + ".partial";
  {
    std::error_code error;
    llvm::raw_fd_ostream out(temporary, error);
    if (error)
      return "cannot write " + path + ": " + error.message();
    out << encoded;
    out.close();
    if (out.has_error()) {
      out.clear_error();
      std::remove(temporary.c_str());
      return "cannot write " + path;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return "cannot write " + path;
  }
  return "";
}

} // namespace llmc::tool
