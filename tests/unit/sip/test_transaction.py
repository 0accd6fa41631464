"""The four RFC 3261 §17 machines driven one by one, the ACK/CANCEL builders and the 2xx timer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pytest

from alexphone.core.clock import FakeClock
from alexphone.core.errors import ConfigError, LocalProtocolError
from alexphone.sip.client_transaction import InviteClientTransaction, NonInviteClientTransaction
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.parser import parse
from alexphone.sip.retransmitter import AckTimedOut, RetransmitterState, TwoHundredRetransmitter
from alexphone.sip.server_transaction import InviteServerTransaction, NonInviteServerTransaction
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.transaction import (
    AckReceived,
    Outgoing,
    ResponseReceived,
    State,
    TransactionId,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
    build_ack,
    build_cancel,
)

TID = TransactionId(7)
PEER = ("192.0.2.9", 5060)
CONFIG = TimerConfig()


def request(method: str = "INVITE", branch: str = "z9hG4bKone", extra: str = "") -> Request:
    """Parse a minimal request with two Vias and a Route set."""
    message = parse(
        (
            f"{method} sip:bob@example.com SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch={branch}\r\n"
            "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKolder\r\n"
            "Route: <sip:p1.example.com;lr>\r\n"
            "Route: <sip:p2.example.com;lr>\r\n"
            "Max-Forwards: 70\r\n"
            "From: Alice <sip:alice@example.com>;tag=fromtag\r\n"
            "To: <sip:bob@example.com>\r\n"
            "Call-ID: call-1@192.0.2.1\r\n"
            f"CSeq: 4 {method}\r\n"
            f"{extra}"
            "Content-Length: 0\r\n\r\n"
        ).encode()
    )
    assert isinstance(message, Request)
    return message


def answer(req: Request, status: int) -> Response:
    """Build the response a UAS would send, with a To tag."""
    return make_response(req, status, to_tag="totag")


class Machine(Protocol):
    def get_timer(self) -> float | None: ...
    def handle_timer(self, now: float) -> None: ...
    def next_output(self) -> Outgoing | None: ...
    def next_event(self) -> object | None: ...


class Driver:
    """Runs one machine on a fake clock and records what it sends and reports, with times."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.clock = FakeClock()
        self.sent: list[tuple[float, Message]] = []
        self.events: list[tuple[float, object]] = []
        self.collect()

    def collect(self) -> None:
        while (item := self.machine.next_output()) is not None:
            self.sent.append((self.clock(), item.message))
        while (event := self.machine.next_event()) is not None:
            self.events.append((self.clock(), event))

    def run_until(self, limit: float) -> None:
        for _ in range(1000):
            deadline = self.machine.get_timer()
            if deadline is None or deadline > limit:
                break
            assert deadline >= self.clock(), "a timer was set in the past"
            self.clock.now = deadline
            self.machine.handle_timer(deadline)
            self.collect()
        self.clock.now = max(self.clock(), limit)

    def at(self, now: float, action: Callable[[float], None]) -> None:
        """Run ``action(now)`` with the clock at ``now`` and record its effects."""
        self.run_until(now)
        self.clock.now = now
        action(now)
        self.collect()

    def times(self) -> list[float]:
        return [t for t, _ in self.sent]


def started(
    kind: type[InviteClientTransaction | NonInviteClientTransaction],
    req: Request,
    reliable: bool = False,
) -> tuple[InviteClientTransaction | NonInviteClientTransaction, Driver]:
    transaction = kind(TID, req, PEER, reliable=reliable, config=CONFIG)
    transaction.start(0.0)
    return transaction, Driver(transaction)


# --- TimerConfig -----------------------------------------------------------------------


def test_timer_config_derives_the_rfc_values() -> None:
    assert (CONFIG.t1, CONFIG.t2, CONFIG.t4) == (0.5, 4.0, 5.0)
    assert CONFIG.b == CONFIG.f == CONFIG.h == CONFIG.l == CONFIG.m == 32.0
    assert CONFIG.j(False) == 32.0 and CONFIG.j(True) == 0.0
    assert CONFIG.d(False) == 32.0 and CONFIG.d(True) == 0.0
    assert CONFIG.i(False) == CONFIG.k(False) == 5.0
    assert CONFIG.i(True) == CONFIG.k(True) == 0.0


