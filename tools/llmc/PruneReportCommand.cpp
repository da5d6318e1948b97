//===- PruneReportCommand.cpp - llmc prune-report -------------------------===//

#include "tools/llmc/PruneReportCommand.h"

#include "compiler/Registration.h"
#include "compiler/ToolDiagnostics.h"
#include "compiler/import/OnnxImporter.h"
#include "passes/Passes.h"
#include "passes/prune/HeadScores.h"
#include "tools/llmc/HeatMapPng.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace llmc::tool {

cl::SubCommand &pruneReportCommand() {
  static cl::SubCommand command("prune-report",
                                "Measure each attention head's importance on "
                                "calibration data: a table and a heat map");
  return command;
}

cl::OptionCategory &pruneReportOptions() {
  static cl::OptionCategory options("llmc prune-report options");
  return options;
}

namespace {

cl::OptionCategory &category() { return pruneReportOptions(); }

cl::opt<std::string> input(cl::Positional, cl::desc("<model.onnx>"),
                           cl::sub(pruneReportCommand()), cl::cat(category()));
cl::opt<std::string> calib("calib",
                           cl::desc("Calibration data: token-id sequences, "
                                    "one per line (or a text, with "
                                    "--calib-tokenizer)"),
                           cl::value_desc("file"),
                           cl::sub(pruneReportCommand()), cl::cat(category()));
cl::opt<std::string>
    calibTokenizer("calib-tokenizer",
                   cl::desc("Read --calib as text with this SentencePiece "
                            "model"),
                   cl::value_desc("tok.model"), cl::sub(pruneReportCommand()),
                   cl::cat(category()));
cl::opt<std::string> unit("prune-unit",
                          cl::desc("query (each query head; default) or "
                                   "group (each KV group)"),
                          cl::init("query"), cl::sub(pruneReportCommand()),
                          cl::cat(category()));
cl::opt<std::string> score("prune-score",
                           cl::desc("norm or ablation (default: both; the "
                                    "heat map shows ablation)"),
                           cl::sub(pruneReportCommand()), cl::cat(category()));
cl::opt<std::string> png("o", cl::desc("Write the heat map to this PNG"),
                         cl::value_desc("heat.png"),
                         cl::sub(pruneReportCommand()), cl::cat(category()));
cl::opt<std::string> json("json", cl::desc("Write the scores as JSON"),
                          cl::value_desc("report.json"),
                          cl::sub(pruneReportCommand()), cl::cat(category()));

int usage(const llvm::Twine &why) {
  llvm::errs() << "llmc prune-report: " << why
               << "\nusage: llmc prune-report model.onnx --calib FILE "
                  "[--calib-tokenizer TOK] [--prune-unit query|group] "
                  "[--prune-score norm|ablation] [-o heat.png] [--json "
                  "report.json]\n";
  return 2;
}

/// Writes `bytes` to `path` (nothing is left there when it fails), or
/// says why not.
bool writeOutput(const std::string &path, llvm::StringRef bytes) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (file) {
    file->os() << bytes;
    file->os().flush();
    if (!file->os().has_error()) {
      file->keep();
      return true;
    }
    file->os().clear_error();
    error = "cannot write " + path;
  }
  llvm::errs() << "llmc prune-report: " << error << "\n";
  return false;
}

} // namespace

