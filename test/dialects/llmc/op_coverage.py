"""Fails when an llmc op lacks a round-trip test or an invalid-IR test.

Reads the op mnemonics from the dialect's ODS files and looks for `llmc.<op>`
in ops.mlir (round trip) and in the invalid-*.mlir files beside this script.
"""
import pathlib
import re
import sys

source_dir = pathlib.Path(sys.argv[1])
tests = pathlib.Path(__file__).parent
ods = "".join(p.read_text() for p in (source_dir / "dialects/llmc/IR").glob("*.td"))
ops = re.findall(r'^def Llmc_\w+Op\s*:\s*Llmc_\w+<"(\w+)"', ods, re.MULTILINE)
if not ops:
    sys.exit("no llmc ops found in the ODS files")

round_trip = (tests / "ops.mlir").read_text()
invalid = "".join(p.read_text() for p in tests.glob("invalid-*.mlir"))

def used(op, text):
    return re.search(r'["\s]llmc\.' + op + r'\b', text) is not None

missing = [f"{op}: {what}" for op in ops
           for what, text in (("round trip", round_trip), ("invalid IR", invalid))
           if not used(op, text)]
if missing:
    sys.exit("ops without tests:\n  " + "\n  ".join(missing))
print(f"{len(ops)} ops, each with a round-trip and an invalid-IR test")
