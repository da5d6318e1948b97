//===- Program.cpp - decoding and checking the artifact's plan ------------===//

#include "runtime/exec/Program.h"

#include "runtime/format/PlanSection.h"
#include "runtime/format/artifact_generated.h"

#include "runtime/exec/DummyWeights.h"

#include <algorithm>
#include <map>

namespace llmc::runtime {
namespace {

namespace fb = llmc::format;

class Loader {
public:
  Loader(const Artifact &artifact, Device &device,
         std::deque<std::vector<uint8_t>> &filled,
         std::vector<std::shared_ptr<const kernels::PackedQuant>> &packed)
      : artifact(artifact), device(device), filled(filled), packed(packed) {}

  Status load(const std::string &section, std::vector<EntrySpec> &entries,
              std::vector<std::string> &sections) {
    Expected<const fb::Plan *> read = planSection(artifact, section);
    if (!read)
      return read.status();
    const fb::Plan *plan = *read;
    if (plan->weights())
      for (const flatbuffers::String *name : *plan->weights()) {
        sections.push_back(name->str());
        Expected<Bytes> weight = artifact.section(name->str());
        if (!weight && artifact.dummyWeights()) {
          weights.push_back({}); // filled when a value gives its size
          continue;
        }
        if (!weight)
          return weight.status();
        Expected<const uint8_t *> placed =
            device.weight(weight->data, weight->size);
        if (!placed)
          return placed.status().withContext(name->str());
        weights.push_back({*placed, weight->size});
      }
    if (!plan->entries() || plan->entries()->size() == 0)
      return Status::error("the plan has no entry points");
    for (const fb::Entry *entry : *plan->entries()) {
      EntrySpec spec;
      if (Status status = loadEntry(*entry, spec); !status)
        return status.withContext("entry point '" + entry->name()->str() + "'");
      entries.push_back(std::move(spec));
    }
    return Status::success();
  }

private:
  Status loadEntry(const fb::Entry &entry, EntrySpec &spec) {
    spec.name = entry.name()->str();
    spec.arenaBytes = entry.arena_bytes();
    spec.workerScratchBytes = entry.worker_scratch_bytes();
    if (spec.workerScratchBytes % 64 != 0)
      return Status::error("the worker scratch of an entry point is not a "
                           "whole number of 64-byte lines");
    if (entry.symbols())
      for (const fb::Symbol *symbol : *entry.symbols())
        spec.symbols.push_back({symbol->name()->str(), symbol->argument(),
                                symbol->axis(), symbol->bound()});
    int32_t valueCount = entry.values() ? entry.values()->size() : 0;
    auto validValue = [&](int32_t id) { return id >= 0 && id < valueCount; };
    for (int32_t id = 0; id < valueCount; ++id) {
      const fb::Value *value = entry.values()->Get(id);
      ValueSpec v;
      int dtype = static_cast<int>(value->dtype());
      if (dtype < 0 || dtype > static_cast<int>(DType::f8e4m3))
        return Status::error("value " + std::to_string(id) +
                             " has an unknown element type");
      v.dtype = static_cast<DType>(dtype);
      if (value->dims())
        for (const fb::Dim *dim : *value->dims()) {
          DimSpec d;
          d.size = dim->size();
          if (dim->symbols())
            for (const flatbuffers::String *name : *dim->symbols()) {
              auto found = std::find_if(
                  spec.symbols.begin(), spec.symbols.end(),
                  [&](const SymbolSpec &s) { return s.name == name->str(); });
              if (found == spec.symbols.end())
                return Status::error("value " + std::to_string(id) +
                                     " has an extent '" + name->str() +
                                     "' no argument binds");
              d.symbols.push_back(found - spec.symbols.begin());
              found->sizes = true;
            }
          v.dims.push_back(d);
        }
      v.offset = value->offset();
      v.bytes = value->bytes();
      v.source = value->source();
      switch (value->kind()) {
      case fb::ValueKind::arena:
        v.kind = ValueKind::arena;
        if (v.offset % 64 != 0 || v.offset > spec.arenaBytes ||
            v.bytes > spec.arenaBytes - v.offset)
          return Status::error("value " + std::to_string(id) +
                               " lies outside the arena");
        break;
      case fb::ValueKind::weight: {
        v.kind = ValueKind::weight;
        if (v.source < 0 || v.source >= static_cast<int32_t>(weights.size()))
          return Status::error("value " + std::to_string(id) +
                               " names a missing weight");
        Bytes &weight = weights[v.source];
        int64_t expected = dtypeBytes(v.dtype);
        for (const DimSpec &d : v.dims)
          expected *= d.size;
        if (!weight.data) {
          // A --dummy-weights artifact: this weight's size is known now.
          if (Status status = fillDummy(v, *value, v.source, expected, weight);
              !status)
            return status.withContext("weight value " + std::to_string(id));
        }
        if (value->quant()) {
          Expected<int64_t> bytes = loadQuant(*value->quant(), weight, v);
          if (!bytes)
            return bytes.status().withContext("weight value " +
                                              std::to_string(id));
          expected = *bytes;
        }
        if (expected < 0 || static_cast<uint64_t>(expected) != weight.size)
          return Status::error("weight value " + std::to_string(id) +
                               " holds " + std::to_string(weight.size) +
                               " bytes, its shape needs " +
                               std::to_string(expected));
        v.weight = weight.data;
        v.bytes = weight.size;
        break;
      }
      case fb::ValueKind::argument:
        v.kind = ValueKind::argument;
        break;
      case fb::ValueKind::alias:
        v.kind = ValueKind::alias;
        if (v.source < 0 || v.source >= id)
          return Status::error("value " + std::to_string(id) +
                               " aliases a value not defined before it");
        break;
      default:
        return Status::error("value " + std::to_string(id) +
                             " has an unknown kind");
      }
      spec.values.push_back(std::move(v));
    }
    for (const SymbolSpec &symbol : spec.symbols)
      if (symbol.argument < 0 ||
          symbol.argument >=
              static_cast<int32_t>(entry.arguments() ? entry.arguments()->size()
                                                     : 0))
        return Status::error("symbol '" + symbol.name +
                             "' is bound by a missing argument");
    if (entry.arguments())
      for (int32_t id : *entry.arguments()) {
        if (!validValue(id) || spec.values[id].kind != ValueKind::argument)
          return Status::error("an argument is not an argument value");
        spec.arguments.push_back(id);
      }
    if (entry.results())
      for (int32_t id : *entry.results()) {
        if (!validValue(id))
          return Status::error("a result names a missing value");
        spec.results.push_back(id);
      }
    std::vector<bool> defined(valueCount, false);
    for (int32_t id = 0; id < valueCount; ++id)
      defined[id] = spec.values[id].kind == ValueKind::weight ||
                    spec.values[id].kind == ValueKind::argument;
    if (entry.steps())
      for (const fb::Step *step : *entry.steps()) {
        std::string kernel = step->kernel()->str();
        std::string location = step->location() ? step->location()->str() : "";
        const format::KernelDecl *decl = format::findKernel(kernel);
        if (!decl)
          return Status::error("a step calls '" + kernel +
                               "', which is not a kernel of the plan (at " +
                               location + ")");
        StepSpec s{kernel, location, nullptr, {}, {}, Params(*decl)};
        s.run = device.kernel(s.kernel);
        if (!s.run)
          return Status::error("kernel '" + s.kernel + "' is not in this " +
                               "runtime's " + device.name() + " kernels (at " +
                               s.location + ")");
        if (step->inputs())
          for (int32_t id : *step->inputs()) {
            if (id != -1 && !validValue(id))
              return Status::error("a step of '" + s.kernel +
                                   "' reads a missing value");
            s.inputs.push_back(id);
          }
        if (step->outputs())
          for (int32_t id : *step->outputs()) {
            if (!validValue(id) || defined[id])
              return Status::error("a step of '" + s.kernel +
                                   "' writes an invalid value");
            s.outputs.push_back(id);
          }
        for (int32_t id : s.outputs)
          defined[id] = true;
        if (step->params())
          for (const fb::Param *param : *step->params()) {
            if (param->floats() && param->floats()->size())
              s.params.addFloats(
                  param->name()->str(),
                  {param->floats()->begin(), param->floats()->end()});
            else
              s.params.addInts(
                  param->name()->str(),
                  param->ints() ? std::vector<int64_t>(param->ints()->begin(),
                                                       param->ints()->end())
                                : std::vector<int64_t>());
          }
        s.scratchOffset = step->scratch_offset();
        s.scratchBytes = step->scratch_bytes();
        if (s.scratchOffset != -1 &&
            (s.scratchOffset < 0 || s.scratchOffset % 64 != 0 ||
             static_cast<uint64_t>(s.scratchOffset) > spec.arenaBytes ||
             s.scratchBytes > spec.arenaBytes - s.scratchOffset))
          return Status::error("the scratch of a step of '" + s.kernel +
                               "' lies outside the arena (at " + s.location +
                               ")");
        if (Status kept =
                s.params.check(static_cast<int64_t>(s.inputs.size()),
                               static_cast<int64_t>(s.outputs.size()));
            !kept)
          return kept.withContext("a step at " + s.location);
        spec.steps.push_back(std::move(s));
      }
    return Status::success();
  }

