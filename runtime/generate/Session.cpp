//===- Session.cpp - a loaded model and sequences running through it ------===//

#include "runtime/generate/Session.h"

#include "runtime/cuda/TargetDevice.h"

namespace llmc::runtime {

Expected<std::unique_ptr<Model>> Model::load(const std::string &path,
                                             unsigned threads) {
  Expected<Artifact> artifact = Artifact::open(path);
  if (!artifact)
    return artifact.status();
  Expected<Target> target = parseTarget(artifact->target());
  if (!target)
    return target.status().withContext(path);
  if (target->kind == Target::Kind::cuda) {
    Expected<int> device = selectCudaDevice(*target);
    if (!device)
      return device.status().withContext(path);
    return Status::error(path + ": the artifact targets " + target->str() +
                         "; this llmc-run executes cpu artifacts only (its "
                         "CUDA executor is not written yet)");
  }
  if (artifact->model().cache.layers > 0 &&
      artifact->model().cache.dtype != static_cast<int32_t>(DType::f32))
    return Status::error(path + ": only an f32 KV cache is supported");
  Expected<Program> program = Program::load(*artifact);
  if (!program)
    return program.status().withContext(path);
  return std::unique_ptr<Model>(
      new Model(std::move(*artifact), std::move(*program), threads));
}

uint64_t Model::weightBytes() const {
  uint64_t total = 0;
  for (const std::string &name : artifact_.sectionNames())
    if (name.rfind("weight ", 0) == 0)
      if (Expected<Bytes> bytes = artifact_.section(name))
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

Model::Model(Artifact artifact, Program program, unsigned threads)
    : artifact_(std::move(artifact)), program_(std::move(program)),
      pool_(threads), executor_(program_, pool_) {}

Session::Session(Model &model, int64_t batch) : model_(model), batch_(batch) {
  const ModelInfo &info = model.info();
  cache_.assign(static_cast<size_t>(info.cache.layers * 2 * batch *
                                    info.cache.kvHeads * info.maxSeq *
                                    info.cache.headDim),
                0.0f);
}

Tensor Session::cacheTensor() {
  const ModelInfo &info = model_.info();
  return {DType::f32,
          {info.cache.layers, 2, batch_, info.cache.kvHeads, info.maxSeq,
           info.cache.headDim},
          reinterpret_cast<uint8_t *>(cache_.data())};
}

Status Session::checkRoom(size_t ids) const {
  if (ids == 0 || ids % batch_ != 0)
    return Status::error("expected a whole number of tokens per sequence");
  int64_t tokens = static_cast<int64_t>(ids) / batch_;
  if (position_ + tokens > model_.info().maxSeq)
    return Status::error(
        std::to_string(position_ + tokens) +
        " tokens exceed the artifact's max_seq of " +
        std::to_string(model_.info().maxSeq) +
        " (compile with a larger --max-seq, up to the model's context)");
  return Status::success();
}

Expected<Tensor> Session::prefill(const std::vector<int64_t> &ids) {
  position_ = 0;
  if (Status status = checkRoom(ids.size()); !status)
    return status;
  int64_t tokens = static_cast<int64_t>(ids.size()) / batch_;
  Tensor input{DType::i64,
               {batch_, tokens},
               reinterpret_cast<uint8_t *>(const_cast<int64_t *>(ids.data()))};
  Expected<std::vector<Tensor>> results =
      model_.executor().run("prefill", {input, cacheTensor()});
  if (!results)
    return results.status();
  position_ = tokens;
  Tensor logits = results->front();
  logits.shape = {batch_, logits.shape.back()};
  return logits;
}

Expected<Tensor> Session::decode(const std::vector<int64_t> &ids) {
  if (Status status = checkRoom(ids.size()); !status)
    return status;
  int64_t tokens = static_cast<int64_t>(ids.size()) / batch_;
  int64_t position = position_;
  Tensor input{DType::i64,
               {batch_, tokens},
               reinterpret_cast<uint8_t *>(const_cast<int64_t *>(ids.data()))};
  Tensor at{DType::i64, {}, reinterpret_cast<uint8_t *>(&position)};
  Expected<std::vector<Tensor>> results =
      model_.executor().run("decode", {input, cacheTensor(), at});
  if (!results)
    return results.status();
  position_ += tokens;
  return results->front();
}

} // namespace llmc::runtime
