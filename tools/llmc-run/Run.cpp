//===- Run.cpp - llmc-run run: an entry point on .npy inputs --------------===//
//
// Runs one entry point (by default @main, what a graph without attention
// compiles to) with its arguments read from .npy files, in order, and
// writes each result to OUTPUT_DIR/result_<i>.npy.
//
//===----------------------------------------------------------------------===//

#include "tools/llmc-run/Commands.h"

#include "runtime/generate/Session.h"
#include "runtime/support/Npy.h"

#include <iostream>

namespace llmc::run {

int runEntry(const CommonOptions &common, const RunOptions &options) {
  std::unique_ptr<runtime::Model> model = loadModel(common, false);
  if (!model)
    return 1;
  std::vector<runtime::NpyArray> arrays;
  for (const std::string &path : options.inputs) {
    runtime::Expected<runtime::NpyArray> array = runtime::readNpy(path);
    if (!array)
      return fail(array.status().message());
    arrays.push_back(std::move(*array));
  }
  std::vector<runtime::Tensor> arguments;
  for (runtime::NpyArray &array : arrays)
    arguments.push_back(array.tensor());
  runtime::Expected<std::vector<runtime::Tensor>> results =
      model->executor().run(options.entry, arguments);
  if (!results)
    return fail(results.status().message());
  std::vector<uint8_t> storage;
  for (size_t i = 0; leadRank() && i < results->size(); ++i) {
    runtime::Expected<runtime::Tensor> host =
        model->executor().hostView((*results)[i], storage);
    if (!host)
      return fail(host.status().message());
    const runtime::Tensor &result = *host;
    std::string path =
        options.outputDir + "/result_" + std::to_string(i) + ".npy";
    if (runtime::Status status = runtime::writeNpy(path, result); !status)
      return fail(status.message());
    std::cout << "result " << i << ": " << runtime::dtypeName(result.dtype)
              << " " << runtime::shapeString(result.shape) << " -> " << path
              << "\n";
  }
  return 0;
}

} // namespace llmc::run
