"""Timing and memory measurement shared by every benchmark suite.

A ``Case`` is a function ``setup(lib) -> run``: it builds the inputs with ``lib`` (the engine
or torch module) and returns ``run``, the zero-argument callable that is timed. ``run``
returns a dict of numbers, so the two libraries' answers can be compared.

Time: each library runs in its own worker process, started fresh for each case and importing
only that library, so neither inherits the other's allocator state (when PyTorch has run in a
process, glibc's heap keeps pages that numpy then reuses without page faults, which made the
engine look twice as fast on large vectors as it is on its own). After one untimed warm-up
run in each worker, the repeats alternate between the workers (engine, torch, torch, engine,
...), one running at a time, so that load from other work on a shared machine hits both; the
minimum is reported. Each repeat builds fresh inputs outside the timed region; the garbage
collector stays on (it is part of what a user pays for), ``gc.collect()`` runs before each.

Memory: every (case, library) pair also runs once in a fresh subprocess that imports only
what it needs, runs a one-element warm-up, resets the kernel's peak-RSS mark
(``/proc/self/clear_refs``), records the current RSS as the baseline, runs the case, and
reports the peak RSS (``VmHWM``, the counter behind ``getrusage().ru_maxrss``) minus the
baseline: the extra resident memory the case needed at its peak, counted the same way for
numpy and PyTorch allocations. That subprocess runs with glibc's mmap threshold fixed at
128 KiB (``MALLOC_MMAP_THRESHOLD_``): by default glibc raises the threshold after the first
large free and then serves 4 MB blocks from its heap, which it cannot always give back, so
the peak would depend on allocation history more than on what the library keeps alive. For
the engine the subprocess also reports the peak traced by ``tracemalloc`` (numpy reports its
buffers to it; PyTorch does not), as a cross-check.
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINE, TORCH, MICROGRAD = "engine", "torch", "micrograd"
LABELS = {ENGINE: "engine", TORCH: "PyTorch", MICROGRAD: "micrograd-style"}
# glibc's initial mmap threshold, fixed: large blocks are always mmapped and returned on free,
# so peak RSS follows live memory instead of what the heap kept from earlier frees.
MMAP_THRESHOLD = 128 * 1024
Run = Callable[[], dict[str, float]]


@dataclass(frozen=True)
class Case:
    """One benchmark, defined once for every library it runs on."""

    name: str
    summary: str
    setup: Callable[[Any], Run]
    max_ratio: float | None = None  # target: engine time / PyTorch time at most this
    max_seconds: float | None = None  # target for cases without a PyTorch twin
    max_peak_mb: float | None = None  # target: the engine run's peak memory (MB) at most this
    against_torch: bool = True  # False: graph/UI cases, engine column only
    # The same computation written for benchmarks/micrograd.py (setup(module) -> run), timed
    # beside the engine and PyTorch in the same run; its answers are double precision.
    micrograd: Callable[[Any], Run] | None = None
    max_micrograd_ratio: float | None = None  # target: engine time / micrograd-style time
    repeats: int = 5
    quick_repeats: int = 1
    rtol: float = 1e-4  # how close the two libraries' answers must be
    atol: float = 1e-6
    suite: str = ""  # filled in by the registry

    @property
    def target_text(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"<= {self.max_ratio:g}x PyTorch")
        if self.max_micrograd_ratio is not None:
            parts.append(f"<= {self.max_micrograd_ratio:g}x micrograd-style")
        if self.max_seconds is not None:
            parts.append(f"<= {format_seconds(self.max_seconds)}")
        if self.max_peak_mb is not None:
            parts.append(f"<= {self.max_peak_mb:g} MB peak")
        return ", ".join(parts) or "-"


@dataclass
class Result:
    """What one case measured; a library is missing from a dict when it was not measured."""

    case: Case
    seconds: dict[str, float] = field(default_factory=dict)  # best of the repeats
    all_seconds: dict[str, list[float]] = field(default_factory=dict)
    peak_mb: dict[str, float | None] = field(default_factory=dict)
    traced_mb: float | None = None  # engine peak seen by tracemalloc
    outputs: dict[str, dict[str, float]] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)  # the libraries' answers differ
    notes: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # library -> why it did not start
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        return self.ratio_to(TORCH)

    def ratio_to(self, library: str) -> float | None:
        """Engine time / that library's time, when both were measured."""
        e, t = self.seconds.get(ENGINE), self.seconds.get(library)
        return e / t if e is not None and t else None

    @property
    def verdict(self) -> str:
        """"pass", "FAIL", "ERROR" or "n/a" (nothing to compare against). Every target the
        case names must be met."""
        if self.error:
            return "ERROR"
        checks = []
        for library, limit in ((TORCH, self.case.max_ratio),
                               (MICROGRAD, self.case.max_micrograd_ratio)):
            if limit is not None and self.ratio_to(library) is not None:
                checks.append(self.ratio_to(library) <= limit)
        if self.case.max_seconds is not None and ENGINE in self.seconds:
            checks.append(self.seconds[ENGINE] <= self.case.max_seconds)
        peak = self.peak_mb.get(ENGINE)
        if self.case.max_peak_mb is not None and peak is not None:
            checks.append(peak <= self.case.max_peak_mb)
        if not checks:
            return "n/a"
        return "pass" if all(checks) else "FAIL"

    def to_json(self) -> dict:
        return {"case": self.case.name, "suite": self.case.suite, "seconds": self.seconds,
                "all_seconds": self.all_seconds, "peak_mb": self.peak_mb,
                "engine_tracemalloc_mb": self.traced_mb, "ratio": self.ratio,
                "ratio_micrograd": self.ratio_to(MICROGRAD),
                "target": self.case.target_text, "verdict": self.verdict,
                "outputs": self.outputs, "mismatches": self.mismatches, "notes": self.notes,
                "error": self.error}


