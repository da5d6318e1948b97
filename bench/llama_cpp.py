"""llama.cpp as a benchmark peer: built from PyPI, fed the same weights.

usage: llama_cpp.py build [--avx2]          (prints the folder of its tools)
       llama_cpp.py server                   (prints llama-server's path)
       llama_cpp.py gguf FOLDER {f32,q8_0,q4_0}  (prints the .gguf)

llama.cpp comes from the `llama-cpp-python` source distribution on PyPI
(`pip download --no-binary`), whose vendor/llama.cpp tree is built with
CMake: llama-bench and llama-quantize only, for the host's instruction sets
(or, with --avx2, AVX2/FMA/F16C and no AVX-512, to compare AVX2 paths on an
AVX-512 machine). Build outputs live in build/peers/ (ignored by git) and
are reused. FOLDER is an export_llama_past.py folder: its hf/ subfolder (the
Hugging Face model the ONNX file was exported from) is converted by
llama.cpp's own convert_hf_to_gguf.py to FOLDER/llama-f32.gguf and
quantized from it by llama-quantize, so every engine reads the same weights.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "..", "build", "peers")
# llama.cpp's converter wants a SentencePiece vocabulary; the presets have
# Llama 2's 32000 tokens, and the ids are all any engine here uses.
TOKENIZER = os.path.join(HERE, "..", "..", "shared", "models",
                         "llama2-tokenizer.model")


def run(command, **options):
    """Runs `command`; on failure, exits with its command line and the end
    of what it printed."""
    result = subprocess.run(command, capture_output=True, text=True,
                            **options)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}"
                         f"\n{(result.stdout + result.stderr)[-3000:]}")
    return result.stdout
# The precisions llama.cpp and llmc compare at: GGUF type and the llmc
# compile options of the same kind of arithmetic.
MATCHES = {
    "f32": [],
    "q8_0": ["--quant", "int8"],
    "q4_0": ["--quant", "rtn-int4", "--group-size", "32"],
}


def source():
    """The vendored llama.cpp tree of the llama-cpp-python sdist."""
    trees = glob.glob(os.path.join(PEERS, "llama_cpp_python-*", "vendor",
                                   "llama.cpp"))
    if trees:
        return trees[0]
    os.makedirs(PEERS, exist_ok=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
         ":all:", "--dest", PEERS, "llama-cpp-python"])
    archive = glob.glob(os.path.join(PEERS, "llama_cpp_python-*.tar.gz"))[0]
    with tarfile.open(archive) as tar:
        tar.extractall(PEERS, filter="data")
    return glob.glob(os.path.join(PEERS, "llama_cpp_python-*", "vendor",
                                  "llama.cpp"))[0]


def build(avx2=False):
    """The folder holding llama-bench and llama-quantize, built if need be."""
    tree = source()
    out = os.path.join(PEERS, "llama.cpp-avx2" if avx2 else "llama.cpp")
    tools = os.path.join(out, "bin")
    if all(os.path.exists(os.path.join(tools, t))
           for t in ("llama-bench", "llama-quantize")):
        return tools
    isa = (["-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON",
            "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_AVX512=OFF"]
           if avx2 else ["-DGGML_NATIVE=ON"])
    run(["cmake", "-S", tree, "-B", out, "-G", "Ninja",
         "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF",
         "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
         "-DLLAMA_BUILD_SERVER=OFF", "-DBUILD_SHARED_LIBS=OFF"] + isa)
    run(["cmake", "--build", out, "--target", "llama-bench",
         "llama-quantize"])
    return tools


def server():
    """llama-server (llama.cpp's OpenAI-compatible server), built if need
    be, for bench/serve_load.py."""
    tree = source()
    out = os.path.join(PEERS, "llama.cpp-server")
    binary = os.path.join(out, "bin", "llama-server")
    if os.path.exists(binary):
        return binary
    run(["cmake", "-S", tree, "-B", out, "-G", "Ninja",
         "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF",
         "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
         "-DLLAMA_BUILD_SERVER=ON", "-DBUILD_SHARED_LIBS=OFF",
         "-DGGML_NATIVE=ON"])
    run(["cmake", "--build", out, "--target", "llama-server"])
    return binary


def gguf(folder, kind, avx2=False):
    """FOLDER's Hugging Face weights as a .gguf of `kind`, made once."""
    path = os.path.join(folder, f"llama-{kind}.gguf")
    if os.path.exists(path):
        return path
    f32 = os.path.join(folder, "llama-f32.gguf")
    if not os.path.exists(f32):
        hf = os.path.join(folder, "hf")
        if not os.path.isdir(hf):
            raise SystemExit(f"{folder}: no hf/ folder (made by "
                             "export_llama_past.py)")
        if not os.path.exists(os.path.join(hf, "tokenizer.model")):
            shutil.copy(TOKENIZER, os.path.join(hf, "tokenizer.model"))
        tree = source()
        env = dict(os.environ,
                   PYTHONPATH=os.path.join(tree, "gguf-py") + os.pathsep
                   + os.environ.get("PYTHONPATH", ""))
        run([sys.executable, os.path.join(tree, "convert_hf_to_gguf.py"), hf,
             "--outtype", "f32", "--outfile", f32], env=env)
    if kind != "f32":
        run([os.path.join(build(avx2), "llama-quantize"), f32, path,
             kind.upper()])
    return path


def bench(model, threads, prompt=0, depth=0, gen=0, avx2=False):
    """llama-bench's tokens/s for one test: a prompt of `prompt` tokens
    (prefill), or `gen` decode steps after `depth` tokens of context."""
    command = [os.path.join(build(avx2), "llama-bench"), "-m", model, "-t",
               str(threads), "-r", "1", "-o", "json", "-p", str(prompt),
               "-n", str(gen), "-d", str(depth)]
    out = run(command)
    tests = [t for t in json.loads(out)
             if (t["n_prompt"], t["n_gen"]) == (prompt, gen)]
    return tests[0]["avg_ts"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build")
    built.add_argument("--avx2", action="store_true")
    commands.add_parser("server")
    converted = commands.add_parser("gguf")
    converted.add_argument("folder")
    converted.add_argument("kind", choices=sorted(MATCHES))
    args = parser.parse_args()
    if args.command == "build":
        print(build(args.avx2))
    elif args.command == "server":
        print(server())
    else:
        print(gguf(args.folder, args.kind))


if __name__ == "__main__":
    main()
