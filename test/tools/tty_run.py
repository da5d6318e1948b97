"""Runs a command in a pseudo-terminal (its standard input, output and
error a terminal, as a person's shell gives them) and prints what it
wrote, carriage returns shown as <CR> and escapes as <ESC>, for FileCheck.

usage: tty_run.py COMMAND [ARG ...]
Exits with the command's exit code.
"""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
text = out.decode(errors="replace").replace("\r\n", "\n")
sys.stdout.write(text.replace("\r", "<CR>").replace("\x1b", "<ESC>"))
sys.exit(os.waitstatus_to_exitcode(status))
