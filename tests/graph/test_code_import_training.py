"""What a learner pastes along with a graph: the training loop's idioms (``w -= lr * w.grad``,
``w.data``, ``sub_``, an optimizer, a for loop around backward) are refused at their line:col
in the words of a training update, which the app's Train Step does; in-place changes that
are no update say what to write instead; the rest of a tutorial's script (random numbers,
``.item()``, a ``main()`` that keeps nothing) is refused saying why, nothing created."""

from __future__ import annotations

import pytest

from gradstudio.graph.code_import import CodeImporter, CodeImportError, ZeroGrad, import_code

NET = ("w = torch.tensor(1.0, requires_grad=True)\n"
       "x = torch.tensor(6.7)\n"
       "loss = (w * x - 1) ** 2\n"
       "loss.backward()\n")
UPDATE = ("is a training update (it changes w by its gradient): the import reads the graph "
          "and its backward() calls, not weight updates. Leave it out and press Train Step "
          "in the app")
WITH_LR = UPDATE + ", with lr 0.1 in the toolbar"
NO_LR = UPDATE + " (its lr is in the toolbar)"

TRAINING = {
    "w -= 0.1 * w.grad": ("5:1", f"'w -= 0.1 * w.grad' {WITH_LR}"),
    "lr = 0.1\nwith torch.no_grad():\n    w -= lr * w.grad":
        ("7:5", f"'w -= lr * w.grad' {WITH_LR}"),
    "w -= w.grad * 0.1": ("5:1", WITH_LR),
    "w.data -= 0.1 * w.grad.data": ("5:1", f"'w.data -= 0.1 * w.grad.data' {WITH_LR}"),
    "w.data = w.data - 0.1 * w.grad": ("5:1", WITH_LR),
    "with torch.no_grad():\n    w = w - 0.1 * w.grad": ("6:5", WITH_LR),
    "with torch.no_grad():\n    w.sub_(0.1 * w.grad)": ("6:5", f"'w.sub_(0.1 * w.grad)' {WITH_LR}"),
    "w.data.add_(-0.1 * w.grad)": ("5:1", WITH_LR),  # adding -lr * grad: lr is 0.1
    "w.data.sub_(step * w.grad)": ("5:1", NO_LR),  # an lr never defined: still an update
    "w -= 1e-6 * w.grad": ("5:1", NO_LR),  # outside the box's range: no lr to type
    "lr = torch.tensor(0.1)\nw -= lr * w.grad": ("6:1", NO_LR),
    "optimizer.step()": ("5:1", "'optimizer.step()': an optimizer changes the weights by "
                         "their gradients, and the import reads the graph and its backward() "
                         "calls, not weight updates. Leave the optimizer out and press Train "
                         "Step in the app"),
    "optimizer.zero_grad()": ("5:1", "'optimizer.zero_grad()' belongs to a training loop"),
    "opt = torch.optim.SGD([w], lr=0.1)": ("5:7", "'torch.optim': an optimizer changes the "
                                           "weights"),
    "import torch.optim as optim": ("5:1", "'import torch.optim as optim': an optimizer"),
    "from torch import optim": ("5:1", "an optimizer changes the weights"),
    "from torch.optim import SGD": ("5:1", "an optimizer changes the weights"),
    "for epoch in range(100):\n    loss = (w * x - 1) ** 2\n    loss.backward()":
        ("5:1", "a training loop (for ...: backward() and an update) is not imported: the "
         "importer reads straight-line code, one forward and backward. Paste one pass of its "
         "body without the update, then run the loop in the app with Train N Steps…"),
    "while True:\n    w.grad.zero_()": ("5:1", "a training loop (while ..."),
}


def _refusal(code: str, where: str, words: str) -> str:
    """The import's refusal of ``code``, checked to be at ``where`` and to say ``words``."""
    with pytest.raises(CodeImportError) as caught:
        import_code(code)
    message = str(caught.value)
    assert message.startswith(where + ": ") and words in message, message
    return message


@pytest.mark.parametrize("update", TRAINING)
def test_a_training_update_is_refused_in_its_words(update: str) -> None:
    _refusal(NET + update, *TRAINING[update])


IN_PLACE = {
    "y = w * x\ny += 1": ("6:1", "'y += 1' changes y in place: write 'y = y + 1' instead"),
    "y = w * x\ny *= x ** 2": ("6:1", "write 'y = y * x ** 2' instead"),
    "y = w * x\ny.mul_(3)": ("6:1", "'y.mul_(3)' changes y in place: write 'y = y.mul(3)' "
                             "instead"),
    "w.data.zero_()": ("5:1", "changes w in place"),
    "y = w.add_(1)": ("5:5", "'w.add_(...)' changes w in place"),
}


@pytest.mark.parametrize("change", IN_PLACE)
def test_an_in_place_change_says_what_to_write(change: str) -> None:
    assert "training update" not in _refusal(NET + change, *IN_PLACE[change])


