//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "runtime/support/Npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace llmc::runtime {
namespace {

struct Descr {
  const char *text;
  DType dtype;
};

constexpr Descr kDescrs[] = {{"<f4", DType::f32},    {"<f2", DType::f16},
                             {"<i8", DType::i64},    {"<i4", DType::i32},
                             {"|i1", DType::i8},     {"|u1", DType::u8},
                             {"|b1", DType::boolean}};

/// The quoted value after 'key': in the header dict.
std::string field(const std::string &header, const std::string &key) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return "";
  size_t colon = header.find(':', at);
  if (colon == std::string::npos)
    return "";
  size_t begin = header.find_first_not_of(" ", colon + 1);
  if (begin == std::string::npos)
    return "";
  if (header[begin] == '\'') {
    size_t end = header.find('\'', begin + 1);
    return end == std::string::npos ? ""
                                    : header.substr(begin + 1, end - begin - 1);
  }
  if (header[begin] == '(') {
    size_t end = header.find(')', begin);
    return end == std::string::npos ? ""
                                    : header.substr(begin, end - begin + 1);
  }
  size_t end = header.find_first_of(",}", begin);
  return header.substr(begin, end - begin);
}

} // namespace

Expected<NpyArray> readNpy(const std::string &path) {
  auto error = [&](const std::string &message) {
    return Status::error(path + ": " + message);
  };
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return error("cannot open");
  std::stringstream buffer;
  buffer << file.rdbuf();
  std::string bytes = buffer.str();
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return error("not a .npy file (bad magic)");
  int major = static_cast<uint8_t>(bytes[6]);
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength =
        static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return error("truncated header");
    uint32_t length;
    std::memcpy(&length, bytes.data() + 8, 4);
    headerLength = length;
    headerStart = 12;
  } else {
    return error("unsupported .npy version " + std::to_string(major));
  }
  if (headerStart + headerLength > bytes.size())
    return error("truncated header");
  std::string header = bytes.substr(headerStart, headerLength);
  NpyArray array;
  std::string descr = field(header, "descr");
  const Descr *found = nullptr;
  for (const Descr &d : kDescrs)
    if (descr == d.text)
      found = &d;
  if (!found)
    return error("element type '" + descr +
                 "' is not one llmc runs (f32, f16, i64, i32, i8, u8, bool)");
  array.dtype = found->dtype;
  if (field(header, "fortran_order") != "False")
    return error("Fortran-ordered arrays are not supported");
  std::string shape = field(header, "shape");
  if (shape.size() < 2 || shape.front() != '(')
    return error("no shape in the header");
  std::stringstream extents(shape.substr(1, shape.size() - 2));
  std::string extent;
  while (std::getline(extents, extent, ',')) {
    size_t digit = extent.find_first_not_of(" ");
    if (digit == std::string::npos)
      continue;
    try {
      array.shape.push_back(std::stoll(extent.substr(digit)));
    } catch (...) {
      return error("bad shape " + shape);
    }
  }
  size_t expected = elementCount(array.shape) * dtypeBytes(array.dtype);
  size_t dataStart = headerStart + headerLength;
  if (bytes.size() - dataStart != expected)
    return error("holds " + std::to_string(bytes.size() - dataStart) +
                 " bytes of data, its header announces " +
                 std::to_string(expected));
  array.data.assign(bytes.begin() + dataStart, bytes.end());
  return array;
}

Status writeNpy(const std::string &path, const Tensor &tensor) {
  const char *descr = nullptr;
  for (const Descr &d : kDescrs)
    if (d.dtype == tensor.dtype)
      descr = d.text;
  if (!descr)
    return Status::error(path + ": no .npy element type for " +
                         std::string(dtypeName(tensor.dtype)));
  std::string shape = "(";
  for (int64_t extent : tensor.shape)
    shape += std::to_string(extent) + ",";
  if (tensor.shape.size() > 1)
    shape.pop_back();
  shape += ")";
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic, version, length and header padded to a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  uint16_t length = static_cast<uint16_t>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  file.put(static_cast<char>(length & 0xff));
  file.put(static_cast<char>(length >> 8));
  file << header;
  file.write(reinterpret_cast<const char *>(tensor.data), tensor.bytes());
  if (!file)
    return Status::error("cannot write " + path);
  return Status::success();
}

} // namespace llmc::runtime
