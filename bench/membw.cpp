//===- membw.cpp - the DRAM read bandwidth bound of this machine ----------===//
//
// Decode speed on the CPU is bounded by how fast the weights stream from
// DRAM: tokens/s <= bandwidth / bytes read per token. This measures that
// bandwidth the way the kernels read: every thread sums its own slice of a
// buffer much larger than the caches, repeatedly; the best pass counts.
//
//   llmc-membw [--mib N] [--threads T] [--passes P]
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/CpuFeatures.h"
#include "runtime/support/ThreadPool.h"

#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// Sums [begin, end) with 16-float loads into eight accumulators, so
/// neither the adds' latency nor the compiler's choice of vector width is
/// the limit.
__attribute__((target("avx512f"))) double sumAvx512(const float *begin,
                                                    const float *end) {
  __m512 acc[8];
  for (__m512 &a : acc)
    a = _mm512_setzero_ps();
  const float *p = begin;
  for (; p + 128 <= end; p += 128)
    for (int u = 0; u < 8; ++u)
      acc[u] = _mm512_add_ps(acc[u], _mm512_loadu_ps(p + 16 * u));
  double total = 0;
  for (__m512 a : acc)
    total += _mm512_reduce_add_ps(a);
  for (; p < end; ++p)
    total += *p;
  return total;
}

/// The same without AVX-512: eight lanes the compiler vectorizes.
double sumPortable(const float *begin, const float *end) {
  float sums[8] = {};
  const float *p = begin;
  for (; p + 8 <= end; p += 8)
    for (int lane = 0; lane < 8; ++lane)
      sums[lane] += p[lane];
  double total = 0;
  for (float s : sums)
    total += s;
  for (; p < end; ++p)
    total += *p;
  return total;
}

} // namespace

int main(int argc, char **argv) {
  long mib = 1024, threads = 0, passes = 5;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    long *target = arg == "--mib"       ? &mib
                   : arg == "--threads" ? &threads
                   : arg == "--passes"  ? &passes
                                        : nullptr;
    char *end = nullptr;
    if (!target || i + 1 >= argc ||
        (*target = std::strtol(argv[i + 1], &end, 10), *end != '\0') ||
        *target < (target == &threads ? 0 : 1)) {
      std::fprintf(stderr,
                   "llmc-membw: bad argument '%s'\n"
                   "usage: llmc-membw [--mib N] [--threads T] [--passes P]\n",
                   arg.c_str());
      return 2;
    }
    ++i;
  }
  llmc::runtime::ThreadPool pool(static_cast<unsigned>(threads));
  const int64_t count = mib * (1 << 20) / int64_t(sizeof(float));
  std::vector<float> buffer(count);
  pool.parallelFor(count, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      buffer[i] = float(i & 1023) * 1e-3f; // touch: pages exist before timing
  });
  const bool avx512 = llmc::kernels::cpuHas(llmc::kernels::CpuIsa::avx512);
  std::vector<double> partial(pool.size() * 16, 0.0); // padded per chunk
  double best = 0.0, checksum = 0.0;
  for (long pass = 0; pass < passes; ++pass) {
    auto start = std::chrono::steady_clock::now();
    pool.parallelFor(count, [&](int64_t begin, int64_t end) {
      double total = avx512 ? sumAvx512(&buffer[begin], &buffer[0] + end)
                            : sumPortable(&buffer[begin], &buffer[0] + end);
      partial[(begin * int64_t(pool.size()) / count) * 16] = total;
    });
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    best = std::max(best, double(count) * sizeof(float) / seconds / 1e9);
    for (double p : partial)
      checksum += p;
  }
  std::printf("read bandwidth: %.2f GB/s (%ld MiB buffer, %u threads, best of "
              "%ld passes; checksum %.3g)\n",
              best, mib, pool.size(), passes, checksum);
  return 0;
}
