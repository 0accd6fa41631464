"""The transaction layer caps live server transactions; beyond the cap it answers 503 itself."""

from __future__ import annotations

import pytest
from test_transaction_layer import SOURCE, request

from alexphone.sip.message import Response, make_response
from alexphone.sip.transaction import RequestReceived, Transaction
from alexphone.sip.transaction_layer import TransactionLayer


def drain(layer: TransactionLayer) -> tuple[list[object], list[Response]]:
    events, responses = [], []
    while (event := layer.next_event()) is not None:
        events.append(event)
    while (out := layer.next_output()) is not None:
        assert isinstance(out.message, Response)
        responses.append(out.message)
    return events, responses


def test_requests_beyond_the_cap_get_a_stateless_503_and_never_reach_the_tu() -> None:
    layer = TransactionLayer(max_servers=3)
    for n in range(5):
        layer.receive(request("OPTIONS", f"z9hG4bKflood{n}"), SOURCE, 0.0, reliable=False)

    events, responses = drain(layer)

    assert len([e for e in events if isinstance(e, RequestReceived)]) == 3
    assert len(layer) == 3 and layer.overloaded == 2
    assert [(r.status, r.headers.get("Retry-After")) for r in responses] == [(503, "5")] * 2
    assert all(r.to.tag for r in responses)


def test_room_comes_back_when_a_transaction_ends() -> None:
    layer = TransactionLayer(max_servers=1)
    first = request("OPTIONS", "z9hG4bKfirst")
    layer.receive(first, SOURCE, 0.0, reliable=True)
    [event], _ = drain(layer)
    assert isinstance(event, RequestReceived)
    layer.receive(request("OPTIONS", "z9hG4bKsecond"), SOURCE, 0.0, reliable=True)
    assert [r.status for r in drain(layer)[1]] == [503]

    layer.respond(event.transaction_id, make_response(first, 200), 0.1)  # reliable: Timer J 0
    drain(layer)
    layer.receive(request("OPTIONS", "z9hG4bKthird"), SOURCE, 0.2, reliable=True)

    events, responses = drain(layer)
    assert responses == [] and [type(e).__name__ for e in events] == ["RequestReceived"]


def test_the_reserve_keeps_room_for_requests_inside_a_dialog() -> None:
    layer = TransactionLayer(max_servers=4, dialog_reserve=2)
    for n in range(4):  # strangers' new requests: only max_servers - reserve are taken
        layer.receive(request("OPTIONS", f"z9hG4bKflood{n}"), SOURCE, 0.0, reliable=False)
    _, refused = drain(layer)
    for n in range(3):  # a call's BYEs (To tag): the reserve takes two, then 503
        bye = request("BYE", f"z9hG4bKbye{n}", to_tag="callee1")
        layer.receive(bye, SOURCE, 0.0, reliable=False)

    events, responses = drain(layer)

    assert [r.status for r in refused] == [503, 503]
    assert [e.request.method for e in events if isinstance(e, RequestReceived)] == ["BYE"] * 2
    assert [r.status for r in responses] == [503] and layer.overloaded == 3


def test_an_answered_transaction_makes_room_before_a_503() -> None:
    layer = TransactionLayer(max_servers=2, dialog_reserve=0)
    first = request("OPTIONS", "z9hG4bKanswered")
    layer.receive(first, SOURCE, 0.0, reliable=False)
    layer.receive(request("OPTIONS", "z9hG4bKwaiting"), SOURCE, 0.0, reliable=False)
    events, _ = drain(layer)
    answered = next(e for e in events if isinstance(e, RequestReceived) and e.request is first)
    layer.respond(answered.transaction_id, make_response(first, 200), 0.1)  # Timer J: 32 s
    drain(layer)

    layer.receive(request("OPTIONS", "z9hG4bKnew"), SOURCE, 0.2, reliable=False)
    layer.receive(request("OPTIONS", "z9hG4bKrefused"), SOURCE, 0.2, reliable=False)
    events, responses = drain(layer)

    assert [type(e).__name__ for e in events] == ["TransactionTerminated", "RequestReceived"]
    assert events[0].transaction_id == answered.transaction_id
    assert [r.status for r in responses] == [503]  # the other two still wait for the TU
    assert (layer.evicted, layer.overloaded, len(layer)) == (1, 1, 2)


def test_timer_lookups_do_not_scan_every_live_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = TransactionLayer()
    for n in range(500):  # a flood's answered transactions, each waiting out Timer J
        layer.receive(request("OPTIONS", f"z9hG4bKflood{n}"), SOURCE, 0.0, reliable=False)
        event = layer.next_event()
        assert isinstance(event, RequestReceived)
        layer.respond(event.transaction_id, make_response(event.request, 200), 0.0)
    drain(layer)
    calls = []
    original = Transaction.get_timer
    monkeypatch.setattr(Transaction, "get_timer", lambda self: calls.append(1) or original(self))

    deadline = layer.get_timer()
    assert deadline is not None and len(calls) <= 2  # the heap's top, not 500 transactions
    calls.clear()
    layer.handle_timer(deadline)  # every Timer J of the same instant fires: 500 ends
    assert len(layer) == 0 and len(calls) <= 3 * 500
    assert layer.get_timer() is None