int runPruneReport() {
  if (input.empty())
    return usage("no model given");
  if (calib.empty())
    return usage("--calib FILE is required: importance is measured by "
                 "running the model on it");
  if (unit != "query" && unit != "group")
    return usage("--prune-unit '" + unit + "' is not query or group");
  if (!score.empty() && score != "norm" && score != "ablation")
    return usage("--prune-score '" + score + "' is not norm or ablation");
  const prune::Unit units =
      unit == "query" ? prune::Unit::query : prune::Unit::group;

  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
  auto diagnostics = printToolDiagnostics(context, "llmc");
  FailureOr<OwningOpRef<ModuleOp>> module =
      importOnnxFile(context, input, OnnxImportOptions());
  if (failed(module))
    return 1;
  PassManager pm = PassManager::on<ModuleOp>(&context);
  buildImportCleanupPipeline(pm, /*raise=*/true, 4096);
  if (failed(pm.run(**module)))
    return 1;
  SmallVector<prune::Layer> layers;
  for (auto [index, attention] :
       llvm::enumerate(prune::attentionLayers(**module))) {
    FailureOr<prune::Layer> layer =
        prune::traceLayer(attention, index, prune::Unit::query);
    if (failed(layer))
      return 1;
    layers.push_back(*layer);
  }
  if (layers.empty()) {
    llvm::errs() << "llmc prune-report: " << input
                 << " has no attention layers to report on\n";
    return 1;
  }
  std::vector<std::string> names;
  if (score.empty() || score == "norm")
    names.push_back("norm");
  if (score.empty() || score == "ablation")
    names.push_back("ablation");
  std::vector<std::vector<prune::LayerScores>> measured;
  double baseLoss = 0;
  for (const std::string &name : names) {
    prune::ScoreRequest request;
    request.unit = units;
    request.score = name;
    request.calibration = {calib, calibTokenizer, ""};
    FailureOr<std::vector<prune::LayerScores>> scores =
        prune::scoreLayers(**module, layers, request, baseLoss);
    if (failed(scores))
      return 1;
    measured.push_back(std::move(*scores));
  }

  // The table: one line per unit, and each score's rank over the model
  // (1: the least important, the first a ratio removes).
  const char *what = units == prune::Unit::query ? "head" : "group";
  llvm::outs() << llvm::formatv("{0,5} {1,5}", "layer", what);
  for (const std::string &name : names)
    llvm::outs() << llvm::formatv(" {0,12} {1,5}", name, "rank");
  llvm::outs() << "\n";
  std::vector<std::vector<int64_t>> ranks(names.size());
  for (size_t s = 0; s < names.size(); ++s) {
    std::vector<std::pair<double, int64_t>> all;
    for (const prune::LayerScores &layer : measured[s])
      for (double value : layer.scores)
        all.push_back({value, static_cast<int64_t>(all.size())});
    std::sort(all.begin(), all.end());
    ranks[s].resize(all.size());
    for (size_t r = 0; r < all.size(); ++r)
      ranks[s][all[r].second] = static_cast<int64_t>(r) + 1;
  }
  llvm::json::Array jsonLayers;
  int64_t flat = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    llvm::json::Object layerJson{{"layer", static_cast<int64_t>(l)},
                                 {"query_heads", layers[l].qHeads},
                                 {"kv_heads", layers[l].kvHeads}};
    const size_t count = measured[0][l].scores.size();
    for (size_t s = 0; s < names.size(); ++s) {
      llvm::json::Array values;
      for (double value : measured[s][l].scores)
        values.push_back(value);
      layerJson[names[s]] = std::move(values);
    }
    for (size_t u = 0; u < count; ++u, ++flat) {
      llvm::outs() << llvm::formatv("{0,5} {1,5}", l, u);
      for (size_t s = 0; s < names.size(); ++s)
        llvm::outs() << llvm::formatv(" {0,12:F6} {1,5}",
                                      measured[s][l].scores[u], ranks[s][flat]);
      llvm::outs() << "\n";
    }
    jsonLayers.push_back(std::move(layerJson));
  }
  if (llvm::is_contained(names, "ablation"))
    llvm::outs() << llvm::formatv(
        "calibration loss of the whole model {0:F6} (ablation: its increase "
        "with the {1} masked)\n",
        baseLoss, what);
  if (!png.empty()) {
    std::vector<std::vector<double>> grid;
    for (const prune::LayerScores &layer : measured.back())
      grid.push_back(layer.scores);
    std::string bytes, error;
    if (!encodeHeatMap(grid, bytes, error)) {
      llvm::errs() << "llmc prune-report: " << error << "\n";
      return 1;
    }
    if (!writeOutput(png, bytes))
      return 1;
    llvm::outs() << "wrote " << png << ": " << names.back() << ", layers "
                 << "down, " << what << "s across\n";
  }
  if (!json.empty()) {
    llvm::json::Object report{{"model", input.getValue()},
                              {"unit", unit.getValue()},
                              {"layers", std::move(jsonLayers)}};
    if (llvm::is_contained(names, "ablation"))
      report["calibration_loss"] = baseLoss;
    std::string text;
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(report))) << "\n";
    if (!writeOutput(json, text))
      return 1;
  }
  return 0;
}

} // namespace llmc::tool
