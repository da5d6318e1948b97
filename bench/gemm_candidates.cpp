//===- gemm_candidates.cpp - the CPU prefill GEMM's candidates side by side
//===//
//
// llmc's prefill linear (kernels/cpu/Linear.cpp: OpenBLAS's SGEMM since
// issue 19) against the libraries Debian offers, on one thread (llmc's pool
// splits a layer's outputs over its threads, so each call runs on one), at
// llama-110m's shapes: y[m, n] = x[m, k] W[n, k]^T, best of 5, GFLOP/s.
// The candidates take turns shape by shape.
//
//   apt-get install libopenblas-dev libdnnl-dev libblis-dev
//   g++ -O2 -std=c++20 -I. bench/gemm_candidates.cpp
//   build/lib/libllmc_kernels.a \
//     $(pkg-config --cflags --libs openblas) -ldnnl -l:libblis.so.4 \
//     -o /tmp/gemm_candidates
//   OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1 /tmp/gemm_candidates
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Linear.h"

#include <cblas.h>
#include <dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

// BLIS's typed API (declared here: blis.h and OpenBLAS's cblas.h clash).
extern "C" {
typedef enum { BLIS_NO_TRANSPOSE = 0x0, BLIS_TRANSPOSE = 0x8 } trans_t;
void bli_sgemm(trans_t transa, trans_t transb, long m, long n, long k,
               const float *alpha, const float *a, long rsa, long csa,
               const float *b, long rsb, long csb, const float *beta, float *c,
               long rsc, long csc);
}

namespace {

template <typename F> double bestSeconds(F run) {
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  return best;
}

} // namespace

int main() {
  openblas_set_num_threads(1);
  // The whole layer's outputs (the q/k/v, gate/up and down projections),
  // and one pool thread's share of them (a quarter of a half).
  const int64_t shapes[][3] = {
      {128, 2304, 768},  {128, 2048, 768}, {128, 768, 2048},
      {128, 256, 768},   {128, 96, 768},   {1024, 2048, 768},
      {1024, 768, 2048}, {1024, 256, 768}, {1024, 96, 768}};
  std::mt19937 random(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::printf("| m | n | k | llmc | OpenBLAS | oneDNN | BLIS |\n"
              "|---|---|---|---|---|---|---|\n");
  for (const auto &shape : shapes) {
    const int64_t m = shape[0], n = shape[1], k = shape[2];
    std::vector<float> x(m * k), w(n * k), y(m * n), reference(m * n);
    for (float &v : x)
      v = uniform(random);
    for (float &v : w)
      v = uniform(random);
    const double flops = 2.0 * m * n * k;
    // llmc's fp32 linear as the runtime calls it, then the libraries
    // directly; each result checked against OpenBLAS's. (llmc's own
    // register-tiled GEMM, before 61764ab's successor replaced it, made
    // 26-32 GFLOP/s at every one of these shapes on the same machine.)
    auto runs = {
        +[](const float *x, const float *w, float *y, int64_t m, int64_t n,
            int64_t k) { llmc::kernels::linear(x, w, nullptr, y, m, n, k); },
        +[](const float *x, const float *w, float *y, int64_t m, int64_t n,
            int64_t k) {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x,
                      k, w, k, 0.0f, y, n);
        },
        +[](const float *x, const float *w, float *y, int64_t m, int64_t n,
            int64_t k) {
          dnnl_sgemm('N', 'T', m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);
        },
        +[](const float *x, const float *w, float *y, int64_t m, int64_t n,
            int64_t k) {
          const float one = 1.0f, zero = 0.0f;
          bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, m, n, k, &one, x, k, 1,
                    w, k, 1, &zero, y, n, 1);
        }};
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                x.data(), k, w.data(), k, 0.0f, reference.data(), n);
    std::printf("| %ld | %ld | %ld |", long(m), long(n), long(k));
    for (auto run : runs) {
      const double seconds =
          bestSeconds([&] { run(x.data(), w.data(), y.data(), m, n, k); });
      double error = 0;
      for (int64_t i = 0; i < m * n; ++i)
        error = std::max(error, double(std::abs(y[i] - reference[i])));
      std::printf(" %.1f%s |", flops / seconds / 1e9,
                  error > 1e-3 ? " (WRONG)" : "");
    }
    std::printf("\n");
  }
}
