//===- Kernel.cpp - kernel parameters and output checks -------------------===//

#include "runtime/exec/Kernel.h"

namespace llmc::runtime {

void Params::addInts(std::string name, std::vector<int64_t> values) {
  entries_.push_back({std::move(name), std::move(values), {}});
}

void Params::addFloats(std::string name, std::vector<double> values) {
  entries_.push_back({std::move(name), {}, std::move(values)});
}

const Params::Entry *Params::find(const std::string &name) const {
  for (const Entry &entry : entries_)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

bool Params::has(const std::string &name) const { return find(name); }

int64_t Params::integer(const std::string &name, int64_t otherwise) const {
  const Entry *entry = find(name);
  return entry && entry->ints.size() == 1 ? entry->ints[0] : otherwise;
}

double Params::real(const std::string &name, double otherwise) const {
  const Entry *entry = find(name);
  return entry && entry->floats.size() == 1 ? entry->floats[0] : otherwise;
}

const std::vector<int64_t> &Params::ints(const std::string &name) const {
  static const std::vector<int64_t> none;
  const Entry *entry = find(name);
  return entry ? entry->ints : none;
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
