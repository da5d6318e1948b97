//===- StatisticsFile.cpp - calibration statistics as a file --------------===//

#include "passes/quant/StatisticsFile.h"

#include "dialects/llmc/IR/ConstantData.h"
#include "passes/quant/QuantTargets.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/xxhash.h"

#include <cstring>
#include <map>

using namespace mlir;

namespace llmc::quant {
namespace {

constexpr char kMagic[8] = {'L', 'L', 'M', 'C', 'S', 'T', 'A', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8;

class Writer {
public:
  template <typename T> void put(T value) {
    bytes.append(reinterpret_cast<const char *>(&value), sizeof(T));
  }
  template <typename T> void put(const std::vector<T> &values) {
    bytes.append(reinterpret_cast<const char *>(values.data()),
                 values.size() * sizeof(T));
  }
  void put(llvm::StringRef text) {
    put<uint32_t>(text.size());
    bytes.append(text.data(), text.size());
  }
  std::string bytes;
};

/// Reads the payload front to back; any read past its end fails.
class Reader {
public:
  explicit Reader(llvm::StringRef bytes) : rest(bytes) {}
  template <typename T> bool get(T &value) {
    if (rest.size() < sizeof(T))
      return false;
    std::memcpy(&value, rest.data(), sizeof(T));
    rest = rest.drop_front(sizeof(T));
    return true;
  }
  template <typename T> bool get(std::vector<T> &values, uint64_t count) {
    if (count > rest.size() / sizeof(T))
      return false;
    values.resize(count);
    std::memcpy(values.data(), rest.data(), count * sizeof(T));
    rest = rest.drop_front(count * sizeof(T));
    return true;
  }
  bool get(std::string &text) {
    uint32_t size = 0;
    if (!get(size) || rest.size() < size)
      return false;
    text = rest.take_front(size).str();
    rest = rest.drop_front(size);
    return true;
  }
  bool done() const { return rest.empty(); }

private:
  llvm::StringRef rest;
};

/// A weight of the module as the file names it.
struct NamedWeight {
  std::string name;
  WeightKey key;
  uint64_t digest = 0;
};

std::vector<NamedWeight> namedWeights(ModuleOp module) {
  std::vector<NamedWeight> weights;
  for (const WeightUse &use : collectWeightUses(module, {})) {
    std::optional<WeightKey> key = weightKey(use.op->getOperand(use.operand));
    if (!key)
      continue;
    std::optional<llvm::ArrayRef<char>> bytes =
        getRawConstantData(Attribute::getFromOpaquePointer(key->first));
    uint64_t digest =
        bytes ? llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
                    reinterpret_cast<const uint8_t *>(bytes->data()),
                    bytes->size()))
              : 0;
    weights.push_back({use.name, *key, digest});
  }
  return weights;
}

uint64_t checksum(llvm::StringRef payload) {
  return llvm::xxh3_64bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(payload.data()), payload.size()));
}

} // namespace

LogicalResult writeStatistics(ModuleOp module, const CalibrationData &data,
                              llvm::StringRef path) {
  Writer payload;
  payload.put<int64_t>(data.sequences);
  payload.put<int64_t>(data.tokens);
  // Weights that share an input share an entry.
  std::map<const InputStats *, uint64_t> entries;
  std::vector<const InputStats *> order;
  std::vector<std::pair<NamedWeight, uint64_t>> weights;
  for (NamedWeight &weight : namedWeights(module)) {
    const InputStats *stats = data.find(weight.key);
    if (!stats)
      continue;
    auto [it, added] = entries.try_emplace(stats, order.size());
    if (added)
      order.push_back(stats);
    weights.emplace_back(std::move(weight), it->second);
  }
  payload.put<uint64_t>(order.size());
  for (const InputStats *stats : order) {
    InputStats::Parts parts = stats->parts();
    payload.put<int64_t>(parts.k);
    payload.put<int64_t>(parts.maxSamples);
    payload.put<int64_t>(parts.tokens);
    payload.put<int64_t>(parts.sampleRows);
    payload.put<float>(parts.max);
    payload.put(parts.gram);
    payload.put(parts.magnitude);
    payload.put(parts.samples);
  }
  payload.put<uint64_t>(weights.size());
  for (const auto &[weight, entry] : weights) {
    payload.put(llvm::StringRef(weight.name));
    payload.put<uint8_t>(weight.key.second);
    payload.put<uint64_t>(weight.digest);
    payload.put<uint64_t>(entry);
  }

  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return module.emitError("statistics: ") << error;
  Writer header;
  header.bytes.append(kMagic, sizeof(kMagic));
  header.put<uint32_t>(kVersion);
  header.put<uint32_t>(0);
  header.put<uint64_t>(payload.bytes.size());
  header.put<uint64_t>(checksum(payload.bytes));
  file->os() << header.bytes << payload.bytes;
  file->os().flush();
  if (file->os().has_error())
    return module.emitError("statistics: cannot write '") << path << "'";
  file->keep();
  return success();
}