def test_timer_config_rejects_t1_above_t2() -> None:
    with pytest.raises(ConfigError):
        TimerConfig(t1=5.0, t2=4.0)


# --- builders --------------------------------------------------------------------------


def test_ack_for_non_2xx_follows_17_1_1_3() -> None:
    invite = request()
    ack = build_ack(invite, answer(invite, 486))
    assert ack.method == "ACK"
    assert ack.uri == invite.uri
    assert [str(v) for v in ack.vias] == [str(invite.top_via)]
    assert ack.headers.get_all("Route") == invite.headers.get_all("Route")
    assert ack.to.tag == "totag"
    assert ack.from_ == invite.from_
    assert ack.call_id == invite.call_id
    assert (ack.cseq.seq, ack.cseq.method) == (4, "ACK")
    assert ack.max_forwards == 70
    assert parse(bytes(ack)) == ack


def test_cancel_follows_9_1() -> None:
    invite = request()
    cancel = build_cancel(invite)
    assert cancel.method == "CANCEL"
    assert cancel.uri == invite.uri
    assert cancel.headers.get_all("Via") == [invite.headers.get_all("Via")[0]]
    assert cancel.top_via.branch == "z9hG4bKone"
    assert cancel.headers.get_all("Route") == invite.headers.get_all("Route")
    assert cancel.to == invite.to and cancel.to.tag is None
    assert cancel.from_ == invite.from_ and cancel.call_id == invite.call_id
    assert (cancel.cseq.seq, cancel.cseq.method) == (4, "CANCEL")


# --- INVITE client ---------------------------------------------------------------------


def test_invite_client_timer_a_doubles_without_cap_until_timer_b() -> None:
    _, drive = started(InviteClientTransaction, request())
    drive.run_until(100.0)
    assert drive.times() == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert drive.events == [
        (32.0, TransactionTimedOut(TID)),
        (32.0, TransactionTerminated(TID)),
    ]


def test_invite_client_reliable_sends_once_and_times_out_at_b() -> None:
    transaction, drive = started(InviteClientTransaction, request(), reliable=True)
    drive.run_until(100.0)
    assert drive.times() == [0.0]
    assert drive.events[0] == (32.0, TransactionTimedOut(TID))
    assert transaction.state is State.TERMINATED


def test_invite_client_provisional_stops_retransmissions_and_timer_b() -> None:
    transaction, drive = started(InviteClientTransaction, request())
    drive.run_until(1.0)
    ringing = answer(transaction.request, 180)
    transaction.receive(ringing, 1.0)
    drive.collect()
    drive.run_until(200.0)
    assert drive.times() == [0.0, 0.5]
    assert transaction.state is State.PROCEEDING
    assert drive.events == [(1.0, ResponseReceived(TID, ringing))]


def test_invite_client_2xx_goes_to_accepted_and_passes_retransmissions_up() -> None:
    transaction, drive = started(InviteClientTransaction, request())
    ok = answer(transaction.request, 200)
    drive.at(0.2, lambda now: transaction.receive(ok, now))
    assert transaction.state is State.ACCEPTED
    drive.at(3.0, lambda now: transaction.receive(ok, now))
    # a late provisional is absorbed
    drive.at(3.0, lambda now: transaction.receive(answer(transaction.request, 180), now))
    drive.run_until(100.0)
    assert drive.times() == [0.0]  # no ACK from the transaction for a 2xx
    assert drive.events == [
        (0.2, ResponseReceived(TID, ok)),
        (3.0, ResponseReceived(TID, ok)),
        (32.2, TransactionTerminated(TID)),  # Timer M
    ]


