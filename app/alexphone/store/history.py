"""Call history: one row per call, written when it starts and completed when it ends."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import Enum


class HistoryDirection(Enum):
    """Who placed the call."""

    IN = "in"
    OUT = "out"


class HistoryKind(Enum):
    """How a call looks in the history list."""

    INCOMING = "incoming"
    OUTGOING = "outgoing"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One call as remembered: times are Unix seconds, ``answered``/``ended`` None if never."""

    id: int
    call_id: str
    direction: HistoryDirection
    remote: str
    started: float
    answered: float | None = None
    ended: float | None = None
    code: int | None = None
    reason: str = ""
    display_name: str = ""  # the other party's SIP display name ("" when none was given)

    @property
    def kind(self) -> HistoryKind:
        """Return incoming, outgoing or missed (an incoming call nobody answered)."""
        if self.direction is HistoryDirection.OUT:
            return HistoryKind.OUTGOING
        return HistoryKind.INCOMING if self.answered is not None else HistoryKind.MISSED

    @property
    def duration(self) -> float | None:
        """Return the connected time in seconds, or None if the call was never answered."""
        if self.answered is None:
            return None
        return max(0.0, (self.ended if self.ended is not None else self.answered) - self.answered)


_COLUMNS = "id, call_id, direction, remote, started, answered, ended, code, reason, display_name"
_Row = tuple[int, str, str, str, float, float | None, float | None, int | None, str, str]


def _entry(row: _Row) -> HistoryEntry:
    return HistoryEntry(row[0], row[1], HistoryDirection(row[2]), *row[3:])


class HistoryStore:
    """Records calls as they happen; each write commits, so a crash loses nothing written."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def begin(
        self,
        call_id: str,
        direction: HistoryDirection,
        remote: str,
        now: float,
        display_name: str = "",
    ) -> int:
        """Record a new call starting at ``now``; return its row id."""
        cursor = self._db.execute(
            "INSERT INTO history (call_id, direction, remote, started, display_name)"
            " VALUES (?, ?, ?, ?, ?)",
            (call_id, direction.value, remote, now, display_name),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def named(self, entry_id: int, display_name: str) -> None:
        """Note the other party's display name, learnt after the call began."""
        self._db.execute(
            "UPDATE history SET display_name = ? WHERE id = ?", (display_name, entry_id)
        )

    def answered(self, entry_id: int, now: float) -> None:
        """Note that the call was answered at ``now`` (first time only)."""
        self._db.execute(
            "UPDATE history SET answered = ? WHERE id = ? AND answered IS NULL", (now, entry_id)
        )

    def ended(self, entry_id: int, now: float, code: int | None, reason: str) -> None:
        """Note that the call ended at ``now`` with ``code``/``reason``."""
        self._db.execute(
            "UPDATE history SET ended = ?, code = ?, reason = ? WHERE id = ?",
            (now, code, reason, entry_id),
        )

    def get(self, entry_id: int) -> HistoryEntry | None:
        """Return one entry by row id, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM history WHERE id = ?", (entry_id,)
        ).fetchone()
        return None if row is None else _entry(row)

    def recent(self, limit: int = 500) -> list[HistoryEntry]:
        """Return up to ``limit`` entries, newest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM history ORDER BY started DESC, id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_entry(row) for row in rows]

    def remotes(self, limit: int = 200) -> list[str]:
        """Return distinct remote addresses, most recently called first (dial completion)."""
        rows = self._db.execute(
            "SELECT remote FROM history GROUP BY remote ORDER BY MAX(started) DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [str(row[0]) for row in rows]

    def clear(self) -> None:
        """Forget every call."""
        self._db.execute("DELETE FROM history")
