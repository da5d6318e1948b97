//===- MicroBatches.cpp - a session's batch as micro-batches --------------===//
//
// Without pipeline stages a session's batch is one micro-batch. With P
// stages it is up to P of them, each with its own cache and position, so
// that the stages work on different ones at once (docs/parallel.md). A
// micro-batch's call starts on every rank (startPart: this rank's stage
// runs its layers, receiving the hidden state from the stage before and
// sending it to the one after) and ends when its logits are known
// (partLogits: the last stage has them and sends them back; the other
// stages receive them). generate() keeps them in flight across steps.
//
//===----------------------------------------------------------------------===//

#include "runtime/generate/Session.h"

#include "runtime/parallel/Communicator.h"

#include <algorithm>
#include <cstring>

namespace llmc::runtime {

std::vector<int64_t> Session::partIds(int64_t m,
                                      const std::vector<int64_t> &all,
                                      int64_t per) const {
  const Part &part = parts_[m];
  return std::vector<int64_t>(all.begin() + part.first * per,
                              all.begin() + (part.first + part.batch) * per);
}

Status Session::startPart(int64_t m, const std::vector<int64_t> &ids,
                          bool prefill, bool wanted) {
  Part &part = parts_[m];
  if (part.running)
    return Status::error("micro-batch " + std::to_string(m) +
                         " is still running");
  if (ids.empty() || ids.size() % part.batch != 0)
    return Status::error("expected a whole number of tokens per sequence");
  const int64_t tokens = static_cast<int64_t>(ids.size()) / part.batch;
  if (prefill)
    part.position = 0;
  if (part.position + tokens > model_.info().maxSeq)
    return roomError(part.position + tokens);
  const ModelInfo &info = model_.info();
  const RankLinks *links = model_.executor().links();
  if (info.pp > 1 && (!links || !links->host))
    return Status::error("a pipeline stage runs with its other stages: "
                         "start it with mpirun -np " +
                         std::to_string(info.ranks()));
  // The last stage's logits of this micro-batch's previous call may still
  // be on their way: its buffer is reused below.
  for (int64_t ticket : part.sends)
    if (Status status = links->host->wait(ticket); !status)
      return status;
  part.sends.clear();

  std::vector<Tensor> inputs{
      {DType::i64,
       {part.batch, tokens},
       reinterpret_cast<uint8_t *>(const_cast<int64_t *>(ids.data()))},
      cacheTensor(part)};
  int64_t position = part.position;
  if (!prefill)
    inputs.push_back({DType::i64, {}, reinterpret_cast<uint8_t *>(&position)});
  Expected<std::vector<Tensor>> results =
      model_.executor().run(prefill ? "prefill" : "decode", inputs);
  if (!results)
    return results.status();
  part.position += tokens;
  if (!wanted)
    return Status::success();
  part.logitsTokens = prefill ? 1 : tokens;
  part.running = true;
  if (info.pp == 1) {
    part.result = results->front();
    return Status::success();
  }
  if (!info.lastStage(model_.rank()))
    return Status::success();
  Expected<Tensor> host = logits(results->front());
  if (!host)
    return host.status();
  if (host->elements() != part.batch * part.logitsTokens * info.vocabSize)
    return Status::error(
        "the last stage's logits are " + shapeString(host->shape) + ", not " +
        std::to_string(part.logitsTokens) + " rows per sequence");
  part.logits.resize(static_cast<size_t>(host->elements()));
  std::memcpy(part.logits.data(), host->data, size_t(host->bytes()));
  // Rank t of each other stage gets them from rank t of this one (the
  // logits are the same on each of a stage's tensor-parallel ranks).
  const int64_t t = model_.rank() % info.tp;
  for (int64_t stage = 0; stage + 1 < info.pp; ++stage) {
    Expected<int64_t> ticket = links->host->startSend(
        part.logits.data(), uint64_t(host->bytes()), stage * info.tp + t);
    if (!ticket)
      return ticket.status();
    part.sends.push_back(*ticket);
  }
  return Status::success();
}

Expected<Tensor> Session::partLogits(int64_t m) {
  Part &part = parts_[m];
  if (!part.running)
    return Status::error("micro-batch " + std::to_string(m) +
                         " has no call running");
  part.running = false;
  const ModelInfo &info = model_.info();
  if (info.pp == 1)
    return part.result;
  Tensor shared{
      DType::f32, {part.batch, part.logitsTokens, info.vocabSize}, nullptr};
  if (!info.lastStage(model_.rank())) {
    part.logits.resize(static_cast<size_t>(shared.elements()));
    const int64_t t = model_.rank() % info.tp;
    if (Status status = model_.executor().links()->host->recv(
            part.logits.data(), uint64_t(shared.bytes()),
            (info.pp - 1) * info.tp + t);
        !status)
      return status;
  }
  shared.data = reinterpret_cast<uint8_t *>(part.logits.data());
  return shared;
}

Expected<Tensor> Session::runAll(const std::vector<int64_t> &ids,
                                 bool prefill) {
  const int64_t tokens = static_cast<int64_t>(ids.size()) / batch_;
  for (size_t m = 0; m < parts_.size(); ++m)
    if (Status status = startPart(int64_t(m), partIds(m, ids, tokens), prefill);
        !status)
      return status;
  if (parts_.size() == 1) {
    Expected<Tensor> logits = partLogits(0);
    if (Status status = finishSends(); !status)
      return status;
    return logits;
  }
  const int64_t rows = prefill ? 1 : tokens, vocab = model_.info().vocabSize;
  joined_.resize(static_cast<size_t>(batch_ * rows * vocab));
  for (size_t m = 0; m < parts_.size(); ++m) {
    Expected<Tensor> part = partLogits(int64_t(m));
    if (!part)
      return part.status();
    std::memcpy(joined_.data() + parts_[m].first * rows * vocab, part->data,
                size_t(part->bytes()));
  }
  if (Status status = finishSends(); !status)
    return status;
  return Tensor{DType::f32,
                {batch_, rows, vocab},
                reinterpret_cast<uint8_t *>(joined_.data())};
}

Status Session::finishSends() {
  for (Part &part : parts_) {
    for (int64_t ticket : part.sends)
      if (Status status = model_.executor().links()->host->wait(ticket);
          !status)
        return status;
    part.sends.clear();
  }
  return Status::success();
}

Status
Session::generate(const std::vector<std::vector<int64_t>> &prompts,
                  Sampler &sampler,
                  const std::function<Expected<bool>(int64_t, int64_t)> &take) {
  if (blocks_)
    return generatePaged(prompts, sampler, take);
  if (int64_t(prompts.size()) != batch_)
    return Status::error(std::to_string(prompts.size()) +
                         " prompts for a batch of " + std::to_string(batch_));
  if (Status status = oneLength(prompts); !status)
    return status;
  std::vector<int64_t> ids;
  for (const std::vector<int64_t> &prompt : prompts)
    ids.insert(ids.end(), prompt.begin(), prompt.end());
  reset();
  if (Status status = checkRoom(ids.size()); !status)
    return status;
  const int64_t tokens = static_cast<int64_t>(ids.size()) / batch_;
  const int64_t parts = static_cast<int64_t>(parts_.size());
  // Pipeline stages: the prompt in chunks, so that stage s + 1 works on a
  // chunk while stage s works on the next; with the micro-batches, as many
  // in flight as stages. The chunks after the first extend the cache as
  // decode calls do (whose lm_head runs on every token: the micro-batches
  // alone are cheaper where there are enough), and only the last one's
  // logits are wanted.
  const int64_t stages = model_.info().pp;
  const int64_t chunks = std::min(std::max<int64_t>(stages / parts, 1), tokens);
  const int64_t chunk = (tokens + chunks - 1) / chunks;
  for (int64_t begin = 0; begin < tokens; begin += chunk) {
    const int64_t end = std::min(tokens, begin + chunk);
    for (int64_t m = 0; m < parts; ++m) {
      std::vector<int64_t> piece;
      for (int64_t b = parts_[m].first; b < parts_[m].first + parts_[m].batch;
           ++b)
        piece.insert(piece.end(), ids.begin() + b * tokens + begin,
                     ids.begin() + b * tokens + end);
      if (Status status = startPart(m, piece, begin == 0, end == tokens);
          !status)
        return status;
    }
  }
  std::vector<bool> active(size_t(batch_), true);
  int64_t live = batch_;
  // One rank stops once a whole step leaves no sequence going on or the
  // cache full. A micro-batch's next step starts before the later ones'
  // tokens are known; when the step turns out to be the last, those calls
  // still end (every stage takes part in each), and their tokens go
  // unused.
  bool done = false;
  for (bool any = true; any;) {
    any = false;
    for (int64_t m = 0; m < parts; ++m) {
      Part &part = parts_[m];
      if (!part.running)
        continue;
      Expected<Tensor> result = partLogits(m);
      if (!result)
        return result.status();
      if (done)
        continue;
      Expected<std::vector<int64_t>> next =
          sampleLast(*result, part.batch, sampler);
      if (!next)
        return next.status();
      for (int64_t i = 0; i < part.batch; ++i) {
        const int64_t b = part.first + i;
        if (!active[b])
          continue;
        Expected<bool> more = take(b, (*next)[i]);
        if (!more)
          return more.status();
        if (!*more) {
          active[b] = false;
          --live;
        }
      }
      const bool full = part.position >= model_.info().maxSeq;
      if (live > 0 && !full) {
        if (Status status = startPart(m, *next, false); !status)
          return status;
        any = true;
      }
      if (m == parts - 1 && (live == 0 || full))
        done = true;
    }
    any = any || std::any_of(parts_.begin(), parts_.end(),
                             [](const Part &p) { return p.running; });
  }
  return finishSends();
}

} // namespace llmc::runtime
