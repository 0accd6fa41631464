"""The switchboard: automatic hold, resume, swap, merge and call waiting over fake calls."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from alexphone.core.errors import LocalProtocolError
from alexphone.engine.commands import OtherCalls
from alexphone.engine.events import (
    CallChanged,
    CallMode,
    CallModeChanged,
    CallState,
    Direction,
    Event,
)
from alexphone.engine.switchboard import TABLE, Intent, Signal, Switchboard
from alexphone.media.mixer import LegMode


class FakeCall:
    def __init__(self, up: bool = True) -> None:
        self.is_confirmed = up
        self.did: list[str] = []
        self.busy = False  # a re-INVITE of ours is under way

    def hold(self, on: bool) -> bool:
        if self.busy:
            return False
        self.did.append("hold" if on else "unhold")
        return True

    def answer(self) -> None:
        self.did.append("answer")
        self.is_confirmed = True

    def hang_up(self) -> None:
        self.did.append("hang_up")


class FakeMixer:
    def __init__(self) -> None:
        self.modes: dict[str, LegMode] = {}
        self.waiting: list[bool] = []

    def set_mode(self, call_id: str, mode: LegMode) -> None:
        self.modes[call_id] = mode

    def set_waiting(self, on: bool) -> None:
        self.waiting.append(on)


def board_with(**calls: FakeCall) -> tuple[Switchboard, FakeMixer, list[Event]]:
    events: list[Event] = []
    mixer = FakeMixer()
    return Switchboard(calls, mixer, events.append), mixer, events


def modes(events: list[Event]) -> list[tuple[str, CallMode]]:
    return [(e.call_id, e.mode) for e in events if isinstance(e, CallModeChanged)]


def test_every_mode_and_intent_has_one_row() -> None:
    assert set(TABLE) == set(itertools.product(CallMode, Intent))
    # a re-INVITE goes only when the peer must change what it sends
    for (mode, _), (new, signal) in TABLE.items():
        holding = new is CallMode.HELD
        if signal is Signal.HOLD:
            assert holding and mode is not CallMode.HELD
        if signal is Signal.UNHOLD:
            assert mode is CallMode.HELD and not holding


def test_answering_holds_the_call_that_is_up_and_end_and_answer_hangs_it_up() -> None:
    first, second = FakeCall(), FakeCall(up=False)
    board, mixer, events = board_with(a=first, b=second)
    board.answer("b", OtherCalls.HOLD)
    assert first.did == ["hold"] and second.did == ["answer"]
    assert mixer.modes == {"a": LegMode.HELD} and modes(events) == [("a", CallMode.HELD)]
    third = FakeCall(up=False)
    board.calls = {"a": first, "b": second, "c": third}
    board.answer("c", OtherCalls.END)
    assert first.did == ["hold", "hang_up"] and second.did == ["answer", "hang_up"]
    assert third.did == ["answer"]


def test_answering_beside_the_others_holds_nobody() -> None:
    first, second = FakeCall(), FakeCall(up=False)
    board, mixer, events = board_with(a=first, b=second)
    board.answer("b", OtherCalls.KEEP)  # --auto-answer
    assert first.did == [] and second.did == ["answer"]
    assert mixer.modes == {} and modes(events) == []


def test_swap_twice_moves_between_two_calls_and_back() -> None:
    a, b = FakeCall(), FakeCall()
    board, mixer, events = board_with(a=a, b=b)
    board.hold("a")
    board.swap(None)  # talk to a, hold b
    board.swap(None)  # and back
    assert a.did == ["hold", "unhold", "hold"] and b.did == ["hold", "unhold"]
    assert mixer.modes == {"a": LegMode.HELD, "b": LegMode.ACTIVE}
    assert modes(events) == [
        ("a", CallMode.HELD),
        ("b", CallMode.HELD),
        ("a", CallMode.ACTIVE),
        ("a", CallMode.HELD),
        ("b", CallMode.ACTIVE),
    ]


def test_swap_with_nothing_held_is_refused() -> None:
    board, _, _ = board_with(a=FakeCall())
    with pytest.raises(LocalProtocolError):
        board.swap(None)


def test_merge_resumes_the_held_call_and_conferences_both() -> None:
    a, b = FakeCall(), FakeCall()
    board, mixer, events = board_with(a=a, b=b)
    board.hold("a")
    board.merge(())
    assert a.did == ["hold", "unhold"] and b.did == []
    assert mixer.modes == {"a": LegMode.CONFERENCE, "b": LegMode.CONFERENCE}
    board.resume("a")  # resuming a conference member keeps the whole conference
    assert mixer.modes == {"a": LegMode.CONFERENCE, "b": LegMode.CONFERENCE}
    board.observe(CallChanged("b", Direction.OUT, "sip:b@h", CallState.ENDED))
    assert mixer.modes["a"] is LegMode.ACTIVE  # a conference of one is a call again
    assert modes(events)[-1] == ("a", CallMode.ACTIVE)


def test_merge_needs_two_calls_that_are_up() -> None:
    board, _, _ = board_with(a=FakeCall(), b=FakeCall(up=False))
    with pytest.raises(LocalProtocolError):
        board.merge(())


def test_placing_a_call_holds_the_calls_up_but_not_the_ringing_ones() -> None:
    a, ringing = FakeCall(), FakeCall(up=False)
    board, _, _ = board_with(a=a, r=ringing)
    board.placing()
    board.placing()  # already held: no second re-INVITE
    assert a.did == ["hold"] and ringing.did == []


def test_an_incoming_call_during_a_call_is_waiting_until_answered() -> None:
    board, mixer, _ = board_with()
    board.observe(CallChanged("a", Direction.OUT, "sip:a@h", CallState.CONFIRMED))
    assert mixer.waiting == []
    board.observe(CallChanged("b", Direction.IN, "sip:b@h", CallState.RINGING))
    assert mixer.waiting == [True]
    board.observe(CallChanged("b", Direction.IN, "sip:b@h", CallState.CONFIRMED))
    assert mixer.waiting == [True, False]
    board.observe(CallChanged("c", Direction.IN, "sip:c@h", CallState.RINGING))
    board.observe(CallChanged("a", Direction.OUT, "sip:a@h", CallState.ENDED))
    board.observe(CallChanged("b", Direction.IN, "sip:b@h", CallState.ENDED))
    assert mixer.waiting == [True, False, True, False]  # alone, c rings as a first call


def test_a_hold_wish_held_back_by_a_re_invite_under_way_goes_when_it_is_over() -> None:
    a, b = FakeCall(), FakeCall()
    steps: list[Callable[[], None]] = []
    board = Switchboard({"a": a, "b": b}, FakeMixer(), lambda e: None, steps.append)
    board.hold("a")
    a.busy = True  # a's hold re-INVITE waits for its answer
    board.swap(None)  # resume a: the unhold must wait
    assert a.did == ["hold"] and b.did == ["hold"]
    board.observe(CallChanged("b", Direction.OUT, "sip:b@h", CallState.HELD))
    assert steps == []  # only the call that held the wish back matters
    board.observe(CallChanged("a", Direction.OUT, "sip:a@h", CallState.HELD))
    a.busy = False
    for step in steps:
        step()
    assert a.did == ["hold", "unhold"] and board.unsent == {}


def test_resuming_a_call_not_up_holds_nothing() -> None:
    a, ringing = FakeCall(), FakeCall(up=False)
    board, mixer, _ = board_with(a=a, r=ringing)
    board.resume("r")
    board.resume("gone")
    assert a.did == [] and mixer.modes == {}
