"""Time GradStudio's start-up from outside: launch ``COMMAND --smoke-test`` offscreen and
take the time from launch to its "window shown" line (the main window with the small
network is on screen), and to its exit. Best and median of N runs, after one warm-up run
(so the disk cache is warm, as the target "window shown in under 1.5 s" assumes).

    python packaging/measure_startup.py dist/gradstudio/gradstudio      # the bundle
    python packaging/measure_startup.py .venv/bin/gradstudio            # the installed app
    python packaging/measure_startup.py --runs 10 dist/gradstudio/gradstudio
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def one_run(command: list[str]) -> tuple[float, float]:
    """Seconds from launch to "window shown", and to exit."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home)
        start = time.perf_counter()
        proc = subprocess.Popen([*command, "--smoke-test"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, env=env)
        shown = None
        for line in proc.stdout:
            if shown is None and line.startswith("window shown"):
                shown = time.perf_counter() - start
            if line.startswith("smoke test:") and "ok" not in line:
                raise SystemExit(f"smoke test failed: {line.strip()}")
        code = proc.wait()
        total = time.perf_counter() - start
    if code != 0 or shown is None:
        raise SystemExit(f"{' '.join(command)} --smoke-test exited with {code}")
    return shown, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="+", help="the gradstudio executable (and arguments)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_run(args.command)  # warm-up: fills the disk cache
    runs = [one_run(args.command) for _ in range(args.runs)]
    shown = [r[0] for r in runs]
    total = [r[1] for r in runs]
    print(f"window shown: best {min(shown):.2f} s, median {statistics.median(shown):.2f} s; "
          f"smoke test done: median {statistics.median(total):.2f} s ({args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
