# lit configuration for llmc: FileCheck-based tests of the dialect, passes and
# tools. Run through ctest (test name `lit`) or `lit -v build/test`.
import os
import shutil
import subprocess

import lit.formats

config.name = "llmc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.llmc_tools_dir),
                                     "test")
# gtest sources and the examples live beside the lit tests but are not lit tests.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in",
                   "runtime", "kernels", "models"]

# Our tools first, then FileCheck, not, count, split-file from LLVM 22. A
# tree that builds only the runtime's tools (scripts/sanitize.sh thread)
# takes the compiler's from another tree (LLMC_TOOLS_FALLBACK_DIR).
tool_dirs = [config.llmc_tools_dir]
if config.tools_fallback_dir:
    tool_dirs.append(config.tools_fallback_dir)
path = os.pathsep.join(tool_dirs + [
    config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.environment["PATH"] = path
for tool in ["FileCheck", "not", "count", "split-file"]:
    if not os.path.exists(os.path.join(config.llvm_tools_dir, tool)):
        lit_config.fatal(f"{tool} not found in {config.llvm_tools_dir}; "
                         "run scripts/setup.sh --tests")

# A sanitizer tree (scripts/sanitize.sh, which sets the sanitizers'
# options): feature `asan` or `tsan`, for the tests that run reduced.
if config.sanitize:
    sanitizers = config.sanitize.split(";")
    if "address" in sanitizers:
        config.available_features.add("asan")
    if "thread" in sanitizers:
        config.available_features.add("tsan")
    for name in ["ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
                 "TSAN_OPTIONS", "OMPI_MCA_mca_base_env_list"]:
        if name in os.environ:
            config.environment[name] = os.environ[name]

config.substitutions.append(("%llmc_src", config.llmc_source_dir))
config.substitutions.append(("%llmc_bin", config.llmc_tools_dir))
# The build tree, for find_package(LLMC) (examples/pass-plugin).
config.substitutions.append(("%llmc_build",
                             os.path.dirname(config.llmc_tools_dir)))
config.substitutions.append(("%models", config.shared_models_dir))
config.substitutions.append(("%python", config.python_executable))

# Tests on the shipped models need ../shared/models beside the checkout (as
# in CI); elsewhere lit reports them unsupported, never passed.
if os.path.isdir(config.shared_models_dir):
    config.available_features.add("shared-models")

# A CPU whose kernels have an integer decode path (AVX2 with FMA and F16C;
# every AVX-512 VNNI CPU has them too).
with open("/proc/cpuinfo") as cpuinfo:
    flags = set(next((line.split(":")[1].split() for line in cpuinfo
                      if line.startswith("flags")), []))
if {"avx2", "fma", "f16c"} <= flags:
    config.available_features.add("cpu-int8-decode")

# Exported test models (test/models/make_test_models.py), generated into the
# build tree; each family present becomes a feature `models-<family>`.
config.substitutions.append(("%test_models", config.test_models_dir))
families = os.path.join(config.test_models_dir, "families")
if os.path.exists(families):
    with open(families) as f:
        for family in f.read().split():
            config.available_features.add("models-" + family)

# Hugging Face's tokenizers and transformers (setup.sh --tests): the
# reference for tokenizer.json and its converter from SentencePiece.
found = subprocess.run(
    [config.python_executable, "-c",
     "import importlib.util as u, sys; sys.exit(not (u.find_spec('tokenizers')"
     " and u.find_spec('transformers')))"])
if found.returncode == 0:
    config.available_features.add("hf-tokenizers")

# fortunes3m-wide.onnx (test/CMakeLists.txt), speculative decoding's
# memory-bound target.
if os.path.exists(os.path.join(config.test_models_dir,
                               "fortunes3m-wide.onnx")):
    config.available_features.add("fortunes3m-wide")

# nvcc compiles the generated CUDA C++ with or without a GPU; a usable GPU
# (nvidia-smi lists one) is what the CUDA runtime tests need. A tree
# configured without CUDA (-DLLMC_ENABLE_CUDA=OFF, the sanitizer trees) has
# no CUDA side to test, whatever the machine has.
nvcc = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
if config.cuda_enabled and os.access(nvcc, os.X_OK):
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))
smi = shutil.which("nvidia-smi")
if config.cuda_enabled and smi:
    listed = subprocess.run([smi, "-L"], capture_output=True, text=True)
    gpus = sum(line.startswith("GPU ") for line in listed.stdout.splitlines()
               ) if listed.returncode == 0 else 0
    if gpus >= 1:
        config.available_features.add("cuda-device")
    # Tensor- and pipeline-parallel GPU ranks: NCCL takes a GPU per rank.
    if gpus >= 2:
        config.available_features.add("cuda-devices-2")
