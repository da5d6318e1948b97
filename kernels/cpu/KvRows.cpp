//===- KvRows.cpp - a narrower KV cache's rows as f32 ---------------------===//

#include "kernels/cpu/KvRows.h"

#include "kernels/cpu/KvLoad.h"
#include "runtime/format/Float16.h"

#include <cstring>

namespace llmc::kernels {

namespace {

template <KvStorage Held>
__attribute__((always_inline)) inline void
widenPortable(const uint8_t *row, int64_t first, int64_t count, float scale,
              float *out) {
  for (int64_t i = first; i < count; ++i)
    out[i] = kvScaled(Held) ? kvFeature<Held>(row, i) * scale
                            : kvFeature<Held>(row, i);
}

template <KvStorage Held>
__attribute__((target("avx512f"))) void
widenAvx512(const uint8_t *row, int64_t count, float scale, float *out) {
  const __m512 scaled = _mm512_set1_ps(scale);
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    __m512 value = kvLanesAvx512<Held>(row, i / 16);
    if constexpr (kvScaled(Held))
      value = _mm512_mul_ps(value, scaled);
    _mm512_storeu_ps(out + i, value);
  }
  widenPortable<Held>(row, i, count, scale, out);
}

template <KvStorage Held>
__attribute__((target("avx2,f16c"))) void
widenAvx2(const uint8_t *row, int64_t count, float scale, float *out) {
  const __m256 scaled = _mm256_set1_ps(scale);
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 value = kvLanesAvx2<Held>(row, i / 8);
    if constexpr (kvScaled(Held))
      value = _mm256_mul_ps(value, scaled);
    _mm256_storeu_ps(out + i, value);
  }
  widenPortable<Held>(row, i, count, scale, out);
}

template <KvStorage Held>
void widen(CpuIsa isa, const uint8_t *row, int64_t count, float scale,
           float *out) {
  if (isa == CpuIsa::avx512)
    return widenAvx512<Held>(row, count, scale, out);
  // The AVX2 path's f16 needs F16C (every AVX2 CPU llmc has met has it).
  if (isa == CpuIsa::avx2 && (Held != KvStorage::f16 || hostCpuFeatures().f16c))
    return widenAvx2<Held>(row, count, scale, out);
  widenPortable<Held>(row, 0, count, scale, out);
}

} // namespace

void widenKvRowWith(CpuIsa isa, KvStorage held, const uint8_t *row,
                    int64_t count, float scale, float *out) {
  switch (held) {
  case KvStorage::f32:
    return widen<KvStorage::f32>(isa, row, count, scale, out);
  case KvStorage::f16:
    return widen<KvStorage::f16>(isa, row, count, scale, out);
  case KvStorage::bf16:
    return widen<KvStorage::bf16>(isa, row, count, scale, out);
  case KvStorage::int8:
    return widen<KvStorage::int8>(isa, row, count, scale, out);
  case KvStorage::fp8:
    return widen<KvStorage::fp8>(isa, row, count, scale, out);
  }
}

void narrowKvRow(KvStorage held, const float *row, int64_t count,
                 uint8_t *out) {
  if (held == KvStorage::f32) {
    std::memcpy(out, row, size_t(count) * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const uint16_t half = held == KvStorage::f16
                              ? format::floatToHalf(row[i])
                              : format::floatToBfloat16(row[i]);
    std::memcpy(out + 2 * i, &half, 2);
  }
}

void widenKvRow(KvStorage held, const uint8_t *row, int64_t count, float scale,
                float *out) {
  static const CpuIsa isa = selectedCpuIsa();
  widenKvRowWith(isa, held, row, count, scale, out);
}

} // namespace llmc::kernels