TUTORIAL = {
    "torch.manual_seed(0)\nx = torch.randn(3, requires_grad=True)":
        ("2:5", "torch.randn gives random numbers, which only running the code knows"),
    "x = torch.rand(2)": ("1:5", "torch.rand gives random numbers"),
    "x = torch.tensor(2.0, requires_grad=True)\nv = x.item()":
        ("2:5", ".item() is what running the code gives, not part of the graph: it can only "
         "be printed, as in print(x.item())"),
    "x = torch.tensor(2.0, requires_grad=True)\ny = x * 2\ny.backward()\ng = x.grad":
        ("4:5", ".grad is what running the code gives"),
    "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\n"
    "y.backward(torch.tensor([1.0, 0.5]))":
        ("3:1", "backward(gradient) is only understood as backward(torch.ones_like(y))"),
    "x = torch.tensor(2.0, requires_grad=True)\ny = x * 2\ny.grad = None":
        ("3:1", "y.grad = None: y is computed, not a leaf"),
    "x = torch.ones(2.0)": ("1:16", "a size is a whole number, not 2.0"),
    "x = torch.ones(-1)": ("1:16", "a size is a whole number"),
    "x = torch.zeros(10 ** 9)": ("1:5", "torch.zeros: more than"),
    "x = torch.ones(3, device='cuda')": ("1:5", "takes sizes, dtype= and requires_grad="),
    "x = torch.ones(2, 2, 2)": ("1:16", "at most 2-d"),
    "x: os.system('ls') = 1": ("1:4", "a type hint is only understood as a type's name"),
    "def f(x: print('hi')):\n    return x": ("1:1", "def f"),
    "if __name__ == '__main__':\n    pass\nelse:\n    x = 1": ("1:1", "if statements"),
    "if __name__ == 'other':\n    pass": ("1:1", "if statements"),
    "x = torch.tensor(2.0)\ny = torch.sqrt(x)": ("2:5", "torch.sqrt is not supported: write "
                                                 "x ** 0.5 (a pow node)"),
    "import torch.nn as nn\nlayer = nn.Linear(2, 1)":
        ("2:9", "nn.Linear: torch.nn's modules are not imported; write a layer's weights as "
         "tensors"),
    "x = torch.tensor(2.0, requires_grad=True)\ng = torch.autograd.grad(x * 2, x)":
        ("2:5", "call y.backward() and print x.grad"),
    "x = torch.linspace(-1, 1, 5)": ("1:5", "torch.linspace is not supported: write the "
                                     "numbers, as in torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0])"),
    "x = torch.arange(3.0)": ("1:5", "torch.arange is not supported: write the numbers"),
    # a cell copied without its line breaks: the syntax error says what probably happened
    "x = torch.tensor(6.7)y = torch.tensor(0.0)w = torch.tensor(1.0, requires_grad=True)"
    "b = torch.tensor(0.0, requires_grad=True)":
        ("1:22", "not valid Python: invalid syntax (the code is one line of 124 "
         "characters: were its line breaks lost when it was copied?)"),
    "%matplotlib inline\nx = torch.tensor(2.0)": ("1:1", "not valid Python: invalid syntax "
                                                  "(a line for IPython, as in a notebook: "
                                                  "leave it out, it is not part of the graph)"),
    "x = torch.tensor(2.0)\n!pip install torch": ("2:1", "(a line for IPython"),
    "x = torch.tensor(2.0)\ndisplay(open('f'))": ("2:9", "open(...) is not supported"),
    "x = torch.tensor(2.0)\nprint(str(open('f')))": ("2:11", "open(...) is not supported"),
    "x = torch.tensor(2.0)\nprint('%s' % eval('1'))": ("2:14", "eval(...) is not supported"),
    "def main():\n    x = torch.tensor(2.0, requires_grad=True)\n    y = x ** 2\n"
    "    y.backward()\n\nif __name__ == '__main__':\n    main()":
        ("7:5", "main() builds its graph and runs backward inside the function, and no "
         "variable holds that graph afterwards: paste the function's body at the top level, "
         "or end it with 'return loss' and write 'loss = main()'"),
}


@pytest.mark.parametrize("code", TUTORIAL)
def test_a_tutorials_script_is_refused_saying_why(code: str) -> None:
    _refusal(code, *TUTORIAL[code])


def test_a_main_that_returns_its_loss_is_its_graph() -> None:
    imported = import_code("def main():\n    x = torch.tensor(2.0, requires_grad=True)\n"
                           "    y = x ** 2\n    y.backward()\n    return y\n\n"
                           "if __name__ == '__main__':\n    loss = main()\n")
    assert {n.label: n.kind for n in imported.model.nodes()} == {"x": "input",
                                                                   "loss": "square"}
    assert imported.backward_count() == 1


def test_grad_none_is_replayed_as_a_cleared_gradient() -> None:
    importer = CodeImporter()
    importer.feed(NET)
    importer.feed("w.grad = None")
    imported = importer.result()
    assert imported.actions[-1] == ZeroGrad(imported.names["w"], 1, clear=True)


def test_backward_of_ones_like_is_a_sum_with_a_note() -> None:
    imported = import_code("x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 3\n"
                           "y.backward(torch.ones_like(y))\n")
    model = imported.model
    assert model.node(model.loss).kind == "sum"
    assert [model.label(e.src) for e in model.edges() if e.dst == model.loss] == ["y"]
    assert imported.notes == ["3:1: y.backward(torch.ones_like(y)) is imported as "
                              "y.sum().backward(), which gives the same gradients: the app's "
                              "backward starts from one number"]


def test_a_short_syntax_error_gets_no_line_break_hint() -> None:
    for code in ("x = (1 +", "x = torch.tensor(6.7)\ny = torch.tensor(0.0) w = 1\nb = 2\nc = 3"):
        with pytest.raises(CodeImportError) as caught:
            import_code(code)
        assert "not valid Python" in str(caught.value)
        assert "line breaks" not in str(caught.value)


def test_a_notebooks_display_is_read_as_print() -> None:
    cell = "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 2\ny.backward()\n{}(x.grad)\n"
    shown, printed = import_code(cell.format("display")), import_code(cell.format("print"))
    assert shown.model.to_dict() == printed.model.to_dict()
    assert shown.actions == printed.actions
