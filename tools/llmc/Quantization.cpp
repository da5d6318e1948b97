//===- Quantization.cpp - llmc compile's quantization options -------------===//

#include "tools/llmc/Quantization.h"

#include "dialects/llmc/IR/LlmcOps.h"
#include "passes/quant/QuantPasses.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace llmc::tool {
namespace {

enum class Method { none, int8, fp8, rtnInt4, gptqInt4, awqInt4 };

struct Options {
  Options(cl::SubCommand &command, cl::OptionCategory &category)
      : method("quant", cl::desc("Quantize the weights of linear layers"),
               cl::values(clEnumValN(Method::int8, "int8",
                                     "int8 weights, one scale per output "
                                     "channel"),
                          clEnumValN(Method::fp8, "fp8",
                                     "fp8 E4M3 weights, one scale per output "
                                     "channel"),
                          clEnumValN(Method::rtnInt4, "rtn-int4",
                                     "4-bit weights in groups, rounded to "
                                     "nearest"),
                          clEnumValN(Method::gptqInt4, "gptq-int4",
                                     "4-bit weights in groups by GPTQ (needs "
                                     "--calib)"),
                          clEnumValN(Method::awqInt4, "awq-int4",
                                     "4-bit weights in groups by AWQ (needs "
                                     "--calib)")),
               cl::init(Method::none), cl::sub(command), cl::cat(category)),
        groupSize("group-size",
                  cl::desc("Inputs sharing a 4-bit scale (32, 64, 128, ...; "
                           "default 128)"),
                  cl::init(128), cl::sub(command), cl::cat(category)),
        zeroPoint("zero-point",
                  cl::desc("4-bit groups with zero points (asymmetric; "
                           "default on, --zero-point=false for symmetric)"),
                  cl::init(true), cl::sub(command), cl::cat(category)),
        actOrder("act-order",
                 cl::desc("GPTQ: round columns in order of decreasing "
                          "Hessian diagonal"),
                 cl::init(false), cl::sub(command), cl::cat(category)),
        skip("skip",
             cl::desc("Layers to leave unquantized: lm_head, or any part of "
                      "a layer's ONNX node name (comma-separated)"),
             cl::CommaSeparated, cl::sub(command), cl::cat(category)),
        calib("calib",
              cl::desc("Calibration data: token-id sequences, one per line "
                       "(or a text, with --calib-tokenizer)"),
              cl::value_desc("file"), cl::sub(command), cl::cat(category)),
        calibTokenizer("calib-tokenizer",
                       cl::desc("Read --calib as text (passages separated by "
                                "blank lines) with this SentencePiece model"),
                       cl::value_desc("tok.model"), cl::sub(command),
                       cl::cat(category)),
        fp8Activations(
            "fp8-activations",
            cl::desc("--quant fp8: also round activations to E4M3 with a "
                     "per-tensor scale, from calibration (static, needs "
                     "--calib) or per call (dynamic); default none"),
            cl::init("none"), cl::sub(command), cl::cat(category)),
        int8Activations(
            "int8-activations",
            cl::desc("--quant int8: also round activations to int8 with a "
                     "scale per token (dynamic: W8A8, int8 GEMMs on the "
                     "GPU); default none"),
            cl::init("none"), cl::sub(command), cl::cat(category)),
        report("quant-report",
               cl::desc("Write each layer's output error on the calibration "
                        "inputs as JSON (needs --calib)"),
               cl::value_desc("file.json"), cl::sub(command),
               cl::cat(category)) {}

  cl::opt<Method> method;
  cl::opt<int64_t> groupSize;
  cl::opt<bool> zeroPoint, actOrder;
  cl::list<std::string> skip;
  cl::opt<std::string> calib, calibTokenizer, fp8Activations, int8Activations,
      report;
};

std::unique_ptr<Options> options;

bool fourBitMethod() {
  return options->method == Method::rtnInt4 ||
         options->method == Method::gptqInt4 ||
         options->method == Method::awqInt4;
}

/// The pass option for a checked --int8-activations/--fp8-activations.
ActivationRounding activationRounding(const std::string &name) {
  if (name == "dynamic")
    return ActivationRounding::dynamic;
  if (name == "static")
    return ActivationRounding::calibrated;
  return ActivationRounding::none;
}

LogicalResult fail(const llvm::Twine &message) {
  llvm::errs() << "llmc compile: " << message << "\n";
  return failure();
}

} // namespace

void registerQuantizationOptions(cl::SubCommand &command,
                                 cl::OptionCategory &category) {
  options = std::make_unique<Options>(command, category);
}

