// RUN: llmc-opt %s --plan-outline-cuda-kernels | llmc-translate --plan-to-cuda | FileCheck %s

// The source opens with the shared scalar math and the f16/bf16 loads and
// stores.
// CHECK: #include <cuda_bf16.h>
// CHECK: #include <cuda_fp16.h>
// CHECK: namespace llmc::math {
// CHECK: float silu(float x) { return x / (1.0f + expf(-x)); }
// CHECK: __device__ __forceinline__ float load(__half v) { return __half2float(v); }

// GELU: four operands (three single elements read at [0]), five steps in
// f32, one store.
// CHECK-LABEL: extern "C" __global__ void __launch_bounds__(256)
// CHECK-NEXT: llmc_fused_0(const float *__restrict__ in0, const float *__restrict__ in1, const float *__restrict__ in2, const float *__restrict__ in3, float *__restrict__ out, long long n) {
// CHECK-NEXT:   for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
// CHECK-NEXT:        i += (long long)gridDim.x * blockDim.x) {
// CHECK-NEXT:     const float a0 = llmc::load(in0[i]);
// CHECK-NEXT:     const float a1 = llmc::load(in1[0]);
// CHECK-NEXT:     const float a2 = llmc::load(in2[0]);
// CHECK-NEXT:     const float a3 = llmc::load(in3[0]);
// CHECK-NEXT:     const float r0 = llmc::math::div(a0, a1);
// CHECK-NEXT:     const float r1 = llmc::math::erf(r0);
// CHECK-NEXT:     const float r2 = llmc::math::add(r1, a2);
// CHECK-NEXT:     const float r3 = llmc::math::mul(a0, r2);
// CHECK-NEXT:     const float r4 = llmc::math::mul(r3, a3);
// CHECK-NEXT:     llmc::store(out + i, r4);
// CHECK-NEXT:   }
// CHECK-NEXT: }

// The gated MLP's activation in f16 storage, bf16 result: loads convert to
// f32, the store rounds to bf16.
// CHECK-LABEL: llmc_fused_1(const __half *__restrict__ in0, const __half *__restrict__ in1, __nv_bfloat16 *__restrict__ out, long long n) {
// CHECK:     const float r0 = llmc::math::silu(a0);
// CHECK-NEXT:     const float r1 = llmc::math::mul(r0, a1);
// CHECK-NEXT:     llmc::store(out + i, r1);

// Every fusable opcode has its function (the nvcc test compiles them all).
// CHECK-LABEL: llmc_fused_2(const __nv_bfloat16 *__restrict__ in0, const float *__restrict__ in1, float *__restrict__ out, long long n) {
// CHECK:     const float r0 = llmc::math::add(a0, a1);
// CHECK-NEXT:     const float r1 = llmc::math::sub(a0, a1);
// CHECK-NEXT:     const float r2 = llmc::math::mul(a0, a1);
// CHECK-NEXT:     const float r3 = llmc::math::div(a0, a1);
// CHECK-NEXT:     const float r4 = llmc::math::pow(a0, a1);
// CHECK-NEXT:     const float r5 = llmc::math::max(a0, a1);
// CHECK-NEXT:     const float r6 = llmc::math::min(a0, a1);
// CHECK-NEXT:     const float r7 = llmc::math::neg(a0);
// CHECK-NEXT:     const float r8 = llmc::math::abs(a0);
// CHECK-NEXT:     const float r9 = llmc::math::exp(a0);
// CHECK-NEXT:     const float r10 = llmc::math::log(a0);
// CHECK-NEXT:     const float r11 = llmc::math::sqrt(a0);
// CHECK-NEXT:     const float r12 = llmc::math::rsqrt(a0);
// CHECK-NEXT:     const float r13 = llmc::math::reciprocal(a0);
// CHECK-NEXT:     const float r14 = llmc::math::tanh(a0);
// CHECK-NEXT:     const float r15 = llmc::math::erf(a0);
// CHECK-NEXT:     const float r16 = llmc::math::sigmoid(a0);
// CHECK-NEXT:     const float r17 = llmc::math::cos(a0);
// CHECK-NEXT:     const float r18 = llmc::math::sin(a0);
// CHECK-NEXT:     const float r19 = llmc::math::silu(a0);

// A second call of the GELU program reuses llmc_fused_0: no fourth kernel.
// CHECK-NOT: llmc_fused_3
func.func @kernels(%x: tensor<2x8xf32>, %g: tensor<?x64xf16>, %u: tensor<?x64xf16>, %y: tensor<2x8xf32>, %b: tensor<2x8xbf16>)
    -> (tensor<2x8xf32>, tensor<?x64xbf16>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %c0 = llmc.constant dense<1.41421354> : tensor<f32>
  %c1 = llmc.constant dense<1.0> : tensor<f32>
  %c2 = llmc.constant dense<0.5> : tensor<f32>
  %0 = plan.call "fused_elementwise"(%x, %c0, %c1, %c2) {params = {program = array<i64: 3, 0, 1, 15, -1, -1, 0, -2, 2, 2, 0, -3, 2, -4, 3>}} : (tensor<2x8xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = plan.call "fused_elementwise"(%g, %u) {params = {program = array<i64: 19, 0, 0, 2, -1, 1>}} : (tensor<?x64xf16>, tensor<?x64xf16>) -> tensor<?x64xbf16>
  %all = plan.call "fused_elementwise"(%b, %x) {params = {program = array<i64: 0, 0, 1, 1, 0, 1, 2, 0, 1, 3, 0, 1, 4, 0, 1, 5, 0, 1, 6, 0, 1, 7, 0, 0, 8, 0, 0, 9, 0, 0, 10, 0, 0, 11, 0, 0, 12, 0, 0, 13, 0, 0, 14, 0, 0, 15, 0, 0, 16, 0, 0, 17, 0, 0, 18, 0, 0, 19, 0, 0>}} : (tensor<2x8xbf16>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = plan.call "fused_elementwise"(%y, %c0, %c1, %c2) {params = {program = array<i64: 3, 0, 1, 15, -1, -1, 0, -2, 2, 2, 0, -3, 2, -4, 3>}} : (tensor<2x8xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<2x8xf32>
  return %0, %1, %2, %all : tensor<2x8xf32>, tensor<?x64xbf16>, tensor<2x8xf32>, tensor<2x8xf32>
}
