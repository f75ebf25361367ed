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
from gradstudio.graph.code_import import (
    MAX_CODE_BYTES,
    Backward,
    ImportedGraph,
    ZeroGrad,
    import_code,
    read_code,
)
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
    if imported.no_graph():  # as the window refuses it: an empty file helps no one
        return _fail(f"{name}: {imported.no_graph()}")
    try:
        save(imported.model, args.output)
    except GraphError as e:
        return _fail(str(e))
    for note in imported.notes:
        print(f"{name}:{note}")
    model = imported.model
    print(f"wrote {args.output}: {counted(len(model), 'nodes')}, "
          f"{counted(len(model.edges()), 'wires')}")
    hint = _backward_hint(imported, args.output)
    if hint:
        print(hint)
    return 0


_IN_WINDOW = "File ▸ Import PyTorch Code… in the window replays them all, in order"


def _backward_hint(imported: ImportedGraph, output: str) -> str:
    """How to see the code's gradients with ``gradstudio run``: --repeat K only where the
    code runs backward K times from one node with no zeroing between; else what one run
    can do, and that the window's import replays every call."""
    actions, label = imported.actions, imported.model.label
    targets = [a.target for a in actions if isinstance(a, Backward)]
    if not targets:
        return ""
    run, n = f"gradstudio run {output} --backward", len(targets)
    times = f"{n} time{'s' * (n > 1)}"
    nodes = list(dict.fromkeys(targets))
    if len(nodes) > 1:
        names = ", ".join(label(t) for t in nodes)
        return (f"the code runs backward {times}, from {len(nodes)} different nodes ({names}), "
                "adding up their gradients; gradstudio run runs backward from one node "
                f"(--repeat repeats that one): {run} runs {label(nodes[-1])}'s (the loss), "
                f"--target NAME another's. {_IN_WINDOW}")
    first = next(i for i, a in enumerate(actions) if isinstance(a, Backward))
    zeroed = [a for a in actions[first:] if isinstance(a, ZeroGrad)]
    if n > 1 and zeroed:
        z = zeroed[0]
        done = f"{label(z.target)}.grad = None" if z.clear else f"{label(z.target)}.grad.zero_()"
        return (f"the code runs backward {times} from {label(nodes[0])} with {done} between, "
                f"which --repeat cannot do: {run} runs one. {_IN_WINDOW}")
    return f"the code runs backward {times}: {run}" + (f" --repeat {n}" if n > 1 else "")


def _read(script: str) -> bytes:
    """The script's bytes; past the limit, only enough to know it is too long."""
    if script == "-":
        return sys.stdin.buffer.read(MAX_CODE_BYTES + 1)
    return read_code(script)

