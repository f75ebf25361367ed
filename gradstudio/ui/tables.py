"""A read-only table of results (Gradient check, Compare with PyTorch): whole rows selected,
no row numbers, columns as wide as their text, the last one taking the rest."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget

__all__ = ["read_only_table"]


def read_only_table(headers: Sequence[str], rows: int = 0) -> QTableWidget:
    """A table with these (already translated) column headers."""
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeToContents)
    header.setStretchLastSection(True)
    return table
