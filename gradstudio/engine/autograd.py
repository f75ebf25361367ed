"""The backward graph (grad_fn nodes) and the engine that runs it.

Each recorded op leaves one ``Node``: which op ran, what it saved for backward, and an edge
per input to that input's own node (``AccumulateGrad`` for a leaf that requires grad, None for
an input that does not). ``run_backward`` walks the nodes reachable from a root in dependency
order, so every node runs once with the sum of the gradients its output received.
Gradients travel as numpy arrays; they become Tensors only where a person can see them.
Between the ``ScalarNode``s of the scalar fast path they travel as Python floats (already of
the node's dtype); a node of either kind accepts both.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from .apply import Op
    from .tensor import Tensor

__all__ = ["Node", "ScalarNode", "scalar_node", "AccumulateGrad", "BackwardStep", "trace_backward",
           "run_backward", "grad", "SECOND_BACKWARD", "sum_to_shape"]

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
_FREED = object()  # marks saved values released by a backward without retain_graph


def _version_error(node: Node, saved: Any, now: int, then: int) -> RuntimeError:
    """PyTorch's message for a saved tensor changed in place. ``saved`` is the input Tensor
    (named by its grad_fn now, if any) or the array of the node's own output."""
    from .dtypes import from_numpy
    from .tensor import Tensor

    if isinstance(saved, Tensor):
        array, fn = saved._data, saved.grad_fn
    else:
        array, fn = saved, node
    dims = ", ".join(str(s) for s in np.shape(array))
    title = from_numpy(np.asarray(array).dtype)._title
    # "which is output 0 of Exp," / "... of Pow1,": the grad_fn name without "Backward(0)"
    made_by = "" if fn is None else (
        f", which is output 0 of {re.sub(r'Backward(0$)?', '', fn.name())},")
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [torch.{title}Tensor [{dims}]]{made_by} is at version {now}; expected "
        f"version {then} instead. Hint: enable anomaly detection to find the operation that "
        "failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, "
        "check_nan=False)."
    )


_next_sequence_nr = itertools.count().__next__


class Node:
    """A grad_fn: one recorded op. ``next`` holds, per input, the node its gradient goes to.
    ``sequence_nr`` counts nodes in creation order; backward runs the latest-made ready node
    first, as PyTorch does."""

    __slots__ = ("op", "saved", "next", "versions", "meta", "pre_hooks", "retained",
                 "sequence_nr", "_pending", "_deps", "_seen", "__weakref__")

    def __init__(self, op: Op, saved: Any, next_nodes: tuple) -> None:
        self.sequence_nr = _next_sequence_nr()
        self.op = op
        self.saved = saved
        self.next = next_nodes
        self.versions = None  # [(counter, version when saved, tensor or output array), ...]
        self.meta = None  # ((shape, numpy dtype), ...) per input, when a grad must be reshaped
        self.pre_hooks = None
        self.retained = None  # weakref to the tensor whose .grad retain_grad() keeps
        self._seen = None

    def name(self) -> str:
        return self.op.name

    @property
    def next_functions(self) -> tuple:
        return tuple((n, 0) for n in self.next)

    def __repr__(self) -> str:
        return f"<{self.op.name} object at {id(self):#x}>"

    def _check_saved(self) -> None:
        """Refuse a second backward and saved tensors changed in place, as PyTorch does."""
        if self.saved is _FREED:
            raise RuntimeError(SECOND_BACKWARD)
        if self.versions is not None:
            for counter, then, saved_tensor in self.versions:
                if counter[0] != then:
                    raise _version_error(self, saved_tensor, counter[0], then)

    def backward(self, grad: Any) -> tuple:
        """Run this node's vector-Jacobian product for one incoming gradient."""
        self._check_saved()
        grads = self.op.backward(self.saved, grad, self.next)
        meta = self.meta
        if meta is not None:
            grads = tuple(_fit(g, shape, dt) for g, (shape, dt) in zip(grads, meta, strict=True))
        return grads


