//===- Session.cpp - a loaded model and sequences running through it ------===//

#include "runtime/generate/Session.h"

#include "runtime/cpu/CpuDevice.h"
#include "runtime/cpu/StagedDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/format/Float16.h"
#include "runtime/parallel/Communicator.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

namespace llmc::runtime {

Expected<std::unique_ptr<Model>> Model::load(const std::string &path,
                                             unsigned threads, bool staged,
                                             RankPlace place) {
  const int64_t rank = place.rank, ranks = place.ranks;
  // A rank of a sharded run reads, and so checks, only its own sections.
  Expected<Artifact> artifact = Artifact::open(
      path, ranks > 1 ? SectionChecks::onFirstRead : SectionChecks::atOpen);
  if (!artifact)
    return artifact.status();
  // Before any work: the ranks must be the artifact's.
  const ModelInfo &compiled = artifact->model();
  const int64_t tp = compiled.tp, pp = compiled.pp, world = compiled.ranks();
  if (world != ranks) {
    std::string plural = tp == 1 ? "" : "s";
    std::string layout =
        pp == 1 ? std::to_string(tp) + " tensor-parallel rank" + plural
                : std::to_string(tp) + " tensor-parallel rank" + plural +
                      " x " + std::to_string(pp) + " pipeline stages (" +
                      std::to_string(world) + " ranks)";
    return Status::error(
        path + " is compiled for " + layout + ", but this run has " +
        std::to_string(ranks) +
        (world == 1 ? ": run it without mpirun"
                    : ": start it with mpirun -np " + std::to_string(world)));
  }
  if (rank < 0 || rank >= world)
    return Status::error(path + ": no rank " + std::to_string(rank) +
                         " among its " + std::to_string(world));
  Expected<Target> target = parseTarget(artifact->target());
  if (!target)
    return target.status().withContext(path);
  std::unique_ptr<Device> device;
  if (staged && target->kind != Target::Kind::cpu)
    return Status::error(path +
                         ": the cpu-staged device runs cpu artifacts, "
                         "not " +
                         target->str());
  if (staged) {
    device = std::make_unique<StagedDevice>();
  } else if (target->kind == Target::Kind::cuda) {
    Expected<std::unique_ptr<Device>> gpu =
        openCudaDevice(*target, *artifact, place.local, place.localRanks);
    if (!gpu)
      return gpu.status().withContext(path);
    device = std::move(*gpu);
  } else {
    device = std::make_unique<CpuDevice>();
  }
  ModelInfo own = compiled;
  if (pp > 1)
    own.cache = compiled.stageCaches[compiled.stageOf(rank)];
  const CacheInfo &cache = own.cache;
  // The CPU kernel reads f32, and a paged cache's f16, bf16, int8 and
  // fp8 too; the CUDA kernels read the compute type.
  bool halfCache = cache.dtype == static_cast<int32_t>(DType::f16) ||
                   cache.dtype == static_cast<int32_t>(DType::bf16);
  bool cpu = target->kind == Target::Kind::cpu;
  if (cache.layers > 0 && cache.dtype != static_cast<int32_t>(DType::f32) &&
      !(halfCache && !cpu) &&
      !(cpu && cache.paged() && (halfCache || cache.quantized())))
    return Status::error(
        path + ": a KV cache of " +
        (cache.dtype >= 0 && cache.dtype <= static_cast<int32_t>(DType::f8e4m3)
             ? std::string(dtypeName(static_cast<DType>(cache.dtype)))
             : "element type " + std::to_string(cache.dtype)) +
        " is not supported on " + target->str());
  auto shared = std::make_shared<const Artifact>(std::move(*artifact));
  std::shared_ptr<Device> sharedDevice = std::move(device);
  Expected<Program> program =
      Program::load(*shared, *sharedDevice, ModelInfo::planSection(rank));
  if (!program)
    return program.status().withContext(path);
  auto pool = std::make_shared<ThreadPool>(threads);
  std::unique_ptr<Model> model(
      new Model(shared, sharedDevice, std::move(*program), own, pool));
  model->rank_ = rank;
  const SpeculativeInfo &speculative = shared->model().speculative;
  if (speculative.draftModel()) {
    Expected<Program> draft =
        Program::load(*shared, *sharedDevice, "draft plan");
    if (!draft)
      return draft.status().withContext(path + ": the draft model");
    // The draft's own cache and positions; its @verify takes as many
    // tokens as the target's.
    ModelInfo info = shared->model();
    info.vocabSize = speculative.draftVocabSize;
    info.maxSeq = speculative.draftMaxSeq;
    info.cache = speculative.draftCache;
    info.speculative = {speculative.draftTokens, speculative.source, 0};
    model->draft_.reset(
        new Model(shared, sharedDevice, std::move(*draft), info, pool));
  }
  return model;
}

uint64_t Model::weightBytes() const {
  uint64_t total = program_.dummyWeightBytes();
  for (const std::string &name : program_.weightSections())
    if (Expected<Bytes> bytes = artifact_->section(name))
      total += bytes->size;
  return total;
}

Status Model::checkGenerative() const {
  if (program_.entry("prefill") && program_.entry("decode") &&
      info().cache.layers > 0)
    return Status::success();
  return Status::error("this artifact has no KV cache (the compiler found no "
                       "attention in the model): `llmc-run ... run` executes "
                       "its @main");
}

Status Model::checkSpeculative() const {
  // A paged cache's @decode takes a position per sequence: it verifies.
  if ((program_.entry("verify") || info().cache.paged()) &&
      info().speculative.draftTokens > 0)
    return Status::success();
  return Status::error("this artifact has no draft for speculative decoding "
                       "(compile it with llmc compile --draft ...)");
}

Model::Model(std::shared_ptr<const Artifact> artifact,
             std::shared_ptr<Device> device, Program program, ModelInfo info,
             std::shared_ptr<ThreadPool> pool)
    : artifact_(std::move(artifact)), device_(std::move(device)),
      program_(std::move(program)), info_(std::move(info)),
      pool_(std::move(pool)), executor_(program_, *device_, *pool_) {}

Expected<std::unique_ptr<Session>> Session::create(Model &model, int64_t batch,
                                                   SessionOptions options) {
  std::unique_ptr<Session> session(new Session(model, batch));
  const ModelInfo &info = model.info();
  if (batch < 1)
    return Status::error("a session of " + std::to_string(batch) +
                         " sequences");
  if (options.kvMemory && !info.cache.paged())
    return Status::error("--kv-memory sizes a paged KV cache's pool; this "
                         "artifact's cache is contiguous (compile with "
                         "--kv-layout paged)");
  if (info.cache.paged()) {
    const CacheInfo &cache = info.cache;
    const uint64_t blockBytes = uint64_t(elementCount(cache.blockShape())) *
                                dtypeBytes(static_cast<DType>(cache.dtype));
    const int64_t perSequence =
        (info.maxSeq + cache.blockTokens - 1) / cache.blockTokens;
    const uint64_t budget = options.kvMemory
                                ? options.kvMemory
                                : uint64_t(batch * perSequence) * blockBytes;
    // Prefix chains start from the model: its plan's hash.
    Expected<Bytes> plan =
        model.artifact().section(ModelInfo::planSection(model.rank()));
    if (!plan)
      return plan.status();
    session->blocksModel_ = XXH3_64bits(plan->data, plan->size);
    Expected<std::unique_ptr<KvBlocks>> blocks =
        KvBlocks::create(budget, blockBytes, cache.blockTokens, info.maxSeq,
                         session->blocksModel_);
    if (!blocks)
      return blocks.status().withContext("--kv-memory");
    session->blocks_ = std::move(*blocks);
    if (cache.eviction.any())
      session->compaction_ = std::make_unique<KvCompaction>(cache);
    session->rows_.assign(size_t(batch), -1);
    session->cacheBytes_ = session->blocks_->memory().reservedBytes();
    Part part;
    part.batch = batch;
    session->parts_.push_back(std::move(part));
  }
  // Pipeline stages: up to one micro-batch per stage, each with its own
  // cache, so that the stages work on different ones at once.
  const int64_t parts =
      info.pp > 1 ? std::clamp<int64_t>(batch, 1, info.pp) : 1;
  for (int64_t m = 0, first = 0; m < parts && !info.cache.paged(); ++m) {
    const int64_t size = batch / parts + (m < batch % parts ? 1 : 0);
    Part part;
    part.first = first;
    part.batch = size;
    part.cacheOffset = session->cacheBytes_;
    session->parts_.push_back(std::move(part));
    first += size;
    session->cacheBytes_ +=
        static_cast<uint64_t>(elementCount(info.cacheShape(size)) *
                              dtypeBytes(static_cast<DType>(info.cache.dtype)));
  }
  Expected<Device::Memory> cache =
      model.device().allocate(session->cacheBytes_);
  if (!cache)
    return cache.status().withContext("the KV cache");
  session->cache_ = *cache;
  if (Status status =
          model.device().fill(session->cache_.get(), 0, session->cacheBytes_);
      !status)
    return status.withContext("the KV cache");
  return session;
}

Tensor Session::cacheTensor(const Part &part) {
  const ModelInfo &info = model_.info();
  if (blocks_) {
    std::vector<int64_t> pool = info.cache.blockShape();
    pool[0] = blocks_->pool().size();
    return {static_cast<DType>(info.cache.dtype), pool,
            static_cast<uint8_t *>(cache_.get())};
  }
  return {static_cast<DType>(info.cache.dtype), info.cacheShape(part.batch),
          static_cast<uint8_t *>(cache_.get()) + part.cacheOffset};
}

Expected<Tensor> Session::logits(const Tensor &result) {
  Expected<Tensor> host = model_.executor().hostView(result, logits_);
  if (!host || host->dtype == DType::f32)
    return host;
  // f16/bf16 logits (a CUDA artifact) become f32 for sampling.
  const uint16_t *bits = host->as<uint16_t>();
  logitsF32_.resize(static_cast<size_t>(host->elements()));
  for (size_t i = 0; i < logitsF32_.size(); ++i)
    logitsF32_[i] = host->dtype == DType::f16
                        ? format::halfToFloat(bits[i])
                        : format::bfloat16ToFloat(bits[i]);
  return Tensor{DType::f32, host->shape,
                reinterpret_cast<uint8_t *>(logitsF32_.data())};
}

int64_t Session::tokens(int64_t row) const {
  if (!blocks_)
    return parts_.front().position;
  return rows_[size_t(row)] < 0 ? 0 : blocks_->tokens(rows_[size_t(row)]);
}

void Session::reset() {
  for (Part &part : parts_)
    part.position = 0;
  if (blocks_)
    for (int64_t row = 0; row < batch_; ++row)
      endRow(row);
}

Status Session::checkRoom(size_t ids) const {
  if (ids == 0 || ids % batch_ != 0)
    return Status::error("expected a whole number of tokens per sequence");
  int64_t tokens = static_cast<int64_t>(ids) / batch_;
  if (position() + tokens > model_.info().maxSeq)
    return roomError(position() + tokens);
  return Status::success();
}

Status Session::roomError(int64_t end) const {
  return Status::error(
      std::to_string(end) + " tokens exceed the artifact's max_seq of " +
      std::to_string(model_.info().maxSeq) +
      " (compile with a larger --max-seq, up to the model's context)");
}

Expected<Tensor> Session::verify(const std::vector<int64_t> &ids,
                                 const std::vector<int64_t> &positions) {
  if (Status status = model_.checkSpeculative(); !status)
    return status;
  if (positions.size() != static_cast<size_t>(batch_) || ids.empty() ||
      ids.size() % batch_ != 0)
    return Status::error("verify takes the same number of tokens and one "
                         "position for each of the " +
                         std::to_string(batch_) + " sequences");
  int64_t tokens = static_cast<int64_t>(ids.size()) / batch_;
  int64_t most = model_.info().speculative.draftTokens + 1;
  if (tokens > most)
    return Status::error(std::to_string(tokens) +
                         " tokens per sequence exceed the " +
                         std::to_string(most) +
                         " a verify call takes (the artifact's draft tokens "
                         "+ 1)");
  for (int64_t position : positions) {
    if (position < 0)
      return Status::error("negative position " + std::to_string(position));
    if (position + tokens > model_.info().maxSeq)
      return roomError(position + tokens);
  }
  if (parts_.size() != 1)
    return Status::error("speculative decoding runs on one pipeline stage");
  if (blocks_) {
    std::vector<int64_t> rows;
    for (int64_t b = 0; b < batch_; ++b) {
      // A sequence not started yet (a prompt of one token) holds none.
      const int64_t held = rowRunning(b) ? this->tokens(b) : 0;
      if (positions[size_t(b)] > held)
        return Status::error(
            "verify at position " + std::to_string(positions[size_t(b)]) +
            " of sequence " + std::to_string(b) + ", which holds " +
            std::to_string(held) + " tokens");
      if (rowRunning(b))
        if (Status status = truncateRow(b, positions[size_t(b)]); !status)
          return status;
      rows.push_back(b);
    }
    return appendRows(rows, ids);
  }
  Tensor input{DType::i64,
               {batch_, tokens},
               reinterpret_cast<uint8_t *>(const_cast<int64_t *>(ids.data()))};
  Tensor at{
      DType::i64,
      {batch_},
      reinterpret_cast<uint8_t *>(const_cast<int64_t *>(positions.data()))};
  Expected<std::vector<Tensor>> results =
      model_.executor().run("verify", {input, cacheTensor(parts_.front()), at});
  if (!results)
    return results.status();
  return logits(results->front());
}

Expected<Tensor> Session::runPrefill(const std::vector<int64_t> &ids) {
  if (blocks_) {
    if (ids.empty() || ids.size() % batch_ != 0)
      return Status::error("expected a whole number of tokens per sequence");
    const size_t per = ids.size() / size_t(batch_);
    std::vector<std::vector<int64_t>> prompts;
    for (size_t b = 0; b < size_t(batch_); ++b)
      prompts.emplace_back(ids.begin() + b * per, ids.begin() + (b + 1) * per);
    return runPrefillEach(prompts);
  }
  reset();
  if (Status status = checkRoom(ids.size()); !status)
    return status;
  return runAll(ids, true);
}

Expected<Tensor> Session::runDecode(const std::vector<int64_t> &ids) {
  if (blocks_) {
    std::vector<int64_t> rows(static_cast<size_t>(batch_));
    for (int64_t b = 0; b < batch_; ++b)
      rows[size_t(b)] = b;
    if (compaction_ && !ids.empty() && ids.size() % size_t(batch_) == 0 &&
        int64_t(ids.size()) / batch_ > compaction_->mostPerCall())
      return runPagedPieces(rows, ids);
    return runPaged(rows, ids, false);
  }
  if (Status status = checkRoom(ids.size()); !status)
    return status;
  return runAll(ids, false);
}

Expected<Tensor> Session::lastLogits(Expected<Tensor> result) {
  if (!result)
    return result.status();
  Expected<Tensor> last = logits(*result);
  if (!last)
    return last.status();
  last->shape = {batch_, last->shape.back()};
  return last;
}

Expected<Tensor> Session::prefill(const std::vector<int64_t> &ids) {
  return lastLogits(runPrefill(ids));
}

Expected<Tensor> Session::decode(const std::vector<int64_t> &ids) {
  Expected<Tensor> result = runDecode(ids);
  if (!result)
    return result.status();
  return logits(*result);
}

Expected<std::vector<int64_t>>
Session::sampleLast(const Tensor &result, int64_t batch, Sampler &sampler) {
  const int64_t vocab = result.shape.back();
  const int64_t perSequence = result.elements() / vocab / batch;
  std::vector<int64_t> next;
  // On the device, where the logits are there (a pipeline's are in host
  // memory already: partLogits).
  if (CandidateQuery query = sampler.candidateQuery();
      query.any() && model_.device().owns(result.data)) {
    Expected<std::optional<Device::Candidates>> found =
        model_.device().candidates(result, query);
    if (!found)
      return found.status();
    if (*found) {
      const Device::Candidates &c = **found;
      for (int64_t b = 0; b < batch; ++b) {
        size_t row = static_cast<size_t>((b + 1) * perSequence - 1);
        size_t first = c.offsets[row], count = c.offsets[row + 1] - first;
        next.push_back(sampler.sampleCandidates(
            c.logits.data() + first, c.ids.data() + first, count, c.rest[row]));
      }
      return next;
    }
  }
  Expected<Tensor> host = logits(result);
  if (!host)
    return host.status();
  for (int64_t b = 0; b < batch; ++b)
    next.push_back(
        sampler.sample(host->as<float>() + ((b + 1) * perSequence - 1) * vocab,
                       static_cast<size_t>(vocab)));
  return next;
}

} // namespace llmc::runtime
