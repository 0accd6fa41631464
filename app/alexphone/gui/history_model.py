"""Call history as a table: kind, remote, when, duration, result."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from alexphone.gui.roles import ItemRole
from alexphone.store.history import HistoryEntry, HistoryKind, HistoryStore

Index = QModelIndex | QPersistentModelIndex
KIND_WORDS = {
    HistoryKind.INCOMING: "↙ In",
    HistoryKind.OUTGOING: "↗ Out",
    HistoryKind.MISSED: "✕ Missed",
}
MISSED_COLOR = QColor("#b3261e")


def format_duration(seconds: float | None) -> str:
    """Return "m:ss" (or "h:mm:ss"), "" when the call was never connected."""
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _address_only(remote: str, display_name: str) -> str:
    del display_name
    return remote


def _when(started: float, now: float) -> str:
    stamp = time.localtime(started)
    if time.localtime(now)[:3] == stamp[:3]:
        return time.strftime("%H:%M", stamp)
    return time.strftime("%Y-%m-%d %H:%M", stamp)


class HistoryModel(QAbstractTableModel):
    """Newest call first; ``reload()`` after each call ends.

    The Who column shows ``namer(remote, display_name)`` (gui/caller_name.py: the contact's
    name, else the SIP display name the call carried, else a LAN peer's) with the address
    beneath (ItemRole.SUBTITLE), asked at each paint so renamed contacts show at once.
    """

    HEADERS = ("", "Who", "When", "Duration", "Result")
    WHO = 1

    def __init__(
        self,
        store: HistoryStore,
        clock: Callable[[], float] = time.time,
        namer: Callable[[str, str], str] = _address_only,
    ) -> None:
        super().__init__()
        self._store = store
        self._clock = clock
        self._namer = namer
        self._rows: list[HistoryEntry] = store.recent()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of calls remembered."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of columns."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        """Return the column titles."""
        if (
            orientation is Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        """Return a cell's text, missed calls in red, or the entry itself."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == ItemRole.VALUE:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole and entry.kind is HistoryKind.MISSED:
            return MISSED_COLOR
        if role in (ItemRole.SUBTITLE, Qt.ItemDataRole.ToolTipRole) and index.column() == self.WHO:
            return entry.remote
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        result = entry.reason or ("" if entry.code is None else str(entry.code))
        cells = (
            KIND_WORDS[entry.kind],
            self._namer(entry.remote, entry.display_name),
            _when(entry.started, self._clock()),
            format_duration(entry.duration),
            result,
        )
        return cells[index.column()]

    def entry(self, row: int) -> HistoryEntry:
        """Return the entry in ``row``."""
        return self._rows[row]

    def reload(self) -> None:
        """Re-read the history from the store."""
        self.beginResetModel()
        self._rows = self._store.recent()
        self.endResetModel()