class ScalarNode(Node):
    """A grad_fn of the scalar fast path: saved values and gradients are Python floats of
    one dtype (``k``, its scalar.py maths); ``vjp(saved, grad)`` is the op's scalar
    backward. ``one`` is the index of the only input edge that wants a gradient (vjp then
    gives that gradient alone, a float), or None when both inputs of a binary op do (vjp
    gives the pair). run_backward runs these nodes itself (the chain of a scalar graph is
    most of a backward pass). Hooks, names, versions and retain_grad work as for any Node.
    Made by ``scalar_node``."""

    __slots__ = ("vjp", "k", "where", "one", "to_numpy", "then")

    meta = None  # never reshaped or cast: every input has the output's dtype and no shape

    def feeds(self, edges: tuple, k: Any) -> ScalarNode:
        """Note whether an input's node is a numpy Node (a 0-d result of the numpy path, e.g.
        a vector's mean): its gradient then goes as numpy's scalar of k's dtype."""
        for fn in edges:
            if type(fn) is Node:
                self.to_numpy = np.dtype(k.name).type
        return self

    def watch_output(self, counter: list) -> None:
        """This node's output got its version counter (made when first needed: a view, an
        in-place write, an op that watches it). If the node saved that output, an in-place
        change of it is refused from now on, as PyTorch refuses it."""
        if self.versions is None and self.op.saves == 2:  # SAVES_OUTPUT
            self.versions = ((counter, 0, _ZERO_OF[self.k.name]),)

    def checked_saved(self) -> Any:
        """The saved values, after PyTorch's checks: not freed by an earlier backward, none
        changed in place since (its error otherwise), re-read where a view shares them.
        With ``then`` set, ``saved`` is the op's input tensor, at version ``then`` when saved:
        its value is read now."""
        saved = self.saved
        if saved is _FREED:
            raise RuntimeError(SECOND_BACKWARD)
        if self.then is not None:
            return self._input_value(saved)
        if self.versions is None:
            return saved
        stale = False
        for counter, then, t in self.versions:
            if counter[0] != then:
                raise _version_error(self, t, counter[0], then)
            if t.__class__ is not _ndarray and t._v is None:
                stale = True
        return self._reread(saved) if stale else saved

    def _input_value(self, t: Any) -> float:
        """The saved input tensor's value, refused if it was changed in place since."""
        counter = t._vc
        if counter is not None and counter[0] != self.then:
            raise _version_error(self, t, counter[0], self.then)
        x = t._v
        return float(t._data) if x is None else x

    def _reread(self, saved: Any) -> Any:
        """An input a view shares may have been written through it (``x.data.fill_(5)``
        counts no version, as in PyTorch): backward reads its value now, from the array."""
        for (_, _, t), place in zip(self.versions, self.where, strict=True):
            if type(t) is not np.ndarray and t._v is None:
                saved = (*saved[:place], float(t._data), *saved[place + 1:])
        return saved


def scalar_node(op: Op, saved: Any, next_nodes: tuple, vjp: Callable, k: Any,
                one: int | None, versions: tuple | None = None,
                where: tuple | None = None, then: int | None = None) -> ScalarNode:
    """A new ScalarNode: every field Node's readers and run_backward read is set.
    ``where``: per watched input (``versions``), its place in the saved tuple;
    ``then``: saved is the input tensor, whose version was ``then`` (see checked_saved)."""
    node = _new(ScalarNode)
    node.sequence_nr = _next_sequence_nr()
    node.op = op
    node.saved = saved
    node.next = next_nodes
    node.versions = versions
    node.pre_hooks = node.retained = node._seen = None
    node.vjp = vjp
    node.k = k
    node.where = where
    node.one = one
    node.to_numpy = None  # numpy's scalar type when an input's node is a numpy Node
    node.then = then
    return node


_ndarray = np.ndarray
# a saved output's dtype and shape, for the in-place error message
_ZERO_OF = {"float32": np.zeros((), np.float32), "float64": np.zeros((), np.float64)}
_new = object.__new__


def _maths_of(node: Any) -> Any:
    """The scalar maths of the gradients a node receives, or None (numpy gradients)."""
    if type(node) is AccumulateGrad:
        return node.variable._k
    return node.k if type(node) is ScalarNode else None


def _sum_grads(node: Any, held: Any, g: Any) -> Any:
    """Two gradients for one node, added (in float32 for a float32 scalar, as PyTorch)."""
    total = held + g
    if total.__class__ is float:
        k = _maths_of(node)
        if k is not None:
            return k.round(total)
    return total


