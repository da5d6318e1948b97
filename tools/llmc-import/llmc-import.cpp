//===- llmc-import.cpp - ONNX model to llmc IR ----------------------------===//
//
// llmc-import model.onnx [-o out.mlir | --check] [--elide-weights] [--no-raise]
//             [--raw]
// Imports, folds shape arithmetic and raises to transformer ops (the import
// clean-up pipeline), then prints the module (to -o, written only when all
// succeeded) and a one-screen summary of the model on stderr.
//
//===----------------------------------------------------------------------===//

#include "compiler/ToolDiagnostics.h"
#include "compiler/import/NodeImport.h"
#include "compiler/import/OnnxImporter.h"
#include "compiler/import/RaisedSummary.h"
#include "passes/Passes.h"
#include "runtime/format/Version.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace mlir;

// --help lists these; LLVM's and MLIR's own options stay usable (and show
// under --help-hidden), --mlir-print-debuginfo among them.
static llvm::cl::OptionCategory importOptions("llmc-import options");

static llvm::cl::opt<std::string> inputPath(llvm::cl::Positional,
                                            llvm::cl::desc("<model.onnx>"),
                                            llvm::cl::cat(importOptions));
static llvm::cl::opt<bool>
    noRaise("no-raise",
            llvm::cl::desc("Fold shapes and clean up, but keep "
                           "the primitive ops (no raising)"),
            llvm::cl::cat(importOptions));
static llvm::cl::opt<bool>
    raw("raw",
        llvm::cl::desc("Print the node-by-node translation, before "
                       "any clean-up"),
        llvm::cl::cat(importOptions));
static llvm::cl::opt<bool>
    check("check",
          llvm::cl::desc("Import, clean up and print the summary; "
                         "write no IR"),
          llvm::cl::cat(importOptions));
static llvm::cl::opt<bool>
    listOps("list-ops",
            llvm::cl::desc("Print the ONNX op types llmc imports and exit"),
            llvm::cl::cat(importOptions));
static llvm::cl::opt<std::string>
    outputPath("o", llvm::cl::desc("Write the module here (default: stdout)"),
               llvm::cl::value_desc("file"), llvm::cl::init("-"),
               llvm::cl::cat(importOptions));
static llvm::cl::opt<bool>
    elideWeights("elide-weights",
                 llvm::cl::desc("Leave weight blobs out of the printed IR"),
                 llvm::cl::cat(importOptions));

static void printSummary(const llmc::OnnxImportSummary &summary) {
  llvm::raw_ostream &os = llvm::errs();
  os << inputPath << ": ONNX IR " << summary.irVersion << ", opset "
     << summary.opsetVersion << ", producer " << summary.producer << "\n";
  os << "  " << summary.nodeCount << " nodes:";
  std::vector<std::pair<int64_t, std::string>> counts;
  for (const auto &[op, count] : summary.nodesByOpType)
    counts.emplace_back(-count, op);
  llvm::sort(counts);
  for (const auto &[count, op] : counts)
    os << " " << -count << " " << op;
  os << "\n  " << summary.parameters << " parameters in initializers, "
     << llvm::format("%.2f", summary.weightBytes / 1048576.0)
     << " MiB of weights\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo (node locations), --mlir-elide-elementsattrs-...
  registerAsmPrinterCLOptions();
  llvm::cl::HideUnrelatedOptions(importOptions);
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << llmc::runtime::versionLine("llmc-import") << "\n";
  });
  llvm::cl::ParseCommandLineOptions(argc, argv, "llmc ONNX importer\n");

  if (listOps) {
    std::vector<std::string> ops;
    for (const auto &entry : llmc::onnx_import::getConverters())
      ops.push_back(entry.getKey().str());
    llvm::sort(ops);
    for (const std::string &op : ops)
      llvm::outs() << op << "\n";
    return 0;
  }
  if (inputPath.empty()) {
    llvm::errs() << "llmc-import: no input file (usage: llmc-import "
                    "model.onnx [-o out.mlir])\n";
    return 1;
  }

  MLIRContext context;
  auto diagnostics = llmc::printToolDiagnostics(context, "llmc-import");

  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  };
  Clock::time_point start = Clock::now();
  llmc::OnnxImportSummary summary;
  FailureOr<OwningOpRef<ModuleOp>> module = llmc::importOnnxFile(
      context, inputPath, llmc::OnnxImportOptions(), &summary);
  if (failed(module))
    return 1;
  double importSeconds = seconds(start);
  start = Clock::now();
  if (!raw) {
    PassManager pm(&context);
    llmc::buildImportCleanupPipeline(pm, /*raise=*/!noRaise);
    if (failed(pm.run(**module)))
      return 1;
  }

  double passSeconds = seconds(start);
  start = Clock::now();
  if (check) {
    printSummary(summary);
    llvm::errs() << llvm::format("  %.2f s import, %.2f s clean-up and "
                                 "raising\n",
                                 importSeconds, passSeconds);
    if (!raw && !noRaise)
      llmc::printRaisedSummary(**module, llvm::errs());
    return 0;
  }
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output) {
    llvm::errs() << "llmc-import: " << error << "\n";
    return 1;
  }
  OpPrintingFlags flags;
  if (elideWeights)
    flags.elideLargeResourceString().elideLargeElementsAttrs();
  (*module)->print(output->os(), flags);
  output->os() << "\n";
  if (output->os().has_error()) {
    llvm::errs() << "llmc-import: cannot write '" << outputPath << "'\n";
    return 1;
  }
  output->keep();
  printSummary(summary);
  llvm::errs() << llvm::format("  %.2f s import, %.2f s clean-up and raising, "
                               "%.2f s printing\n",
                               importSeconds, passSeconds, seconds(start));
  if (!raw && !noRaise)
    llmc::printRaisedSummary(**module, llvm::errs());
  return 0;
}