LogicalResult checkQuantizationOptions() {
  Options &o = *options;
  bool quantizing = o.method != Method::none;
  if (!fourBitMethod() &&
      (o.groupSize.getNumOccurrences() || o.zeroPoint.getNumOccurrences()))
    return fail("--group-size and --zero-point apply to 4-bit methods "
                "(rtn-int4, gptq-int4, awq-int4); int8 and fp8 scale each "
                "output "
                "channel");
  if (o.actOrder && o.method != Method::gptqInt4)
    return fail("--act-order applies to --quant gptq-int4");
  if (!quantizing && (!o.skip.empty() || !o.calib.empty()))
    return fail("--skip and --calib need --quant");
  if (fourBitMethod() && (o.groupSize < 32 || o.groupSize % 32 != 0))
    return fail(llvm::formatv("--group-size {0} is not supported: use a "
                              "multiple of 32 (32, 64, 128, ...)",
                              o.groupSize.getValue()));
  if ((o.method == Method::gptqInt4 || o.method == Method::awqInt4) &&
      o.calib.empty())
    return fail(
        "--quant " +
        std::string(o.method == Method::gptqInt4 ? "gptq-int4" : "awq-int4") +
        " needs calibration data: --calib FILE (token-id sequences, "
        "or a text with --calib-tokenizer)");
  if (!o.calibTokenizer.empty() && o.calib.empty())
    return fail("--calib-tokenizer needs --calib");
  if (!o.report.empty() && o.calib.empty())
    return fail("--quant-report needs --calib (the errors are measured on "
                "the calibration inputs)");
  if (o.fp8Activations.getNumOccurrences() && o.method != Method::fp8)
    return fail("--fp8-activations applies to --quant fp8");
  if (o.fp8Activations != "none" && o.fp8Activations != "static" &&
      o.fp8Activations != "dynamic")
    return fail("--fp8-activations must be none, static or dynamic, not '" +
                o.fp8Activations + "'");
  if (o.int8Activations.getNumOccurrences() && o.method != Method::int8)
    return fail("--int8-activations applies to --quant int8");
  if (o.int8Activations != "none" && o.int8Activations != "dynamic")
    return fail("--int8-activations must be none or dynamic, not '" +
                o.int8Activations + "'");
  bool staticFp8 = o.method == Method::fp8 && o.fp8Activations == "static";
  if (staticFp8 && o.calib.empty())
    return fail("--fp8-activations static needs calibration data: --calib "
                "FILE");
  if (!o.calib.empty() &&
      (o.method == Method::int8 || (o.method == Method::fp8 && !staticFp8)))
    return fail("--calib applies to the 4-bit methods and to fp8 with "
                "--fp8-activations static");
  return success();
}

std::string quantizationSummary() {
  Options &o = *options;
  switch (o.method) {
  case Method::none:
    return "";
  case Method::int8:
    return o.int8Activations == "none"
               ? "int8 (per channel)"
               : "int8 (per channel; activations per token, " +
                     o.int8Activations + ")";
  case Method::fp8:
    return o.fp8Activations == "none"
               ? "fp8 E4M3 (per channel)"
               : "fp8 E4M3 (per channel; activations per tensor, " +
                     o.fp8Activations + ")";
  case Method::rtnInt4:
  case Method::gptqInt4:
  case Method::awqInt4:
    return llvm::formatv("{0} (group {1}, {2}{3})",
                         o.method == Method::rtnInt4    ? "rtn-int4"
                         : o.method == Method::gptqInt4 ? "gptq-int4"
                                                        : "awq-int4",
                         o.groupSize.getValue(),
                         o.zeroPoint ? "zero points" : "symmetric",
                         o.actOrder ? ", act-order" : "")
        .str();
  }
  return "";
}

bool wantsCalibration() { return !options->calib.empty(); }

CalibrationOptions calibrationOptions(const char *argv0) {
  CalibrationOptions calibration;
  calibration.path = options->calib;
  calibration.tokenizer = options->calibTokenizer;
  // llmc-tokenize lives beside llmc.
  static int anchor;
  SmallString<256> tool(llvm::sys::path::parent_path(
      llvm::sys::fs::getMainExecutable(argv0, &anchor)));
  llvm::sys::path::append(tool, "llmc-tokenize");
  calibration.tokenizeTool = tool.str().str();
  return calibration;
}

/// The options every 4-bit method's pass shares.
template <typename PassOptions>
PassOptions fourBit(const llvm::SmallVector<std::string> &skip) {
  PassOptions pass;
  pass.groupSize = options->groupSize;
  pass.zeroPoint = options->zeroPoint;
  pass.skip = skip;
  return pass;
}

std::unique_ptr<Pass>
quantizationPass(std::shared_ptr<const quant::CalibrationData> data) {
  Options &o = *options;
  llvm::SmallVector<std::string> skip(o.skip.begin(), o.skip.end());
  switch (o.method) {
  case Method::none:
    return nullptr;
  case Method::int8: {
    QuantizeInt8Options pass;
    pass.skip = skip;
    pass.activations = activationRounding(o.int8Activations);
    return createQuantizeInt8(pass);
  }
  case Method::fp8: {
    QuantizeFp8Options pass;
    pass.skip = skip;
    pass.activations = activationRounding(o.fp8Activations);
    return createQuantizeFp8(pass, std::move(data));
  }
  case Method::rtnInt4:
    return createQuantizeRtn(fourBit<QuantizeRtnOptions>(skip),
                             std::move(data));
  case Method::gptqInt4: {
    auto pass = fourBit<QuantizeGptqOptions>(skip);
    pass.actOrder = o.actOrder;
    return createQuantizeGptq(pass, std::move(data));
  }
  case Method::awqInt4:
    return createQuantizeAwq(fourBit<QuantizeAwqOptions>(skip),
                             std::move(data));
  }
  return nullptr;
}

LogicalResult writeQuantizationReport(ModuleOp module,
                                      int64_t calibrationTokens) {
  if (options->report.empty())
    return success();
  llvm::json::Object layers;
  double total = 0;
  int64_t count = 0;
  if (auto errors = module->getAttrOfType<DictionaryAttr>("llmc.quant_errors"))
    for (NamedAttribute error : errors) {
      double value = cast<FloatAttr>(error.getValue()).getValueAsDouble();
      layers[error.getName().getValue()] = value;
      total += value;
      ++count;
    }
  llvm::json::Object out{
      {"method", quantizationSummary()},
      {"calibration_tokens", calibrationTokens},
      {"mean_relative_output_error", count ? total / count : 0.0},
      {"layers", std::move(layers)}};
  std::string error;
  auto file = openOutputFile(options->report, &error);
  if (!file)
    return fail(error);
  file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(out)))
             << "\n";
  file->keep();
  return success();
}

} // namespace llmc::tool
