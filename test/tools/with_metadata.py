"""A copy of an ONNX model with metadata_props set.

usage: with_metadata.py IN.onnx OUT.onnx KEY=VALUE...
"""
import sys

import onnx

source, target, *pairs = sys.argv[1:]
model = onnx.load(source)
for pair in pairs:
    key, value = pair.split("=", 1)
    entry = model.metadata_props.add()
    entry.key, entry.value = key, value
onnx.save(model, target)
