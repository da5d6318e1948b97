//===- Executor.cpp - runs an entry point of a program on a device --------===//

#include "runtime/exec/Executor.h"

#include <chrono>

namespace llmc::runtime {

Expected<uint8_t *> Executor::buffer(const std::string &slot, uint64_t bytes) {
  auto &[memory, size] = arenas_[slot];
  if (!memory || size < bytes) {
    memory.reset();
    Expected<Device::Memory> allocated = device_.allocate(bytes);
    if (!allocated)
      return allocated.status().withContext(slot);
    memory = *allocated;
    size = bytes;
  }
  return memory.get();
}

Expected<Tensor> Executor::hostView(const Tensor &tensor,
                                    std::vector<uint8_t> &storage) {
  if (device_.hostVisible() || !device_.owns(tensor.data))
    return tensor;
  storage.resize(static_cast<size_t>(tensor.bytes()));
  if (Status status = device_.toHost(storage.data(), tensor.data,
                                     static_cast<uint64_t>(tensor.bytes()));
      !status)
    return status;
  Tensor copy = tensor;
  copy.data = storage.data();
  return copy;
}

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
    if (argument.data && !device_.owns(argument.data)) {
      Expected<uint8_t *> copy =
          buffer(name + " argument " + std::to_string(i), argument.bytes());
      if (!copy)
        return copy.status();
      if (Status status =
              device_.toDevice(*copy, argument.data, argument.bytes());
          !status)
        return status.withContext("argument " + std::to_string(i));
      frame.tensors[id].data = *copy;
    }
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

  Expected<uint8_t *> arena = buffer(name + " arena", entry->arenaBytes);
  if (!arena)
    return arena.status();
  uint8_t *workerScratch = nullptr;
  if (entry->workerScratchBytes) {
    if (entry->workerScratchBytes > (uint64_t(1) << 40) / pool_.size())
      return Status::error(name + ": the artifact asks " +
                           std::to_string(entry->workerScratchBytes) +
                           " bytes of scratch per thread");
    Expected<uint8_t *> perThread = buffer(
        name + " worker scratch", entry->workerScratchBytes * pool_.size());
    if (!perThread)
      return perThread.status();
    workerScratch = *perThread;
  }

  auto steps = [&]() -> Status {
    for (size_t index = 0; index < entry->steps.size(); ++index) {
      const StepSpec &step = entry->steps[index];
      auto where = [&] {
        return "step " + std::to_string(index) + " (" + step.kernel +
               (step.location.empty() ? "" : " at " + step.location) + ")";
      };
      KernelContext context{step.params, {}, {}, {}, {}, pool_};
      context.links = links_;
      context.attentionReceived = received_;
      device_.prepare(context);
      if (step.scratchOffset >= 0) {
        context.scratch = *arena + step.scratchOffset;
        context.scratchBytes = step.scratchBytes;
      }
      context.workerScratch = workerScratch;
      context.workerScratchBytes = entry->workerScratchBytes;
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
          out.data = *arena + value.offset;
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
        // A device's kernels run asynchronously: a step's time is its wait.
        if (Status status = device_.synchronize(); !status)
          return status.withContext(where());
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
    return Status::success();
  };
  // A recording is valid for the shapes it was made with: the key holds
  // the symbols that size values and where the arguments lie.
  std::string key;
  bool recordable = name == "decode" && !profiling_;
  if (recordable) {
    key = name;
    for (size_t s = 0; s < entry->symbols.size(); ++s)
      if (entry->symbols[s].sizes)
        key += " " + std::to_string(frame.symbols[s]);
    for (int32_t id : entry->arguments)
      key += " " + std::to_string(
                       reinterpret_cast<uintptr_t>(frame.tensors[id].data));
    key += " " + std::to_string(reinterpret_cast<uintptr_t>(*arena));
  }
  // ran: the steps ran on the host (false: a recording was replayed).
  Expected<bool> ran = true;
  if (recordable)
    ran = device_.replay(key, steps);
  else if (Status status = steps(); !status)
    return status;
  if (!ran)
    return ran.status();
  if (Status status = device_.synchronize(); !status)
    return status.withContext("'" + name + "'");
  if (!*ran)
    return replayed_[key];
  std::vector<Tensor> results;
  for (int32_t id : entry->results) {
    if (Status status = frame.materialize(id); !status)
      return status.withContext("result of '" + name + "'");
    results.push_back(frame.tensors[id]);
  }
  if (recordable)
    replayed_[key] = results;
  return results;
}

} // namespace llmc::runtime
