//===- Artifact.cpp - writing and verifying .llmc files -------------------===//

#include "runtime/format/Artifact.h"

#include "runtime/format/artifact_generated.h"

#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llmc::runtime {

namespace {

// The header: fixed, little-endian, 64 bytes.
//   0  magic "\x89LLMC\r\n\x1a" (binary, catches text-mode mangling)
//   8  u32 format version        12  u32 header size (64)
//   16 u64 manifest offset       24  u64 manifest size
//   32 u64 manifest XXH3-64      40  u64 file size
//   48 16 bytes reserved, zero
constexpr char kMagic[8] = {'\x89', 'L', 'L', 'M', 'C', '\r', '\n', '\x1a'};
constexpr size_t kHeaderSize = 64;

struct Header {
  uint32_t version = 0, headerSize = 0;
  uint64_t manifestOffset = 0, manifestSize = 0, manifestHash = 0, fileSize = 0;
};

void put(uint8_t *at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    at[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t get(const uint8_t *at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= uint64_t(at[i]) << (8 * i);
  return value;
}

std::vector<uint8_t> encodeHeader(const Header &h) {
  std::vector<uint8_t> out(kHeaderSize, 0);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  put(&out[8], h.version, 4);
  put(&out[12], h.headerSize, 4);
  put(&out[16], h.manifestOffset, 8);
  put(&out[24], h.manifestSize, 8);
  put(&out[32], h.manifestHash, 8);
  put(&out[40], h.fileSize, 8);
  return out;
}

uint64_t alignUp(uint64_t value) {
  return (value + kArtifactAlignment - 1) / kArtifactAlignment *
         kArtifactAlignment;
}

std::string errnoText() { return std::strerror(errno); }

std::string corrupted(const std::string &section) {
  return "section '" + section + "' checksum mismatch: the file is corrupted";
}

/// Writes all of `size` bytes or fails.
Status writeAll(int fd, const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Status::error("write failed: " + errnoText());
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
  return Status::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

ArtifactWriter::ArtifactWriter(std::string producer, std::string target,
                               ModelInfo model)
    : producer_(std::move(producer)), target_(std::move(target)),
      model_(std::move(model)) {}

Status ArtifactWriter::addSection(std::string name, const void *data,
                                  size_t size) {
  if (name.empty())
    return Status::error("a section needs a name");
  for (const PendingSection &section : sections_)
    if (section.name == name)
      return Status::error("section '" + name + "' is added twice");
  sections_.push_back({std::move(name), data, size});
  return Status::success();
}

namespace {

flatbuffers::Offset<format::CacheLayout>
cacheLayout(flatbuffers::FlatBufferBuilder &fbb, const CacheInfo &cache) {
  flatbuffers::Offset<format::KvEviction> eviction;
  if (const KvEviction &e = cache.eviction; e.any())
    eviction = format::CreateKvEviction(
        fbb, fbb.CreateString(e.policy), e.window, e.sinks, e.ropePairs,
        e.rotaryDim, fbb.CreateVector(e.ropeCos), fbb.CreateVector(e.ropeSin));
  return format::CreateCacheLayout(fbb, fbb.CreateString(cache.layout),
                                   cache.layers, cache.kvHeads, cache.headDim,
                                   static_cast<format::DType>(cache.dtype),
                                   cache.slots, cache.blockTokens, eviction);
}

/// Success when `cache`'s eviction is one the runtime can carry out for
/// sequences of up to `maxSeq` tokens.
Status checkEviction(const CacheInfo &cache, int64_t maxSeq) {
  const KvEviction &e = cache.eviction;
  if (!e.any())
    return Status::success();
  if (e.policy != "window" && e.policy != "h2o")
    return Status::error("KV eviction policy '" + e.policy +
                         "' (this llmc knows window and h2o)");
  if (cache.blockTokens == 0)
    return Status::error("KV eviction without blocks");
  if (e.window < 1 || e.sinks < 0 || e.budget() > maxSeq)
    return Status::error("KV eviction keeping " + std::to_string(e.sinks) +
                         " sinks and a window of " + std::to_string(e.window) +
                         " in a cache of " + std::to_string(maxSeq) +
                         " positions");
  const size_t table = size_t(maxSeq) * size_t(e.rotaryDim / 2);
  if (e.rotaryDim < 2 || e.rotaryDim % 2 != 0 || e.rotaryDim > cache.headDim ||
      (e.ropePairs != 0 && e.ropePairs != 1) || e.ropeCos.size() != table ||
      e.ropeSin.size() != table)
    return Status::error("KV eviction's RoPE tables do not match " +
                         std::to_string(maxSeq) + " positions of " +
                         std::to_string(e.rotaryDim) + " rotated features");
  return Status::success();
}

/// `layout` read back; slots 0 (artifacts older than rings) means maxSeq.
CacheInfo cacheInfo(const format::CacheLayout &layout, int64_t maxSeq) {
  CacheInfo cache;
  if (layout.layout())
    cache.layout = layout.layout()->str();
  cache.layers = layout.layers();
  cache.kvHeads = layout.kv_heads();
  cache.headDim = layout.head_dim();
  cache.dtype = static_cast<int32_t>(layout.dtype());
  cache.slots = layout.slots() > 0 ? layout.slots() : maxSeq;
  cache.blockTokens = layout.block_tokens();
  if (const format::KvEviction *e = layout.eviction()) {
    KvEviction &eviction = cache.eviction;
    eviction.policy = e->policy() ? e->policy()->str() : "?";
    eviction.window = e->window();
    eviction.sinks = e->sinks();
    eviction.ropePairs = e->rope_pairs();
    eviction.rotaryDim = e->rotary_dim();
    if (e->rope_cos())
      eviction.ropeCos.assign(e->rope_cos()->begin(), e->rope_cos()->end());
    if (e->rope_sin())
      eviction.ropeSin.assign(e->rope_sin()->begin(), e->rope_sin()->end());
  }
  return cache;
}

} // namespace

Status ArtifactWriter::write(const std::string &path) const {
  // Lay the sections out after the header, then the manifest.
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<format::Section>> entries;
  std::vector<uint64_t> offsets;
  uint64_t end = kHeaderSize;
  for (const PendingSection &section : sections_) {
    uint64_t offset = alignUp(end);
    offsets.push_back(offset);
    uint64_t hash = XXH3_64bits(section.data, section.size);
    entries.push_back(format::CreateSection(fbb, fbb.CreateString(section.name),
                                            offset, section.size, hash));
    end = offset + section.size;
  }
  auto cache = cacheLayout(fbb, model_.cache);
  flatbuffers::Offset<format::Speculative> speculative;
  if (const SpeculativeInfo &info = model_.speculative; info.draftTokens > 0)
    speculative = format::CreateSpeculative(
        fbb, info.draftTokens, fbb.CreateString(info.source), info.ngram,
        info.draftVocabSize, info.draftMaxSeq,
        info.draftModel() ? cacheLayout(fbb, info.draftCache) : 0);
  std::vector<flatbuffers::Offset<format::CacheLayout>> stages;
  for (const CacheInfo &stage : model_.stageCaches)
    stages.push_back(cacheLayout(fbb, stage));
  auto model = format::CreateModelInfo(
      fbb, model_.vocabSize, model_.bosId, fbb.CreateVector(model_.eosIds),
      model_.maxSeq, model_.maxBatch, cache, speculative, model_.tp, model_.pp,
      stages.empty() ? 0 : fbb.CreateVector(stages));
  auto manifest = format::CreateManifest(
      fbb, fbb.CreateString(producer_), fbb.CreateString(target_), model,
      fbb.CreateVector(entries), dummyWeights_);
  format::FinishManifestBuffer(fbb, manifest);

  Header header;
  header.version = kArtifactFormatVersion;
  header.headerSize = kHeaderSize;
  header.manifestOffset = alignUp(end);
  header.manifestSize = fbb.GetSize();
  header.manifestHash = XXH3_64bits(fbb.GetBufferPointer(), fbb.GetSize());
  header.fileSize = header.manifestOffset + header.manifestSize;

  // The bytes go to an unnamed file in the artifact's folder (O_TMPFILE:
  // a process killed mid-write leaves nothing behind), given a temporary
  // name once complete and renamed into place. Where the file system has
  // no unnamed files, a named temporary file stands in.
  std::string temporary = path + ".partial-" + std::to_string(::getpid());
  size_t slash = path.rfind('/');
  std::string folder = slash == std::string::npos ? "."
                       : slash == 0               ? "/"
                                                  : path.substr(0, slash);
  bool unnamed = true;
  int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    unnamed = false;
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0644);
  }
  if (fd < 0)
    return Status::error("cannot write '" + path + "' (in folder '" + folder +
                         "'): " + errnoText());
  auto fail = [&](Status status) {
    ::close(fd);
    ::unlink(temporary.c_str());
    return status.withContext("writing '" + path + "'");
  };
  static const uint8_t zeros[kArtifactAlignment] = {};
  std::vector<uint8_t> head = encodeHeader(header);
  if (Status s = writeAll(fd, head.data(), head.size()); !s)
    return fail(s);
  uint64_t position = kHeaderSize;
  auto padTo = [&](uint64_t offset) {
    Status s = writeAll(fd, zeros, offset - position);
    position = offset;
    return s;
  };
  for (size_t i = 0; i < sections_.size(); ++i) {
    if (Status s = padTo(offsets[i]); !s)
      return fail(s);
    if (Status s = writeAll(fd, sections_[i].data, sections_[i].size); !s)
      return fail(s);
    position += sections_[i].size;
  }
  if (Status s = padTo(header.manifestOffset); !s)
    return fail(s);
  if (Status s = writeAll(fd, fbb.GetBufferPointer(), fbb.GetSize()); !s)
    return fail(s);
  if (::fsync(fd) != 0)
    return fail(Status::error("fsync failed: " + errnoText()));
  if (unnamed) {
    // Named straight as the artifact when none exists (atomic, and nothing
    // to clean up); an existing one is replaced through a temporary name.
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(),
                 AT_SYMLINK_FOLLOW) == 0) {
      if (::close(fd) != 0)
        return Status::error("writing '" + path +
                             "': close failed: " + errnoText());
      return Status::success();
    }
    if (errno != EEXIST)
      return fail(Status::error("cannot name the finished file '" + path +
                                "': " + errnoText()));
    ::unlink(temporary.c_str());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary.c_str(),
                 AT_SYMLINK_FOLLOW) != 0)
      return fail(Status::error("cannot name the finished file '" + temporary +
                                "': " + errnoText()));
  }
  if (::close(fd) != 0) {
    ::unlink(temporary.c_str());
    return Status::error("writing '" + path +
                         "': close failed: " + errnoText());
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    Status s = Status::error("cannot rename '" + temporary + "' to '" + path +
                             "': " + errnoText());
    ::unlink(temporary.c_str());
    return s;
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

struct Artifact::Mapping {
  const uint8_t *data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data)
      ::munmap(const_cast<uint8_t *>(data), size);
  }
};

