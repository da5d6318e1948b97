"""Writes malformed or hostile ONNX models, one folder each, under argv[1].

Each case is what a user (or an attacker) might hand to llmc-import; the lit
test next to this script checks the error each one gets.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

root = sys.argv[1]


def model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def x_input():
    return helper.make_tensor_value_info("x", TensorProto.FLOAT, ["sequence", 4])


def y_output():
    return helper.make_tensor_value_info("y", TensorProto.FLOAT, None)


def save(case, proto, extra=None):
    folder = os.path.join(root, case)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with open(path, "wb") as f:
        f.write(proto if isinstance(proto, bytes) else proto.SerializeToString())
    for name, data in (extra or {}).items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    return folder


def external(name, location, offset=None, length=None, dims=(4,)):
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    tensor.data_location = TensorProto.EXTERNAL
    entries = {"location": location}
    if offset is not None:
        entries["offset"] = str(offset)
    if length is not None:
        entries["length"] = str(length)
    for key, value in entries.items():
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def add_of(weight):
    return model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                 [x_input()], [y_output()], [weight])


good = add_of(numpy_helper.from_array(np.ones(4, np.float32), "w"))
good_bytes = good.SerializeToString()
save("truncated", good_bytes[: len(good_bytes) // 2])
save("not-onnx", b"this is a text file, not a protobuf\n")
save("unsupported", model([helper.make_node("FooBar", ["x"], ["y"], name="weird_node")],
                          [x_input()], [y_output()]))
save("custom-domain", model([helper.make_node("QuickGelu", ["x"], ["y"], name="act",
                                              domain="com.microsoft")],
                            [x_input()], [y_output()]))
# DequantizeLinear of an activation whose per-axis scales do not fit.
save("dequantize-activation", model(
    [helper.make_node("DequantizeLinear", ["q", "qs"], ["y"], name="dq", axis=1)],
    [helper.make_tensor_value_info("q", TensorProto.INT8, ["sequence", 4])],
    [y_output()], [helper.make_tensor("qs", TensorProto.FLOAT, [3], [0.5, 0.5, 0.5])]))
# MatMulNBits with 3-bit weights, and with 4-bit ones whose scales are a
# graph input instead of an initializer.
nbits_b = helper.make_tensor("b", TensorProto.UINT8, [2, 1, 8], [17] * 16)
nbits_scales = helper.make_tensor("scales", TensorProto.FLOAT, [2], [0.5, 0.25])
save("nbits-3bit", model([helper.make_node("MatMulNBits", ["x", "b", "scales"], ["y"], name="q3",
                                           domain="com.microsoft", K=4, N=2, bits=3,
                                           block_size=16)],
                         [x_input()], [y_output()], [nbits_b, nbits_scales]))
save("nbits-input-scales", model([helper.make_node("MatMulNBits", ["x", "b", "s"], ["y"], name="q4",
                                                   domain="com.microsoft", K=4, N=2, bits=4,
                                                   block_size=16)],
                                 [x_input(), helper.make_tensor_value_info("s", TensorProto.FLOAT,
                                                                           [2])],
                                 [y_output()], [nbits_b]))
# GroupQueryAttention with a sliding window, which llmc does not import.
gqa_inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in [
    ("qkv", ["batch", "sequence", 128]), ("past_k", ["batch", 2, "past", 16]),
    ("past_v", ["batch", 2, "past", 16])]] + [
    helper.make_tensor_value_info("seqlens", TensorProto.INT32, ["batch"]),
    helper.make_tensor_value_info("total", TensorProto.INT32, [])]
save("gqa-window", model(
    [helper.make_node("GroupQueryAttention", ["qkv", "", "", "past_k", "past_v", "seqlens", "total"],
                      ["y"], name="windowed_attn", domain="com.microsoft", num_heads=4,
                      kv_num_heads=2, local_window_size=8)],
    gqa_inputs, [y_output()]))
save("missing-input", model([helper.make_node("Add", ["x", "ghost"], ["y"], name="uses_ghost")],
                            [x_input()], [y_output()]))
save("missing-output", model([helper.make_node("Neg", ["x"], ["z"], name="neg")],
                             [x_input()], [y_output()]))
overflow = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
save("overflow", add_of(overflow))
save("bad-broadcast", model([helper.make_node("Add", ["x", "w"], ["y"], name="bad_add")],
                            [x_input()], [y_output()],
                            [numpy_helper.from_array(np.ones(3, np.float32), "w")]))

weights = np.arange(4, dtype=np.float32).tobytes()
save("ext-parent", add_of(external("w", "../outside/w.bin")))
save("ext-absolute", add_of(external("w", os.path.join(root, "outside", "w.bin"))))
folder = save("ext-symlink", add_of(external("w", "link.bin")))
os.makedirs(os.path.join(root, "outside"), exist_ok=True)
with open(os.path.join(root, "outside", "w.bin"), "wb") as f:
    f.write(weights)
link = os.path.join(folder, "link.bin")
if not os.path.lexists(link):
    os.symlink(os.path.join("..", "outside", "w.bin"), link)
save("ext-range", add_of(external("w", "w.bin", offset=8, length=16)), {"w.bin": weights})
save("ext-missing", add_of(external("w", "absent.bin")))
# A positive control: external data inside the folder, at offsets; "big" is
# large enough to stay a mapped dense_resource blob.
ok = add_of(external("w", "data/w.bin", offset=4, length=16))
ok.graph.initializer.append(external("big", "data/w.bin", offset=20, length=400,
                                     dims=(100,)))
ok.graph.output.append(helper.make_tensor_value_info("big", TensorProto.FLOAT, [100]))
save("ext-ok", ok)
os.makedirs(os.path.join(root, "ext-ok", "data"), exist_ok=True)
with open(os.path.join(root, "ext-ok", "data", "w.bin"), "wb") as f:
    f.write(b"\0" * 4 + np.array([1, 2, 3, 4], np.float32).tobytes()
            + np.arange(100, dtype=np.float32).tobytes())

# Past 2 GiB: a sparse 3 GiB external data file with the tensor beyond the
# 32-bit offset range (the 64-bit offset path; the file takes no disk space).
big = add_of(external("w", "huge.bin", offset=(1 << 31) + 4096, length=16))
folder = save("ext-past-2gib", big)
with open(os.path.join(folder, "huge.bin"), "wb") as f:
    f.truncate(3 << 30)
    f.seek((1 << 31) + 4096)
    f.write(np.array([1.5, 2.5, 3.5, 4.5], np.float32).tobytes())