def test_invite_client_acks_non_2xx_and_reacks_retransmissions_until_timer_d() -> None:
    transaction, drive = started(InviteClientTransaction, request())
    busy = answer(transaction.request, 486)
    drive.run_until(0.6)
    transaction.receive(busy, 0.6)
    drive.collect()
    drive.clock.now = 2.0
    transaction.receive(busy, 2.0)
    drive.collect()
    drive.run_until(100.0)
    assert drive.times() == [0.0, 0.5, 0.6, 2.0]
    first_ack, second_ack = drive.sent[2][1], drive.sent[3][1]
    assert isinstance(first_ack, Request) and first_ack.method == "ACK"
    assert first_ack is second_ack
    assert first_ack.to.tag == "totag"
    assert drive.events == [
        (0.6, ResponseReceived(TID, busy)),  # only the first 486 reaches the TU
        (32.6, TransactionTerminated(TID)),  # Timer D = 32 s
    ]


def test_invite_client_reliable_non_2xx_terminates_at_once() -> None:
    transaction, drive = started(InviteClientTransaction, request(), reliable=True)
    busy = answer(transaction.request, 486)
    transaction.receive(busy, 0.1)
    drive.collect()
    assert transaction.state is State.TERMINATED
    assert [m.method for _, m in drive.sent if isinstance(m, Request)] == ["INVITE", "ACK"]
    assert [e for _, e in drive.events] == [ResponseReceived(TID, busy), TransactionTerminated(TID)]
    assert transaction.get_timer() is None


def test_client_transport_error_ends_the_transaction() -> None:
    transaction, drive = started(InviteClientTransaction, request())
    transaction.transport_failed(0.0)
    drive.collect()
    assert [e for _, e in drive.events] == [TransportFailed(TID), TransactionTerminated(TID)]
    assert transaction.get_timer() is None


def test_client_cannot_start_twice() -> None:
    transaction, _ = started(InviteClientTransaction, request())
    with pytest.raises(LocalProtocolError):
        transaction.start(1.0)


# --- non-INVITE client -----------------------------------------------------------------


def test_non_invite_client_timer_e_caps_at_t2_and_timer_f_times_out() -> None:
    _, drive = started(NonInviteClientTransaction, request("OPTIONS"))
    drive.run_until(100.0)
    assert drive.times() == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert drive.events == [
        (32.0, TransactionTimedOut(TID)),
        (32.0, TransactionTerminated(TID)),
    ]


def test_non_invite_client_retransmits_every_t2_in_proceeding() -> None:
    transaction, drive = started(NonInviteClientTransaction, request("REGISTER"))
    drive.run_until(0.6)
    transaction.receive(answer(transaction.request, 100), 0.6)
    drive.collect()
    drive.run_until(12.0)
    # Timer E armed in Trying (fires at 1.5) then reset to T2 each time in Proceeding.
    assert drive.times() == [0.0, 0.5, 1.5, 5.5, 9.5]
    assert transaction.state is State.PROCEEDING


def test_non_invite_client_final_stops_e_and_waits_timer_k() -> None:
    transaction, drive = started(NonInviteClientTransaction, request("BYE"))
    ok = answer(transaction.request, 200)
    transaction.receive(ok, 0.2)
    transaction.receive(ok, 0.3)  # retransmission absorbed in Completed
    drive.collect()
    drive.run_until(100.0)
    assert drive.times() == [0.0]
    assert drive.events == [(0.0, ResponseReceived(TID, ok)), (5.2, TransactionTerminated(TID))]


def test_non_invite_client_reliable_has_no_e_and_zero_k() -> None:
    transaction, drive = started(NonInviteClientTransaction, request("BYE"), reliable=True)
    assert transaction.get_timer() == 32.0  # only Timer F
    transaction.receive(answer(transaction.request, 200), 0.2)
    drive.collect()
    assert transaction.state is State.TERMINATED
    assert drive.times() == [0.0]


# --- INVITE server ---------------------------------------------------------------------


def server(
    kind: type[InviteServerTransaction | NonInviteServerTransaction],
    req: Request,
    reliable: bool = False,
) -> tuple[InviteServerTransaction | NonInviteServerTransaction, Driver]:
    transaction = kind(TID, req, PEER, reliable=reliable, config=CONFIG)
    transaction.start(0.0)
    return transaction, Driver(transaction)


def statuses(drive: Driver) -> list[tuple[float, int]]:
    return [(t, m.status) for t, m in drive.sent if isinstance(m, Response)]


