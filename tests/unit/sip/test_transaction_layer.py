"""TransactionLayer: matching (RFC 3261 §17.1.3, §17.2.3), routing, timers through one owner."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alexphone.core.clock import FakeClock
from alexphone.core.errors import LocalProtocolError
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.parser import parse
from alexphone.sip.transaction import (
    AckReceived,
    RequestReceived,
    ResponseReceived,
    State,
    StrayResponseReceived,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    build_ack,
    build_cancel,
)
from alexphone.sip.transaction_layer import TransactionLayer

DEST = ("udp", "198.51.100.7", 5060)  # opaque to the layer
SOURCE = ("udp", "203.0.113.5", 5062)


def request(
    method: str = "INVITE",
    branch: str | None = "z9hG4bKlayer1",
    *,
    cseq_method: str | None = None,
    sent_by: str = "192.0.2.1:5060",
    to_tag: str | None = None,
) -> Request:
    """Parse a request; ``branch=None`` makes an RFC 2543 style Via without a branch."""
    branch_param = "" if branch is None else f";branch={branch}"
    to_param = "" if to_tag is None else f";tag={to_tag}"
    message = parse(
        (
            f"{method} sip:bob@example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {sent_by}{branch_param}\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:alice@example.com>;tag=fromtag\r\n"
            f"To: <sip:bob@example.com>{to_param}\r\n"
            "Call-ID: layer-call@192.0.2.1\r\n"
            f"CSeq: 12 {cseq_method or method}\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
    )
    assert isinstance(message, Request)
    return message


def reply(req: Request, status: int) -> Response:
    """A response to ``req`` as it would come off the wire."""
    message = parse(bytes(make_response(req, status, to_tag="bobtag")))
    assert isinstance(message, Response)
    return message


class Harness:
    """One TransactionLayer on a fake clock; records output and events with their times."""

    def __init__(self) -> None:
        self.layer = TransactionLayer()
        self.clock = FakeClock()
        self.sent: list[tuple[float, Message, object]] = []
        self.events: list[tuple[float, object]] = []

    def collect(self) -> None:
        while (item := self.layer.next_output()) is not None:
            self.sent.append((self.clock(), item.message, item.destination))
        while (event := self.layer.next_event()) is not None:
            self.events.append((self.clock(), event))

    def run_until(self, limit: float) -> None:
        for _ in range(1000):
            deadline = self.layer.get_timer()
            if deadline is None or deadline > limit:
                break
            self.clock.now = deadline
            self.layer.handle_timer(now=deadline)
            self.collect()
        self.clock.now = max(self.clock(), limit)

    def at(self, now: float, action: Callable[[float], object]) -> None:
        self.run_until(now)
        self.clock.now = now
        action(now)
        self.collect()

    def receive(
        self, now: float, message: Message, source: object = SOURCE, reliable: bool = False
    ) -> None:
        self.at(now, lambda t: self.layer.receive(message, source, t, reliable=reliable))

    def new_events(self) -> list[object]:
        events = [e for _, e in self.events]
        self.events.clear()
        return events


def test_invite_over_udp_without_response_retransmits_then_timer_b_fires_at_32s() -> None:
    h = Harness()
    invite = request()
    tid = h.layer.start_client(invite, DEST, h.clock(), reliable=False)
    h.collect()
    h.run_until(120.0)
    # RFC 3261 §17.1.1.2: Timer A = 0.5, 1, 2, 4, 8, 16 s apart; Timer B = 64·T1 = 32 s.
    assert [t for t, _, _ in h.sent] == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert all(m is invite and d == DEST for _, m, d in h.sent)
    assert h.events == [(32.0, TransactionTimedOut(tid)), (32.0, TransactionTerminated(tid))]
    assert len(h.layer) == 0 and h.layer.get_timer() is None
    assert h.layer.state(tid) is None


def test_reliable_transport_never_retransmits() -> None:
    h = Harness()
    h.layer.start_client(request(), DEST, 0.0, reliable=True)
    h.layer.start_client(request("OPTIONS", "z9hG4bKopt"), DEST, 0.0, reliable=True)
    h.collect()
    h.run_until(120.0)
    assert [t for t, _, _ in h.sent] == [0.0, 0.0]
    assert sum(isinstance(e, TransactionTimedOut) for _, e in h.events) == 2


def test_non_invite_schedule_through_the_layer() -> None:
    h = Harness()
    tid = h.layer.start_client(request("OPTIONS", "z9hG4bKopt"), DEST, 0.0, reliable=False)
    h.collect()
    h.run_until(120.0)
    gaps = [b[0] - a[0] for a, b in zip(h.sent, h.sent[1:], strict=False)]
    assert gaps == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert h.events[0] == (32.0, TransactionTimedOut(tid))


def test_4xx_is_acked_and_reacked_on_retransmission() -> None:
    h = Harness()
    invite = request()
    tid = h.layer.start_client(invite, DEST, 0.0, reliable=False)
    h.collect()
    busy = reply(invite, 486)
    h.receive(1.0, busy)
    h.receive(2.0, reply(invite, 486))
    acks = [(t, m, d) for t, m, d in h.sent if isinstance(m, Request) and m.method == "ACK"]
    assert [(t, d) for t, _, d in acks] == [(1.0, DEST), (2.0, DEST)]
    ack = acks[0][1]
    assert isinstance(ack, Request)
    assert ack.top_via.branch == "z9hG4bKlayer1" and ack.to.tag == "bobtag"
    assert h.new_events() == [ResponseReceived(tid, busy)]
    assert h.layer.state(tid) is State.COMPLETED
    h.run_until(40.0)
    assert h.new_events() == [TransactionTerminated(tid)]


def test_responses_match_by_branch_and_cseq_method() -> None:
    h = Harness()
    invite = request()
    invite_id = h.layer.start_client(invite, DEST, 0.0, reliable=False)
    cancel = build_cancel(invite)
    cancel_id = h.layer.start_client(cancel, DEST, 0.0, reliable=False)
    assert invite_id != cancel_id
    h.collect()
    ok_cancel = reply(cancel, 200)
    h.receive(0.1, ok_cancel)
    terminated = reply(invite, 487)
    h.receive(0.2, terminated)
    other = reply(request(branch="z9hG4bKsomeoneelse"), 200)
    h.receive(0.3, other)
    assert h.new_events() == [
        ResponseReceived(cancel_id, ok_cancel),
        ResponseReceived(invite_id, terminated),
        StrayResponseReceived(other, SOURCE),
    ]
    assert h.layer.state(cancel_id) is State.COMPLETED
    assert h.layer.state(invite_id) is State.COMPLETED


def test_2xx_retransmissions_reach_the_tu_before_and_after_timer_m() -> None:
    h = Harness()
    invite = request()
    tid = h.layer.start_client(invite, DEST, 0.0, reliable=False)
    ok = reply(invite, 200)
    h.receive(0.5, ok)
    h.receive(1.0, ok)
    assert h.new_events() == [ResponseReceived(tid, ok), ResponseReceived(tid, ok)]
    h.run_until(40.0)
    assert h.new_events() == [TransactionTerminated(tid)]
    h.receive(41.0, ok)
    assert h.new_events() == [StrayResponseReceived(ok, SOURCE)]


def test_new_request_creates_server_transaction_and_retransmissions_are_absorbed() -> None:
    h = Harness()
    invite = request()
    h.receive(0.0, invite)
    [event] = h.new_events()
    assert isinstance(event, RequestReceived)
    assert event.request is invite and event.source == SOURCE and event.cancel_target is None
    sid = event.transaction_id
    h.receive(0.1, request())  # a retransmission: same branch, sent-by and method
    assert h.new_events() == []
    assert [(t, m.status, d) for t, m, d in h.sent if isinstance(m, Response)] == [
        (0.1, 100, SOURCE)  # answered at once: the client is already retransmitting
    ]
    ringing = make_response(invite, 180, to_tag="bobtag")
    assert h.layer.respond(sid, ringing, 0.2)
    h.receive(0.3, request())
    statuses = [m.status for _, m, _ in h.sent if isinstance(m, Response)]
    assert statuses == [100, 180, 180]


def test_ack_for_non_2xx_matches_the_invite_server_transaction() -> None:
    h = Harness()
    invite = request()
    h.receive(0.0, invite)
    [event] = h.new_events()
    assert isinstance(event, RequestReceived)
    final = make_response(invite, 486, to_tag="bobtag")
    h.at(0.1, lambda t: h.layer.respond(event.transaction_id, final, t))
    h.receive(0.2, build_ack(invite, final))
    assert h.layer.state(event.transaction_id) is State.CONFIRMED
    assert h.new_events() == []  # absorbed by the transaction
    h.run_until(10.0)
    assert h.new_events() == [TransactionTerminated(event.transaction_id)]


def test_ack_for_2xx_matches_no_transaction_and_goes_to_the_tu() -> None:
    h = Harness()
    invite = request()
    h.receive(0.0, invite)
    [event] = h.new_events()
    assert isinstance(event, RequestReceived)
    ok = make_response(invite, 200, to_tag="bobtag")
    h.at(0.1, lambda t: h.layer.respond(event.transaction_id, ok, t))
    ack = request("ACK", "z9hG4bKnewbranch", to_tag="bobtag")  # §13.2.2.4: a new branch
    h.receive(0.2, ack)
    assert h.new_events() == [AckReceived(ack, SOURCE)]
    assert h.layer.state(event.transaction_id) is State.ACCEPTED


def test_cancel_is_its_own_transaction_and_names_the_invite() -> None:
    h = Harness()
    invite = request()
    h.receive(0.0, invite)
    cancel = build_cancel(invite)
    h.receive(0.1, cancel)
    first, second = h.new_events()
    assert isinstance(first, RequestReceived) and isinstance(second, RequestReceived)
    assert second.request is cancel
    assert second.transaction_id != first.transaction_id
    assert second.cancel_target == first.transaction_id
    h.at(0.2, lambda t: h.layer.respond(second.transaction_id, make_response(cancel, 200), t))
    h.at(0.2, lambda t: h.layer.respond(first.transaction_id, make_response(invite, 487), t))
    assert h.layer.state(second.transaction_id) is State.COMPLETED
    assert h.layer.state(first.transaction_id) is State.COMPLETED


def test_cancel_for_unknown_invite_has_no_target() -> None:
    h = Harness()
    h.receive(0.0, build_cancel(request()))
    [event] = h.new_events()
    assert isinstance(event, RequestReceived) and event.cancel_target is None


def test_same_branch_from_another_sent_by_is_another_transaction() -> None:
    h = Harness()
    h.receive(0.0, request("OPTIONS"))
    h.receive(0.0, request("OPTIONS", sent_by="192.0.2.2:5060"))
    events = h.new_events()
    assert len(events) == 2 and all(isinstance(e, RequestReceived) for e in events)
    assert len(h.layer) == 2


def test_rfc_2543_requests_match_without_a_magic_cookie() -> None:
    h = Harness()
    invite = request(branch=None)
    h.receive(0.0, invite)
    [event] = h.new_events()
    assert isinstance(event, RequestReceived)
    h.receive(0.1, request(branch=None))  # retransmission
    assert h.new_events() == []
    final = make_response(invite, 480, to_tag="bobtag")
    h.at(0.2, lambda t: h.layer.respond(event.transaction_id, final, t))
    h.receive(0.3, request("ACK", branch=None, to_tag="bobtag"))
    assert h.new_events() == []
    assert h.layer.state(event.transaction_id) is State.CONFIRMED
    h.receive(0.4, request("INVITE", branch=None, cseq_method="INVITE", sent_by="192.0.2.3"))
    [other] = h.new_events()
    assert isinstance(other, RequestReceived) and other.transaction_id != event.transaction_id


def test_reliable_server_transaction_is_forgotten_after_its_final() -> None:
    h = Harness()
    bye = request("BYE")
    h.receive(0.0, bye, reliable=True)
    [event] = h.new_events()
    assert isinstance(event, RequestReceived)
    assert h.layer.respond(event.transaction_id, make_response(bye, 200), 0.0)
    h.collect()
    assert h.new_events() == [TransactionTerminated(event.transaction_id)]
    assert not h.layer.respond(event.transaction_id, make_response(bye, 200), 0.1)


def test_start_client_refuses_misuse() -> None:
    layer = TransactionLayer()
    with pytest.raises(LocalProtocolError):
        layer.start_client(request("ACK"), DEST, 0.0, reliable=False)
    with pytest.raises(LocalProtocolError):
        layer.start_client(request(branch="oldstyle"), DEST, 0.0, reliable=False)
    tid = layer.start_client(request(), DEST, 0.0, reliable=False)
    with pytest.raises(LocalProtocolError):
        layer.start_client(request(), DEST, 0.0, reliable=False)
    with pytest.raises(LocalProtocolError):
        layer.respond(tid, make_response(request(), 200), 0.0)


def test_transport_failure_reported_by_the_tu_ends_the_transaction() -> None:
    h = Harness()
    tid = h.layer.start_client(request(), DEST, 0.0, reliable=False)
    h.at(0.0, lambda t: h.layer.transport_failed(tid, t))
    assert h.new_events() == [TransportFailed(tid), TransactionTerminated(tid)]
    assert len(h.layer) == 0 and h.layer.get_timer() is None


def test_stateless_send_is_queued_with_its_destination() -> None:
    h = Harness()
    ack = request("ACK", "z9hG4bKack2xx", to_tag="bobtag")
    h.layer.send(ack, DEST)
    h.collect()
    assert h.sent == [(0.0, ack, DEST)]
