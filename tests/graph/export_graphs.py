"""Random graphs for the export tests (hypothesis): every kind the export writes, leaves of
each kind, both dtypes, detach and no-grad on leaves and ops."""

from __future__ import annotations

from hypothesis import strategies as hs

from gradstudio.graph import GraphModel

UNARY = ("sin", "cos", "exp", "tanh", "sigmoid", "square", "neg", "relu", "identity", "mean",
         "sum", "clamp", "log", "pow")
BINARY = ("add", "sub", "mul", "div", "bce", "mse")
PORTS = {"bce": ("prediction", "target"), "mse": ("prediction", "target")}


@hs.composite
def random_graphs(draw: hs.DrawFn) -> GraphModel:
    """Two or three leaves (weights, inputs, constants; scalars or 3-vectors; float32 or
    float64), then a chain of ops, each on the value before it and a binary one also on any
    earlier value; detach and no-grad now and then, on ops and leaves; a mean at the end."""
    m = GraphModel()
    m.set_setting("dtype", draw(hs.sampled_from(["float32", "float32", "float64"])))
    ids = []
    for i in range(draw(hs.integers(2, 3))):
        size = draw(hs.sampled_from([None, 3]))
        values = draw(hs.lists(hs.floats(0.2, 0.9), min_size=size or 1, max_size=size or 1))
        leaf = draw(hs.sampled_from(["weight", "input", "constant"]))
        ids.append(m.add_node(leaf, label=f"w{i}", params={
            "value": values if size else values[0]}, flags={
            "requires_grad": i == 0 or draw(hs.integers(0, 3)) > 0,
            "detach": draw(hs.integers(0, 9)) == 0}))
    leaves = len(ids)
    for i in range(draw(hs.integers(1, 7))):
        kind = draw(hs.sampled_from(BINARY)) if draw(hs.booleans()) else \
            draw(hs.sampled_from(UNARY))
        flags = {"detach": draw(hs.integers(0, 7)) == 0, "no_grad": draw(hs.integers(0, 9)) == 0}
        params = {"clamp": {"min": 0.3, "max": 0.8}, "pow": {"exponent": draw(
            hs.sampled_from([2, 3, 0.5, -1]))}}.get(kind, {})
        node = m.add_node(kind, label=f"n{i}", flags=flags, params=params)
        ports = PORTS.get(kind, ("a", "b") if kind in BINARY else ("x",))
        first = ids[-1] if len(ids) > leaves else ids[draw(hs.integers(0, leaves - 1))]
        m.connect(first, node, ports[0])
        if len(ports) == 2:
            m.connect(ids[draw(hs.integers(0, len(ids) - 1))], node, ports[1])
        ids.append(node)
    mean = m.add_node("mean", label="loss")
    m.connect(ids[-1], mean, "x")
    m.set_loss(mean)
    return m
