"""The transferor's REFER core: NOTIFY classification, the table, the final-NOTIFY deadline."""

from __future__ import annotations

import pytest

from alexphone.core.errors import ParseError, RemoteProtocolError
from alexphone.sip.message import Request
from alexphone.sip.parser import parse
from alexphone.sip.refer_client import (
    FINAL_NOTIFY_WAIT,
    TABLE,
    NotifyReport,
    ReferClient,
    ReferInput,
    ReferProgress,
    ReferState,
    classify_notify,
    parse_sipfrag,
)


def notify(body: str, state: str = "active;expires=60", event: str = "refer;id=2") -> Request:
    lines = [
        "NOTIFY sip:alice@192.0.2.1:5060 SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bKn1",
        "From: <sip:bob@192.0.2.2>;tag=b1",
        "To: <sip:alice@192.0.2.1>;tag=a1",
        "Call-ID: call-1",
        "CSeq: 5 NOTIFY",
        "Max-Forwards: 70",
        f"Event: {event}",
        f"Subscription-State: {state}",
        "Content-Type: message/sipfrag;version=2.0",
        f"Content-Length: {len(body)}",
        "",
        body,
    ]
    message = parse("\r\n".join(lines).encode())
    assert isinstance(message, Request)
    return message


def test_sipfrag_status_lines_are_read() -> None:
    assert parse_sipfrag(b"SIP/2.0 100 Trying\r\n") == (100, "Trying")
    assert parse_sipfrag(b"SIP/2.0 200 OK\r\nContact: <sip:c@h>\r\n") == (200, "OK")
    assert parse_sipfrag(b"SIP/2.0 603") == (603, "")
    for bad in (b"", b"INVITE sip:c@h SIP/2.0\r\n", b"SIP/2.0 99 x", b"SIP/2.0 OK"):
        with pytest.raises(ParseError):
            parse_sipfrag(bad)


@pytest.mark.parametrize(
    ("body", "state", "expected"),
    [
        (
            "SIP/2.0 100 Trying\r\n",
            "active;expires=60",
            NotifyReport(ReferInput.PROGRESS, 100, "Trying", 60),
        ),
        (
            "SIP/2.0 180 Ringing\r\n",
            "pending",
            NotifyReport(ReferInput.PROGRESS, 180, "Ringing", None),
        ),
        (
            "SIP/2.0 200 OK\r\n",
            "terminated;reason=noresource",
            NotifyReport(ReferInput.SUCCESS, 200, "OK", None),
        ),
        (
            "SIP/2.0 486 Busy Here\r\n",
            "terminated",
            NotifyReport(ReferInput.FAILURE, 486, "Busy Here", None),
        ),
        (
            "SIP/2.0 100 Trying\r\n",
            "terminated;reason=timeout",
            NotifyReport(ReferInput.ENDED, 100, "Trying", None),
        ),
        (
            "",
            "terminated;reason=noresource",
            NotifyReport(ReferInput.ENDED, None, "subscription ended without a final status", None),
        ),
        (
            "SIP/2.0 200 Ok\r\n",
            "terminated;reason=",  # liblinphone 5.1: a parameter we do not read is malformed
            NotifyReport(ReferInput.SUCCESS, 200, "Ok", None),
        ),
        (
            "SIP/2.0 180 Ringing\r\n",
            "active; Expires = 30 ;foo",
            NotifyReport(ReferInput.PROGRESS, 180, "Ringing", 30),
        ),
    ],
)
def test_notifies_become_one_input(body: str, state: str, expected: NotifyReport) -> None:
    assert classify_notify(notify(body, state)) == expected


@pytest.mark.parametrize(
    ("body", "state", "event"),
    [
        ("SIP/2.0 100 Trying\r\n", "active", "presence"),  # not a refer subscription
        ("SIP/2.0 100 Trying\r\n", "sleepy", "refer"),  # no such Subscription-State
        ("garbage", "active;expires=60", "refer"),  # active without a status line
    ],
)
def test_what_is_not_a_refer_notify_is_a_parse_error(body: str, state: str, event: str) -> None:
    with pytest.raises(ParseError):
        classify_notify(notify(body, state, event))


def _drain(client: ReferClient) -> list[ReferProgress]:
    out = []
    while (event := client.next_event()) is not None:
        out.append(event)
    return out


def test_a_blind_transfer_that_works_reports_accepted_trying_succeeded() -> None:
    client = ReferClient(now=0.0)
    client.refer_response(100, "Trying", 0.1)
    client.refer_response(202, "Accepted", 0.2)
    client.notify_received(classify_notify(notify("SIP/2.0 100 Trying\r\n")), 0.3)
    client.notify_received(classify_notify(notify("SIP/2.0 180 Ringing\r\n")), 0.4)
    client.notify_received(classify_notify(notify("SIP/2.0 200 OK\r\n", "terminated")), 0.5)
    assert _drain(client) == [
        ReferProgress(ReferState.ACCEPTED, 202, "Accepted"),
        ReferProgress(ReferState.TRYING, 100, "Trying"),
        ReferProgress(ReferState.SUCCEEDED, 200, "OK"),
    ]
    assert client.done and client.get_timer() is None


