"""Call history: begin/answered/ended rows, kinds, durations, completion list."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.store.database import open_database
from alexphone.store.history import HistoryDirection, HistoryKind, HistoryStore


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(open_database(tmp_path / "a.db"))


def test_answered_outgoing_call_has_a_duration(store: HistoryStore) -> None:
    row = store.begin("c1", HistoryDirection.OUT, "sip:bob@x", 100.0)
    store.answered(row, 103.0)
    store.answered(row, 150.0)  # only the first answer counts
    store.ended(row, 113.5, None, "")
    entry = store.get(row)
    assert entry is not None
    assert entry.kind is HistoryKind.OUTGOING
    assert entry.duration == 10.5


def test_unanswered_incoming_call_is_missed(store: HistoryStore) -> None:
    row = store.begin("c2", HistoryDirection.IN, "sip:eve@x", 5.0)
    store.ended(row, 9.0, 487, "Request Terminated")
    entry = store.get(row)
    assert entry is not None
    assert (entry.kind, entry.duration, entry.code) == (HistoryKind.MISSED, None, 487)


def test_recent_is_newest_first_and_remotes_are_distinct(store: HistoryStore) -> None:
    store.begin("a", HistoryDirection.OUT, "sip:a@x", 1.0)
    store.begin("b", HistoryDirection.OUT, "sip:b@x", 2.0)
    store.begin("c", HistoryDirection.OUT, "sip:a@x", 3.0)
    assert [e.call_id for e in store.recent()] == ["c", "b", "a"]
    assert store.remotes() == ["sip:a@x", "sip:b@x"]
    store.clear()
    assert store.recent() == []
