//===- PassPlugins.cpp - --load-pass-plugin for llmc and llmc-opt ---------===//

#include "compiler/PassPlugins.h"

#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

namespace llmc {
namespace {

/// Loads the plugin at `path` (relative to the working directory) and
/// registers its passes; returns its absolute path. The error (a missing
/// file, not a shared library, another plugin API version, no entry point)
/// names the file.
llvm::Expected<std::string> loadPassPlugin(llvm::StringRef path) {
  // dlopen looks a name without a slash up on the library path; the user
  // means the file.
  llvm::SmallString<256> absolute(path);
  if (std::error_code error = llvm::sys::fs::make_absolute(absolute))
    return llvm::createStringError(error, "'" + path + "': " + error.message());
  if (!llvm::sys::fs::exists(absolute))
    return llvm::createStringError(
        std::make_error_code(std::errc::no_such_file_or_directory),
        "'" + path + "': no such file");
  llvm::Expected<mlir::PassPlugin> plugin =
      mlir::PassPlugin::load(absolute.str().str());
  if (!plugin)
    return plugin.takeError();
  plugin->registerPassRegistryCallbacks();
  return absolute.str().str();
}

} // namespace

bool loadPassPluginFlags(int argc, char **argv,
                         std::vector<std::string> &storage,
                         std::vector<char *> &rewritten) {
  storage.reserve(argc);
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    llvm::StringRef flag = arg.ltrim('-');
    std::string path;
    bool separate = flag == "load-pass-plugin" && i + 1 < argc;
    if (separate)
      path = argv[i + 1];
    else if (arg.starts_with("-") && flag.consume_front("load-pass-plugin="))
      path = flag.str();
    else {
      rewritten.push_back(argv[i]);
      continue;
    }
    llvm::Expected<std::string> loaded = loadPassPlugin(path);
    if (!loaded) {
      llvm::errs() << llvm::sys::path::filename(argv[0])
                   << ": --load-pass-plugin " << path << ": "
                   << llvm::toString(loaded.takeError()) << "\n";
      return false;
    }
    storage.push_back("--load-pass-plugin=" + *loaded);
    rewritten.push_back(storage.back().data());
    i += separate;
  }
  return true;
}

} // namespace llmc
