"""engine/memory.py: glibc's malloc thresholds are set once at import, or skipped when the
environment opts out; with them, repeated 4 MB arrays stop page-faulting."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gradstudio.engine import memory

ON_GLIBC = sys.platform.startswith("linux") and os.confstr("CS_GNU_LIBC_VERSION") is not None

PROBE = """
import resource, numpy as np
import gradstudio.engine as ge
from gradstudio.engine import memory
x = ge.full((1_000_000,), 0.5)
def run():
    y = x
    for _ in range(30):
        y = ge.sin(y) * 1.01 + 0.1
run()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    run()
print(memory.STATUS, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 3)
"""


def _probe(**env: str) -> tuple[str, int]:
    environ = {k: v for k, v in os.environ.items() if k != memory.OPT_OUT}
    environ.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True,
                         text=True, check=True).stdout.split()
    return " ".join(out[:-1]), int(out[-1])


@pytest.mark.skipif(not ON_GLIBC, reason="mallopt is glibc's")
def test_the_thresholds_are_set_at_import_and_stop_the_page_faults() -> None:
    status, faults = _probe()
    assert status == "set"
    skipped, faults_without = _probe(GRADSTUDIO_NO_MALLOPT="1")
    assert skipped == "skipped: GRADSTUDIO_NO_MALLOPT"
    # 90 arrays of 4 MB per run: without the thresholds about 1,000 faults each
    assert faults < 200 < 10 * faults_without, (faults, faults_without)


def test_the_opt_out_and_other_libraries_leave_malloc_alone(monkeypatch) -> None:
    monkeypatch.setattr(memory, "STATUS", memory.STATUS)  # put back after the test
    assert memory.configure_malloc({memory.OPT_OUT: "1"}) == "skipped: GRADSTUDIO_NO_MALLOPT"
    assert memory.STATUS == "skipped: GRADSTUDIO_NO_MALLOPT"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memory.configure_malloc({}) == "unavailable: darwin is not glibc"


@pytest.mark.skipif(not ON_GLIBC, reason="mallopt is glibc's")
def test_zero_means_not_opted_out(monkeypatch) -> None:
    monkeypatch.setattr(memory, "STATUS", memory.STATUS)
    assert memory.configure_malloc({memory.OPT_OUT: "0"}) == "set"
