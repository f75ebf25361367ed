"""The graph document: networkx model, node catalog, evaluation, session and files.

No Qt here: everything the app can do to a graph is a call in this package first, so it is
testable headless and scriptable.
"""

from .catalog import CATEGORIES, KINDS, GraphError, NodeKind, Param, kind, parse_tensor_value
from .evaluate import BackwardResult, Evaluator, ForwardResult, pick_target
from .explain import requires_grad_reason, why_not_requires_grad
from .fileformat import EXTENSION, GraphFileError, load, loads, save
from .ledger import Ledger, format_number
from .model import FLAGS, LR_MAX, LR_MIN, Change, Edge, GraphModel, ModelEvent, NodeData, check_lr
from .session import (
    MAX_TRAIN_STEPS,
    Session,
    SessionState,
    TrainResult,
    TrainRun,
    TrainStep,
    WeightStep,
    apply_updates,
)

__all__ = [
    "CATEGORIES", "KINDS", "GraphError", "NodeKind", "Param", "kind", "parse_tensor_value",
    "BackwardResult", "Evaluator", "ForwardResult", "pick_target", "requires_grad_reason",
    "why_not_requires_grad", "EXTENSION", "GraphFileError", "load", "loads", "save", "Ledger",
    "format_number", "FLAGS", "LR_MAX", "LR_MIN", "check_lr", "Change", "Edge", "GraphModel",
    "ModelEvent", "NodeData", "Session", "SessionState", "TrainResult", "TrainRun", "TrainStep",
    "WeightStep", "MAX_TRAIN_STEPS", "apply_updates",
]
