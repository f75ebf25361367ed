"""``gradstudio run FILE``: evaluate a graph file headless and print what the app would show.

Only the graph layer is used (no Qt), so this works on any machine and in scripts.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import numpy as np

from gradstudio.cli_errors import fail as _fail
from gradstudio.cli_errors import one_line_usage_errors, warn
from gradstudio.graph import GraphError, GraphModel, Session, check_lr, load
from gradstudio.graph.overflow import overflows
from gradstudio.graph.trace import Trace, build_trace

__all__ = ["add_arguments", "run", "EXIT_CODES"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The run command's options; usage errors become one line on stderr (exit code 2)."""
    one_line_usage_errors(parser)
    parser.add_argument("file", help="a .gsgraph file")
    parser.add_argument("--backward", action="store_true", help="run backward from the loss")
    parser.add_argument("--target", metavar="NODE", help="backward from this node (its name)")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="run backward K times to show gradients accumulating")
    parser.add_argument("--steps", type=int, default=0, metavar="N", help="train N steps")
    parser.add_argument("--lr", type=_learning_rate, metavar="LR",
                        help="learning rate for training")
    parser.add_argument("--no-grad", action="store_true", help="evaluate in no-grad mode")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--show-plan", action="store_true",
                        help="print the compiled plan instead: the straight-line code that "
                        "Train N and repeated evaluations run (or why this graph runs in the "
                        "engine)")
    parser.add_argument("--trace", action="store_true",
                        help="print the step-through instead: one line per step, forward in "
                        "topological order, then backward in the order the engine runs it "
                        "(grad out × local derivative = contribution → input; at a leaf "
                        "old .grad + contribution = new .grad; skipped nodes with the reason). "
                        "With --repeat K the K-th backward is traced")


def _learning_rate(text: str) -> float:
    try:
        return check_lr(text)
    except GraphError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _plain(t: Any) -> Any:
    """A tensor's values as JSON-safe Python data (inf and nan as strings)."""
    if t is None:
        return None
    values = np.asarray(t.detach().numpy() if hasattr(t, "detach") else t).tolist()
    return _finite(values)


def _finite(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


EXIT_CODES = """exit codes: 0 done; 1 the file cannot be opened (unreadable, not a graph, over a
limit) or the graph cannot run as asked (the reason is one line on stderr); 2 the command
line is wrong"""


def run(args: argparse.Namespace) -> int:
    """The run command; returns the exit code (EXIT_CODES). Problems are one line on
    stderr."""
    if args.repeat < 1 or args.steps < 0:
        return _fail("--repeat must be at least 1 and --steps at least 0")
    try:
        if args.lr is not None:
            check_lr(args.lr)
    except GraphError as e:
        return _fail(f"--lr: {e}")
    if args.trace and args.steps:
        return _fail("--trace shows one forward and backward: it cannot be combined with "
                     "--steps")
    try:
        model = load(args.file)
        session = Session(model)
        session.no_grad_mode = args.no_grad
        target = model.find(args.target) if args.target else None
    except GraphError as e:
        return _fail(str(e))
    at_load = overflows(model, None)  # values past the dtype: said whatever the mode
    for why in at_load.values():
        warn(why)
    if args.show_plan:
        print(session.plan_text(), end="")
        return 0
    if args.trace:
        return _trace(args, session, target)
    report: dict[str, Any] = {"file": args.file, "error": None, "reason": None}
    failure = None
    if args.steps:
        run = session.train_run(args.steps, args.lr)
        report["losses"] = run.losses
        failure = run.failure
    elif args.backward or args.target or args.repeat > 1:
        for _ in range(args.repeat):
            result = session.backward(target)
            if not result.ok:
                failure = result
                break
    forward = session.forward() if args.steps else (session.last_forward or session.forward())
    _collect(report, model, session, forward)
    found = overflows(model, forward)
    report["overflow"] = list(found.values())
    for n, why in found.items():
        if n not in at_load:  # a result that overflows
            warn(why)
    if failure is not None:
        report["error"], report["reason"] = failure.error, failure.reason
    print(_json_text(report) if args.json else _text(report))
    if failure is not None:
        return _fail(f"{failure.error} ({failure.reason})")
    return 0


def _collect(report: dict, model: GraphModel, session: Session, forward: Any) -> None:
    report["values"] = {}
    for n in model.node_ids():
        label = model.label(n)
        if n in forward.errors:
            report["values"][label] = {"error": forward.errors[n]}
        else:
            v = forward.values[n]
            report["values"][label] = {"repr": repr(v), "value": _plain(v)}
    report["grads"] = {}
    for n in model.node_ids():
        g = session.grad(n) if model.node(n).spec.is_leaf else None
        if g is not None:
            report["grads"][model.label(n)] = {"repr": repr(g), "value": _plain(g)}
    report["ledger"] = session.ledger.lines()
    report["warning"] = session.ledger.warning()


def _json_text(report: dict) -> str:
    """The report as ``json.dumps(_finite(report), indent=1)`` writes it: strict JSON (no
    Infinity or NaN). json's indenting encoder is pure Python, about 1 us a number, so a run's
    losses, finite floats one a line, are written here as it writes them (float's repr)."""
    fields = []
    for key, value in report.items():
        if key == "losses" and value and all(map(math.isfinite, value)):
            text = "[\n  " + ",\n  ".join(map(float.__repr__, value)) + "\n ]"
        else:  # a field one level in: every line after the first one space further in
            text = json.dumps(_finite(value), indent=1).replace("\n", "\n ")
        fields.append(f" {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(fields) + "\n}"


def _text(report: dict) -> str:
    """The report as text, one string (printed at once: a long run has a line per step)."""
    lines = ["values"]
    width = max((len(k) for k in report["values"]), default=0) + 2
    for label, v in report["values"].items():
        text = v.get("repr") or f"error: {v['error']}"
        lines.append(f"  {label:<{width}}" + text.replace("\n", "\n  " + " " * width))
    if report["grads"]:
        lines.append("gradients")
        lines.extend(f"  {label + '.grad':<{width + 5}}{g['repr']}"
                     for label, g in report["grads"].items())
    if report.get("losses"):
        lines.append("training")
        lines.extend(f"  step {i}: loss {loss:.6g}" for i, loss in enumerate(report["losses"], 1))
    if report["ledger"]:
        lines.append("ledger")
        lines.extend(f"  {line}" for line in report["ledger"])
    if report["warning"]:
        lines.append(f"warning: {report['warning']}")
    return "\n".join(lines)


def _trace(args: argparse.Namespace, session: Session, target: str | None) -> int:
    """The step-through of the K-th backward (K-1 run first, so leaves show what they hold)."""
    for _ in range(args.repeat - 1):
        if not session.backward(target).ok:
            break
    trace = build_trace(session, target)
    if args.json:
        print(json.dumps(_finite({"file": args.file, "trace": _trace_data(trace)}), indent=1))
    else:
        print("\n".join(trace.lines()))
    if not trace.backward.ok:
        return _fail(f"{trace.backward.error} ({trace.backward.reason})")
    return 0


def _trace_data(trace: Trace) -> list[dict]:
    return [{"step": s.index + 1, "phase": s.phase, "node": s.label, "text": s.text,
             "value": _plain(s.value), "grad": _plain(s.grad), "maths": list(s.maths),
             "reason": s.reason,
             "wires": [{"from": w.source_label, "port": w.port, "text": w.text,
                        "contribution": _plain(w.contribution)} for w in s.wires]}
            for s in trace.steps]