class AccumulateGrad:
    """The node at a leaf that requires grad: adds what arrives into ``variable.grad``."""

    __slots__ = ("variable", "pre_hooks", "_pending", "_deps", "_seen", "__weakref__")
    next = ()
    next_functions = ()
    sequence_nr = float("inf")  # PyTorch: UINT64_MAX, so a ready leaf accumulates first

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable
        self.pre_hooks = None
        self._seen = None

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def _accumulate_into(t: Tensor, grad: Any) -> None:
    """First gradient: a private copy; later ones: added in place, as PyTorch does."""
    held = t._grad
    if held is None:
        k = t._k
        if k is not None:  # a scalar's gradient is a scalar too
            t._grad = t._from_scalar(grad if grad.__class__ is float else k.round(float(grad)),
                                     k)
        else:
            t._grad = t._from_array(np.array(grad, dtype=t._data.dtype))
    elif held._v is not None:  # the same tensor object gets the sum, as in PyTorch
        k = held._k
        held._set_value(k.round(held._v + (grad if grad.__class__ is float else float(grad))))
    else:
        data = held._data
        if isinstance(data, np.ndarray) and data.flags.writeable and data.shape == np.shape(grad):
            np.add(data, grad, out=data, casting="unsafe")
        else:
            held._data = np.array(data + grad, dtype=data.dtype)


