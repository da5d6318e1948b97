#!/usr/bin/env python3
"""Fails on an #include that docs/architecture.md's dependency table does
not allow.

usage: check-layering.py [ROOT]

The table's rows name a folder (`runtime/format/`) and, in the last column,
the components it may include, in backticks: a component is a folder's last
name (`format`, `runtime`, `llmc-run`), or `mlir` / `llvm` for those
headers. A name with a star (`kernels*`) is allowed only where the include
says why: a comment with `layering:` on its line or in the comment right
above it. A file
belongs to the most specific folder of the table that holds it; an include
names the component of the most specific folder it starts with, or `mlir` /
`llvm`; other headers (the C++ library, third-party ones) are not checked.
Every violation is printed as FILE:LINE: and the arrow; exit status 1 if any.
"""
import os
import re
import sys

SOURCES = (".h", ".cpp", ".cu", ".cuh", ".inc", ".td")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def read_table(path):
    """{folder: (name, {allowed}, {allowed with a reason})} from the table
    whose last header cell is 'may depend on'."""
    rows = {}
    in_table = False
    with open(path, encoding="utf-8") as doc:
        for line in doc:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not line.lstrip().startswith("|"):
                in_table = False
                continue
            if cells[-1] == "may depend on":
                in_table = True
                continue
            if not in_table or set(cells[0]) <= set("-: "):
                continue
            folder = re.findall(r"`([^`]+)`", cells[0])
            if not folder:
                continue
            folder = folder[0].rstrip("/") + "/"
            names = re.findall(r"`([^`]+)`", cells[-1])
            plain = {name for name in names if not name.endswith("*")}
            starred = {name[:-1] for name in names if name.endswith("*")}
            rows[folder] = (folder.rstrip("/").split("/")[-1], plain, starred)
    if not rows:
        sys.exit(f"{path}: no dependency table (a table ending in "
                 "'may depend on')")
    return rows


def component(path, rows):
    """The row of the most specific folder holding `path`, or None."""
    best = None
    for folder in rows:
        if path.startswith(folder) and (best is None or len(folder) > len(best)):
            best = folder
    return best


def comment_above(lines, index):
    """The `//` comment lines right above lines[index]."""
    block = []
    while index > 0 and lines[index - 1].lstrip().startswith("//"):
        index -= 1
        block.append(lines[index])
    return block


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    table = os.path.join(root, "docs", "architecture.md")
    rows = read_table(table)
    problems = []
    checked = 0
    for folder in sorted(rows):
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(SOURCES):
                    continue
                path = os.path.relpath(os.path.join(directory, name), root)
                row = component(path, rows)
                if row != folder:
                    continue  # a more specific row's file
                owner, allowed, with_reason = rows[row]
                checked += 1
                with open(os.path.join(root, path), encoding="utf-8",
                          errors="replace") as source:
                    lines = source.read().splitlines()
                for number, line in enumerate(lines, 1):
                    match = INCLUDE.match(line)
                    if not match:
                        continue
                    header = match.group(1)
                    top = header.split("/")[0]
                    if top in ("mlir", "llvm"):
                        target = top
                    else:
                        target_row = component(header, rows)
                        if target_row is None:
                            continue
                        target = rows[target_row][0]
                    if target == owner or target in allowed:
                        continue
                    reason = "layering:" in line or "layering:" in " ".join(
                        comment_above(lines, number - 1))
                    if target in with_reason and reason:
                        continue
                    why = (" without a `layering:` comment saying why"
                           if target in with_reason else "")
                    problems.append(f"{path}:{number}: {owner} -> {target} "
                                    f"(#include \"{header}\"){why}, which "
                                    "docs/architecture.md does not allow")
    for problem in problems:
        print(problem)
    print(f"check-layering: {checked} files, {len(problems)} forbidden "
          "includes")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
