"""The seed notebook (tests/engine/data/autograd_notebook.txt), cell by cell, as data.

The file is a plain-text export of a Jupyter notebook, and that format is ambiguous (markdown,
code and output are only separated by blank lines), so instead of parsing it, every code cell is
transcribed here by hand, in *file order* -- which is also the order a reader runs it in. Note
that the execution counts are not monotonic: ``In [41]`` comes after ``In [44]``.

What is deliberately NOT a cell or an output:

* markdown between cells ("## we have:", "- a computation graph is constructed.", ...);
* the line ``tensor(9., grad_fn=PowBackward0)`` after ``In [7]``: it sits after the real output
  (``...grad_fn=<PowBackward0>)``) and is part of the markdown note that follows.

``test_notebook_replay.py::test_transcription_matches_notebook_file`` checks every cell below
against the file (header, each code line, each output line, in order), so this transcription
cannot silently drift from the notebook.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

#: The message PyTorch gives when ``backward()`` is called on a tensor outside any graph.
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"


def _block(text: str) -> str:
    """An indented triple-quoted block -> the exact lines it stands for (no outer blank lines)."""
    return textwrap.dedent(text).strip("\n")


@dataclass(frozen=True)
class Cell:
    """One code cell of the notebook, and what the notebook shows below it."""

    #: The execution count shown as ``In [N]:`` (unique in this notebook, but NOT in order).
    number: int
    #: The code, exactly as in the file (comments and blank lines included).
    code: str
    #: What Jupyter displays below the cell: printed text, then the repr of the value of a final
    #: expression statement. ``None``: the cell shows nothing.
    output: str | None = None
    #: ``(exception type name, message)`` when the notebook shows the cell raising.
    error: tuple[str, str] | None = None
    #: When set, numbers in ``output`` are compared with this absolute tolerance instead of
    #: textually (for float32 gradients printed at full Python-float precision).
    float_tolerance: float | None = None
    #: Why the cell is transcribed the way it is, when the file alone is ambiguous.
    note: str = ""

    @property
    def expected_text(self) -> str | None:
        """The lines the file shows below the code (the output, or the ``Type: message`` line)."""
        if self.error is not None:
            return f"{self.error[0]}: {self.error[1]}"
        return self.output


CELLS: tuple[Cell, ...] = (
    Cell(1, "import torch", note="the harness binds `torch` to the engine under test instead"),
    Cell(
        4,
        "x = torch.tensor(3.0, requires_grad=True)\n"
        "# if we need the derivative of any tensor, while defining it we use requires_grad = True,"
        " by default it is False",
    ),
    Cell(5, "y = x**2"),
    Cell(6, "x", output="tensor(3., requires_grad=True)"),
    Cell(
        7,
        "y",
        output="tensor(9., grad_fn=<PowBackward0>)",
        note="the next line in the file, `tensor(9., grad_fn=PowBackward0)`, is a markdown note",
    ),
    Cell(
        8,
        _block(
            """
            ## calculating the derivative

            y.backward()
            """
        ),
    ),
    Cell(
        11,
        _block(
            """
            ## checking the result
            x.grad
            """
        ),
        output="tensor(6.)",
    ),
    Cell(
        12,
        _block(
            """
            x = torch.tensor(3.0, requires_grad=True)
            y = x**2
            z = torch.sin(y)
            """
        ),
    ),
    Cell(
        13,
        _block(
            """
            print(x)
            print(y)
            print(z)
            """
        ),
        output=_block(
            """
            tensor(3., requires_grad=True)
            tensor(9., grad_fn=<PowBackward0>)
            tensor(0.4121, grad_fn=<SinBackward0>)
            """
        ),
    ),
    Cell(14, "z.backward()"),
    Cell(15, "x.grad", output="tensor(-5.4668)"),
    Cell(
        16,
        _block(
            """
            x = torch.tensor(6.7) # input feature
            y = torch.tensor(0.0) # True label

            w = torch.tensor(1.0) # weight
            b = torch.tensor(0.0) # bias
            """
        ),
    ),
    Cell(
        17,
        _block(
            """
            # Binary Cross-Entropy Loss for scalar
            def binary_cross_entropy_loss(prediction, target):
                epsilon = 1e-8  # To prevent log(0)
                prediction = torch.clamp(prediction, epsilon, 1 - epsilon)
                return -(target * torch.log(prediction) + (1 - target) * torch.log(1 - prediction))
            """
        ),
    ),
    Cell(
        18,
        _block(
            """
            # Forward pass
            z = w * x + b  # Weighted sum (linear part)
            y_pred = torch.sigmoid(z)  # Predicted probability

            # Compute binary cross-entropy loss
            loss = binary_cross_entropy_loss(y_pred, y)
            """
        ),
    ),
    Cell(19, "loss", output="tensor(6.7012)"),
    Cell(
        20,
        _block(
            """
            # Derivatives:
            # 1. dL/d(y_pred): Loss with respect to the prediction (y_pred)
            dloss_dy_pred = (y_pred - y)/(y_pred*(1-y_pred))

            # 2. dy_pred/dz: Prediction (y_pred) with respect to z (sigmoid derivative)
            dy_pred_dz = y_pred * (1 - y_pred)

            # 3. dz/dw and dz/db: z with respect to w and b
            dz_dw = x  # dz/dw = x
            dz_db = 1  # dz/db = 1 (bias contributes directly to z)

            dL_dw = dloss_dy_pred * dy_pred_dz * dz_dw
            dL_db = dloss_dy_pred * dy_pred_dz * dz_db
            """
        ),
    ),
    Cell(
        21,
        _block(
            """
            print(f"Manual Gradient of loss w.r.t weight (dw): {dL_dw}")
            print(f"Manual Gradient of loss w.r.t bias (db): {dL_db}")
            """
        ),
        output=_block(
            """
            Manual Gradient of loss w.r.t weight (dw): 6.691762447357178
            Manual Gradient of loss w.r.t bias (db): 0.998770534992218
            """
        ),
        float_tolerance=1e-6,
        note="float32 values printed at full precision: compared within 1e-6",
    ),
    Cell(
        22,
        _block(
            """
            x = torch.tensor(6.7)
            y = torch.tensor(0.0)

            w = torch.tensor(1.0, requires_grad=True)
            b = torch.tensor(0.0, requires_grad=True)
            """
        ),
    ),
    Cell(
        23,
        _block(
            """
            z = w*x + b
            z
            """
        ),
        output="tensor(6.7000, grad_fn=<AddBackward0>)",
    ),
    Cell(
        24,
        _block(
            """
            y_pred = torch.sigmoid(z)
            y_pred
            """
        ),
        output="tensor(0.9988, grad_fn=<SigmoidBackward0>)",
    ),
    Cell(
        25,
        _block(
            """
            loss = binary_cross_entropy_loss(y_pred, y)
            loss
            """
        ),
        output="tensor(6.7012, grad_fn=<NegBackward0>)",
    ),
    Cell(26, "loss.backward()"),
    Cell(
        28,
        _block(
            """
            print(f"Gradient of loss w.r.t weight using Autograd: {w.grad}")
            print(f"Gradient of loss w.r.t bias (db) using Autograd: {b.grad}")
            """
        ),
        output=_block(
            """
            Gradient of loss w.r.t weight using Autograd: 6.6917619705200195
            Gradient of loss w.r.t bias (db) using Autograd: 0.9987704753875732
            """
        ),
        float_tolerance=1e-6,
        note="float32 values printed at full precision: compared within 1e-6",
    ),
    Cell(29, "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)"),
    Cell(30, "x", output="tensor([1., 2., 3.], requires_grad=True)"),
    Cell(
        31,
        _block(
            """
            y = (x**2).mean()
            y
            """
        ),
        output="tensor(4.6667, grad_fn=<MeanBackward0>)",
    ),
    Cell(32, "y.backward()"),
    Cell(33, "x.grad", output="tensor([0.6667, 1.3333, 2.0000])"),
    Cell(
        34,
        _block(
            """
            ## clearing grad

            x = torch.tensor(2.0, requires_grad=True)
            x
            """
        ),
        output="tensor(2., requires_grad=True)",
    ),
    Cell(
        42,
        _block(
            """
            y = x**2
            y
            """
        ),
        output="tensor(4., grad_fn=<PowBackward0>)",
    ),
    Cell(43, "y.backward()"),
    Cell(44, "x.grad", output="tensor(4.)"),
    Cell(
        41,
        "x.grad.zero_()",
        output="tensor(0.)",
        note="comes after In [44] in the file; replayed in file order",
    ),
    Cell(
        45,
        _block(
            """
            x = torch.tensor(2.0, requires_grad=True)
            x
            """
        ),
        output="tensor(2., requires_grad=True)",
    ),
    Cell(
        46,
        _block(
            """
            y = x**2
            y
            """
        ),
        output="tensor(4., grad_fn=<PowBackward0>)",
    ),
    Cell(47, "y.backward()"),
    Cell(48, "x.grad", output="tensor(4.)"),
    Cell(49, "x.requires_grad_(False)", output="tensor(2.)"),
    Cell(50, "x", output="tensor(2.)"),
    Cell(51, "y = x ** 2"),
    Cell(52, "y", output="tensor(4.)"),
    Cell(
        53,
        _block(
            """
            y.backward()

            ## won't run
            """
        ),
        error=("RuntimeError", NO_GRAD_FN),
        note="`## won't run` is a comment inside the cell (the error output follows it)",
    ),
    Cell(
        54,
        _block(
            """
            x = torch.tensor(2.0, requires_grad=True)
            x
            """
        ),
        output="tensor(2., requires_grad=True)",
    ),
    Cell(
        55,
        _block(
            """
            z = x.detach()
            z
            """
        ),
        output="tensor(2.)",
    ),
    Cell(56, "y = x ** 2"),
    Cell(
        57,
        _block(
            """
            y1 = z ** 2
            y1
            """
        ),
        output="tensor(4.)",
    ),
    Cell(58, "y.backward()"),
    Cell(59, "x.grad", output="tensor(4.)"),
    Cell(
        60,
        _block(
            """
            y1.backward()
            ## this won't run
            """
        ),
        error=("RuntimeError", NO_GRAD_FN),
    ),
    Cell(
        61,
        _block(
            """
            x = torch.tensor(2.0, requires_grad=True)
            x
            """
        ),
        output="tensor(2., requires_grad=True)",
    ),
    Cell(
        62,
        _block(
            """
            with torch.no_grad():
              y = x**2
            """
        ),
    ),
    Cell(63, "y", output="tensor(4.)"),
    Cell(
        64,
        _block(
            """
            y.backward()
            ## won't work
            """
        ),
        error=("RuntimeError", NO_GRAD_FN),
    ),
)