def sum_to_shape(g: Any, shape: tuple) -> Any:
    """Undo broadcasting: sum the gradient over the axes that forward broadcast."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _fit(g: Any, shape: tuple, dt: np.dtype) -> Any:
    if g is None:
        return None
    if np.shape(g) != shape:
        g = sum_to_shape(g, shape)
    if g.dtype != dt:
        g = g.astype(dt)
    return g


class BackwardStep(NamedTuple):
    """One node of a backward pass as it ran: the gradient its output received and what it
    sent along each input edge (None where the input needs no gradient). A named tuple:
    recording one per node must cost the backward little."""

    node: Node | AccumulateGrad
    grad_output: np.ndarray
    grad_inputs: tuple

    @property
    def name(self) -> str:
        return self.node.name()


# Called with (node, grad, grads): for every node, or only for leaves (AccumulateGrad).
_observers: list[Callable[[Any, Any, tuple], None]] = []
_leaf_observers: list[Callable[[Any, Any, tuple], None]] = []


@contextmanager
def trace_backward(leaves_only: bool = False) -> Iterator[list[BackwardStep]]:
    """Record every node that runs in backward passes inside the block, in order; the app
    uses it to show the chain rule step by step. With ``leaves_only`` just what reached each
    leaf is recorded: cheap enough for every backward, and it holds no intermediate arrays."""
    steps: list[BackwardStep] = []

    def record(node: Any, grad: Any, grads: tuple) -> None:
        steps.append(BackwardStep(node, grad, grads))

    observers = _leaf_observers if leaves_only else _observers
    observers.append(record)
    try:
        yield steps
    finally:
        observers.remove(record)


def _count_dependencies(roots: Sequence[Any]) -> None:
    """Mark every node reachable from the roots with how many edges lead into it."""
    token = object()
    stack = []
    for r in roots:
        if r._seen is not token:
            r._seen, r._deps, r._pending = token, 0, None
            stack.append(r)
    while stack:
        node = stack.pop()
        while node is not None:  # down a chain without the stack: its first new input next
            first = None
            for child in node.next:
                if child is None:
                    continue
                if child._seen is token:
                    child._deps += 1
                else:
                    child._seen = token
                    child._deps = 1
                    child._pending = None
                    if first is None:
                        first = child
                    else:
                        stack.append(child)
            node = first


def run_backward(roots: Sequence[Any], grads: Sequence[Any], retain_graph: bool = False,
                 capture: dict | None = None) -> None:
    """Propagate ``grads`` (numpy arrays) from the root nodes down to the leaves.

    Every node reachable from the roots runs once, when all the edges into it have delivered
    their gradient (summed in ``_pending``), in PyTorch's order (``_ReadyNodes``).

    With ``capture`` (node -> None), the gradient arriving at each listed node is stored there
    instead of being accumulated into leaves: that is ``autograd.grad``.
    """
    _count_dependencies(roots)
    ready = _ReadyNodes()
    for root, g in zip(roots, grads, strict=True):
        queued = root._pending is not None  # the same root given twice runs once
        root._pending = g if root._pending is None else _sum_grads(root, root._pending, g)
        if root._deps == 0 and not queued:
            ready.push(root)
    observers, leaf_observers = _observers, _observers + _leaf_observers
    waiting_leaves, waiting = ready.leaves, ready.heap
    node = ready.pop()
    while node is not None:
        # The gradient this node received; its hooks may replace it.
        g, node._pending = node._pending, None
        if node.pre_hooks:
            g = _run_hooks(node, g)
        if capture is not None and node in capture:
            capture[node] = g
        kind = node.__class__
        # A leaf adds it into .grad.
        if kind is AccumulateGrad:
            if capture is None:
                _accumulate_into(node.variable, g)
            if leaf_observers:
                _notify(leaf_observers, node, g, ())
            node = ready.pop()
            continue
        # Any other node: retain_grad(), then the vector-Jacobian product of its op.
        if node.retained is not None and capture is None:
            _retain(node, g)
        if kind is ScalarNode:  # floats; most often one input wants a gradient: a chain
            saved = node.saved
            if node.then is not None and saved is not _FREED:  # the input tensor (sin)
                counter = saved._vc
                x = saved._v
                if (counter is not None and counter[0] != node.then) or x is None:
                    x = node._input_value(saved)
                saved = x
            elif node.versions is not None:  # commonest: one watched, unchanged, no view
                counter, then, t = node.versions[0]
                if (counter[0] != then or len(node.versions) > 1 or saved is _FREED
                        or (t.__class__ is not _ndarray and t._v is None)):
                    saved = node.checked_saved()
            elif saved is _FREED:
                raise RuntimeError(SECOND_BACKWARD)
            if g.__class__ is not float:  # from a numpy node, or a hook
                g = float(g)
            out = node.vjp(saved, g)
            if not retain_graph and saved is not None:
                node.saved = _FREED  # and the tensors it watched
                node.versions = None
            one = node.one
            if one is not None:
                if node.to_numpy is not None:  # numpy nodes get numpy values of its dtype
                    out = node.to_numpy(out)
                if observers:
                    _notify(observers, node, g, tuple(
                        out if i == one else None for i in range(len(node.next))))
                child = node.next[one]
                held = child._pending
                child._pending = out if held is None else _sum_grads(child, held, out)
                child._deps -= 1
                if child._deps == 0:
                    if not waiting_leaves and not waiting:
                        node = child  # the chain fast path (see _ReadyNodes)
                        continue
                    ready.push(child)
                node = ready.pop()
                continue
            if node.to_numpy is not None:
                out = tuple(node.to_numpy(gi) for gi in out)
        else:
            out = node.backward(g)
            if not retain_graph and node.saved is not None:
                node.saved = _FREED  # and the tensors it watched: their arrays can go now
                node.versions = None
        if observers:
            _notify(observers, node, g, out)
        # One gradient down each input edge; an input whose edges have all delivered is ready.
        became_ready = None
        nexts = node.next
        if len(nexts) == 1:  # one input (most ops): no pairing of edges and gradients
            child = nexts[0]
            if child is not None:
                held = child._pending
                child._pending = out[0] if held is None else _sum_grads(child, held, out[0])
                child._deps -= 1
                if child._deps == 0:
                    became_ready = child
        else:
            for child, gi in zip(nexts, out, strict=True):
                if child is None:
                    continue
                held = child._pending
                child._pending = gi if held is None else _sum_grads(child, held, gi)
                child._deps -= 1
                if child._deps == 0:
                    if became_ready is not None:
                        ready.push(became_ready)
                    became_ready = child
        if became_ready is not None and not waiting_leaves and not waiting:
            node = became_ready  # the chain fast path (see _ReadyNodes)
        else:
            if became_ready is not None:
                ready.push(became_ready)
            node = ready.pop()


class _ReadyNodes:
    """Nodes whose gradient is complete, in PyTorch's order: a leaf's AccumulateGrad first
    (its sequence_nr is the highest), then the latest-made node (highest sequence_nr).

    Fast path: in a chain (the commonest graph) one node becomes ready while none waits, so
    run_backward runs it at once without pushing and popping it here; that push and pop
    would cost about a tenth of a scalar backward.
    """

    __slots__ = ("leaves", "heap")

    def __init__(self) -> None:
        self.leaves: deque = deque()  # ready AccumulateGrads, in the order they became ready
        self.heap: list = []  # (-sequence_nr, node): sequence numbers are unique, so no ties

    def push(self, node: Any) -> None:
        if type(node) is AccumulateGrad:
            self.leaves.append(node)
        else:
            heapq.heappush(self.heap, (-node.sequence_nr, node))

    def pop(self) -> Any:
        """The next node to run, or None when backward is done."""
        if self.leaves:
            return self.leaves.popleft()
        if self.heap:
            return heapq.heappop(self.heap)[1]
        return None


def _retain(node: Node, g: Any) -> None:
    """retain_grad(): the tensor this node made keeps its gradient in ``.grad``."""
    t = node.retained()
    if t is not None:
        _accumulate_into(t, g)


def _run_hooks(node: Any, g: Any) -> Any:
    from .dtypes import from_numpy
    from .tensor import Tensor, type_name  # the hook sees a Tensor, as in PyTorch

    k = _maths_of(node) if g.__class__ is float else None
    if k is not None:  # a scalar gradient: the hook sees a 0-d tensor of its dtype
        g = np.array(g, dtype=_numpy_dtype(k))
    for hook in node.pre_hooks:
        result = hook(Tensor._from_array(np.array(g)))
        if result is None:
            continue
        if not isinstance(result, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type_name(result)}'")
        name = getattr(hook, "__name__", "<unknown>")
        new = result._data
        if np.shape(new) != np.shape(g):
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        if new.dtype != g.dtype:
            was, got = (from_numpy(d)._title for d in (g.dtype, new.dtype))
            raise RuntimeError(f"hook '{name}' has changed the type of value (was "
                               f"torch.{was}Tensor got torch.{got}Tensor)")
        g = new
    return float(g) if k is not None else g


@lru_cache(maxsize=8)  # a handful of dtypes, asked once per node of a traced backward
def _numpy_dtype(k: Any) -> np.dtype:
    return np.dtype(k.name)


def _notify(observers: list, node: Any, grad: Any, grads: tuple) -> None:
    if grad.__class__ is float:  # observers see numpy values, as from any other node
        kind = _numpy_dtype(_maths_of(node)).type
        grad = kind(grad)
        grads = tuple(None if gi is None else kind(gi) for gi in grads)
    for observe in list(observers):
        observe(node, grad, grads)


class RemovableHandle:
    """Returned by register_hook; ``remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def gradient_list(gradients: Any, n: int) -> list:
    """The gradients given for ``n`` outputs, read as torch.autograd does: one Tensor, or a
    sequence of Tensors or None (a bare number is not a sequence: "'float' object is not
    iterable")."""
    from .tensor import Tensor

    if gradients is None:
        return [None] * n
    if isinstance(gradients, Tensor):
        return [gradients]
    given = tuple(gradients)[:n]
    for g in given:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
    if len(given) != n:
        raise RuntimeError(f"got {n} tensors and {len(given)} gradients")
    return list(given)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None) -> tuple:
    """Gradients of outputs with respect to inputs, returned instead of accumulated."""
    from .tensor import NO_GRAD_ERROR, Tensor, _seed_gradient

    if create_graph:
        raise NotImplementedError("create_graph=True (higher-order gradients) is not supported")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    seeds = [_seed_gradient(out, go)
             for out, go in zip(outputs, gradient_list(grad_outputs, len(outputs)), strict=True)]
    roots = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(NO_GRAD_ERROR.replace("element 0", f"element {i}"))
        roots.append(out._node_for_backward())
    if not all(t.requires_grad for t in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = [t._node_for_backward() for t in inputs]
    capture = dict.fromkeys(targets)
    run_backward(roots, seeds, bool(retain_graph), capture)
    result = []
    for i, (t, node) in enumerate(zip(inputs, targets, strict=True)):
        g = capture[node]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            result.append(None)
        else:
            result.append(Tensor._from_array(np.array(g, dtype=t._data.dtype)))
    return tuple(result)
