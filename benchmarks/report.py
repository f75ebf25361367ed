"""The results table, printed and kept in benchmarks/README.md between two markers."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from .harness import ENGINE, MICROGRAD, TORCH, Result, format_seconds

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"
AGREEMENT_MARKERS = ("<!-- agreement-table:begin -->", "<!-- agreement-table:end -->")
HEADER = ("case", "engine time", "PyTorch time", "ratio (engine/PyTorch)", "target",
          "pass/fail", "engine peak MB", "PyTorch peak MB", "micrograd-style time",
          "engine/micrograd-style")


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def row(result: Result) -> tuple[str, ...]:
    return (f"`{result.case.name}`", format_seconds(result.seconds.get(ENGINE)),
            format_seconds(result.seconds.get(TORCH)), _ratio(result.ratio),
            result.case.target_text, result.verdict,
            _mb(result.peak_mb.get(ENGINE)), _mb(result.peak_mb.get(TORCH)),
            format_seconds(result.seconds.get(MICROGRAD)), _ratio(result.ratio_to(MICROGRAD)))


def table_lines(rows: list[tuple[str, ...]]) -> list[str]:
    """A Markdown table whose columns line up in a terminal too."""
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(HEADER), rule, *(line(r) for r in rows)]


def note_lines(result: Result) -> list[str]:
    """One bullet per case: what both libraries computed, and anything odd."""
    name = f"`{result.case.name}`"
    if result.error:
        return [f"- {name}: ERROR {result.error}"]
    parts = []
    for lib, label in ((ENGINE, "engine"), (TORCH, "PyTorch"),
                       (MICROGRAD, "micrograd-style (double precision)")):
        out = result.outputs.get(lib)
        if out:
            parts.append(label + " " + ", ".join(f"{k}={v:.7g}" for k, v in out.items()))
    if ENGINE in result.outputs and TORCH in result.outputs:
        parts.append("MISMATCH: " + "; ".join(result.mismatches) if result.mismatches
                     else "answers agree")
    if result.traced_mb is not None:
        parts.append(f"engine tracemalloc peak {result.traced_mb:.1f} MB")
    parts.extend(result.notes)
    return [f"- {name}: " + "; ".join(parts)]


def render(results: list[Result], context: str, torch_note: str | None,
           quick: bool) -> list[str]:
    """The whole section: when and where it was measured, the table, the answers."""
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    mode = "quick smoke run (`--quick`, fewer repeats)" if quick else "full run"
    lines = [f"Measured {stamp}, {mode}: {context}.", ""]
    if torch_note:
        lines += [f"**{torch_note}**: engine column only.", ""]
    lines += table_lines([row(r) for r in results]) + [""]
    for r in results:
        lines += note_lines(r)
    return lines


_CASE_CELL = re.compile(r"^(?:\| |- )`([^`]+)`")


def write_readme(results: list[Result], lines: list[str], order: list[str]) -> None:
    """Replace the section between the markers; rows of cases not run this time are kept."""
    text = README.read_text() if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    ran = {r.case.name for r in results}
    kept_rows: dict[str, str] = {}
    kept_notes: dict[str, str] = {}
    for old_line in old.splitlines():
        m = _CASE_CELL.match(old_line)
        if m and m.group(1) not in ran and m.group(1) in order:
            (kept_rows if old_line.startswith("|") else kept_notes)[m.group(1)] = old_line
    if kept_rows:
        lines = _merge(lines, kept_rows, kept_notes, order)
    body = "\n".join(lines)
    README.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")


def _merge(lines: list[str], rows: dict[str, str], notes: dict[str, str],
           order: list[str]) -> list[str]:
    """Put earlier rows back among this run's, in registry order, realigned."""
    def cells(line: str) -> tuple[str, ...]:
        found = tuple(c.strip() for c in line.strip().strip("|").split("|"))
        return found + ("-",) * (len(HEADER) - len(found))  # a row from before a new column

    new_rows = {m.group(1): ln for ln in lines if (m := _CASE_CELL.match(ln)) and ln[0] == "|"}
    new_notes = {m.group(1): ln for ln in lines if (m := _CASE_CELL.match(ln)) and ln[0] == "-"}
    all_rows, all_notes = {**rows, **new_rows}, {**notes, **new_notes}
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    table = table_lines([cells(all_rows[n]) for n in order if n in all_rows])
    merged = lines[:start] + table + [""] + [all_notes[n] for n in order if n in all_notes]
    merged += ["", "Rows for " + ", ".join(f"`{n}`" for n in order if n in rows)
               + " are kept from an earlier run."]
    return merged


def write_section(markers: tuple[str, str], lines: list[str]) -> None:
    """Replace what stands between the two markers in the README (appended when missing)."""
    begin, end = markers
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin not in text or end not in text:
        text = text.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    body = "\n".join(lines)
    README.write_text(f"{head}{begin}\n{body}\n{end}{tail}")
