"""Replay the seed autograd notebook against an engine and compare with what the notebook shows.

The notebook (tests/engine/data/autograd_notebook.txt, a text export of a Jupyter notebook) is
transcribed cell by cell in ``notebook_cells.py``. Each engine replays all cells in file order in
ONE namespace, like a Jupyter kernel, with ``torch`` bound to the engine under test (the cell's
``import torch`` line is blanked out). For every cell, what Jupyter would show -- printed text,
then ``repr()`` of the value of a final expression statement (unless it is ``None``) -- or the
exception it raises, is compared with the notebook's text.

Engines:

* ``gradstudio.engine`` -- the engine under test (``import gradstudio.engine as torch``).
* ``torch`` -- real PyTorch, as a control: it proves the harness and the transcription are right,
  so a failure with the engine is the engine's fault.

Every cell is its own test item (``-k In41``, ``-k "gradstudio and cell33"``). The replay runs once
per engine and keeps going after a failing cell, as Jupyter would; a failure message names the
earlier failing cells, since a later failure may only be a knock-on effect.

``test_transcription_matches_notebook_file`` keeps the transcription honest: every cell's
``In [N]:`` header, every code line and every output line must appear in the notebook file in
the same order.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import linecache
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest
from notebook_cells import CELLS, Cell

ENGINE_UNDER_TEST = "gradstudio.engine"
CONTROL = "torch"

ENGINES = [
    pytest.param(ENGINE_UNDER_TEST, id=ENGINE_UNDER_TEST),
    pytest.param(CONTROL, id=CONTROL, marks=pytest.mark.torch),
]

# The repository's copy; test_reference_data.py checks it against the shared seed when present.
REPO_NOTEBOOK = Path(__file__).parent / "data" / "autograd_notebook.txt"

IMPORT_LINE = "import torch"
# A number as Python prints a float (or int), for tolerance comparisons.
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def cell_label(cell: Cell) -> str:
    position = CELLS.index(cell) + 1
    return f"In [{cell.number}] (cell {position} of {len(CELLS)} in file order)"


def cell_id(cell: Cell) -> str:
    return f"cell{CELLS.index(cell) + 1:02d}_In{cell.number}"


def indent(text: str, prefix: str = "    | ") -> str:
    return "\n".join(prefix + line for line in text.split("\n"))


def shown(text: str | None) -> str:
    return "    (no output)" if text is None else indent(text)


# --------------------------------------------------------------------------------------------
# Replaying the notebook
# --------------------------------------------------------------------------------------------


@dataclass
class CellRun:
    """What one cell did when replayed, and how that differs from the notebook."""

    cell: Cell
    text: str | None = None  # printed text + repr of the final expression; None if nothing
    exception: BaseException | None = None
    exception_traceback: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class Replay:
    engine_name: str
    engine: ModuleType | None
    import_failure: str = ""
    runs: dict[Cell, CellRun] = field(default_factory=dict)

    def failing_before(self, cell: Cell) -> list[Cell]:
        earlier = CELLS[: CELLS.index(cell)]
        return [c for c in earlier if self.runs[c].problems]


def executable_source(cell: Cell) -> str:
    """The cell's code with ``import torch`` blanked out (line numbers stay the same)."""
    return "\n".join("" if line.strip() == IMPORT_LINE else line for line in cell.code.split("\n"))


def execute_cell(cell: Cell, namespace: dict, engine_name: str) -> CellRun:
    """Run one cell the way a Jupyter kernel does and record what it shows."""
    run = CellRun(cell)
    source = executable_source(cell)
    filename = f"<notebook In [{cell.number}] on {engine_name}>"
    # Lets tracebacks of a failing cell show its code lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)

    stdout = io.StringIO()
    displayed = ""
    try:
        with contextlib.redirect_stdout(stdout):
            tree = ast.parse(source, filename, mode="exec")
            final_expression = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                final_expression = ast.Expression(tree.body.pop().value)
            exec(compile(tree, filename, "exec"), namespace)
            if final_expression is not None:
                value = eval(compile(final_expression, filename, "eval"), namespace)
                if value is not None:  # Jupyter's display hook skips None
                    displayed = repr(value) + "\n"
    except Exception as exc:  # the notebook's own exceptions are expected outcomes
        run.exception = exc
        tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        run.exception_traceback = "".join(traceback.format_exception(type(exc), exc, tb))
    run.text = (stdout.getvalue() + displayed).rstrip("\n") or None
    return run


def outputs_match(expected: str | None, actual: str | None, tolerance: float | None) -> bool:
    if expected is None or actual is None or tolerance is None:
        return expected == actual
    expected_lines, actual_lines = expected.split("\n"), actual.split("\n")
    if len(expected_lines) != len(actual_lines):
        return False
    for want, got in zip(expected_lines, actual_lines, strict=True):
        if NUMBER.split(want) != NUMBER.split(got):  # the text around the numbers
            return False
        numbers = zip(NUMBER.findall(want), NUMBER.findall(got), strict=True)
        if any(abs(float(a) - float(b)) > tolerance for a, b in numbers):
            return False
    return True