namespace {

/// Bytes of memory the kernel could hand out now without swapping
/// (/proc/meminfo's MemAvailable), or 0 when unknown.
size_t availableMemory() {
  std::FILE *meminfo = std::fopen("/proc/meminfo", "r");
  if (!meminfo)
    return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof(line), meminfo))
    if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
      break;
  std::fclose(meminfo);
  return static_cast<size_t>(kib) * 1024;
}

/// Whether `size` bytes hash to `expected`. The fuzz build (LLMC_FUZZING,
/// test/fuzz/artifact.cpp) takes every checksum as matching, so that its inputs
/// reach the structure checks behind them.
bool checksumMatches(const void *bytes, size_t size, uint64_t expected) {
#ifdef LLMC_FUZZING
  (void)bytes, (void)size, (void)expected;
  return true;
#else
  return XXH3_64bits(bytes, size) == expected;
#endif
}

/// The file's `size` bytes in memory: read into anonymous memory with
/// transparent huge pages when it takes at most half of the memory
/// available, or else (too big, no memory for a copy, a read error) the
/// file mapped, which the kernel can page out. Decode streams every weight
/// each step; 2 MiB pages spare it a TLB miss every 4 KiB (about 5 %
/// faster int4 and int8 decode of llama-110m on a 2-core EPYC).
void *loadFile(int fd, size_t size) {
  void *memory = size <= availableMemory() / 2
                     ? ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                     : MAP_FAILED;
  if (memory != MAP_FAILED) {
    ::madvise(memory, size, MADV_HUGEPAGE); // advice: a refusal costs speed
    size_t done = 0;
    while (done < size) {
      ssize_t got = ::pread(fd, static_cast<uint8_t *>(memory) + done,
                            size - done, static_cast<off_t>(done));
      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      done += static_cast<size_t>(got);
    }
    if (done == size && ::mprotect(memory, size, PROT_READ) == 0)
      return memory;
    ::munmap(memory, size);
  }
  return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
}

} // namespace

