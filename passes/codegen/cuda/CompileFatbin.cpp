//===- CompileFatbin.cpp - generated CUDA C++ to a multi-arch fatbin ------===//

#include "passes/codegen/cuda/CompileFatbin.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace llmc::codegen::cuda {

namespace {

/// Removes its files however the compile ends.
struct TemporaryFiles {
  llvm::SmallVector<llvm::SmallString<128>> paths;
  ~TemporaryFiles() {
    for (const auto &path : paths)
      llvm::sys::fs::remove(path);
  }
  LogicalResult create(StringRef suffix, Location loc) {
    llvm::SmallString<128> path;
    if (std::error_code error =
            llvm::sys::fs::createTemporaryFile("llmc-cuda", suffix, path))
      return emitError(loc) << "cannot create a temporary ." << suffix
                            << " file: " << error.message();
    paths.push_back(path);
    return success();
  }
};

/// The last `lines` lines of `text`.
std::string tail(StringRef text, int lines) {
  text = text.rtrim();
  size_t start = text.size();
  for (int i = 0; i < lines && start != StringRef::npos && start > 0; ++i)
    start = text.rfind('\n', start - 1);
  return (start == StringRef::npos ? text : text.drop_front(start + 1)).str();
}

} // namespace

FailureOr<std::string> findNvcc(StringRef requested, Location loc) {
  if (!requested.empty()) {
    if (!llvm::sys::fs::can_execute(requested))
      return emitError(loc)
             << "--nvcc " << requested << " is not an executable";
    return requested.str();
  }
  if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName("nvcc"))
    return *found;
  StringRef fallback = "/usr/local/cuda/bin/nvcc";
  if (llvm::sys::fs::can_execute(fallback))
    return fallback.str();
  return emitError(loc) << "the CUDA target compiles its generated kernels "
                           "with nvcc, which is neither on the PATH nor at "
                        << fallback
                        << " (install the CUDA toolkit or pass --nvcc)";
}

FailureOr<std::string> compileFatbin(StringRef source, ArrayRef<int> archs,
                                     StringRef nvcc, Location loc) {
  if (archs.empty())
    return emitError(loc) << "no CUDA architecture to compile for";
  TemporaryFiles files;
  if (failed(files.create("cu", loc)) || failed(files.create("fatbin", loc)) ||
      failed(files.create("log", loc)))
    return failure();
  StringRef sourcePath = files.paths[0], fatbinPath = files.paths[1],
            logPath = files.paths[2];
  {
    std::error_code error;
    llvm::raw_fd_ostream os(sourcePath, error);
    if (error)
      return emitError(loc)
             << "cannot write " << sourcePath << ": " << error.message();
    os << source;
  }
  // Machine code for each architecture; PTX of the newest as well.
  std::vector<std::string> args = {nvcc.str(), "-fatbin", "-std=c++17", "-O3"};
  for (int arch : archs) {
    std::string code = llvm::formatv("sm_{0}", arch).str();
    if (arch == archs.back())
      code = llvm::formatv("[sm_{0},compute_{0}]", arch).str();
    args.push_back("-gencode");
    args.push_back(llvm::formatv("arch=compute_{0},code={1}", arch, code));
  }
  args.insert(args.end(), {"-o", fatbinPath.str(), sourcePath.str()});
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, logPath, logPath};
  std::string message;
  int status = llvm::sys::ExecuteAndWait(nvcc, argRefs, std::nullopt, redirects,
                                         0, 0, &message);
  if (status != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = tail((*buffer)->getBuffer(), 20);
    InFlightDiagnostic diag = emitError(loc)
                              << "nvcc failed on the generated CUDA source ("
                              << llvm::join(args, " ") << ")";
    if (!message.empty())
      diag << ": " << message;
    if (!log.empty())
      diag << ":\n" << log;
    return failure();
  }
  auto fatbin = llvm::MemoryBuffer::getFile(fatbinPath, false, false);
  if (!fatbin)
    return emitError(loc) << "cannot read nvcc's output " << fatbinPath << ": "
                          << fatbin.getError().message();
  return (*fatbin)->getBuffer().str();
}

} // namespace llmc::codegen::cuda