def format_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3g} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


# --- libraries ---------------------------------------------------------------------------------
def load_library(name: str) -> Any:
    """The module a case receives: the engine, the micrograd-style engine, or torch pinned
    to one thread."""
    if name == ENGINE:
        return importlib.import_module("gradstudio.engine")
    if name == MICROGRAD:
        return importlib.import_module("benchmarks.micrograd")
    torch = importlib.import_module("torch")
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only allowed before any parallel work has started
        pass
    return torch


def available_libraries(use_torch: bool = True) -> tuple[list[str], str | None]:
    """The libraries to measure, and why PyTorch is left out when it is."""
    if not use_torch:
        return [ENGINE, MICROGRAD], "PyTorch not measured (--no-torch)"
    if importlib.util.find_spec("torch") is None:
        return [ENGINE, MICROGRAD], "PyTorch not installed"
    return [ENGINE, TORCH, MICROGRAD], None


def describe_machine(libraries: list[str]) -> str:
    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    parts = [f"Python {platform.python_version()}", f"numpy {version('numpy')}"]
    if TORCH in libraries:
        parts.append(f"PyTorch {version('torch')} (1 thread)")
    parts.append(f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})")
    try:
        parts.append(f"load avg {os.getloadavg()[0]:.2f}")
    except OSError:
        pass
    return ", ".join(parts)


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _find_case(suite: str, name: str) -> Case:
    return next(c for c in importlib.import_module(suite).CASES if c.name == name)