def first_difference(expected: str, actual: str) -> str:
    """Point at the first differing line and column of two texts."""
    expected_lines, actual_lines = expected.split("\n"), actual.split("\n")
    for number, (want, got) in enumerate(zip(expected_lines, actual_lines, strict=False), start=1):
        if want != got:
            mismatches = (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b)
            column = next(mismatches, min(len(want), len(got)))
            return (
                f"first difference: line {number}, column {column + 1}\n"
                f"    expected: {want!r}\n"
                f"    actual:   {got!r}\n"
                f"    {' ' * (len('expected: ') + 1 + column)}^"
            )
    if len(expected_lines) != len(actual_lines):
        return (
            f"the texts agree line by line, but the notebook shows {len(expected_lines)} line(s) "
            f"and the engine {len(actual_lines)}"
        )
    return "the texts are identical"


def compare_with_notebook(run: CellRun, engine_name: str) -> None:
    cell = run.cell
    exc = run.exception
    if cell.error is not None:
        want_type, want_message = cell.error
        if exc is None:
            run.problems.append(
                f"the notebook shows the cell raising\n    {want_type}: {want_message}\n"
                "but it ran without an exception"
            )
        elif type(exc).__name__ != want_type or str(exc) != want_message:
            run.problems.append(
                "the cell raised a different exception than the notebook shows\n"
                f"    expected: {want_type}: {want_message}\n"
                f"    actual:   {type(exc).__name__}: {exc}\n\n"
                f"traceback:\n{indent(run.exception_traceback.rstrip())}"
            )
    elif exc is not None:
        run.problems.append(
            "the cell raised, but the notebook shows it running fine\n\n"
            f"traceback:\n{indent(run.exception_traceback.rstrip())}"
        )

    if not outputs_match(cell.output, run.text, cell.float_tolerance):
        lines = ["the output differs from the notebook"]
        if cell.float_tolerance is not None:
            lines.append(
                f"(numbers are compared within {cell.float_tolerance:g}, the rest of the text "
                "exactly)"
            )
        lines += ["", "notebook shows:", shown(cell.output)]
        lines += [f"{engine_name} shows:", shown(run.text)]
        if cell.output is not None and run.text is not None:
            lines += ["", first_difference(cell.output, run.text)]
        run.problems.append("\n".join(lines))


def torch_objects(namespace: dict, before: dict) -> list[str]:
    """Names a cell (re)bound to real PyTorch objects: an engine must not delegate to torch."""
    found = []
    for name, value in namespace.items():
        if name.startswith("__") or isinstance(value, ModuleType) or before.get(name) is value:
            continue
        kind = type(value)
        if kind.__module__.split(".")[0] == "torch":
            found.append(f"`{name}` is a {kind.__module__}.{kind.__qualname__}")
    return found


def replay_notebook(engine_name: str, engine: ModuleType) -> Replay:
    replay = Replay(engine_name, engine)
    namespace: dict = {"__name__": "__main__", "torch": engine}
    for cell in CELLS:
        before = dict(namespace)
        run = execute_cell(cell, namespace, engine_name)
        compare_with_notebook(run, engine_name)
        if namespace.get("torch") is not engine:
            run.problems.append(f"the cell rebound `torch` to {namespace.get('torch')!r}")
            namespace["torch"] = engine
        if engine_name != CONTROL:
            leaked = torch_objects(namespace, before)
            if leaked:
                run.problems.append(
                    f"{engine_name} handed out real PyTorch objects (it must compute with its "
                    "own tensors):\n" + "\n".join(f"    {item}" for item in leaked)
                )
        replay.runs[cell] = run
    return replay


@pytest.fixture(scope="module", params=ENGINES)
def replay(request: pytest.FixtureRequest) -> Replay:
    """The whole notebook replayed once per engine (module scope: shared by all cell tests)."""
    engine_name = request.param
    if engine_name == CONTROL:
        engine = pytest.importorskip(
            CONTROL,
            reason="real PyTorch is not installed: the control replay, which validates the "
            "harness and the transcription, is skipped (CI installs torch==2.13.0)",
        )
    else:
        try:
            engine = importlib.import_module(engine_name)
        except Exception:  # reported by every cell test, as a failure, not an error or a skip
            return Replay(engine_name, None, import_failure=traceback.format_exc())
    return replay_notebook(engine_name, engine)


# --------------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_cell_reproduces_notebook(replay: Replay, cell: Cell) -> None:
    if replay.engine is None:
        failure = replay.import_failure.rstrip()
        if cell is not CELLS[0]:
            failure = failure.split("\n")[-1] + "\n(full traceback: see the test of cell 1)"
        pytest.fail(
            f"{replay.engine_name} cannot be imported, so the notebook was not replayed:\n"
            f"{indent(failure)}",
            pytrace=False,
        )

    run = replay.runs[cell]
    if not run.problems:
        return

    report = [
        f"Notebook cell {cell_label(cell)} does not reproduce the notebook "
        f"when `torch` is {replay.engine_name}",
        "",
        "code:",
        indent(cell.code),
    ]
    if cell.note:
        report += ["", f"transcription note: {cell.note}"]
    for problem in run.problems:
        report += ["", problem]
    earlier = replay.failing_before(cell)
    if earlier:
        report += [
            "",
            "earlier cells already failed: " + ", ".join(f"In [{c.number}]" for c in earlier),
            "(all cells share one namespace, as in Jupyter: this may be a knock-on effect; fix "
            f"{cell_label(earlier[0])} first)",
        ]
    pytest.fail("\n".join(report), pytrace=False)