Artifact::Artifact(Artifact &&) noexcept = default;
Artifact &Artifact::operator=(Artifact &&) noexcept = default;
Artifact::~Artifact() = default;

Expected<Artifact> Artifact::open(const std::string &path,
                                  SectionChecks checks) {
  auto error = [&](const std::string &message) {
    return Status::error(path + ": " + message);
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return error("cannot open: " + errnoText());
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return error("cannot stat: " + errnoText());
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return error("not a regular file");
  }
  size_t size = static_cast<size_t>(info.st_size);
  if (size < kHeaderSize) {
    ::close(fd);
    return error("is " + std::to_string(size) +
                 " bytes, shorter than the 64-byte header: truncated, or not "
                 "an llmc artifact");
  }
  // The magic before reading everything: a foreign file is refused at once.
  uint8_t magic[sizeof(kMagic)];
  if (::pread(fd, magic, sizeof(magic), 0) != ssize_t(sizeof(magic)) ||
      std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    ::close(fd);
    return error("not an llmc artifact (bad magic)");
  }
  void *mapped = loadFile(fd, size);
  ::close(fd);
  if (mapped == MAP_FAILED)
    return error("cannot read or map: " + errnoText());
  Artifact artifact;
  artifact.mapping_ = std::make_unique<Mapping>();
  artifact.mapping_->data = static_cast<const uint8_t *>(mapped);
  artifact.mapping_->size = size;
  const uint8_t *bytes = artifact.mapping_->data;

  Header h;
  h.version = static_cast<uint32_t>(get(bytes + 8, 4));
  h.headerSize = static_cast<uint32_t>(get(bytes + 12, 4));
  h.manifestOffset = get(bytes + 16, 8);
  h.manifestSize = get(bytes + 24, 8);
  h.manifestHash = get(bytes + 32, 8);
  h.fileSize = get(bytes + 40, 8);
  if (h.version == 0)
    return error("format version 0 is invalid");
  if (h.version > kArtifactFormatVersion)
    return error("format version " + std::to_string(h.version) +
                 " is newer than this llmc reads (" +
                 std::to_string(kArtifactFormatVersion) +
                 "): update llmc or recompile the model");
  if (h.headerSize != kHeaderSize)
    return error("header size " + std::to_string(h.headerSize) + " is not 64");
  if (h.fileSize != size)
    return error("truncated or extended: the header says " +
                 std::to_string(h.fileSize) + " bytes, the file has " +
                 std::to_string(size));
  if (h.manifestOffset < kHeaderSize || h.manifestOffset > size ||
      h.manifestSize > size - h.manifestOffset)
    return error("manifest range [" + std::to_string(h.manifestOffset) + ", +" +
                 std::to_string(h.manifestSize) + ") lies outside the file");
  const uint8_t *manifestBytes = bytes + h.manifestOffset;
  if (!checksumMatches(manifestBytes, h.manifestSize, h.manifestHash))
    return error("manifest checksum mismatch: the file is corrupted");
  flatbuffers::Verifier verifier(manifestBytes, h.manifestSize);
  if (!format::VerifyManifestBuffer(verifier))
    return error("the manifest is not a valid llmc manifest");
  const format::Manifest *manifest = format::GetManifest(manifestBytes);

  artifact.formatVersion_ = h.version;
  artifact.path_ = path;
  artifact.producer_ = manifest->producer()->str();
  artifact.target_ = manifest->target()->str();
  artifact.dummyWeights_ = manifest->dummy_weights();
  if (const format::ModelInfo *model = manifest->model()) {
    artifact.model_.vocabSize = model->vocab_size();
    artifact.model_.bosId = model->bos_id();
    if (model->eos_ids())
      artifact.model_.eosIds.assign(model->eos_ids()->begin(),
                                    model->eos_ids()->end());
    artifact.model_.maxSeq = model->max_seq();
    artifact.model_.maxBatch = model->max_batch();
    artifact.model_.tp = model->tp();
    artifact.model_.pp = model->pp();
    if (artifact.model_.tp < 1 || artifact.model_.pp < 1)
      return error("tensor-parallel ranks " +
                   std::to_string(artifact.model_.tp) + " and stages " +
                   std::to_string(artifact.model_.pp) + " (at least 1 each)");
    const size_t stageCaches =
        model->stage_caches() ? model->stage_caches()->size() : 0;
    if (artifact.model_.pp > 1 &&
        stageCaches != static_cast<size_t>(artifact.model_.pp))
      return error(std::to_string(artifact.model_.pp) +
                   " pipeline stages with " + std::to_string(stageCaches) +
                   " KV caches");
    for (size_t s = 0; s < stageCaches; ++s) {
      artifact.model_.stageCaches.push_back(
          cacheInfo(*model->stage_caches()->Get(s), artifact.model_.maxSeq));
      if (artifact.model_.stageCaches.back().slots > artifact.model_.maxSeq)
        return error("stage " + std::to_string(s) + "'s KV cache exceeds " +
                     "max_seq " + std::to_string(artifact.model_.maxSeq));
    }
    if (const format::CacheLayout *cache = model->cache()) {
      artifact.model_.cache = cacheInfo(*cache, artifact.model_.maxSeq);
      if (artifact.model_.cache.slots > artifact.model_.maxSeq)
        return error(
            "the KV cache's " + std::to_string(artifact.model_.cache.slots) +
            " slots exceed max_seq " + std::to_string(artifact.model_.maxSeq));
      const int64_t block = artifact.model_.cache.blockTokens;
      if (block < 0 || block > artifact.model_.maxSeq ||
          (block & (block - 1)) != 0)
        return error("KV cache blocks of " + std::to_string(block) +
                     " tokens: a power of two up to max_seq " +
                     std::to_string(artifact.model_.maxSeq) + " (or 0)");
      if (block == 0 && artifact.model_.cache.quantized())
        return error("an int8 or fp8 KV cache without blocks (its scales "
                     "live in a paged cache's blocks)");
      if (block > 0 && artifact.model_.ranks() > 1)
        return error("a paged KV cache over " +
                     std::to_string(artifact.model_.ranks()) + " ranks");
      if (Status status =
              checkEviction(artifact.model_.cache, artifact.model_.maxSeq);
          !status)
        return error(status.message());
    }
    if (const format::Speculative *speculative = model->speculative()) {
      SpeculativeInfo &info = artifact.model_.speculative;
      info.draftTokens = speculative->draft_tokens();
      info.ngram = speculative->ngram();
      if (speculative->source())
        info.source = speculative->source()->str();
      info.draftVocabSize = speculative->draft_vocab_size();
      info.draftMaxSeq = speculative->draft_max_seq();
      if (const format::CacheLayout *cache = speculative->draft_cache())
        info.draftCache = cacheInfo(*cache, info.draftMaxSeq);
      if (info.draftModel() != (speculative->draft_cache() != nullptr) ||
          info.draftCache.slots > info.draftMaxSeq)
        return error("the draft model's KV cache does not match its " +
                     std::to_string(info.draftMaxSeq) + " positions");
      if (info.draftTokens < 1 || info.ngram < 0 ||
          (info.ngram == 0) == (speculative->draft_vocab_size() == 0))
        return error("speculative decoding with " +
                     std::to_string(info.draftTokens) + " draft tokens and " +
                     "n-gram " + std::to_string(info.ngram) +
                     " is not a valid draft");
    }
  }
  if (manifest->sections())
    for (const format::Section *section : *manifest->sections()) {
      std::string name = section->name()->str();
      uint64_t offset = section->offset(), length = section->size();
      if (offset % kArtifactAlignment != 0)
        return error("section '" + name + "' at offset " +
                     std::to_string(offset) + " is not 64-byte aligned");
      if (offset < kHeaderSize || offset > h.manifestOffset ||
          length > h.manifestOffset - offset)
        return error("section '" + name + "' [" + std::to_string(offset) +
                     ", +" + std::to_string(length) +
                     ") lies outside the data area");
      if (checks == SectionChecks::atOpen &&
          !checksumMatches(bytes + offset, length, section->xxh3()))
        return error(corrupted(name));
      for (const std::string &seen : artifact.names_)
        if (seen == name)
          return error("section '" + name + "' appears twice");
      artifact.names_.push_back(name);
      artifact.sections_.push_back({bytes + offset, length});
      artifact.hashes_.push_back(section->xxh3());
      artifact.unchecked_.push_back(checks == SectionChecks::onFirstRead);
    }
  return artifact;
}

Expected<Bytes> Artifact::section(const std::string &name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) {
      if (unchecked_[i]) {
        if (!checksumMatches(sections_[i].data, sections_[i].size, hashes_[i]))
          return Status::error(path_ + ": " + corrupted(name));
        unchecked_[i] = false;
      }
      return sections_[i];
    }
  return Status::error("the artifact has no section '" + name + "'");
}

} // namespace llmc::runtime