# --- timing ------------------------------------------------------------------------------------
class Worker:
    """A process that imports one library and times cases on request, one line of JSON each
    way. Anything the library prints goes to a log file, not into the protocol."""

    def __init__(self, library: str) -> None:
        self.library = library
        self.log = tempfile.TemporaryFile(mode="w+")
        code = "from benchmarks.harness import _worker_main; _worker_main()"
        self.proc = subprocess.Popen([sys.executable, "-c", code, library], cwd=ROOT,
                                     env=_child_env(), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.ready: dict[str, Any] | None = None

    def wait_ready(self) -> dict[str, Any]:
        if self.ready is None:
            self.ready = self._read()
        return self.ready

    def time(self, case: Case) -> tuple[float, dict[str, float]]:
        request = {"suite": case.suite, "name": case.name}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{LABELS[self.library]}: {reply['error']}")
        return reply["seconds"], reply["outputs"]

    def _read(self) -> dict[str, Any]:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            return {"error": f"worker exited with status {self.proc.returncode}: "
                             f"{self._log_tail()}", "ready": False}
        return json.loads(line)

    def _log_tail(self) -> str:
        self.log.seek(0)
        lines = [ln for ln in self.log.read().splitlines() if ln.strip()]
        return lines[-1] if lines else "no output"

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _worker_main() -> None:
    library = sys.argv[1]
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library output goes to the log

    def reply(message: dict) -> None:
        protocol.write(json.dumps(message) + "\n")

    try:
        lib = load_library(library)
    except ImportError as e:
        reply({"ready": False, "error": f"{type(e).__name__}: {e}"})
        return
    reply({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            case = _find_case(request["suite"], request["name"])
            setup = case.micrograd if library == MICROGRAD else case.setup
            seconds, outputs = _timed(setup, lib)
            reply({"seconds": seconds, "outputs": outputs})
        except Exception as e:  # reported in the table; the run goes on
            reply({"error": f"{type(e).__name__}: {e}"})


def _timed(setup: Callable[[Any], Run], lib: Any) -> tuple[float, dict[str, float]]:
    run = setup(lib)
    gc.collect()
    start = time.perf_counter()
    out = run()
    elapsed = time.perf_counter() - start
    return elapsed, out


def run_case(case: Case, libraries: list[str], quick: bool = False,
             memory: bool = True) -> Result:
    """Time the case in one fresh worker per library (best of N, repeats interleaved, after
    one warm-up each) and measure its peak memory in one more fresh process per library.
    A library whose worker cannot start is left out, with a note."""
    result = Result(case)
    names = [n for n in libraries if n == ENGINE or (n == TORCH and case.against_torch)
             or (n == MICROGRAD and case.micrograd is not None)]
    # Start-up overlaps: the workers import while the memory probes run; nothing is timed yet.
    probes = ({n: _start_memory_probe(case, n) for n in names if n != MICROGRAD}
              if memory else {})
    workers = {n: Worker(n) for n in names}
    try:
        for name, worker in list(workers.items()):
            ready = worker.wait_ready()
            if not ready.get("ready"):
                result.unavailable[name] = str(ready.get("error"))
                worker.close()
                del workers[name]
                probe = probes.pop(name, None)
                if probe is not None:
                    probe.kill()
                    probe.communicate()
        for name, probe in probes.items():
            _finish_memory_probe(result, name, probe)
        if ENGINE not in workers:
            result.error = f"engine did not start: {result.unavailable.get(ENGINE)}"
            return result
        _time_interleaved(result, workers, case.quick_repeats if quick else case.repeats)
    except (RuntimeError, OSError, ValueError) as e:  # a broken case must not hide the others
        result.error = str(e)
    finally:
        for worker in workers.values():
            worker.close()
    return result


def _time_interleaved(result: Result, workers: dict[str, Worker], repeats: int) -> None:
    case, names = result.case, list(workers)
    for name in names:  # warm-up: first-call paths, caches, the allocator's first pages
        _, result.outputs[name] = workers[name].time(case)
    for i in range(repeats):
        for name in names if i % 2 == 0 else names[::-1]:
            elapsed, result.outputs[name] = workers[name].time(case)
            result.all_seconds.setdefault(name, []).append(elapsed)
    result.seconds = {n: min(v) for n, v in result.all_seconds.items()}
    if ENGINE in result.outputs and TORCH in result.outputs:
        result.mismatches = compare(case, result.outputs[ENGINE], result.outputs[TORCH])


def compare(case: Case, engine: dict[str, float], torch: dict[str, float]) -> list[str]:
    problems = []
    for key, value in engine.items():
        other = torch.get(key)
        if other is None or not math.isclose(value, other, rel_tol=case.rtol, abs_tol=case.atol):
            problems.append(f"{key}: engine {value!r} vs PyTorch {other!r}")
    return problems


# --- memory ------------------------------------------------------------------------------------
def _start_memory_probe(case: Case, library: str) -> subprocess.Popen:
    code = "from benchmarks.harness import _memory_main; _memory_main()"
    env = _child_env()
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD))
    return subprocess.Popen([sys.executable, "-c", code, case.suite, case.name, library],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish_memory_probe(result: Result, library: str, probe: subprocess.Popen) -> None:
    try:
        out, err = probe.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.communicate()
        result.notes.append(f"{LABELS[library]} memory probe timed out")
        return
    lines = out.strip().splitlines()
    if probe.returncode != 0 or not lines:
        tail = (err.strip().splitlines() or ["no output"])[-1]
        result.notes.append(f"{LABELS[library]} memory probe failed: {tail}")
        return
    report = json.loads(lines[-1])
    result.peak_mb[library] = report["peak_mb"]
    if "traced_mb" in report:
        result.traced_mb = report["traced_mb"]
    if not report["reset"]:
        result.notes.append(f"{LABELS[library]}: the peak-RSS mark could not be reset, so its "
                            "peak MB only counts memory above the import peak")


def _status_kb(key: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


def _peak_kb() -> int:
    """The peak RSS of this process's own memory. ``ru_maxrss`` is the same counter, but
    after fork/exec it also holds the parent's peak, which clear_refs cannot reset."""
    try:
        return _status_kb("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Set the peak-RSS mark (VmHWM) back to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _memory_main() -> None:
    suite, name, library = sys.argv[1:4]
    case = _find_case(suite, name)
    lib = load_library(library)
    _warm_up(lib)
    gc.collect()
    reset = _reset_peak()
    # Without a reset, the import peak is the floor: the case's peak shows only above it.
    base_kb = _status_kb("VmRSS") if reset else _peak_kb()
    run = case.setup(lib)
    run()
    peak_kb = _peak_kb()
    del run
    report: dict[str, Any] = {"peak_mb": max(peak_kb - base_kb, 0) / 1024, "reset": reset,
                              "baseline_mb": base_kb / 1024}
    if library == ENGINE:
        import tracemalloc

        gc.collect()
        run = case.setup(lib)
        tracemalloc.start()
        run()
        report["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    print(json.dumps(report))


def _warm_up(lib: Any) -> None:
    """First-use allocations (kernels, autograd engine) belong to the baseline, not a case."""
    x = lib.tensor([0.5], requires_grad=True)
    lib.sigmoid(lib.sin(x) * 1.01 + 0.1).sum().backward()
