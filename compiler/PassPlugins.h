//===- PassPlugins.h - --load-pass-plugin for llmc and llmc-opt -----------===//
//
// Pass plugins use MLIR's PassPlugin ABI (mlir/Tools/Plugins/PassPlugin.h):
// a shared library whose mlirGetPassPluginInfo() registers its passes. Its
// llmc and MLIR symbols resolve against the tool that loads it (llmc and
// llmc-opt export theirs); examples/pass-plugin is one.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_COMPILER_PASSPLUGINS_H
#define LLMC_COMPILER_PASSPLUGINS_H

#include <string>
#include <vector>

namespace llmc {

/// Loads every plugin of `--load-pass-plugin` in argv and registers its
/// passes, before the tool parses its command line (and before MLIR's
/// pass-manager flags exist), so that every flag that names passes
/// (--mlir-print-ir-after=PASS, --insert-pass, llmc-opt's --PASS) knows
/// them; `rewritten` is argv with each flag pointing at the plugin's
/// absolute path. False (after printing why) when one fails: an error, not
/// the warning MLIR's own driver prints and ignores.
bool loadPassPluginFlags(int argc, char **argv,
                         std::vector<std::string> &storage,
                         std::vector<char *> &rewritten);

} // namespace llmc

#endif // LLMC_COMPILER_PASSPLUGINS_H