def test_invite_server_sends_100_trying_after_200_ms_of_silence() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    drive.run_until(1.0)
    assert statuses(drive) == [(0.2, 100)]
    trying = drive.sent[0][1]
    assert isinstance(trying, Response) and trying.to.tag is None
    assert trying.headers.get_all("Via") == transaction.request.headers.get_all("Via")


def test_invite_server_skips_100_when_the_tu_answers_quickly() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    transaction.respond(answer(transaction.request, 180), 0.1)
    drive.collect()
    drive.run_until(1.0)
    assert statuses(drive) == [(0.0, 180)]


def test_invite_server_absorbs_retransmissions_with_last_provisional() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    transaction.receive(transaction.request, 0.1)  # retransmission before any answer
    drive.collect()
    transaction.respond(answer(transaction.request, 180), 0.3)
    transaction.receive(transaction.request, 0.5)
    drive.collect()
    assert [s for _, s in statuses(drive)] == [100, 180, 180]
    assert drive.events == []  # retransmissions never reach the TU


def test_invite_server_timer_g_caps_at_t2_and_timer_h_times_out() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    transaction.respond(answer(transaction.request, 486), 0.0)
    drive.collect()
    drive.run_until(100.0)
    assert [t for t, _ in statuses(drive)] == [
        0.0,
        0.5,
        1.5,
        3.5,
        7.5,
        11.5,
        15.5,
        19.5,
        23.5,
        27.5,
        31.5,
    ]
    assert drive.events == [(32.0, TransactionTimedOut(TID)), (32.0, TransactionTerminated(TID))]


def test_invite_server_ack_confirms_and_timer_i_terminates() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    final = answer(transaction.request, 404)
    drive.at(0.0, lambda now: transaction.respond(final, now))
    # an INVITE retransmission gets the 404 again
    drive.at(0.2, lambda now: transaction.receive(transaction.request, now))
    ack = build_ack(transaction.request, final)
    drive.at(0.7, lambda now: transaction.receive(ack, now))
    drive.at(0.8, lambda now: transaction.receive(ack, now))  # absorbed in Confirmed
    assert transaction.state is State.CONFIRMED
    drive.run_until(100.0)
    assert [t for t, _ in statuses(drive)] == [0.0, 0.2, 0.5]  # G stopped by the ACK
    assert drive.events == [(5.7, TransactionTerminated(TID))]


def test_invite_server_reliable_has_no_g_and_zero_i() -> None:
    transaction, drive = server(InviteServerTransaction, request(), reliable=True)
    final = answer(transaction.request, 603)
    transaction.respond(final, 0.0)
    assert transaction.get_timer() == 32.0  # Timer H only
    transaction.receive(build_ack(transaction.request, final), 1.0)
    drive.collect()
    assert transaction.state is State.TERMINATED


def test_invite_server_2xx_accepted_passes_tu_retransmissions_and_absorbs_invites() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    ok = answer(transaction.request, 200)
    transaction.respond(ok, 0.1)
    transaction.receive(transaction.request, 0.3)  # absorbed, not answered (RFC 6026)
    transaction.respond(ok, 0.5)  # the UAS core's retransmission
    drive.collect()
    assert transaction.state is State.ACCEPTED
    assert [s for _, s in statuses(drive)] == [200, 200]
    drive.run_until(100.0)
    assert drive.events == [(32.1, TransactionTerminated(TID))]  # Timer L


def test_invite_server_accepted_passes_matching_ack_to_tu() -> None:
    transaction, drive = server(InviteServerTransaction, request())
    ok = answer(transaction.request, 200)
    transaction.respond(ok, 0.1)
    ack = build_ack(transaction.request, ok)
    transaction.receive(ack, 0.2)
    drive.collect()
    assert drive.events == [(0.0, AckReceived(ack, PEER, TID))]


def test_server_rejects_a_non_status() -> None:
    transaction, _ = server(InviteServerTransaction, request())
    bad = answer(transaction.request, 200)
    bad.status = 99
    with pytest.raises(LocalProtocolError):
        transaction.respond(bad, 0.0)


# --- non-INVITE server -----------------------------------------------------------------


def test_non_invite_server_discards_retransmissions_in_trying() -> None:
    transaction, drive = server(NonInviteServerTransaction, request("OPTIONS"))
    transaction.receive(transaction.request, 0.5)
    drive.collect()
    assert drive.sent == [] and transaction.state is State.TRYING


