//===- RandomData.h - reproducible inputs for the kernel tests ------------===//

#ifndef LLMC_TEST_KERNELS_RANDOMDATA_H
#define LLMC_TEST_KERNELS_RANDOMDATA_H

#include <random>
#include <vector>

namespace llmc::test {

/// `n` standard normal floats from `seed`.
inline std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = normal(engine);
  return v;
}

} // namespace llmc::test

#endif // LLMC_TEST_KERNELS_RANDOMDATA_H