FailureOr<std::shared_ptr<CalibrationData>>
readStatistics(ModuleOp module, llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &message) {
    return module.emitError("statistics '") << path << "': " << message;
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return fail("cannot read it: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < kHeaderBytes ||
      !bytes.starts_with(llvm::StringRef(kMagic, sizeof(kMagic))))
    return fail("not an llmc statistics file (llmc calibrate writes them)");
  Reader header(bytes.substr(sizeof(kMagic), kHeaderBytes - sizeof(kMagic)));
  uint32_t version = 0, reserved = 0;
  uint64_t size = 0, sum = 0;
  header.get(version);
  header.get(reserved);
  header.get(size);
  header.get(sum);
  if (version != kVersion)
    return fail("version " + llvm::Twine(version) + ", this llmc reads " +
                llvm::Twine(kVersion) + " (run llmc calibrate again)");
  llvm::StringRef payload = bytes.drop_front(kHeaderBytes);
  if (payload.size() != size)
    return fail("truncated: " + llvm::Twine(payload.size()) + " of " +
                llvm::Twine(size) + " payload bytes");
#ifndef LLMC_FUZZING // the fuzz build reaches the checks behind it
  if (checksum(payload) != sum)
    return fail("corrupt: its checksum does not match its contents");
#endif

  Reader in(payload);
  auto data = std::make_shared<CalibrationData>();
  uint64_t entryCount = 0;
  if (!in.get(data->sequences) || !in.get(data->tokens) || !in.get(entryCount))
    return fail("malformed");
  std::vector<std::shared_ptr<InputStats>> entries;
  for (uint64_t e = 0; e < entryCount; ++e) {
    InputStats::Parts parts;
    if (!in.get(parts.k) || !in.get(parts.maxSamples) ||
        !in.get(parts.tokens) || !in.get(parts.sampleRows) ||
        !in.get(parts.max) || parts.k < 1 || parts.k > (1 << 20) ||
        parts.tokens < 0 || parts.sampleRows < 0 ||
        parts.sampleRows > parts.maxSamples ||
        parts.sampleRows > (int64_t(1) << 40) ||
        !in.get(parts.gram, uint64_t(parts.k) * parts.k) ||
        !in.get(parts.magnitude, parts.k) ||
        !in.get(parts.samples, uint64_t(parts.sampleRows) * parts.k))
      return fail("malformed entry " + llvm::Twine(e));
    entries.push_back(std::make_shared<InputStats>(std::move(parts)));
  }
  uint64_t weightCount = 0;
  if (!in.get(weightCount))
    return fail("malformed");
  std::map<std::string, std::pair<uint64_t, uint64_t>> byName;
  for (uint64_t w = 0; w < weightCount; ++w) {
    std::string name;
    uint8_t transposed = 0;
    uint64_t digest = 0, entry = 0;
    if (!in.get(name) || !in.get(transposed) || !in.get(digest) ||
        !in.get(entry) || entry >= entries.size())
      return fail("malformed weight " + llvm::Twine(w));
    byName[name] = {digest, entry};
  }
  if (!in.done())
    return fail("malformed: bytes after its last weight");
  for (const NamedWeight &weight : namedWeights(module)) {
    auto found = byName.find(weight.name);
    if (found == byName.end())
      continue; // the pass says which layer has none, if it needs it
    if (found->second.first != weight.digest)
      return fail("its layer '" + weight.name +
                  "' has other weights than this model's (statistics of "
                  "another model?)");
    data->byWeight[weight.key] = entries[found->second.second];
  }
  if (data->byWeight.empty() && !byName.empty())
    return fail("none of its layers is one of this model's (statistics of "
                "another model?)");
  return data;
}

} // namespace llmc::quant