  /// Checks a quantized weight's description against its dims and sets
  /// `v.quant`; returns the bytes its section must hold.
  Expected<int64_t> loadQuant(const fb::Quant &quant, const Bytes &weight,
                              ValueSpec &v) {
    if (v.dims.size() != 2 || v.dims[0].size <= 0 || v.dims[1].size <= 0 ||
        v.dtype != DType::u8)
      return Status::error("a quantized weight must be u8 [n, k] with "
                           "static extents");
    int format = static_cast<int>(quant.format());
    if (format < 0 || format > static_cast<int>(format::QuantCodes::fp8e5m2))
      return Status::error("unknown quantized format " +
                           std::to_string(format));
    kernels::QuantWeight w;
    w.codes = static_cast<format::QuantCodes>(format);
    w.n = v.dims[0].size;
    w.k = v.dims[1].size;
    w.group = quant.group_size();
    w.halfScales = quant.half_scales();
    bool fp8 = w.codes == format::QuantCodes::fp8e4m3 ||
               w.codes == format::QuantCodes::fp8e5m2;
    bool uint4 = w.codes == format::QuantCodes::uint4;
    if (w.group <= 0 || w.k % w.group != 0 ||
        (uint4 && w.group % format::kUint4Block != 0))
      return Status::error("group size " + std::to_string(w.group) +
                           " does not fit " + std::to_string(w.k) +
                           " input features");
    if ((fp8 && quant.zero_points()) || (uint4 && !quant.zero_points()))
      return Status::error("zero points do not fit the format");
    format::QuantSectionLayout layout = format::quantSectionLayout(
        w.codes, w.n, w.k, w.group, w.halfScales, quant.zero_points());
    if (static_cast<uint64_t>(layout.totalBytes) == weight.size) {
      w.data = weight.data;
      w.scales = weight.data + layout.scalesOffset;
      w.zeros =
          quant.zero_points() ? weight.data + layout.zerosOffset : nullptr;
      // Each weight section is packed once, for all values that read it.
      auto [at, fresh] = packedBySource.try_emplace(v.source, nullptr);
      if (fresh)
        if (std::shared_ptr<const kernels::PackedQuant> p = device.pack(w)) {
          at->second = p.get();
          packed.push_back(std::move(p));
        }
      w.packed = at->second;
      v.quant = w;
    }
    return layout.totalBytes;
  }

