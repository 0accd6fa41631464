"""A plain SIP call follows a move: a re-INVITE with the new c=, 491 retried, 4xx reported.

The call is a real ``Call`` over the fake user agent of test_call_driver; the peer answers
with a real SdpSession; time moves on a fake loop.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

from test_call_driver import FakeSignaling, Peer, _outgoing

from alexphone.engine.alexcall.restart import RestartingCall
from alexphone.engine.call import Call
from alexphone.engine.events import (
    CallMoved,
    CallState,
    Event,
    MoveOutcome,
    NetworkChanged,
    NetworkState,
)
from alexphone.engine.move_follow import (
    MAY_DROP,
    UNANSWERED,
    UNANSWERED_RETRY,
    UNANSWERED_TRIES,
    MoveFollow,
    network_state,
)
from alexphone.sdp.session import SessionDescription
from alexphone.sip.message import make_response
from fake_loop import FakeLoop

OLD, NEW, OTHER = "192.0.2.1", "192.0.2.9", "192.0.2.77"


class NoRestart:
    """A call without checks: the ALEX restart declines it."""

    def __init__(self) -> None:
        self.asked = 0
        self.on_outcome: Callable[[str, int, str], None] | None = None

    def restart(self, call: RestartingCall, why: str, *, keep_gathered: bool = True) -> bool:
        self.asked += 1
        return False


class Moving:
    """Where the default route leaves from: changed by the test."""

    def __init__(self) -> None:
        self.address = NEW

    def __call__(self) -> str:
        return self.address


def _confirmed() -> tuple[Call, FakeSignaling, FakeLoop, Peer]:
    call, signaling, loop, events = _outgoing()
    call.port.host = "0.0.0.0"  # type: ignore[misc]  # on the wildcard, as with --listen 0.0.0.0
    peer = Peer()
    invite, handler = signaling.requests[0]
    handler.on_response(peer.answer(invite))
    assert events[-1].state is CallState.CONFIRMED
    return call, signaling, loop, peer


def _follow(
    call: Call, signaling: FakeSignaling, loop: FakeLoop
) -> tuple[MoveFollow, list[Event], Moving]:
    events: list[Event] = []
    where = Moving()
    follow = MoveFollow(
        signaling,
        {call.call_id: call},
        NoRestart(),
        where,
        events.append,
        loop=loop,  # type: ignore[arg-type]
    )
    return follow, events, where


def _moves(events: list[Event]) -> list[MoveOutcome]:
    return [e.outcome for e in events if isinstance(e, CallMoved)]


def _c_line(body: bytes) -> str:
    sdp = SessionDescription.parse(body)
    connection = sdp.media[0].connection or sdp.connection
    assert connection is not None
    return connection.address


def test_a_move_sends_a_reinvite_with_the_new_address_and_the_peer_follows() -> None:
    call, signaling, loop, peer = _confirmed()
    follow, events, _ = _follow(call, signaling, loop)

    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)

    reinvite, handler = signaling.requests[-1]
    assert signaling.methods() == ["INVITE", "INVITE"] and reinvite.to.tag == "b1"
    assert _c_line(reinvite.body) == NEW
    handler.on_response(peer.answer(reinvite))
    assert _moves(events) == [MoveOutcome.OFFERED, MoveOutcome.FOLLOWED]
    assert signaling.acks[-1].cseq.seq == reinvite.cseq.seq and call.is_confirmed
    assert follow.reinvites == 1


def test_no_reinvite_while_the_announced_address_is_still_ours() -> None:
    call, signaling, loop, _ = _confirmed()
    follow, events, where = _follow(call, signaling, loop)
    where.address = OLD  # a second uplink came up; the default route still leaves from OLD

    follow.network_changed([OLD, NEW], "net-ab", NetworkState.CONNECTED)
    assert signaling.methods() == ["INVITE"]

    loop.advance(0.1)  # soon after: nothing was sent, so nothing holds the move back
    where.address = NEW  # the first uplink goes: now the peer must follow
    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)
    assert signaling.methods() == ["INVITE", "INVITE"] and _moves(events) == [MoveOutcome.OFFERED]


def test_a_reinvite_that_crosses_the_peers_gets_491_and_goes_again() -> None:
    call, signaling, loop, peer = _confirmed()
    follow, events, _ = _follow(call, signaling, loop)
    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)
    reinvite, handler = signaling.requests[-1]

    handler.on_response(make_response(reinvite, 491, to_tag="b1"))
    assert _moves(events) == [MoveOutcome.OFFERED]  # not over yet
    loop.advance(loop.now + 4.0)  # RFC 3261 §14.1: 2.1-4 s, we own the Call-ID

    again, handler = signaling.requests[-1]
    assert again.cseq.seq == reinvite.cseq.seq + 1 and _c_line(again.body) == NEW
    handler.on_response(peer.answer(again))
    assert _moves(events) == [MoveOutcome.OFFERED, MoveOutcome.FOLLOWED]


def test_a_peer_that_refuses_keeps_the_old_session_and_the_user_is_told() -> None:
    call, signaling, loop, _ = _confirmed()
    follow, events, _ = _follow(call, signaling, loop)
    negotiated = call.sdp.negotiated
    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)
    reinvite, handler = signaling.requests[-1]

    handler.on_response(make_response(reinvite, 488, "Not Acceptable Here", to_tag="b1"))

    refused = [e for e in events if isinstance(e, CallMoved)][-1]
    assert refused.outcome is MoveOutcome.REFUSED and refused.code == 488
    assert MAY_DROP in refused.reason and refused.call_id == call.call_id
    assert call.is_confirmed and call.sdp.negotiated == negotiated  # the old session stays


def test_a_follow_nobody_answers_is_said_and_goes_again_until_the_peer_hears_it() -> None:
    call, signaling, loop, peer = _confirmed()
    follow, events, _ = _follow(call, signaling, loop)
    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)
    _, handler = signaling.requests[-1]

    handler.on_failure(408, "Request Timeout")  # a captive portal dropped every retransmission

    unanswered = [e for e in events if isinstance(e, CallMoved)][-1]
    assert unanswered.outcome is MoveOutcome.UNANSWERED and unanswered.code == 408
    assert unanswered.reason == UNANSWERED and call.is_confirmed
    assert signaling.methods() == ["INVITE", "INVITE"]  # nothing until the pause is over
    loop.advance(loop.now + UNANSWERED_RETRY)
    again, handler = signaling.requests[-1]
    assert signaling.methods() == ["INVITE"] * 3 and _c_line(again.body) == NEW
    handler.on_response(peer.answer(again))  # the portal let us through
    assert _moves(events)[-2:] == [MoveOutcome.OFFERED, MoveOutcome.FOLLOWED]
    loop.advance(loop.now + 10 * UNANSWERED_RETRY)
    assert signaling.methods() == ["INVITE"] * 3  # followed: no further try


def test_after_the_last_unanswered_try_the_user_is_told_the_call_may_drop() -> None:
    call, signaling, loop, _ = _confirmed()
    follow, events, _ = _follow(call, signaling, loop)
    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)

    for _ in range(UNANSWERED_TRIES):
        _, handler = signaling.requests[-1]
        handler.on_failure(408, "Request Timeout")
        loop.advance(loop.now + UNANSWERED_RETRY)

    outcomes = _moves(events)
    assert outcomes.count(MoveOutcome.UNANSWERED) == UNANSWERED_TRIES - 1
    assert outcomes[-1] is MoveOutcome.REFUSED
    assert MAY_DROP in [e for e in events if isinstance(e, CallMoved)][-1].reason
    assert signaling.methods().count("INVITE") == 1 + UNANSWERED_TRIES  # then no more
    assert call.is_confirmed


def test_three_flaps_within_a_second_send_at_most_one_reinvite() -> None:
    call, signaling, loop, peer = _confirmed()
    follow, _, where = _follow(call, signaling, loop)
    for step, (network, address) in enumerate([("b", NEW), ("a", OLD), ("b", NEW)] * 2):
        loop.advance(step * 0.15)
        where.address = address
        follow.network_changed([address], network, NetworkState.CONNECTED)
        if step == 0:
            reinvite, handler = signaling.requests[-1]
            handler.on_response(peer.answer(reinvite))

    assert signaling.methods().count("INVITE") == 2  # the call's own and one follow
    loop.advance(5.0)
    assert signaling.methods().count("INVITE") == 2  # ended on the network followed to


def test_a_network_without_route_is_reported_and_followed_once_a_route_returns() -> None:
    call, signaling, loop, _ = _confirmed()
    follow, events, where = _follow(call, signaling, loop)

    follow.network_changed([], "nothing", NetworkState.NO_ROUTE)
    follow.network_changed([], "nothing", NetworkState.NO_ROUTE)  # said once
    assert signaling.methods() == ["INVITE"]
    assert [e.state for e in events if isinstance(e, NetworkChanged)] == [NetworkState.NO_ROUTE]

    where.address = OTHER
    follow.network_changed([OTHER], "net-c", NetworkState.CONNECTED)
    states = [e.state for e in events if isinstance(e, NetworkChanged)]
    assert states == [NetworkState.NO_ROUTE, NetworkState.CONNECTED]
    assert _c_line(signaling.requests[-1][0].body) == OTHER


def test_a_network_routed_only_in_a_family_we_do_not_listen_on_waits_like_no_route() -> None:
    call, signaling, loop, _ = _confirmed()
    follow, events, where = _follow(call, signaling, loop)

    follow.network_changed(["fd00:2::2"], "v6-only", NetworkState.OTHER_FAMILY)
    follow.network_changed(["fd00:2::2"], "v6-only", NetworkState.OTHER_FAMILY)  # said once
    follow.network_changed([], "nothing", NetworkState.NO_ROUTE)  # another reason: said
    assert signaling.methods() == ["INVITE"]  # no follow toward a network we cannot use
    states = [e.state for e in events if isinstance(e, NetworkChanged)]
    assert states == [NetworkState.OTHER_FAMILY, NetworkState.NO_ROUTE]

    where.address = OTHER
    follow.network_changed([OTHER], "net-c", NetworkState.CONNECTED)
    states = [e.state for e in events if isinstance(e, NetworkChanged)]
    assert states[-1] is NetworkState.CONNECTED
    assert _c_line(signaling.requests[-1][0].body) == OTHER


def test_the_network_state_compares_routed_families_with_the_listeners() -> None:
    v4, v6 = socket.AF_INET, socket.AF_INET6
    assert network_state([], [v4]) is NetworkState.NO_ROUTE
    assert network_state([v6], [v4]) is NetworkState.OTHER_FAMILY
    assert network_state([v4], [v6]) is NetworkState.OTHER_FAMILY
    assert network_state([v4, v6], [v4]) is NetworkState.CONNECTED
    assert network_state([v6], [v4, v6]) is NetworkState.CONNECTED


class BusyRestart:
    """A call with checks whose first restart is refused (one is still under way)."""

    def __init__(self) -> None:
        self.asked = 0
        self.on_outcome: Callable[[str, int, str], None] | None = None

    def restart(self, call: RestartingCall, why: str, *, keep_gathered: bool = True) -> bool:
        self.asked += 1
        return self.asked > 1


class Checking:
    active = True


def test_a_move_during_a_restart_restarts_again_once_it_is_settled() -> None:
    call, signaling, loop, _ = _confirmed()
    call.alex = Checking()  # type: ignore[assignment]
    events: list[Event] = []
    restart = BusyRestart()
    follow = MoveFollow(
        signaling,
        {call.call_id: call},
        restart,
        Moving(),
        events.append,
        loop=loop,  # type: ignore[arg-type]
    )

    follow.network_changed([NEW], "net-b", NetworkState.CONNECTED)
    assert restart.asked == 1 and _moves(events) == []
    loop.advance(0.3)

    assert restart.asked == 2 and _moves(events) == [MoveOutcome.OFFERED]
    assert signaling.methods() == ["INVITE"]  # the restart sends its own re-INVITE
    assert restart.on_outcome is not None
    restart.on_outcome(call.call_id, 200, "OK")  # its 2xx came
    restart.on_outcome(call.call_id, 200, "OK")  # a later restart (consent): not a move
    assert _moves(events) == [MoveOutcome.OFFERED, MoveOutcome.FOLLOWED]
