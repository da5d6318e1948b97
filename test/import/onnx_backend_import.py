"""Imports and runs the ONNX backend node tests of every op llmc supports.

The test cases come from the pip `onnx` package (onnx.backend.test.case.node,
the generators of onnx/backend/test/data/node). For each case whose nodes
are all of supported op types, runs llmc-import and records whether it
imported or was rejected, and with what message. Each imported case is then
compiled (`llmc compile`) and run on its test inputs (`llmc-run ... run`),
and its results compared with the expected outputs (onnx's own tolerances:
rtol 1e-3, atol 1e-7; integers and booleans exactly). Fails when llmc-import
crashes, when a supported op imports none of its cases, when a compiled
case does not match, or (with --check-doc) when docs/onnx-ops.md is not what
this run generates.

usage: onnx_backend_import.py BIN_DIR WORKDIR (--check-doc DOC | --write-doc DOC)
"""
import collections
import os
import subprocess
import sys
import warnings

import numpy as np
import onnx
from onnx import numpy_helper, version_converter

warnings.filterwarnings("ignore")
from onnx.backend.test.case.node import collect_testcases  # noqa: E402


def upgrade_opset(model):
    """Cases written for opsets below llmc's 13 are converted with onnx's own
    version converter (when it can) so the op itself gets tested."""
    version = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    if version >= 13:
        return model
    try:
        return version_converter.convert_version(model, 13)
    except Exception:
        return model


def freeze_integer_inputs(case):
    """Makes integer graph inputs (axes, shapes, split sizes, indices)
    initializers holding their test values: exporters emit those as
    constants, and llmc types results from them."""
    model = case.model
    if not case.data_sets:
        return model
    inputs, _ = case.data_sets[0]
    kept = []
    for info, value in zip(list(model.graph.input), inputs):
        array = np.asarray(value)
        if array.dtype.kind in "iu":
            model.graph.initializer.append(numpy_helper.from_array(array, info.name))
        else:
            kept.append(info)
    del model.graph.input[:]
    model.graph.input.extend(kept)
    return model

bin_dir, workdir, mode, doc_path = sys.argv[1:5]
llmc_import = os.path.join(bin_dir, "llmc-import")
llmc = os.path.join(bin_dir, "llmc")
llmc_run = os.path.join(bin_dir, "llmc-run")


def first_error(stderr):
    line = next((l for l in stderr.splitlines() if "error:" in l),
                stderr.strip().splitlines()[-1] if stderr.strip() else "?")
    return line.split("error: ", 1)[-1]


