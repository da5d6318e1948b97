//===- OnnxModelFile.cpp - an ONNX model and its external data on disk ----===//

#include "compiler/import/OnnxModelFile.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

using namespace mlir;

namespace llmc::onnx_import {

std::shared_ptr<OnnxModelFile> OnnxModelFile::open(llvm::StringRef path,
                                                   Location loc) {
  // Read through a file stream, not a mapping: protobuf copies every bytes
  // field anyway, and a mapping would count the file twice in memory.
  int fd = ::open(path.str().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    emitError(loc) << "cannot open '" << path << "': " << std::strerror(errno);
    return nullptr;
  }
  std::shared_ptr<OnnxModelFile> file(new OnnxModelFile());
  bool parsed;
  {
    google::protobuf::io::FileInputStream stream(fd);
    parsed =
        file->model.ParseFromZeroCopyStream(&stream) && stream.GetErrno() == 0;
  }
  ::close(fd);
  if (!parsed) {
    // A compiled artifact (docs/artifact-format.md: magic "\x89LLMC\r\n\x1a")
    // is not compiled, pruned or quantized again.
    char magic[8] = {};
    if (FILE *head = std::fopen(path.str().c_str(), "rb")) {
      size_t got = std::fread(magic, 1, sizeof magic, head);
      std::fclose(head);
      if (got == sizeof magic &&
          std::memcmp(magic, "\x89LLMC\r\n\x1a", sizeof magic) == 0) {
        emitError(loc) << "'" << path
                       << "' is an llmc artifact, not an ONNX model: compile "
                          "(prune, quantize) the ONNX model it came from";
        return nullptr;
      }
    }
    emitError(loc) << "'" << path
                   << "' is not a valid ONNX model (protobuf parse failed: "
                      "truncated or not an ONNX file)";
    return nullptr;
  }
  if (!file->model.has_graph() || file->model.ir_version() <= 0) {
    emitError(loc) << "'" << path
                   << "' is not an ONNX model (no ir_version or graph)";
    return nullptr;
  }
  file->path = path.str();
  llvm::SmallString<256> directory(path);
  llvm::sys::path::remove_filename(directory);
  if (directory.empty())
    directory = ".";
  file->directory = std::string(directory);
  return file;
}

/// Checks that `location` (from the model) names a file inside `directory`,
/// following symlinks; returns the real path.
static FailureOr<std::string> resolveInside(llvm::StringRef directory,
                                            llvm::StringRef location,
                                            const std::string &tensor,
                                            Location loc) {
  auto fail = [&](const llvm::Twine &why) {
    emitError(loc) << "external data of tensor '" << tensor << "': " << why;
    return failure();
  };
  if (location.empty())
    return fail("no 'location'");
  if (llvm::sys::path::is_absolute(location))
    return fail("absolute path '" + location +
                "' is not allowed; paths are relative to the model's folder");
  for (llvm::StringRef component : llvm::make_range(
           llvm::sys::path::begin(location), llvm::sys::path::end(location)))
    if (component == "..")
      return fail("path '" + location +
                  "' has a '..' component; it must stay in the model's folder");
  llvm::SmallString<256> realDirectory, realFile, joined(directory);
  llvm::sys::path::append(joined, location);
  if (llvm::sys::fs::real_path(directory, realDirectory))
    return fail("cannot resolve the model's folder '" + directory + "'");
  if (std::error_code error = llvm::sys::fs::real_path(joined, realFile))
    return fail("cannot open '" + joined + "': " + error.message());
  llvm::StringRef prefix = realDirectory.str();
  if (!llvm::StringRef(realFile).starts_with(prefix) ||
      realFile.size() <= prefix.size() ||
      !llvm::sys::path::is_separator(realFile[prefix.size()]))
    return fail("'" + location + "' resolves to '" + realFile +
                "', outside the model's folder '" + realDirectory + "'");
  return std::string(realFile);
}

FailureOr<ArrayRef<char>>
OnnxModelFile::getExternalData(const onnx::TensorProto &tensor, Location loc) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    const std::string &key = entry.key(), &value = entry.value();
    if (key == "location") {
      location = value;
      continue;
    }
    if (key != "offset" && key != "length")
      continue;
    int64_t parsed;
    if (llvm::StringRef(value).getAsInteger(10, parsed) || parsed < 0) {
      emitError(loc) << "external data of tensor '" << tensor.name()
                     << "': " << key << " '" << value
                     << "' is not a non-negative integer";
      return failure();
    }
    (key == "offset" ? offset : length) = parsed;
  }
  FailureOr<std::string> realPath =
      resolveInside(directory, location, tensor.name(), loc);
  if (failed(realPath))
    return failure();

  auto &buffer = externalFiles[location];
  if (!buffer) {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mapped =
        llvm::MemoryBuffer::getFile(*realPath, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
    if (!mapped) {
      emitError(loc) << "external data of tensor '" << tensor.name()
                     << "': cannot read '" << location
                     << "': " << mapped.getError().message();
      externalFiles.erase(location);
      return failure();
    }
    buffer = std::move(*mapped);
  }
  int64_t size = buffer->getBufferSize();
  if (length < 0)
    length = size - std::min(offset, size);
  if (offset > size || length > size - offset) {
    emitError(loc) << "external data of tensor '" << tensor.name()
                   << "': offset " << offset << " + length " << length
                   << " is beyond the end of '" << location << "' (" << size
                   << " bytes)";
    return failure();
  }
  return ArrayRef<char>(buffer->getBufferStart() + offset, length);
}

} // namespace llmc::onnx_import
