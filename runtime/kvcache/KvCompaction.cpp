//===- KvCompaction.cpp - a sequence's kept tokens, moved up --------------===//

#include "runtime/kvcache/KvCompaction.h"

#include "kernels/common/KvQuant.h"
#include "kernels/cpu/KvRows.h"
#include "kernels/cpu/Transformer.h"
#include "runtime/exec/Tensor.h"
#include "runtime/kvcache/KvStorage.h"

#include <algorithm>

namespace llmc::runtime {

KvCompaction::KvCompaction(const CacheInfo &cache)
    : cache_(cache),
      blockRows_(cache.blockTokens + (cache.quantized() ? 1 : 0)),
      elementBytes_(dtypeBytes(static_cast<DType>(cache.dtype))),
      blockBytes_(uint64_t(elementCount(cache.blockShape()) * elementBytes_)),
      backSin_(cache.eviction.ropeSin) {
  for (float &s : backSin_)
    s = -s;
}

uint64_t KvCompaction::planeOffset(int64_t block, int64_t layer, int64_t kv,
                                   int64_t head) const {
  const int64_t plane = (layer * 2 + kv) * cache_.kvHeads + head;
  return uint64_t(block) * blockBytes_ +
         uint64_t(plane * blockRows_ * cache_.headDim * elementBytes_);
}

const std::vector<int64_t> &KvCompaction::keepOf(const Keeps &keeps,
                                                 int64_t plane) {
  return keeps[keeps.size() == 1 ? 0 : size_t(plane)];
}

void KvCompaction::readRow(const uint8_t *plane, int64_t slot,
                           float *out) const {
  const int64_t hd = cache_.headDim;
  kernels::widenKvRow(kvStorageOf(static_cast<DType>(cache_.dtype)),
                      plane + slot * hd * elementBytes_, hd,
                      cache_.quantized()
                          ? kernels::kvScale(plane, cache_.blockTokens, hd)
                          : 1.0f,
                      out);
}

void KvCompaction::compact(const uint8_t *from, uint8_t *to,
                           const Keeps &keeps) const {
  const int64_t hd = cache_.headDim, block = cache_.blockTokens;
  const int64_t n = int64_t(keeps.front().size());
  const KvEviction &rope = cache_.eviction;
  const auto pairs = rope.ropePairs == 1 ? kernels::RopePairs::half
                                         : kernels::RopePairs::interleaved;
  const kernels::KvStorage held = kvStorageOf(DType(cache_.dtype));
  std::vector<float> rows(size_t(n * hd));
  for (int64_t layer = 0; layer < cache_.layers; ++layer)
    for (int64_t kv = 0; kv < 2; ++kv)
      for (int64_t head = 0; head < cache_.kvHeads; ++head) {
        const std::vector<int64_t> &keep =
            keepOf(keeps, layer * cache_.kvHeads + head);
        // The kept rows as f32, keys rotated back by how far they move.
        for (int64_t j = 0; j < n; ++j) {
          const int64_t p = keep[size_t(j)];
          float *row = rows.data() + j * hd;
          readRow(from + planeOffset(p / block, layer, kv, head), p % block,
                  row);
          const int64_t moved = p - j;
          if (kv == 0 && moved > 0)
            kernels::rope(row, rope.ropeCos.data(), backSin_.data(), &moved, 1,
                          1, hd, rope.rotaryDim, pairs);
        }
        // Then into their new slots, a block at a time.
        for (int64_t first = 0; first < n; first += block) {
          const int64_t count = std::min(block, n - first);
          uint8_t *plane = to + planeOffset(first / block, layer, kv, head);
          const float *source = rows.data() + first * hd;
          if (kernels::kvScaled(held))
            kernels::writeKvRows(plane, block, hd, source, count,
                                 kernels::kvCodesOf(held));
          else
            kernels::narrowKvRow(held, source, count * hd, plane);
        }
      }
}

std::vector<int64_t> KvCompaction::kept(int64_t tokens, int64_t count) const {
  const KvEviction &e = cache_.eviction;
  std::vector<int64_t> keep;
  const int64_t sinks = std::min(tokens, e.sinks);
  const int64_t window = tokens - sinks;
  int64_t evicted = 0;
  if (tokens + count > e.budget()) {
    const int64_t over = tokens + count - e.budget();
    const int64_t blocks = (over + cache_.blockTokens - 1) / cache_.blockTokens;
    evicted = std::min(window, blocks * cache_.blockTokens);
    if (tokens - evicted + count > e.budget())
      return keep;
  }
  for (int64_t p = 0; p < sinks; ++p)
    keep.push_back(p);
  for (int64_t p = sinks + evicted; p < tokens; ++p)
    keep.push_back(p);
  return keep;
}

KvCompaction::Keeps KvCompaction::mostAttended(int64_t tokens, int64_t n,
                                               const float *received,
                                               int64_t capacity) const {
  const int64_t recent = std::min(n, cache_.eviction.window / 2);
  const int64_t older = tokens - recent;
  Keeps keeps(size_t(cache_.layers * cache_.kvHeads));
  std::vector<int64_t> order(static_cast<size_t>(older));
  for (size_t plane = 0; plane < keeps.size(); ++plane) {
    const float *sums = received + plane * capacity;
    for (int64_t p = 0; p < older; ++p)
      order[size_t(p)] = p;
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return sums[a] > sums[b]; });
    std::vector<int64_t> &keep = keeps[plane];
    keep.assign(order.begin(), order.begin() + (n - recent));
    std::sort(keep.begin(), keep.end());
    for (int64_t p = older; p < tokens; ++p)
      keep.push_back(p);
  }
  return keeps;
}

void KvCompaction::moveReceived(float *received, int64_t capacity,
                                const Keeps &keeps) const {
  for (int64_t plane = 0; plane < cache_.layers * cache_.kvHeads; ++plane) {
    const std::vector<int64_t> &keep = keepOf(keeps, plane);
    float *sums = received + plane * capacity;
    // Kept positions only move up (keep[j] >= j), so in place in order.
    for (size_t j = 0; j < keep.size(); ++j)
      sums[j] = sums[keep[j]];
    std::fill(sums + keep.size(), sums + capacity, 0.0f);
  }
}

int64_t KvCompaction::mostPerCall() const {
  const int64_t window = cache_.eviction.window;
  return window >= cache_.blockTokens
             ? window / cache_.blockTokens * cache_.blockTokens
             : window;
}

} // namespace llmc::runtime
