"""How the headless commands report problems: one line on stderr, no traceback. A usage error
exits with code 2 (argparse's), any other problem returns 1."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

__all__ = ["one_line_usage_errors", "fail", "warn", "survive_any_text"]


def one_line_usage_errors(parser: argparse.ArgumentParser) -> None:
    """Make ``parser``'s usage errors one line on stderr (exit code 2)."""

    def one_line_error(message: str) -> NoReturn:
        parser.exit(2, f"gradstudio: error: {message} (see '{parser.prog} --help')\n")

    parser.error = one_line_error  # type: ignore[method-assign]


def fail(message: str) -> int:
    """Print ``message`` as the command's one error line; returns the exit code, 1."""
    print(f"gradstudio: error: {message}", file=sys.stderr)
    return 1


def warn(message: str) -> None:
    """Print ``message`` as a warning line: the command goes on."""
    print(f"gradstudio: warning: {message}", file=sys.stderr)


def survive_any_text() -> None:
    """Print any label: a lone surrogate ("\\ud800") or a character the terminal's encoding
    lacks is written as a backslash escape instead of ending the program."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
