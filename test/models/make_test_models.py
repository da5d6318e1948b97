"""Generates the importer's test models into a folder of the build tree.

Random weights made locally from a configuration, never downloaded. So far:
`../shared/tools/make_llama_onnx.py` presets (PyTorch's TorchScript exporter)
covering both RoPE styles, grouped-query attention, tied weights, an fp16
export and opset 13. Hugging Face / optimum / onnxruntime-genai exports are
to come. Writes each model once; a stamp file records completion.

usage: make_test_models.py OUT_DIR SHARED_TOOLS_DIR
"""
import os
import subprocess
import sys

out, tools = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
make_llama = os.path.join(tools, "make_llama_onnx.py")

MODELS = {
    "llama-tiny-interleaved": ["--preset", "llama-tiny", "--rope", "interleaved"],
    "llama-tiny-half": ["--preset", "llama-tiny", "--rope", "half"],
    "llama-tiny-gqa-tied": ["--preset", "llama-tiny", "--heads", "8", "--kv-heads", "2",
                            "--tie"],
    "llama-tiny-fp16": ["--preset", "llama-tiny", "--fp16"],
    "llama-tiny-opset13": ["--preset", "llama-tiny", "--opset", "13"],
}

for name, args in MODELS.items():
    path = os.path.join(out, name + ".onnx")
    if os.path.exists(path):
        continue
    subprocess.run([sys.executable, make_llama, *args, "-o", path + ".tmp"],
                   check=True, stdout=subprocess.DEVNULL)
    os.replace(path + ".tmp", path)
with open(os.path.join(out, "stamp"), "w") as f:
    f.write("\n".join(sorted(MODELS)) + "\n")