def test_non_invite_server_answers_retransmissions_with_last_response() -> None:
    transaction, drive = server(NonInviteServerTransaction, request("REGISTER"))
    transaction.respond(answer(transaction.request, 100), 0.1)
    transaction.receive(transaction.request, 0.5)
    transaction.respond(answer(transaction.request, 200), 1.0)
    transaction.respond(answer(transaction.request, 500), 1.1)  # second final: discarded
    transaction.receive(transaction.request, 2.0)
    drive.collect()
    assert [s for _, s in statuses(drive)] == [100, 100, 200, 200]
    drive.run_until(100.0)
    assert drive.events == [(33.0, TransactionTerminated(TID))]  # Timer J = 64·T1


def test_non_invite_server_reliable_terminates_on_final() -> None:
    transaction, drive = server(NonInviteServerTransaction, request("BYE"), reliable=True)
    transaction.respond(answer(transaction.request, 200), 0.0)
    drive.collect()
    assert transaction.state is State.TERMINATED
    assert drive.events == [(0.0, TransactionTerminated(TID))]


def test_server_transport_error_ends_the_transaction() -> None:
    transaction, drive = server(NonInviteServerTransaction, request("BYE"))
    transaction.respond(answer(transaction.request, 200), 0.0)
    transaction.transport_failed(0.0)
    drive.collect()
    assert [e for _, e in drive.events] == [TransportFailed(TID), TransactionTerminated(TID)]


# --- 2xx retransmission by the UAS core ------------------------------------------------


def test_2xx_retransmitter_doubles_to_t2_and_gives_up_at_64_t1() -> None:
    ok = answer(request(), 200)
    retransmitter = TwoHundredRetransmitter(ok, PEER, 0.0, reliable=False)
    drive = Driver(retransmitter)
    drive.run_until(100.0)
    assert drive.times() == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert drive.events == [(32.0, AckTimedOut(ok))]
    assert retransmitter.state is RetransmitterState.TIMED_OUT
    assert retransmitter.get_timer() is None


def test_2xx_retransmitter_stops_on_ack() -> None:
    invite = request()
    ok = answer(invite, 200)
    retransmitter = TwoHundredRetransmitter(ok, PEER, 10.0, reliable=False)
    drive = Driver(retransmitter)
    drive.run_until(12.0)
    ack_for_2xx = build_ack(invite, ok)
    assert retransmitter.matches(ack_for_2xx)
    assert not retransmitter.matches(invite)
    retransmitter.ack_received()
    drive.run_until(100.0)
    assert drive.times() == [10.5, 11.5]
    assert drive.events == []
    assert retransmitter.state is RetransmitterState.ACKED


def test_2xx_retransmitter_reliable_only_waits_for_the_ack() -> None:
    ok = answer(request(), 200)
    drive = Driver(TwoHundredRetransmitter(ok, PEER, 0.0, reliable=True))
    drive.run_until(100.0)
    assert drive.sent == []
    assert drive.events == [(32.0, AckTimedOut(ok))]


def test_timeout_wins_over_a_retransmission_due_at_the_same_instant() -> None:
    config = TimerConfig(t1=0.5, t2=0.5)  # Timer E lands exactly on Timer F at 32 s
    transaction = NonInviteClientTransaction(
        TID, request("OPTIONS"), PEER, reliable=False, config=config
    )
    transaction.start(0.0)
    drive = Driver(transaction)
    drive.run_until(100.0)
    assert drive.times()[-1] == 31.5 and len(drive.sent) == 64
    assert drive.events[0] == (32.0, TransactionTimedOut(TID))


def test_2xx_retransmitter_gives_up_rather_than_send_at_the_deadline() -> None:
    ok = answer(request(), 200)
    config = TimerConfig(t1=0.5, t2=0.5)
    drive = Driver(TwoHundredRetransmitter(ok, PEER, 0.0, reliable=False, config=config))
    drive.run_until(100.0)
    assert drive.times()[-1] == 31.5 and len(drive.sent) == 63
    assert drive.events == [(32.0, AckTimedOut(ok))]
