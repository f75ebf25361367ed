"""Canary for the PySide6-Essentials 6.12.0 / Python 3.11 bug: every call to a method that
returns void drops a reference to None, and after a few thousand calls the process aborts.
The pin in pyproject.toml keeps it away; this test fails loudly if it comes back."""

import subprocess
import sys

import pytest

pytest.importorskip("PySide6")


def test_void_methods_do_not_leak_none_references() -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QPointF\n"
        "p = QPointF()\n"
        "before = sys.getrefcount(None)\n"
        "for _ in range(20000):\n"
        "    p.setX(1.0)\n"
        "after = sys.getrefcount(None)\n"
        "print(before - after)\n"
    )
    # In a child process: with the bug, the interpreter aborts instead of failing politely.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"PySide6 crashed on void calls: {done.stderr[-500:]}"
    lost = int(done.stdout.strip())
    assert abs(lost) < 100, f"None lost {lost} references over 20000 void calls"
