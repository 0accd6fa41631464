"""Call history kept by the engine for every face, fed by the ``call.state`` events.

A call gets its row when its first event is seen, is marked answered when it is first
confirmed and completed when it ends; a placement that fails before it has a Call-ID
(bad address, no route) is one event that opens and closes a row at once. The same
events give the calls still open, which ``ListCalls`` reports.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from alexphone.engine.events import CallChanged, CallState, Direction, Event
from alexphone.store.history import HistoryDirection, HistoryStore

log = logging.getLogger(__name__)

ENDED_KEPT = 256  # ended calls remembered so a late duplicate event opens no new row
_DIRECTIONS = {Direction.IN: HistoryDirection.IN, Direction.OUT: HistoryDirection.OUT}


@dataclass(slots=True)
class _Open:
    row: int | None  # None when the history could not be written
    last: CallChanged


class CallHistory:
    """Writes each call to ``store`` (None: no history) as its events pass through."""

    def __init__(self, store: HistoryStore | None, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._open: dict[str, _Open] = {}
        self._ended: dict[str, None] = {}  # the last ENDED_KEPT ended Call-IDs, oldest first

    def observe(self, event: Event) -> None:
        """Record ``event`` if it is a ``call.state``; other events are ignored."""
        if isinstance(event, CallChanged):
            self._changed(event, self._clock())

    def active(self) -> tuple[CallChanged, ...]:
        """Return the latest ``call.state`` of every call that has not ended, oldest first."""
        return tuple(entry.last for entry in self._open.values())

    def _changed(self, event: CallChanged, now: float) -> None:
        if event.call_id in self._ended:
            return  # a late duplicate of the end (e.g. BYE crossing BYE)
        entry = self._open.get(event.call_id) if event.call_id else None
        if entry is None:
            entry = _Open(self._begin(event, now), event)
            if event.call_id:
                self._open[event.call_id] = entry
        named = bool(event.display_name) and event.display_name != entry.last.display_name
        entry.last = event
        store, row = self._store, entry.row
        if store is None or row is None:
            if event.state is CallState.ENDED:
                self._close(event.call_id)
            return
        try:
            if named:  # e.g. the To display name of a 2xx to our INVITE
                store.named(row, event.display_name)
            if event.state is CallState.CONFIRMED:
                store.answered(row, now)
            elif event.state is CallState.ENDED:
                store.ended(row, now, event.code, event.reason)
        except sqlite3.Error as exc:  # a failing disk costs the history, never the call
            log.warning("call history not written: %s", exc)
        if event.state is CallState.ENDED:
            self._close(event.call_id)

    def _begin(self, event: CallChanged, now: float) -> int | None:
        if self._store is None:
            return None
        direction = _DIRECTIONS[event.direction]
        try:
            return self._store.begin(
                event.call_id, direction, event.remote, now, event.display_name
            )
        except sqlite3.Error as exc:
            log.warning("call history not written: %s", exc)
            return None

    def _close(self, call_id: str) -> None:
        self._open.pop(call_id, None)
        if call_id:
            self._ended[call_id] = None
            while len(self._ended) > ENDED_KEPT:
                del self._ended[next(iter(self._ended))]
