"""``python -m benchmarks [--quick] [--only NAME] [--write-readme | --no-readme]``

A full run prints the table and rewrites the table section of benchmarks/README.md; a
``--quick`` or ``--only`` run only prints, unless ``--write-readme`` asks for the README too.
Raw numbers also go to benchmarks/results/last.json (not committed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import SUITES, bench_agreement, load_cases
from .harness import TORCH, available_libraries, describe_machine, run_case
from .report import AGREEMENT_MARKERS, README, render, write_readme, write_section

AGREEMENT = "agreement"  # --only agreement: the bitwise-agreement table alone

RESULTS = Path(__file__).resolve().parent / "results" / "last.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: same sizes, fewer repeats (times are noisier)")
    p.add_argument("--only", metavar="NAME", action="append", default=[],
                   help="run only this case, or every case of a suite (e.g. bench_engine); "
                        "repeatable; a substring of a case name works too; 'agreement': "
                        "the bitwise agreement with PyTorch")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    readme = p.add_mutually_exclusive_group()
    readme.add_argument("--write-readme", action="store_true",
                        help="rewrite the table section of benchmarks/README.md even for a "
                             "--quick or --only run")
    readme.add_argument("--no-readme", action="store_true",
                        help="print only, leave benchmarks/README.md alone")
    p.add_argument("--no-torch", action="store_true",
                   help="measure the engine only, as when PyTorch is not installed")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory subprocesses")
    p.add_argument("--strict", action="store_true",
                   help="exit with status 1 when a target is missed or the answers differ")
    return p.parse_args(argv)


def select(cases: list, only: list[str]) -> list:
    if not only:
        return cases
    chosen = []
    for case in cases:
        suite = case.suite.rsplit(".", 1)[-1]
        if any(n in (case.name, suite, case.suite) or n in case.name for n in only):
            chosen.append(case)
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cases = load_cases()
    if args.list:
        for case in cases:
            print(f"{case.name:32} {case.target_text:18} {case.summary}")
        print(f"{AGREEMENT:32} {'see README':18} bitwise agreement with PyTorch per unary op")
        return 0
    chosen = select(cases, args.only)
    agreement = not args.only or AGREEMENT in args.only
    if not chosen and not agreement:
        print(f"no case matches {args.only}; --list shows them", file=sys.stderr)
        return 2
    libraries, torch_note = available_libraries(use_torch=not args.no_torch)
    context = describe_machine(libraries)
    print(context)
    if torch_note:
        print(f"{torch_note}: engine column only.")
    started = time.perf_counter()
    results = []
    for case in chosen:
        print(f"  {case.name} ...", end="", flush=True)
        result = run_case(case, libraries, quick=args.quick, memory=not args.no_memory)
        if TORCH in result.unavailable:  # found on the path, but it does not import
            libraries.remove(TORCH)
            torch_note = f"PyTorch not installed ({result.unavailable[TORCH]})"
            print(f" {torch_note}; engine only from here;", end="")
        results.append(result)
        print(f" {result.verdict}")
    full = not args.quick and not args.only
    write = args.write_readme or (full and not args.no_readme)
    if chosen:
        lines = render(results, context, torch_note, args.quick)
        print()
        print("\n".join(lines))
        print(f"\n({time.perf_counter() - started:.0f} s; suites: {', '.join(SUITES)})")
        if write:
            write_readme(results, lines, [c.name for c in cases])
            print(f"table written to {README}")
        _save_json(results, context, torch_note, args.quick)
    agreed = _agreement(args, TORCH in libraries, write) if agreement else True
    bad = [r for r in results if r.verdict in ("FAIL", "ERROR") or r.mismatches]
    return 1 if args.strict and (bad or not agreed) else 0


def _agreement(args: argparse.Namespace, have_torch: bool, write: bool) -> bool:
    """The bitwise-agreement table (benchmarks/bench_agreement.py); False if a target is
    missed."""
    if not have_torch:
        print("\nbitwise agreement with PyTorch: skipped (PyTorch not installed)")
        return True
    print(f"\n  {AGREEMENT} ...", flush=True)
    lines, ok = bench_agreement.run(quick=args.quick)
    print("\n".join(lines))
    if write:
        write_section(AGREEMENT_MARKERS, lines)
        print(f"agreement table written to {README}")
    return ok


def _save_json(results: list, context: str, torch_note: str | None, quick: bool) -> None:
    try:
        RESULTS.parent.mkdir(exist_ok=True)
        data = {"context": context, "torch_note": torch_note, "quick": quick,
                "results": [r.to_json() for r in results]}
        RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    except OSError:
        pass


if __name__ == "__main__":
    raise SystemExit(main())