def test_a_notify_may_overtake_the_202() -> None:
    client = ReferClient(now=0.0)
    client.notify_received(classify_notify(notify("SIP/2.0 100 Trying\r\n")), 0.1)
    client.refer_response(202, "Accepted", 0.2)
    assert [e.state for e in _drain(client)] == [ReferState.TRYING]


def test_a_refused_refer_and_a_failure_notify_fail() -> None:
    refused = ReferClient(now=0.0)
    refused.refer_response(403, "Forbidden", 0.1)
    assert _drain(refused) == [ReferProgress(ReferState.FAILED, 403, "Forbidden")]
    failed = ReferClient(now=0.0)
    failed.refer_response(202, "Accepted", 0.1)
    failed.notify_received(classify_notify(notify("SIP/2.0 503 Unreachable\r\n", "terminated")), 1)
    assert _drain(failed)[-1] == ReferProgress(ReferState.FAILED, 503, "Unreachable")


def test_no_final_notify_fails_at_the_deadline_each_expiry_moves_it() -> None:
    client = ReferClient(now=10.0)
    assert client.get_timer() == 10.0 + FINAL_NOTIFY_WAIT
    client.refer_response(202, "Accepted", 11.0)
    client.notify_received(
        classify_notify(notify("SIP/2.0 100 Trying\r\n", "active;expires=30")), 12
    )
    assert client.get_timer() == 42.0
    client.handle_timer(41.9)
    assert client.state is ReferState.TRYING
    client.handle_timer(42.0)
    assert _drain(client)[-1].state is ReferState.FAILED and client.get_timer() is None


def test_once_done_late_messages_change_nothing() -> None:
    client = ReferClient(now=0.0)
    client.refer_response(202, "Accepted", 0.1)
    client.notify_received(classify_notify(notify("SIP/2.0 200 OK\r\n", "terminated")), 0.2)
    _drain(client)
    client.notify_received(classify_notify(notify("SIP/2.0 486 Busy\r\n", "terminated")), 0.3)
    client.refer_response(500, "Oops", 0.4)
    assert client.state is ReferState.SUCCEEDED and _drain(client) == []


def test_a_challenge_is_answered_once_then_the_refer_goes_on() -> None:
    client = ReferClient(now=0.0)
    client.refer_response(407, "Proxy Authentication Required", 0.1)
    assert _drain(client) == [
        ReferProgress(ReferState.AUTHORIZING, 407, "Proxy Authentication Required")
    ]
    assert client.get_timer() == FINAL_NOTIFY_WAIT  # still waiting for the outcome
    client.refer_response(202, "Accepted", 0.2)  # the REFER sent again, with credentials
    client.notify_received(classify_notify(notify("SIP/2.0 200 OK\r\n", "terminated")), 0.3)
    assert [e.state for e in _drain(client)] == [ReferState.ACCEPTED, ReferState.SUCCEEDED]


def test_a_second_challenge_or_no_credentials_fails_the_transfer() -> None:
    twice = ReferClient(now=0.0)
    twice.refer_response(401, "Unauthorized", 0.1)
    twice.refer_response(401, "Unauthorized", 0.2)  # our credentials were refused
    assert _drain(twice)[-1] == ReferProgress(ReferState.FAILED, 401, "Unauthorized")
    assert twice.get_timer() is None
    refused = ReferClient(now=0.0)
    refused.refer_response(401, "Unauthorized", 0.1)
    refused.challenge_refused(401, "Unauthorized", 0.1)  # none for that realm
    assert [e.state for e in _drain(refused)] == [ReferState.AUTHORIZING, ReferState.FAILED]


_MISSING = [(s, w) for s in ReferState for w in ReferInput if (s, w) not in TABLE]


@pytest.mark.parametrize(("state", "what"), _MISSING)
def test_every_pair_without_a_row_is_the_peers_error_and_changes_nothing(
    state: ReferState, what: ReferInput
) -> None:
    client = ReferClient(now=0.0)
    client.state = state
    report = NotifyReport(what, 100, "x", None)
    with pytest.raises(RemoteProtocolError):
        if what in (ReferInput.ACCEPTED, ReferInput.REJECTED, ReferInput.CHALLENGED):
            status = {ReferInput.ACCEPTED: 202, ReferInput.REJECTED: 486}.get(what, 407)
            client.refer_response(status, "x", 1.0)
        elif what is ReferInput.TIMEOUT:
            client.handle_timer(FINAL_NOTIFY_WAIT)
        else:
            client.notify_received(report, 1.0)
    assert client.state is state and client.next_event() is None
