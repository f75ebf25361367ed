"""``gradstudio export FILE --to py|ipynb -o OUT``: a graph file as a PyTorch script or a
Jupyter notebook, headless (the graph layer only: no Qt, no PyTorch)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gradstudio.cli_errors import fail, one_line_usage_errors
from gradstudio.graph import GraphError, Session, load
from gradstudio.graph.code_export import FORMATS, export_text
from gradstudio.graph.fileformat import write_atomic

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradstudio export", description="Write a graph file as PyTorch code: one "
        "variable per node, backward on the loss, each leaf's gradient printed.")
    one_line_usage_errors(parser)
    parser.add_argument("file", help="a .gsgraph file")
    parser.add_argument("--to", choices=list(FORMATS), default=None,
                        help="py (a script) or ipynb (a notebook: a markdown cell explaining "
                        "each step); default: from OUT's extension")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="the file to write ('-' for standard output)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="call backward K times, as 'gradstudio run --repeat K' does "
                        "(gradients accumulate)")
    return parser


def main(argv: list[str]) -> int:
    """The export command; returns the exit code. Problems are one line on stderr."""
    args = _parser().parse_args(argv)
    fmt = args.to or Path(args.output).suffix.lstrip(".")
    if fmt not in FORMATS:
        return fail(f"cannot tell the format from '{args.output}': use --to py or --to ipynb")
    if args.repeat < 1:
        return fail("--repeat must be at least 1")
    try:
        text = export_text(Session(load(args.file)), fmt, repeat=args.repeat,
                           title=Path(args.file).name)
        if args.output == "-":
            sys.stdout.write(text)
        else:
            write_atomic(args.output, text)
    except GraphError as e:
        return fail(str(e))
    return 0
