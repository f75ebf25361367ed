"""Running a ``gradstudio`` command in-process, as the command-line tests all do."""

from __future__ import annotations

import pytest

from gradstudio.app import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``gradstudio ARGS...``: the exit code (argparse's usage errors included), stdout, stderr."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err
