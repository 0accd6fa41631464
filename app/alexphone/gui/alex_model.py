"""ALEX views: the connection list of a call (``alex.pair`` / ``alex.selected``) and the cache.

Both are fed by the events of docs/ARCHITECTURE.md "Events" and fill in once ALEX
reports them; until then they are empty tables with their headers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from alexphone.engine.events import CheckState, Flow
from alexphone.gui.roles import ItemRole

Index = QModelIndex | QPersistentModelIndex
SELECTED_BACKGROUND = QColor(31, 111, 92, 60)  # the accent, see-through: light or dark


@dataclass(frozen=True, slots=True)
class Pair:
    """One local/remote pair of a call's connection list."""

    call_id: str
    flow: Flow
    local: str
    remote: str
    state: CheckState
    rtt_ms: float | None = None
    selected: bool = False


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} ms"


class PairModel(QAbstractTableModel):
    """The connection list of one call; the selected pair is bold on a green row."""

    HEADERS = ("Flow", "Local", "Remote", "State", "RTT")

    def __init__(self) -> None:
        super().__init__()
        self._pairs: dict[str, list[Pair]] = {}
        self._call_id = ""

    @property
    def _rows(self) -> list[Pair]:
        return self._pairs.get(self._call_id, [])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of pairs of the shown call."""
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
        """Return a cell's text, or the selected pair's highlight."""
        rows = self._rows
        if not index.isValid() or not 0 <= index.row() < len(rows):
            return None
        pair = rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            state = pair.state.value.replace("_", " ")
            cells = (pair.flow.value, pair.local, pair.remote, state)
            return cells[index.column()] if index.column() < 4 else _ms(pair.rtt_ms)
        if role == Qt.ItemDataRole.BackgroundRole and pair.selected:
            return SELECTED_BACKGROUND
        if role == Qt.ItemDataRole.FontRole and pair.selected:
            font = QFont()
            font.setBold(True)
            return font
        if role == ItemRole.VALUE:
            return pair
        return None

    def show_call(self, call_id: str) -> None:
        """Show the pairs of ``call_id``."""
        self.beginResetModel()
        self._call_id = call_id
        self.endResetModel()

    def items(self, side: str) -> list[str]:
        """Return the distinct addresses on ``side`` ("local" or "remote") of the shown call."""
        return list(dict.fromkeys(getattr(p, side) for p in self._rows))

    def upsert(self, pair: Pair) -> None:
        """Add or update the pair with the same call, flow, local and remote."""
        rows = self._pairs.setdefault(pair.call_id, [])
        shown = pair.call_id == self._call_id
        for row, known in enumerate(rows):
            if (known.flow, known.local, known.remote) == (pair.flow, pair.local, pair.remote):
                rows[row] = replace(pair, selected=known.selected or pair.selected)
                if shown:
                    self.dataChanged.emit(self.index(row, 0), self.index(row, 4))
                return
        if shown:
            self.beginInsertRows(QModelIndex(), len(rows), len(rows))
        rows.append(pair)
        if shown:
            self.endInsertRows()

    def select(
        self, call_id: str, flow: Flow, local: str, remote: str, rtt_ms: float | None
    ) -> None:
        """Mark the pair ALEX chose for ``flow`` (adding it if it was never listed)."""
        rows = self._pairs.setdefault(call_id, [])
        for row, known in enumerate(rows):
            if known.flow == flow and known.selected:
                rows[row] = replace(known, selected=False)
        self.upsert(Pair(call_id, flow, local, remote, CheckState.SUCCEEDED, rtt_ms, True))
        if call_id == self._call_id and rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, 4))

    def forget(self, call_id: str) -> None:
        """Drop the pairs of a call that is gone."""
        if call_id == self._call_id:
            self.show_call("")
        self._pairs.pop(call_id, None)


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A path that worked: what ALEX tries first the next time (peer, flow, addresses)."""

    peer: str
    flow: Flow
    local: str
    remote: str
    rtt_ms: float | None
    stored_at: float
    network: str = ""


class CacheModel(QAbstractTableModel):
    """The ALEX cache: one row per (peer, flow); ages shown relative to ``clock()``."""

    HEADERS = ("Peer", "Flow", "Local", "Remote", "RTT", "Age", "Network")

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self._rows: list[CacheEntry] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Return the number of cached paths."""
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
        """Return a cell's text."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == ItemRole.VALUE:
            return entry
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        age = _age(self._clock() - entry.stored_at)
        cells = (entry.peer, entry.flow.value, entry.local, entry.remote, _ms(entry.rtt_ms), age)
        return cells[index.column()] if index.column() < 6 else entry.network

    def entries(self) -> tuple[CacheEntry, ...]:
        """Return every cached path."""
        return tuple(self._rows)

    def upsert(self, entry: CacheEntry) -> None:
        """Add or refresh the path for (peer, flow)."""
        for row, known in enumerate(self._rows):
            if (known.peer, known.flow) == (entry.peer, entry.flow):
                self._rows[row] = entry
                self.dataChanged.emit(self.index(row, 0), self.index(row, 6))
                return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
        self._rows.append(entry)
        self.endInsertRows()

    def remove(self, row: int) -> None:
        """Forget the path in ``row``."""
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def clear(self) -> None:
        """Forget every path."""
        self.replace_all(())

    def replace_all(self, entries: Sequence[CacheEntry]) -> None:
        """Show exactly ``entries`` (the engine's answer to a cache listing)."""
        self.beginResetModel()
        self._rows = list(entries)
        self.endResetModel()


def _age(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"
