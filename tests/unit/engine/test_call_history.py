"""Call history is kept by the engine for every face, from the call.state events it emits."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from phone_pair import PhonePair, run

from alexphone.engine.commands import HangUp, PlaceCall
from alexphone.engine.events import CallChanged, CallState, Direction, UaReady
from alexphone.engine.history import ENDED_KEPT, CallHistory
from alexphone.store.database import DATABASE_NAME, open_database
from alexphone.store.history import HistoryKind, HistoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(open_database(tmp_path / DATABASE_NAME))


def _out(state: CallState, call_id: str = "c1", code: int | None = None) -> CallChanged:
    return CallChanged(call_id, Direction.OUT, "sip:bob@x", state, code)


def test_an_answered_call_is_one_row_with_its_duration(store: HistoryStore) -> None:
    clock = Clock()
    history = CallHistory(store, clock)
    for state, at in ((CallState.CALLING, 0), (CallState.RINGING, 1), (CallState.CONFIRMED, 3)):
        clock.now = 1000.0 + at
        history.observe(_out(state))
    history.observe(UaReady(("udp:127.0.0.1:5060",), "p"))  # not a call: ignored
    assert [e.state for e in history.active()] == [CallState.CONFIRMED]
    clock.now = 1013.0
    history.observe(_out(CallState.ENDED))
    history.observe(_out(CallState.ENDED))  # a late duplicate opens no second row
    (entry,) = store.recent()
    assert (entry.call_id, entry.kind, entry.started, entry.duration) == (
        "c1",
        HistoryKind.OUTGOING,
        1000.0,
        10.0,
    )
    assert history.active() == ()


def test_an_unanswered_incoming_call_is_missed(store: HistoryStore) -> None:
    history = CallHistory(store, Clock())
    history.observe(CallChanged("c2", Direction.IN, "sip:eve@x", CallState.RINGING))
    history.observe(CallChanged("c2", Direction.IN, "sip:eve@x", CallState.ENDED, 487))
    (entry,) = store.recent()
    assert entry.kind is HistoryKind.MISSED and entry.code == 487


def test_a_placement_that_fails_before_it_has_a_call_id_is_recorded(store: HistoryStore) -> None:
    history = CallHistory(store, Clock())
    history.observe(_out(CallState.ENDED, call_id="", code=404))
    history.observe(_out(CallState.ENDED, call_id="", code=404))  # another failed attempt
    assert [(e.call_id, e.code) for e in store.recent()] == [("", 404), ("", 404)]


def test_ended_calls_remembered_are_bounded(store: HistoryStore) -> None:
    history = CallHistory(store, Clock())
    for n in range(ENDED_KEPT + 1):
        history.observe(_out(CallState.ENDED, call_id=f"c{n}"))
    history.observe(_out(CallState.ENDED, call_id=f"c{ENDED_KEPT}"))  # still remembered
    history.observe(_out(CallState.ENDED, call_id="c0"))  # forgotten: a row again
    assert len(store.recent(limit=1000)) == ENDED_KEPT + 2


def test_without_a_store_calls_are_still_listed() -> None:
    history = CallHistory(None, Clock())
    history.observe(_out(CallState.CALLING))
    assert [e.call_id for e in history.active()] == ["c1"]
    history.observe(_out(CallState.ENDED))
    assert history.active() == ()


def test_a_failing_disk_costs_the_history_not_the_call(tmp_path: Path) -> None:
    connection = open_database(tmp_path / DATABASE_NAME)
    history = CallHistory(HistoryStore(connection), Clock())
    connection.close()  # every write now raises sqlite3.ProgrammingError
    history.observe(_out(CallState.CALLING))
    history.observe(_out(CallState.CONFIRMED))
    assert [e.state for e in history.active()] == [CallState.CONFIRMED]
    history.observe(_out(CallState.ENDED))
    assert history.active() == ()
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_both_phones_keep_history_and_list_their_active_calls(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with PhonePair.on(tmp_path, auto_answer=0.0) as pair:
            assert pair.a.active_calls() == ()
            pair.a.execute(PlaceCall(pair.b.uri()))
            up = await pair.a.call_state(CallState.CONFIRMED)
            await pair.b.call_state(CallState.CONFIRMED)
            (listed,) = pair.a.active_calls()
            assert (listed.call_id, listed.direction, listed.state) == (
                up.call_id,
                Direction.OUT,
                CallState.CONFIRMED,
            )
            assert [e.direction for e in pair.b.active_calls()] == [Direction.IN]
            pair.a.execute(HangUp(up.call_id))
            await pair.a.call_state(CallState.ENDED)
            await pair.b.call_state(CallState.ENDED)
            assert pair.a.active_calls() == () and pair.b.active_calls() == ()
            return up.call_id

    call_id = run(scenario())
    for side, kind in (("a", HistoryKind.OUTGOING), ("b", HistoryKind.INCOMING)):
        (entry,) = HistoryStore(open_database(tmp_path / side / DATABASE_NAME)).recent()
        assert (entry.call_id, entry.kind) == (call_id, kind)
        assert entry.duration is not None and entry.ended is not None


def test_the_other_partys_display_name_is_kept_even_when_learnt_late(store: HistoryStore) -> None:
    history = CallHistory(store, Clock())
    incoming = CallChanged("in", Direction.IN, "sip:eve@x", CallState.RINGING, display_name="Eve")
    history.observe(incoming)
    history.observe(CallChanged("in", Direction.IN, "sip:eve@x", CallState.ENDED))
    history.observe(_out(CallState.CALLING, "out"))
    named = CallChanged("out", Direction.OUT, "sip:bob@x", CallState.CONFIRMED, display_name="Bob")
    history.observe(named)  # the 2xx's To carried a name the INVITE did not
    history.observe(_out(CallState.ENDED, "out"))
    assert [(e.call_id, e.display_name) for e in store.recent()] == [("out", "Bob"), ("in", "Eve")]
