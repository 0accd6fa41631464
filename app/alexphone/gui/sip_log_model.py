"""The session log: engine events and, with the SIP log on, every ``sip.message``.

Rows are capped so a long session cannot eat memory.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from alexphone.gui.roles import ItemRole

Index = QModelIndex | QPersistentModelIndex
MAX_LINES = 5000


@dataclass(frozen=True, slots=True)
class LogLine:
    """One logged item: when, which way ("→" sent, "←" received, "·" event), peer, text."""

    ts: float
    direction: str
    peer: str
    text: str

    def __str__(self) -> str:
        stamp = (
            time.strftime("%H:%M:%S", time.localtime(self.ts)) + f".{int(self.ts % 1 * 1000):03d}"
        )
        head = f"{stamp} {self.direction} {self.peer}".rstrip()
        return f"{head}\n{self.text}" if "\n" in self.text else f"{head}  {self.text}"


class SipLogModel(QAbstractListModel):
    """Log lines in arrival order, the oldest dropped past MAX_LINES."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        super().__init__()
        self._rows: list[LogLine] = []
        self._max = max_lines

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of lines kept."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return the line's text, or the LogLine itself."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        line = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(line)
        if role == ItemRole.VALUE:
            return line
        return None

    def append(self, line: LogLine) -> None:
        """Add ``line`` at the end, dropping the oldest beyond the cap."""
        if len(self._rows) >= self._max:
            self.beginRemoveRows(QModelIndex(), 0, 0)
            del self._rows[0]
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(line)
        self.endInsertRows()

    def text(self, rows: list[int] | None = None) -> str:
        """Return the given rows (default all) as plain text for the clipboard."""
        chosen = self._rows if rows is None else [self._rows[r] for r in sorted(rows)]
        return "\n".join(str(line) for line in chosen)

    def clear(self) -> None:
        """Drop every line."""
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()
