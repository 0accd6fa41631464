"""The STUN client transaction schedule and response matching (RFC 8489 §6.2.1, §9.1.4)."""

from __future__ import annotations

import pytest

from alexphone.stun.message import binding_error, binding_request, binding_success, parse
from alexphone.stun.transaction import (
    StunFailed,
    StunSucceeded,
    StunTimedOut,
    StunTimerConfig,
    StunTransaction,
    TransactionState,
)

TID = b"A" * 12
KEY = b"remote-password-0123456789"


def make(key: bytes | None = KEY) -> StunTransaction:
    return StunTransaction(TID, binding_request(TID, username="a:b", key=key), key=key)


def drive(transaction: StunTransaction, until: float) -> list[float]:
    sends: list[float] = []
    now = 0.0
    transaction.start(now)
    sends += [now] * len(transaction.datagrams_to_send(now))
    while (timer := transaction.get_timer()) is not None and timer <= until:
        now = timer
        transaction.handle_timer(now)
        sends += [now] * len(transaction.datagrams_to_send(now))
    return sends


def test_rfc_8489_schedule_then_timeout() -> None:
    transaction = make()
    sends = drive(transaction, 100.0)
    # RFC 8489 §6.2.1 example: 0, 500, 1500, 3500, 7500, 15500, 31500 ms; timeout at 39500 ms
    assert sends == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert transaction.state is TransactionState.TIMED_OUT
    assert isinstance(transaction.next_event(), StunTimedOut)
    assert transaction.get_timer() is None


def test_timeout_instant_is_rm_rto_after_last_send() -> None:
    transaction = StunTransaction(TID, b"x", config=StunTimerConfig(rto=0.1, rc=2, rm=4))
    transaction.start(0.0)
    transaction.handle_timer(0.1)
    assert transaction.get_timer() == pytest.approx(0.5)
    transaction.handle_timer(0.49)
    assert transaction.state is TransactionState.IN_PROGRESS
    transaction.handle_timer(0.5)
    assert transaction.state is TransactionState.TIMED_OUT


def test_authenticated_success_ends_the_transaction() -> None:
    transaction = make()
    transaction.start(0.0)
    response = parse(binding_success(TID, ("192.0.2.7", 4000), KEY))
    assert transaction.receive(response, 0.1)
    assert transaction.state is TransactionState.SUCCEEDED
    event = transaction.next_event()
    assert isinstance(event, StunSucceeded)
    assert event.response.xor_mapped_address == ("192.0.2.7", 4000)
    assert transaction.get_timer() is None


def test_unauthenticated_or_foreign_responses_are_ignored() -> None:
    transaction = make()
    transaction.start(0.0)
    forged = parse(binding_success(TID, ("192.0.2.7", 4000), b"not the key"))
    other = parse(binding_success(b"B" * 12, ("192.0.2.7", 4000), KEY))
    assert not transaction.receive(forged, 0.1)
    assert not transaction.receive(other, 0.1)
    assert transaction.state is TransactionState.IN_PROGRESS
    assert transaction.get_timer() == 0.5  # retransmissions go on


def test_error_response_fails_the_transaction() -> None:
    transaction = make()
    transaction.start(0.0)
    assert transaction.receive(parse(binding_error(TID, 487, "Role Conflict", KEY)), 0.1)
    event = transaction.next_event()
    assert isinstance(event, StunFailed)
    assert event.response.error_code == (487, "Role Conflict")


def test_cancelled_transaction_listens_but_never_fails() -> None:
    transaction = make()
    transaction.start(0.0)
    transaction.cancel()
    sends = 0
    while (timer := transaction.get_timer()) is not None:
        transaction.handle_timer(timer)
        sends += len(transaction.datagrams_to_send(timer))
    assert sends == 1  # only the original request
    assert transaction.state is TransactionState.CANCELLED
    assert transaction.next_event() is None


def test_cancelled_transaction_still_takes_a_late_answer() -> None:
    transaction = make()
    transaction.start(0.0)
    transaction.datagrams_to_send(0.0)
    transaction.cancel()
    assert transaction.receive(parse(binding_success(TID, ("192.0.2.7", 1), KEY)), 3.0)
    assert isinstance(transaction.next_event(), StunSucceeded)
