// examples/pass-plugin, built out of tree against this build
// (find_package(LLMC)), loaded into llmc-opt and llmc compile: its pass
// llmc-gelu-tanh turns exact GELU into the tanh form, and the artifact it
// makes computes different logits. Plugins that do not load are errors.
//
// REQUIRES: shared-models
// RUN: rm -rf %t && mkdir -p %t
// RUN: cmake -G Ninja -S %llmc_src/examples/pass-plugin -B %t/build -DLLMC_DIR=%llmc_build -DCMAKE_BUILD_TYPE=Release > %t/configure.log
// RUN: cmake --build %t/build > %t/build.log
//
// RUN: llmc-opt %s --load-pass-plugin=%t/build/LlmcGeluTanh.so --pass-pipeline="builtin.module(llmc-gelu-tanh)" | FileCheck %s
// RUN: llmc-opt %s --load-pass-plugin %t/build/LlmcGeluTanh.so --llmc-gelu-tanh=mlp-only=true | FileCheck %s --check-prefix=MLP-ONLY
// CHECK: llmc.mlp gelu_tanh
// CHECK: llmc.gated_mlp gelu_tanh
// CHECK: llmc.gated_mlp silu
// CHECK: llmc.gelu %{{.*}} tanh
// MLP-ONLY: llmc.mlp gelu_tanh
// MLP-ONLY: llmc.gelu %{{.*}} :
//
// An install works the same: find_package(LLMC) from <prefix>/lib/cmake/llmc,
// the plugin loaded into the installed llmc-opt.
// RUN: cmake --install %llmc_build --prefix %t/install > %t/install.log
// RUN: cmake -G Ninja -S %llmc_src/examples/pass-plugin -B %t/installed -DLLMC_DIR=%t/install/lib/cmake/llmc -DCMAKE_BUILD_TYPE=Release > %t/configure-installed.log
// RUN: cmake --build %t/installed > %t/build-installed.log
// RUN: %t/install/bin/llmc-opt %s --load-pass-plugin=%t/installed/LlmcGeluTanh.so --pass-pipeline="builtin.module(llmc-gelu-tanh)" | FileCheck %s
//
// In llmc compile, at an extension point; the IR after it shows the change.
// RUN: llmc compile %models/gpt2-tiny-random.onnx -o %t/exact.llmc > /dev/null 2>&1
// RUN: llmc compile %models/gpt2-tiny-random.onnx -o %t/tanh.llmc --load-pass-plugin %t/build/LlmcGeluTanh.so --insert-pass after-raise=llmc-gelu-tanh --mlir-print-ir-after=llmc-gelu-tanh --mlir-elide-elementsattrs-if-larger=8 --mlir-elide-resource-strings-if-larger=8 2>&1 | FileCheck %s --check-prefix=COMPILE
// COMPILE: llmc: llmc-gelu-tanh
// COMPILE: IR Dump After GeluTanh (llmc-gelu-tanh)
// COMPILE: llmc.mlp gelu_tanh
// COMPILE-NOT: llmc.mlp gelu %
// COMPILE: passes {{.*}}llmc-check-raised, llmc-gelu-tanh, llmc-kv-cache
// RUN: not cmp -s %t/exact.llmc %t/tanh.llmc
//
// The artifact runs, and its logits move by about the approximation's error.
// RUN: llmc-run %t/exact.llmc logits --prompt-ids 1,2,3,4,5,6,7,8 > %t/exact.json
// RUN: llmc-run %t/tanh.llmc logits --prompt-ids 1,2,3,4,5,6,7,8 > %t/tanh.json
// RUN: %python -c "import json, sys; a, b = (json.load(open(f))['logits'] for f in sys.argv[1:]); d = max(abs(x - y) for p, q in zip(a, b) for x, y in zip(p, q)); print('logits', 'moved' if 1e-6 < d < 1e-2 else 'WRONG', d)" %t/exact.json %t/tanh.json | FileCheck %s --check-prefix=LOGITS
// LOGITS: logits moved

// RUN: not llmc-opt %s --load-pass-plugin=%t/missing.so 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not llmc compile %models/gpt2-tiny-random.onnx -o %t/bad.llmc --load-pass-plugin %t/missing.so 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: --load-pass-plugin {{.*}}missing.so: '{{.*}}missing.so': no such file
// RUN: cp %s %t/text.so
// RUN: not llmc compile %models/gpt2-tiny-random.onnx -o %t/bad.llmc --load-pass-plugin %t/text.so 2>&1 | FileCheck %s --check-prefix=NOT-LIBRARY
// NOT-LIBRARY: llmc: --load-pass-plugin {{.*}}text.so: Could not load library '{{.*}}text.so': {{.*}}text.so: invalid ELF header
// A plugin of another API version (its info struct by hand, in C):
// RUN: echo "struct Info { unsigned api; const char *name, *version; void (*add)(void); }; static void none(void) {} struct Info mlirGetPassPluginInfo(void) { struct Info i = {999, \"Old\", \"0\", none}; return i; }" > %t/wrong.c
// RUN: cc -shared -fPIC -o %t/wrong.so %t/wrong.c
// RUN: not llmc compile %models/gpt2-tiny-random.onnx -o %t/bad.llmc --load-pass-plugin %t/wrong.so 2>&1 | FileCheck %s --check-prefix=VERSION
// RUN: not llmc-opt %s --load-pass-plugin %t/wrong.so 2>&1 | FileCheck %s --check-prefix=VERSION
// VERSION: --load-pass-plugin {{.*}}wrong.so: Wrong API version on plugin '{{.*}}wrong.so'. Got version 999, supported version is 1.
// RUN: not ls %t/bad.llmc

func.func @main(%x: tensor<4x8xf32>, %up: tensor<16x8xf32>, %down: tensor<8x16xf32>, %gate: tensor<16x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = llmc.mlp gelu %x, %up, %down : tensor<4x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>
  %b = llmc.gated_mlp gelu %x, %gate, %up, %down : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>
  %c = llmc.gated_mlp silu %x, %gate, %up, %down : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<8x16xf32>
  %d = llmc.gelu %x : tensor<4x8xf32>
  return %a, %b, %c, %d : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