  /// Deterministic pseudo-random contents for weight `index` (of a
  /// --dummy-weights artifact), sized for `v`, placed on the device.
  Status fillDummy(const ValueSpec &v, const fb::Value &value, int32_t index,
                   int64_t elementsBytes, Bytes &weight) {
    std::vector<uint8_t> &bytes = filled.emplace_back();
    if (value.quant()) {
      const fb::Quant &quant = *value.quant();
      if (v.dims.size() != 2)
        return Status::error("a quantized weight must be [n, k]");
      auto codes = static_cast<format::QuantCodes>(quant.format());
      format::QuantSectionLayout layout = format::quantSectionLayout(
          codes, v.dims[0].size, v.dims[1].size, quant.group_size(),
          quant.half_scales(), quant.zero_points());
      if (layout.totalBytes <= 0)
        return Status::error("a quantized weight of no size");
      bytes.resize(static_cast<size_t>(layout.totalBytes));
      fillDummyQuant(layout, codes, quant.half_scales(), index, bytes);
    } else {
      if (elementsBytes < 0)
        return Status::error("a weight of unknown size");
      bytes.resize(static_cast<size_t>(elementsBytes));
      if (!fillDummyFloats(v.dtype, index, bytes))
        return Status::error(std::string("no dummy values for ") +
                             dtypeName(v.dtype) + " weights");
    }
    Expected<const uint8_t *> placed =
        device.weight(bytes.data(), bytes.size());
    if (!placed)
      return placed.status();
    weight = {*placed, bytes.size()};
    return Status::success();
  }

  const Artifact &artifact;
  Device &device;
  /// Each weight section where the device's kernels read it.
  std::vector<Bytes> weights;
  /// The host bytes of filled dummy weights (the CPU reads them in place).
  std::deque<std::vector<uint8_t>> &filled;
  /// The device's own layouts of quantized weights (Device::pack).
  std::vector<std::shared_ptr<const kernels::PackedQuant>> &packed;
  std::map<int32_t, const kernels::PackedQuant *> packedBySource;
};

} // namespace

uint64_t Program::dummyWeightBytes() const {
  uint64_t total = 0;
  for (const std::vector<uint8_t> &bytes : dummyWeights_)
    total += bytes.size();
  return total;
}

Expected<Program> Program::load(const Artifact &artifact, Device &device,
                                const std::string &section) {
  Program program;
  Loader loader(artifact, device, program.dummyWeights_, program.packed_);
  if (Status status =
          loader.load(section, program.entries_, program.weightSections_);
      !status)
    return status;
  return program;
}

const EntrySpec *Program::entry(const std::string &name) const {
  for (const EntrySpec &entry : entries_)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

} // namespace llmc::runtime
