"""Fails when a pass of passes/Passes.td breaks the one-name rule.

For each `def Name : Pass<"flag", ...>` (Name in CamelCase, kebab its
kebab-case form: QuantizeInt8 -> quantize-int8):
- the flag is kebab, or llmc-kebab / plan-kebab (the dialect it works on);
- passes/**/Name.cpp defines the pass: GEN_PASS_DEF_NAME and
  `struct Name : ... impl::NameBase<Name>`;
- a lit test test/passes/**/kebab.mlir (or .test) runs the flag.
"""
import pathlib
import re
import sys

source_dir = pathlib.Path(sys.argv[1])
td = (source_dir / "passes/Passes.td").read_text()
passes = re.findall(r'^def (\w+)\s*:\s*Pass<"([\w-]+)"', td, re.MULTILINE)
if not passes:
    sys.exit("no passes found in passes/Passes.td")


def kebab(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


sources = {p.stem: p for p in (source_dir / "passes").rglob("*.cpp")}
tests = list((source_dir / "test/passes").rglob("*.mlir")) + list(
    (source_dir / "test/passes").rglob("*.test"))
problems = []
for name, flag in passes:
    k = kebab(name)
    if flag not in (k, "llmc-" + k, "plan-" + k):
        problems.append(f"{name}: flag '{flag}' is not '{k}' (with llmc- or "
                        "plan- at most)")
    source = sources.get(name)
    if source is None:
        problems.append(f"{name}: no passes/**/{name}.cpp")
    else:
        text = source.read_text()
        if f"GEN_PASS_DEF_{name.upper()}" not in text:
            problems.append(f"{name}: {source.name} lacks GEN_PASS_DEF_"
                            f"{name.upper()}")
        if not re.search(rf"struct {name}\s*:\s*(llmc::)?impl::{name}Base<{name}>",
                         text):
            problems.append(f"{name}: {source.name} has no `struct {name} : "
                            f"impl::{name}Base<{name}>`")
    named = [t for t in tests if t.stem == k]
    if not named:
        problems.append(f"{name}: no lit test test/passes/**/{k}.mlir")
    elif not any(re.search(rf"RUN:.*[-\s'\"(,]{re.escape(flag)}\b", t.read_text())
                 for t in named):
        problems.append(f"{name}: {named[0].name} does not run {flag}")
if problems:
    sys.exit("passes breaking the one-name rule:\n  " + "\n  ".join(problems))
print(f"{len(passes)} passes, each one name for its def, struct, file, flag "
      "and lit test")
