//===- Executor.cpp - runs an entry point of a program on the CPU ---------===//

#include "runtime/exec/Executor.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace llmc::runtime {

void Executor::FreeDeleter::operator()(uint8_t *p) const { std::free(p); }

uint64_t Executor::arenaBytes() const {
  uint64_t total = 0;
  for (const auto &[name, arena] : arenas_)
    total += arena.second;
  return total;
}

namespace {

struct Frame {
  const EntrySpec &entry;
  std::vector<int64_t> symbols;
  std::vector<Tensor> tensors;
  std::vector<bool> ready;

  Shape resolve(const ValueSpec &value) const {
    Shape shape;
    for (const DimSpec &dim : value.dims) {
      if (dim.size >= 0 || dim.symbols.empty()) {
        shape.push_back(dim.size);
        continue;
      }
      int64_t extent = 0;
      for (int symbol : dim.symbols)
        extent += symbols[symbol];
      shape.push_back(extent);
    }
    return shape;
  }

  /// Points an alias at its source's bytes, under its own declared shape
  /// (one unknown extent is what the element count leaves).
  Status materialize(int32_t id) {
    if (ready[id])
      return Status::success();
    const ValueSpec &value = entry.values[id];
    if (value.kind != ValueKind::alias)
      return Status::error("value " + std::to_string(id) +
                           " is read before a step writes it");
    if (Status status = materialize(value.source); !status)
      return status;
    const Tensor &source = tensors[value.source];
    Shape shape = resolve(value);
    int64_t known = 1, unknown = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] >= 0) {
        known *= shape[i];
      } else if (unknown >= 0) {
        return Status::error("value " + std::to_string(id) +
                             " is a view with two unknown extents");
      } else {
        unknown = i;
      }
    }
    if (unknown >= 0 && known > 0)
      shape[unknown] = source.elements() / known;
    if (elementCount(shape) != source.elements())
      return Status::error("value " + std::to_string(id) + " views " +
                           shapeString(source.shape) + " as " +
                           shapeString(shape));
    tensors[id] = {value.dtype, shape, source.data};
    ready[id] = true;
    return Status::success();
  }
};

} // namespace

Expected<std::vector<Tensor>>
Executor::run(const std::string &name, const std::vector<Tensor> &arguments) {
  const EntrySpec *entry = program_.entry(name);
  if (!entry)
    return Status::error("the artifact has no entry point '" + name + "'");
  if (arguments.size() != entry->arguments.size())
    return Status::error(
        "'" + name + "' takes " + std::to_string(entry->arguments.size()) +
        " arguments, " + std::to_string(arguments.size()) + " given");
  Frame frame{*entry, {}, {}, {}};
  frame.tensors.resize(entry->values.size());
  frame.ready.assign(entry->values.size(), false);

  for (const SymbolSpec &symbol : entry->symbols) {
    const Tensor &argument = arguments[symbol.argument];
    int64_t value;
    if (symbol.axis >= 0) {
      if (symbol.axis >= argument.rank())
        return Status::error("argument " + std::to_string(symbol.argument) +
                             " has no axis " + std::to_string(symbol.axis));
      value = argument.shape[symbol.axis];
    } else {
      if (argument.dtype != DType::i64 || argument.elements() != 1)
        return Status::error("argument " + std::to_string(symbol.argument) +
                             " must be one i64");
      value = *argument.as<int64_t>();
    }
    if (value < 0 || value > symbol.bound)
      return Status::error(symbol.name + " = " + std::to_string(value) +
                           " is outside what the artifact was compiled for "
                           "(0.." +
                           std::to_string(symbol.bound) + ")");
    frame.symbols.push_back(value);
  }

  for (size_t i = 0; i < arguments.size(); ++i) {
    int32_t id = entry->arguments[i];
    const ValueSpec &value = entry->values[id];
    const Tensor &argument = arguments[i];
    Shape declared = frame.resolve(value);
    bool agrees = argument.dtype == value.dtype &&
                  declared.size() == argument.shape.size();
    for (size_t d = 0; agrees && d < declared.size(); ++d)
      agrees = declared[d] < 0 || declared[d] == argument.shape[d];
    if (!agrees)
      return Status::error(
          "argument " + std::to_string(i) + " of '" + name + "' is " +
          dtypeName(argument.dtype) + " " + shapeString(argument.shape) +
          ", expected " + dtypeName(value.dtype) + " " + shapeString(declared));
    frame.tensors[id] = argument;
    frame.ready[id] = true;
  }
  for (size_t id = 0; id < entry->values.size(); ++id) {
    const ValueSpec &value = entry->values[id];
    if (value.kind != ValueKind::weight)
      continue;
    frame.tensors[id] = {value.dtype, frame.resolve(value),
                         const_cast<uint8_t *>(value.weight),
                         value.quant ? &*value.quant : nullptr};
    frame.ready[id] = true;
  }

  auto &[arena, arenaSize] = arenas_[name];
  if (!arena && entry->arenaBytes > 0) {
    void *memory = std::aligned_alloc(64, (entry->arenaBytes + 63) / 64 * 64);
    if (!memory)
      return Status::error("cannot allocate the " +
                           std::to_string(entry->arenaBytes) +
                           "-byte arena of '" + name + "'");
    arena.reset(static_cast<uint8_t *>(memory));
    arenaSize = entry->arenaBytes;
  }

  for (size_t index = 0; index < entry->steps.size(); ++index) {
    const StepSpec &step = entry->steps[index];
    auto where = [&] {
      return "step " + std::to_string(index) + " (" + step.kernel +
             (step.location.empty() ? "" : " at " + step.location) + ")";
    };
    KernelContext context{step.params, {}, {}, {}, {}, pool_};
    for (int32_t id : step.inputs) {
      if (id < 0) {
        context.inputs.push_back(nullptr);
        continue;
      }
      if (Status status = frame.materialize(id); !status)
        return status.withContext(where());
      context.inputs.push_back(&frame.tensors[id]);
    }
    for (int32_t id : step.outputs) {
      const ValueSpec &value = entry->values[id];
      Tensor &out = frame.tensors[id];
      out.dtype = value.dtype;
      if (value.kind == ValueKind::alias) {
        if (Status status = frame.materialize(value.source); !status)
          return status.withContext(where());
        out.data = frame.tensors[value.source].data;
        context.capacity.push_back(frame.tensors[value.source].bytes());
      } else {
        out.data = arena.get() + value.offset;
        context.capacity.push_back(value.bytes);
      }
      context.outputs.push_back(&out);
      context.declared.push_back(frame.resolve(value));
    }
    std::chrono::steady_clock::time_point start;
    if (profiling_)
      start = std::chrono::steady_clock::now();
    if (Status status = step.run(context); !status)
      return status.withContext(where());
    if (profiling_) {
      KernelTime &time = profile_[step.kernel];
      time.calls += 1;
      time.seconds += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    }
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      int32_t id = step.outputs[o];
      if (frame.tensors[id].shape.size() != entry->values[id].dims.size())
        return Status::error(where() + ": output " + std::to_string(o) +
                             " was not given a shape");
      frame.ready[id] = true;
    }
  }

  std::vector<Tensor> results;
  for (int32_t id : entry->results) {
    if (Status status = frame.materialize(id); !status)
      return status.withContext("result of '" + name + "'");
    results.push_back(frame.tensors[id]);
  }
  return results;
}

} // namespace llmc::runtime