def as_array(value):
    """A case's value (a NumPy array, or a TensorProto for types NumPy
    lacks) as a NumPy array."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def execute(case, folder, path):
    """None when the compiled case reproduces the expected outputs; else
    ("compile" | "run" | "mismatch", message)."""
    artifact = os.path.join(folder, "model.llmc")
    compiled = subprocess.run([llmc, "compile", path, "-o", artifact],
                              capture_output=True, text=True)
    if compiled.returncode:
        return ("compile", first_error(compiled.stderr))
    inputs, expected = case.data_sets[0]
    arguments = []
    for index, value in enumerate(inputs):
        array = as_array(value)
        if array.dtype.kind in "iu":
            continue  # frozen into the model
        if array.dtype == object or array.dtype == np.float16 or \
                array.dtype.name == "bfloat16":
            # Object arrays hold ml_dtypes values (bfloat16 and friends); the
            # CPU target computes f16 and bf16 in f32.
            array = array.astype(np.float32)
        name = os.path.join(folder, f"input_{index}.npy")
        np.save(name, array)
        arguments += ["--input", name]
    ran = subprocess.run([llmc_run, artifact, "run", "--output-dir", folder,
                          *arguments], capture_output=True, text=True)
    if ran.returncode:
        return ("run", first_error(ran.stderr))
    for index, want in enumerate(expected):
        want = as_array(want)
        if want.dtype == object or want.dtype.name == "bfloat16":
            want = want.astype(np.float32)
        got = np.load(os.path.join(folder, f"result_{index}.npy"))
        if got.shape != want.shape:
            return ("mismatch", f"result {index} has shape {got.shape}, "
                    f"expected {want.shape}")
        if want.dtype.kind == "f":
            ok = np.allclose(got.astype(np.float64), want.astype(np.float64),
                             rtol=1e-3, atol=1e-7, equal_nan=True)
        else:
            ok = np.array_equal(got.astype(want.dtype), want)
        if not ok:
            return ("mismatch", f"result {index} differs from the expected "
                    f"output")
    return None

supported = subprocess.run([llmc_import, "--list-ops"], check=True,
                           capture_output=True, text=True).stdout.split()

cases = [c for c in collect_testcases(None) if c.model is not None]
all_ops = sorted({n.op_type for c in cases for n in c.model.graph.node
                  if n.domain in ("", "ai.onnx")})
results = collections.defaultdict(list)  # op -> [(case, error or None)]
executions = collections.defaultdict(list)  # op -> [(case, failure or None)]
crashes = []
for case in cases:
    if "_expanded" in case.name:
        continue  # function bodies expanded into other ops
    ops = {n.op_type for n in case.model.graph.node}
    if len(ops) != 1 or not ops <= set(supported):
        continue
    folder = os.path.join(workdir, case.name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with open(path, "wb") as f:
        f.write(upgrade_opset(freeze_integer_inputs(case)).SerializeToString())
    run = subprocess.run([llmc_import, path, "-o", os.devnull],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1) or (run.returncode == 1 and "error:" not in run.stderr):
        crashes.append(f"{case.name}: exit {run.returncode}\n{run.stderr}")
        continue
    error = None
    if run.returncode:
        line = next(l for l in run.stderr.splitlines() if "error:" in l)
        error = line.split("error: ", 1)[1]
    op = ops.pop()
    results[op].append((case.name, error))
    if error is None:
        executions[op].append((case.name, execute(case, folder, path)))

lines = ["# ONNX ops and llmc-import", "",
         "Generated by `test/import/onnx_backend_import.py` from the ONNX backend",
         "node tests of the pip `onnx` package; the lit test "
         "`test/import/onnx-backend.test` fails when this file is stale.",
         "Integer inputs of a case (axes, shapes, split sizes, indices) are "
         "frozen to their test values, as exporters emit them as constants; "
         "cases below opset 13 are converted to 13 by onnx's version converter "
         "where it can.", "",
         "Each imported case is compiled by `llmc compile` and run by "
         "`llmc-run ... run` on its test inputs; \"ran and matched\" counts "
         "those whose results equal the expected outputs (rtol 1e-3, atol "
         "1e-7; integers exactly). A case that matches no longer is a test "
         "failure.", "",
         "## Supported ops", "",
         "| op | backend cases imported | ran and matched | rejected cases (reason) |",
         "|---|---|---|---|"]
never = []
mismatches = []
# Ops of other domains (onnxruntime's com.microsoft) have no backend node
# tests; the exported-model tests cover them.
contrib = [op for op in supported if "." in op]
for op in (op for op in supported if "." not in op):
    entries = results.get(op, [])
    imported = sum(1 for _, e in entries if e is None)
    rejected = [f"`{n}` ({e})" for n, e in entries if e is not None]
    ran = executions.get(op, [])
    matched = sum(1 for _, f in ran if f is None)
    rejected += [f"`{n}` ({kind}: {message})" for n, f in ran
                 if f is not None and f[0] != "mismatch"
                 for kind, message in [f]]
    mismatches += [f"{n}: {f[1]}" for n, f in ran
                   if f is not None and f[0] == "mismatch"]
    if entries and not imported:
        never.append(op)
    lines.append(f"| {op} | {imported} of {len(entries)} | {matched} of "
                 f"{imported} | {'; '.join(rejected) if rejected else '—'} |")
lines += ["", "## Other domains", "",
          "No backend node tests exist for these; `test/import/genai-models.test` "
          "imports the models onnxruntime-genai's builder writes with them.", "",
          ", ".join(contrib)]
unsupported = [op for op in all_ops if op not in supported]
lines += ["", f"## Not supported ({len(unsupported)} op types)", "",
          ", ".join(unsupported), ""]
text = "\n".join(lines)

status = 0
if mismatches:
    print("compiled cases whose results differ from the expected outputs:\n" +
          "\n".join(mismatches), file=sys.stderr)
    status = 1
if crashes:
    print("llmc-import crashed on:\n" + "\n".join(crashes), file=sys.stderr)
    status = 1
if never:
    print("supported ops that imported none of their backend cases: " + ", ".join(never),
          file=sys.stderr)
    status = 1
if mode == "--write-doc":
    with open(doc_path, "w") as f:
        f.write(text)
elif open(doc_path).read() != text:
    print(f"{doc_path} is stale: regenerate with\n  {sys.argv[0]} {bin_dir} "
          f"/tmp/onnx-backend --write-doc {doc_path}", file=sys.stderr)
    status = 1
total = sum(len(v) for v in results.values())
ok = sum(1 for v in results.values() for _, e in v if e is None)
matched = sum(1 for v in executions.values() for _, f in v if f is None)
print(f"{len(supported)} supported ops: {ok} of {total} backend cases imported, "
      f"{total - ok} rejected with a message, {len(crashes)} crashes; "
      f"{matched} of {ok} ran and matched, {len(mismatches)} mismatched")
sys.exit(status)
