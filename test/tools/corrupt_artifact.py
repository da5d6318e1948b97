"""Damaged copies of an artifact, for the runtime's error tests.

usage: corrupt_artifact.py IN OUT truncate|flip-weight|magic|version
  truncate     drop the last 100 bytes
  flip-weight  flip one bit of the first section (a weight: the compiler
               writes the weights before the plan), 100 bytes into it
  magic        overwrite the 8-byte magic
  version      set the format version (u32 at offset 8) to 2
"""
import struct
import sys

source, target, mode = sys.argv[1:4]
data = bytearray(open(source, "rb").read())
if mode == "truncate":
    data = data[:-100]
elif mode == "flip-weight":
    data[64 + 100] ^= 0x10
elif mode == "magic":
    data[0:8] = b"NOTLLMC!"
elif mode == "version":
    data[8:12] = struct.pack("<I", 2)
else:
    sys.exit(f"unknown mode {mode}")
open(target, "wb").write(data)
