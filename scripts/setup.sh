#!/usr/bin/env bash
# Installs what llmc needs, from Debian's packages and PyPI only, in two
# tiers: without arguments what building and running it need (Debian
# packages only); with --tests also what only the tests use (PyTorch and the
# exporters of the test models, the reference runtimes and clients: about
# 3 GB from PyPI). scripts/test.sh asks for the second; --fuzz adds clang
# for the libFuzzer targets (scripts/fuzz.sh). Idempotent: when
# everything is present it only checks (< 5 s). The CUDA toolkit is expected
# at /usr/local/cuda; without it the CUDA parts are simply not built.
set -euo pipefail

TESTS=0
FUZZ=0
case "${1:-}" in
  "") ;;
  --tests) TESTS=1 ;;
  --fuzz) FUZZ=1 ;;
  *) echo "usage: setup.sh [--tests | --fuzz]" >&2; exit 2 ;;
esac

APT_PACKAGES=(
  # toolchain
  cmake ninja-build g++ ccache git time clang-format python3 python3-pip
  # MLIR/LLVM 22 (bookworm-security); 22 and 19 cannot be installed together
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  # the importer: ONNX's protobuf schema and C++ library
  libonnx-dev libprotobuf-dev protobuf-compiler libpng-dev
  # the runtime: artifact manifest schema and section checksums
  flatbuffers-compiler libflatbuffers-dev libxxhash-dev libsentencepiece-dev
  # Hugging Face tokenizer.json: its split regexes and Unicode normalization
  libpcre2-dev libutf8proc-dev
  # the runtime CLI's command line; the CPU prefill GEMM
  libcli11-dev libopenblas-dev pkg-config
  # tensor and pipeline parallel ranks on CPUs (mpirun)
  libopenmpi-dev openmpi-bin
  # the gtests (configured with the build), JSON
  libgtest-dev googletest nlohmann-json3-dev
  # llmc-run serve: its HTTP server (header-only)
  libcpp-httplib-dev
  # the build widens fortunes3m for the tests with numpy and onnx
  python3-onnx libopenblas0-pthread
)
# --tests: test models exported by PyTorch (Debian's torch 1.13 for
# /usr/bin/python3); a virtual environment for the PyPI packages where
# python3 refuses pip (scripts/test-python.sh); the fortunes text of the
# tokenizer parity test.
APT_TEST_PACKAGES=(python3-torch python3-venv fortunes)
((TESTS)) && APT_PACKAGES+=("${APT_TEST_PACKAGES[@]}")
# --fuzz: clang and its runtime (libFuzzer, the sanitizers) for
# scripts/fuzz.sh.
((FUZZ)) && APT_PACKAGES+=(clang-22 libclang-rt-22-dev)
# --tests: Python module name -> pip requirement. lit, numpy, onnx and
# onnxruntime serve every test; the rest only make the exported test models
# (test/models/make_test_models.py), matplotlib draws bench/compare.py's
# plot, sentencepiece serves llama.cpp's GGUF converter (bench/llama_cpp.py),
# and openai, prometheus-client and aiohttp are the clients of llmc-run serve's
# tests and load benchmark (bench/serve_load.py): PyPI's torch wheel brings
# about 3 GB of CUDA libraries, which the compiler and runtime never use. optimum-onnx pins
# transformers below 4.58, and onnxruntime-genai 0.12 is the newest builder
# that works with those transformers.
declare -A PIP_PACKAGES=(
  [lit]=lit
  [numpy]=numpy
  [onnx]=onnx
  [onnxruntime]=onnxruntime
  [torch]=torch
  [onnxscript]=onnxscript
  [transformers]="transformers<4.58"
  [optimum.exporters.onnx]=optimum-onnx
  [onnxruntime_genai]="onnxruntime-genai==0.12.2"
  [matplotlib]=matplotlib
  [sentencepiece]=sentencepiece
  [openai]=openai
  [prometheus_client]=prometheus-client
  [aiohttp]=aiohttp
)

missing_apt=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed ||
    missing_apt+=("$package")
done

if ((${#missing_apt[@]})); then
  echo "setup: installing Debian packages: ${missing_apt[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${missing_apt[@]}"
fi

PYTHON=${PYTHON:-python3}
if ((TESTS)); then
  source "$(dirname "$0")/test-python.sh"
  if [[ "$TEST_PYTHON" == "$LLMC_VENV/bin/python3" && ! -x "$TEST_PYTHON" ]]; then
    echo "setup: installing a virtual environment for the tests' Python packages: $LLMC_VENV"
    "$PYTHON" -m venv "$LLMC_VENV"
  fi
  PYTHON=$TEST_PYTHON
else
  PIP_PACKAGES=()
fi
missing_pip=$("$PYTHON" - "${!PIP_PACKAGES[@]}" <<'PY'
import importlib.util, sys
def missing(module):
    try:
        return importlib.util.find_spec(module) is None
    except ImportError:  # a dotted name whose parent package is absent
        return True
print(" ".join(m for m in sys.argv[1:] if missing(m)))
PY
)
if [[ -n "$missing_pip" ]]; then
  packages=()
  for module in $missing_pip; do packages+=("${PIP_PACKAGES[$module]}"); done
  echo "setup: installing Python packages: ${packages[*]}"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
fi

# --tests: real tokenizer files PyPI packages ship, for the tokenizer
# parity test (test/tokenizer/parity.py): anthropic 0.30's tokenizer.json
# and Mistral 7B's SentencePiece model in mistral-common. Only their files
# are wanted, so they go into a folder of their own, without dependencies.
TOKENIZER_DATA=${LLMC_TOKENIZER_DATA:-$HOME/.cache/llmc/tokenizer-data}
if ((TESTS)) && [[ ! -f "$TOKENIZER_DATA/anthropic/tokenizer.json" ||
  ! -f "$TOKENIZER_DATA/mistral_common/data/tokenizer.model.v1" ]]; then
  echo "setup: installing Python packages: anthropic==0.30.0 mistral-common==1.5.1 (their tokenizer files, into $TOKENIZER_DATA)"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps \
    --upgrade --target "$TOKENIZER_DATA" anthropic==0.30.0 mistral-common==1.5.1
fi

if [[ ! -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: note: no CUDA toolkit at /usr/local/cuda; CUDA parts will not be built"
fi
if ((TESTS)); then
  echo "setup: all dependencies present, the tests' included"
else
  echo "setup: all dependencies for building and running present (the tests' come with scripts/test.sh)"
fi
