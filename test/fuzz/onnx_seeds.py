"""Seeds for fuzz-onnx-model (scripts/fuzz.sh).

usage: onnx_seeds.py MODELS_DIR CORPUS DATA_DIR

CORPUS gets the shipped stories260K and gpt2-tiny-random graphs with their
initializers moved to external data files in DATA_DIR (where the fuzz
target writes each input, so their `location`s resolve), and every ONNX
backend node test case of the pip onnx package (one op each, its tensors
inline).
"""
import os
import sys
import warnings

import onnx
from onnx.backend.test.case.node import collect_testcases

models, corpus, data = sys.argv[1:4]
os.makedirs(corpus, exist_ok=True)
os.makedirs(data, exist_ok=True)

for name in ["stories260K", "gpt2-tiny-random"]:
    model = onnx.load(os.path.join(models, name + ".onnx"))
    graph_path = os.path.join(data, name + ".onnx")
    onnx.save_model(model, graph_path, save_as_external_data=True,
                    all_tensors_to_one_file=True, location=name + ".weights",
                    size_threshold=256)
    os.replace(graph_path, os.path.join(corpus, name))

cases = 0
warnings.simplefilter("ignore")  # the cases' generators divide by zero
for case in collect_testcases():
    with open(os.path.join(corpus, "node-" + case.name), "wb") as f:
        f.write(case.model.SerializeToString())
    cases += 1
print(f"onnx_seeds: 2 models with external data, {cases} backend node cases")
