"""File ▸ Open Example lists the examples in the notebook's order, as the guide numbers
them (they were in file-name order: 5, 7, 8, 6, 2, 3, 1, 4), and each opens its graph."""

from __future__ import annotations


def test_the_examples_are_listed_one_to_eight_and_open(window):
    file_menu = window.menuBar().actions()[0].menu()
    examples = next(a.menu() for a in file_menu.actions()
                    if a.text().replace("&", "") == "Open Example")
    titles = [a.text().replace("&", "") for a in examples.actions()]
    assert [t.split(".")[0] for t in titles] == [str(i) for i in range(1, 9)]
    assert titles[0] == "1. y = x²" and titles[-1] == "8. torch.no_grad()"
    examples.actions()[4].trigger()  # 5. Gradients accumulate
    assert {window.document.model.label(n) for n in window.document.model.node_ids()} == \
        {"x", "y"}
    assert window.document.model.node(window.document.model.find("x")).params["value"] == 2.0
