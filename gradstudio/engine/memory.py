"""Vector memory: keep freed big blocks in the process, as PyTorch's allocator does.

glibc serves a block above its mmap threshold (128 KiB at start, raised as blocks are
freed) with a fresh mmap and gives it back on free, and trims the heap's free top above its
trim threshold; either way the next 4 MB array of a 1e6-element chain page-faults all its
pages in again (about 27,000 faults per `vector_chain_100` run). ``configure_malloc``, run
once when the engine is imported, sets both thresholds with ``mallopt`` so such blocks stay
in the heap and are reused: the mmap threshold to glibc's largest (32 MiB on 64-bit; bigger
blocks are still mmapped and returned) and the trim threshold to 512 MiB (free memory above
that at the heap's top is still given back). The cost is that the process keeps up to that
much freed memory for its next arrays.

Off with ``GRADSTUDIO_NO_MALLOPT=1`` in the environment; a no-op where the C library is not
glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

__all__ = ["configure_malloc", "STATUS", "OPT_OUT", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

OPT_OUT = "GRADSTUDIO_NO_MALLOPT"
MMAP_THRESHOLD = 32 << 20  # glibc's HEAP_MAX / 2 on 64-bit: mallopt refuses more
TRIM_THRESHOLD = 512 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h

STATUS = "not configured"  # what configure_malloc did, for tests and --version style reports


def configure_malloc(environ: Mapping[str, str] = os.environ) -> str:
    """Set glibc's thresholds (once per process); returns and records what was done:
    "set", "skipped: GRADSTUDIO_NO_MALLOPT", or "unavailable: ..." (not glibc)."""
    global STATUS
    if environ.get(OPT_OUT, "") not in ("", "0"):
        STATUS = f"skipped: {OPT_OUT}"
        return STATUS
    if not sys.platform.startswith("linux"):
        STATUS = f"unavailable: {sys.platform} is not glibc"
        return STATUS
    try:
        # the C library this process already runs on: dlopen(NULL) searches what is loaded
        # (ctypes.util.find_library would run ldconfig in a subprocess at every start-up)
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (not musl)
    except (OSError, AttributeError):
        STATUS = "unavailable: the C library is not glibc"
        return STATUS
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD,
                                                                TRIM_THRESHOLD)
    STATUS = "set" if ok else "unavailable: mallopt refused the thresholds"
    return STATUS