def test_transcription_is_well_formed() -> None:
    numbers = [cell.number for cell in CELLS]
    assert len(set(numbers)) == len(numbers), f"duplicate execution counts: {numbers}"
    import_lines = [
        (cell.number, line)
        for cell in CELLS
        for line in cell.code.split("\n")
        if line.strip() == IMPORT_LINE
    ]
    assert import_lines == [(CELLS[0].number, IMPORT_LINE)], (
        "`import torch` must appear exactly once, alone on its line, in the first cell "
        f"(the harness blanks it out and binds `torch` itself); found {import_lines}"
    )
    for cell in CELLS:
        where = f"In [{cell.number}]"
        assert cell.code == cell.code.strip("\n"), f"{where}: code has outer blank lines"
        assert not (cell.error and cell.output), f"{where}: both an output and an exception"
        assert cell.float_tolerance is None or cell.output, f"{where}: tolerance without output"
        ast.parse(executable_source(cell), f"<In [{cell.number}]>")


def check_against_file(path: Path) -> list[str]:
    """Every problem with the transcription, judged against the notebook file at ``path``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    headers = [
        (index, int(match.group(1)))
        for index, line in enumerate(lines)
        if (match := re.fullmatch(r"In \[(\d+)\]:", line))
    ]
    file_numbers = [number for _, number in headers]
    transcribed = [cell.number for cell in CELLS]
    if file_numbers != transcribed:
        pairs = enumerate(zip(file_numbers, transcribed, strict=False))
        diverge = next(
            (i for i, (ours, theirs) in pairs if ours != theirs),
            min(len(file_numbers), len(transcribed)),
        )
        return [
            f"the cells differ from position {diverge + 1} on:\n"
            f"    file has        In {file_numbers[diverge : diverge + 5]} ...\n"
            f"    transcription:  In {transcribed[diverge : diverge + 5]} ...\n"
            f"    ({len(file_numbers)} cells in the file, {len(transcribed)} transcribed)"
        ]

    problems = []
    ends = [index for index, _ in headers[1:]] + [len(lines)]
    for (start, _), end, cell in zip(headers, ends, CELLS, strict=True):
        where = f"In [{cell.number}] (file line {start + 1})"
        block = lines[start + 1 : end]  # everything up to the next `In [N]:` header
        code = cell.code.split("\n")
        for offset, want in enumerate(code):
            got = block[offset] if offset < len(block) else "<end of cell>"
            if got != want:
                problems.append(
                    f"{where}: code line {offset + 1} differs\n"
                    f"    file line {start + offset + 2}: {got!r}\n"
                    f"    transcribed:    {want!r}"
                )
                break
        else:
            rest = block[len(code) :]
            if rest and rest[0] != "":
                problems.append(
                    f"{where}: the file continues the code with {rest[0]!r} "
                    f"(line {start + len(code) + 2}), the transcription stops earlier"
                )
                continue
            skipped = next((i for i, line in enumerate(rest) if line != ""), len(rest))
            after = rest[skipped:]
            first_after = start + 2 + len(code) + skipped  # 1-based file line of after[0]
            expected = cell.expected_text
            if expected is None:
                looks_like_output = [
                    line
                    for line in after
                    if line.startswith("tensor(") or re.match(r"\w+(Error|Exception): ", line)
                ]
                if looks_like_output:
                    problems.append(
                        f"{where}: transcribed without output, but the file shows "
                        f"{looks_like_output[0]!r} below it"
                    )
                continue
            want_lines = expected.split("\n")
            if after[: len(want_lines)] != want_lines:
                problems.append(
                    f"{where}: the output differs from the file (from line {first_after})\n"
                    f"file:\n{shown(chr(10).join(after[: len(want_lines)]) or None)}\n"
                    f"transcribed:\n{indent(expected)}"
                )
            elif len(after) > len(want_lines) and after[len(want_lines)] != "":
                problems.append(
                    f"{where}: the file's output continues with "
                    f"{after[len(want_lines)]!r}, the transcription stops earlier"
                )
    return problems


def test_transcription_matches_notebook_file() -> None:
    path = REPO_NOTEBOOK
    if not path.exists():
        pytest.fail(f"the repository copy of the notebook is missing: {path}", pytrace=False)
    problems = check_against_file(path)
    if problems:
        pytest.fail(
            f"notebook_cells.py no longer matches {path}:\n\n" + "\n\n".join(problems),
            pytrace=False,
        )
