//===- ReferenceAttention.h - cached attention by its definition ----------===//
//
// What the plan's cached_attention computes (docs/plan.md), written
// plainly in double for the kernel tests of both devices: each query at
// position p = past + t sees positions lo..p (lo = 0, or p - window + 1),
// the ones before `past` from the cache (slot slotOffset + p % slots of the
// layer's plane) and the rest
// from the call's k and v; scores are q.k * scale, soft-capped to
// tanh(s / c) * c; then the new keys and values are stored, only the last
// `slots` of them when they wrap around a ring.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_TEST_KERNELS_REFERENCEATTENTION_H
#define LLMC_TEST_KERNELS_REFERENCEATTENTION_H

#include "kernels/common/AttentionShape.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace llmc::test {

/// q [batch, tokens, qHeads, d], k and v [batch, tokens, kvHeads, d],
/// `cache` [layers, 2, batch, cacheHeads, capacity, d] (heads headOffset..
/// headOffset + kvHeads - 1 updated in place);
/// returns out [batch, tokens, qHeads, d].
inline std::vector<float> referenceCachedAttention(
    const kernels::AttentionShape &s, const std::vector<float> &q,
    const std::vector<float> &k, const std::vector<float> &v,
    std::vector<float> &cache, int64_t past) {
  const int64_t d = s.headDim, group = s.qHeads / s.kvHeads;
  const int64_t plane = s.cacheHeads * s.capacity * d;
  auto cached = [&](int64_t kv, int64_t b, int64_t h, int64_t p) {
    return cache.data() + ((s.layer * 2 + kv) * s.batch + b) * plane +
           ((s.headOffset + h) * s.capacity + s.slotOffset + p % s.slots) * d;
  };
  auto added = [&](const std::vector<float> &x, int64_t b, int64_t t,
                   int64_t h) {
    return x.data() + ((b * s.tokens + t) * s.kvHeads + h) * d;
  };
  std::vector<float> out(q.size());
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t t = 0; t < s.tokens; ++t)
      for (int64_t h = 0; h < s.qHeads; ++h) {
        const int64_t g = h / group, p = past + t;
        const int64_t lo =
            s.window > 0 ? std::max<int64_t>(0, p + 1 - s.window) : 0;
        const float *query = q.data() + ((b * s.tokens + t) * s.qHeads + h) * d;
        std::vector<double> w;
        double top = -INFINITY;
        for (int64_t j = lo; j <= p; ++j) {
          const float *key =
              j < past ? cached(0, b, g, j) : added(k, b, j - past, g);
          double dot = 0;
          for (int64_t e = 0; e < d; ++e)
            dot += double(query[e]) * key[e];
          dot *= s.scale;
          if (s.softcap > 0)
            dot = std::tanh(dot / s.softcap) * s.softcap;
          w.push_back(dot);
          top = std::max(top, dot);
        }
        double sum = 0;
        for (double &x : w)
          sum += x = std::exp(x - top);
        float *o = out.data() + ((b * s.tokens + t) * s.qHeads + h) * d;
        for (int64_t e = 0; e < d; ++e) {
          double acc = 0;
          for (int64_t j = lo; j <= p; ++j) {
            const float *value =
                j < past ? cached(1, b, g, j) : added(v, b, j - past, g);
            acc += w[j - lo] / sum * value[e];
          }
          o[e] = static_cast<float>(acc);
        }
      }
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t t = std::max<int64_t>(0, s.tokens - s.slots); t < s.tokens;
         ++t)
      for (int64_t h = 0; h < s.kvHeads; ++h) {
        std::copy_n(added(k, b, t, h), d, cached(0, b, h, past + t));
        std::copy_n(added(v, b, t, h), d, cached(1, b, h, past + t));
      }
  return out;
}

} // namespace llmc::test

#endif // LLMC_TEST_KERNELS_REFERENCEATTENTION_H
