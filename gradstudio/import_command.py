"""``gradstudio import SCRIPT.py -o OUT.gsgraph``: PyTorch code to a graph file, headless.

The script is read, never run (graph/code_import.py). Problems are one line on stderr with
``line:col``, exit code 1 (2 for a usage error), and no file is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradstudio.cli_errors import fail as _fail
from gradstudio.cli_errors import one_line_usage_errors
from gradstudio.graph import EXTENSION, GraphError, save
from gradstudio.graph.code_import import MAX_CODE_BYTES, import_code, read_code
from gradstudio.graph.limits import count as counted

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The import command's options; usage errors become one line on stderr (exit code 2)."""
    one_line_usage_errors(parser)
    parser.add_argument("script", help="a Python file of PyTorch code ('-' reads stdin)")
    parser.add_argument("-o", "--output", required=True, metavar=f"OUT{EXTENSION}",
                        help="the graph file to write")


def run(args: argparse.Namespace) -> int:
    """The import command; returns the exit code."""
    name = "stdin" if args.script == "-" else Path(args.script).name
    try:
        source = _read(args.script)
    except OSError as e:
        return _fail(f"cannot read {args.script}: {e.strerror or e}")
    try:
        imported = import_code(source)
    except GraphError as e:
        return _fail(f"{name}:{e}")
    try:
        save(imported.model, args.output)
    except GraphError as e:
        return _fail(str(e))
    for note in imported.notes:
        print(f"{name}:{note}")
    model = imported.model
    print(f"wrote {args.output}: {counted(len(model), 'nodes')}, "
          f"{counted(len(model.edges()), 'wires')}")
    count = imported.backward_count()
    if count:
        repeat = f" --repeat {count}" if count > 1 else ""
        print(f"the code runs backward {count} time{'s' * (count > 1)}: "
              f"gradstudio run {args.output} --backward{repeat}")
    return 0


def _read(script: str) -> bytes:
    """The script's bytes; past the limit, only enough to know it is too long."""
    if script == "-":
        return sys.stdin.buffer.read(MAX_CODE_BYTES + 1)
    return read_code(script)

