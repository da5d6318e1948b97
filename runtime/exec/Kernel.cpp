//===- Kernel.cpp - kernel parameters and output checks -------------------===//

#include "runtime/exec/Kernel.h"

#include "runtime/support/ThreadPool.h"

#include <algorithm>

namespace llmc::runtime {

void Params::addInts(std::string name, std::vector<int64_t> values) {
  entries_.push_back({std::move(name), std::move(values), {}});
}

void Params::addFloats(std::string name, std::vector<double> values) {
  entries_.push_back({std::move(name), {}, std::move(values)});
}

Status Params::error(const std::string &name, const std::string &what) const {
  return Status::error(std::string("kernel '") + kernel_->name +
                       "': parameter '" + name + "' " + what);
}

Status Params::check(int64_t inputs, int64_t outputs) const {
  std::vector<format::ParamValue> values;
  for (const Entry &entry : entries_) {
    using Form = format::ParamValue::Form;
    format::ParamValue value{entry.name, Form::storedInts};
    if (!entry.floats.empty()) {
      value.form = Form::storedReals;
      value.count = static_cast<int64_t>(entry.floats.size());
    } else {
      value.count = static_cast<int64_t>(entry.ints.size());
      value.first = entry.ints.empty() ? 0 : entry.ints[0];
    }
    values.push_back(std::move(value));
  }
  std::string broken = format::checkCall(*kernel_, inputs, outputs, values);
  if (!broken.empty())
    return Status::error(broken);
  return Status::success();
}

Expected<const Params::Entry *>
Params::find(const std::string &name,
             std::initializer_list<format::ParamType> types) const {
  const format::ParamDecl *decl = kernel_->param(name);
  if (!decl)
    return Status::error(std::string("kernel '") + kernel_->name +
                         "' declares no parameter '" + name + "'");
  if (types.size() &&
      std::find(types.begin(), types.end(), decl->type) == types.end())
    return error(name, "is not read as its declared type");
  for (const Entry &entry : entries_)
    if (entry.name == name)
      return &entry;
  return static_cast<const Entry *>(nullptr);
}

Expected<const Params::Entry *>
Params::findPresent(const std::string &name,
                    std::initializer_list<format::ParamType> types) const {
  Expected<const Entry *> entry = find(name, types);
  if (entry && !*entry)
    return error(name, "is missing");
  return entry;
}

Expected<bool> Params::has(const std::string &name) const {
  Expected<const Entry *> entry = find(name, {});
  if (!entry)
    return entry.status();
  return *entry != nullptr;
}

Expected<int64_t> Params::integer(const std::string &name) const {
  Expected<const Entry *> entry = findPresent(
      name, {format::ParamType::integer, format::ParamType::enumeration});
  if (!entry)
    return entry.status();
  if ((*entry)->ints.size() != 1)
    return error(name, "is not one integer");
  return (*entry)->ints[0];
}

Expected<double> Params::real(const std::string &name) const {
  Expected<const Entry *> entry = findPresent(name, {format::ParamType::real});
  if (!entry)
    return entry.status();
  if ((*entry)->floats.size() != 1)
    return error(name, "is not one float");
  return (*entry)->floats[0];
}

Expected<const std::vector<int64_t> *>
Params::ints(const std::string &name) const {
  Expected<const Entry *> entry =
      findPresent(name, {format::ParamType::integers});
  if (!entry)
    return entry.status();
  return &(*entry)->ints;
}

Status KernelContext::setOutput(size_t index, Shape shape) {
  const Shape &expected = declared[index];
  bool agrees = expected.size() == shape.size();
  for (size_t i = 0; agrees && i < shape.size(); ++i)
    agrees = expected[i] < 0 || expected[i] == shape[i];
  if (!agrees)
    return Status::error("output " + std::to_string(index) + " has shape " +
                         shapeString(shape) + " where the plan declares " +
                         shapeString(expected));
  Tensor &out = *outputs[index];
  uint64_t bytes = elementCount(shape) * dtypeBytes(out.dtype);
  if (bytes > capacity[index])
    return Status::error("output " + std::to_string(index) + " " +
                         shapeString(shape) + " needs " +
                         std::to_string(bytes) + " bytes, " +
                         std::to_string(capacity[index]) +
                         " were planned (a batch or sequence longer than "
                         "the artifact was compiled for?)");
  out.shape = std::move(shape);
  return Status::success();
}

Expected<void *> KernelContext::takeScratch(uint64_t bytes) {
  uint64_t piece =
      static_cast<uint64_t>(format::scratchPiece(static_cast<int64_t>(bytes)));
  if (scratchTaken + piece > scratchBytes)
    return Status::error(
        std::string("kernel '") + params.kernel().name + "' needs " +
        std::to_string(scratchTaken + piece) + " bytes of scratch, " +
        std::to_string(scratchBytes) +
        " were planned (a batch or sequence longer than the artifact was "
        "compiled for, or a scratch rule in runtime/format/KernelContract.cpp "
        "that does not match the kernel)");
  void *at = scratch + scratchTaken;
  scratchTaken += piece;
  return at;
}

Expected<ActivationRounding>
activationRounding(const Params &params, const format::RoundingParams &names) {
  ActivationRounding r;
  LLMC_PARAM(int8, params.has(names.int8Dynamic));
  LLMC_PARAM(dynamic, params.has(names.fp8Dynamic));
  LLMC_PARAM(fixed, params.has(names.fp8Scale));
  r.int8 = int8;
  r.fp8Dynamic = dynamic;
  if (fixed) {
    LLMC_PARAM(scale, params.real(names.fp8Scale));
    r.fp8Scale = static_cast<float>(scale);
  }
  return r;
}

Expected<uint8_t *> KernelContext::workerScratchFor(uint64_t bytes) const {
  if (bytes > workerScratchBytes)
    return Status::error(std::string("kernel '") + params.kernel().name +
                         "' needs " + std::to_string(bytes) +
                         " bytes of scratch per thread, " +
                         std::to_string(workerScratchBytes) +
                         " were planned (a longer sequence than the artifact "
                         "was compiled for?)");
  return workerScratch + ThreadPool::slot() * workerScratchBytes;
}

Expected<const Tensor *> KernelContext::input(size_t index, DType dtype) const {
  if (index >= inputs.size() || !inputs[index])
    return Status::error("input " + std::to_string(index) + " is missing");
  if (inputs[index]->dtype != dtype)
    return Status::error("input " + std::to_string(index) + " is " +
                         dtypeName(inputs[index]->dtype) + ", expected " +
                         dtypeName(dtype));
  return inputs[index];
}

} // namespace llmc::runtime
