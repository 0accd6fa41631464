"""A plain SIP peer follows our move: baresip through Kamailio, the mover caller or callee.

alice (alexphone, on the wildcard address) and bob (baresip, no ICE, no ALEX) talk through
Kamailio in the routed lab of lab_uplinks. Mid-call alice's machine changes uplink:

- make-before-break: eth1 comes up (its default route ranks below eth0's), then eth0 goes;
- break-before-make: eth0 goes, eth1 comes up a second later.

alice's network monitor reports the move, she re-registers from the new address and sends
bob a re-INVITE with the new c= and Contact (engine/move_follow.py); bob's RTP follows. Both
namespaces capture RTP: the handoff gap is measured at the far end of each direction, from
the last packet on the old path to the first on the new one. The callee row ends with bob's
BYE, which reaches alice only through the Contact her re-INVITE refreshed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from lab import Lab
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Event, Kamailio
from lab_uplinks import (
    Capture,
    Handoff,
    Uplinks,
    add_uplink,
    drop_uplink,
    handoff,
    sent_after,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio", "baresip")]

OLD, NEW = "10.0.1.2", "10.0.2.2"
GAP_LIMIT_MS = 200.0  # the new uplink already up
LINK_DELAY = 1.0  # break-before-make: seconds until the new uplink comes up
AFTER_MOVE = 2.0  # seconds of audio checked after the move
MIN_PACKETS = 50  # of those, each way (20 ms frames)


@dataclass(frozen=True, slots=True)
class Move:
    """What one move looked like from both ends."""

    to_bob: Handoff  # alice's RTP, captured where bob is
    to_alice: Handoff  # bob's RTP, captured where alice is
    lost: int  # bob's packets to the old address after alice last heard there
    moved: Event  # alice's call.moved followed
    registered: Event  # alice's registration from the new address
    no_route: Event | None  # network.changed no_route (break-before-make)
    dropped: float  # Unix time the old uplink went down


def alice_phone(lab: Lab, net: Uplinks) -> Alexphone:
    """alice on the wildcard address (her sockets outlive her addresses), plain SIP."""
    phone = Alexphone(
        lab, net.mover.ns, "alice", listen=["udp:0.0.0.0:5060"], audio_in="tone:440",
        audio_out="null", args=["--no-alex", "-v"],
    )  # fmt: skip
    password = phone.password_file(USERS["alice"])
    phone.common += ["--account", f"sip:alice@{DOMAIN}", "--password-file", str(password)]
    phone.common += ["--proxy", f"sip:{net.server.ipv4}:5060"]
    return phone


def move(lab: Lab, net: Uplinks, alice: Alexphone, *, make_first: bool) -> Move:
    """Move alice from eth0 to eth1 mid-call with both ends capturing; what each end saw."""
    at_bob = Capture(lab, net.peer.ns, "at-bob")
    at_alice = Capture(lab, net.mover.ns, "at-alice")
    time.sleep(1.0)  # audio on the old path in both captures
    if make_first:
        add_uplink(lab, net)
        time.sleep(1.0)  # the new uplink is up and settled
    mark, dropped = alice.mark(), time.time()
    drop_uplink(lab, net)
    if not make_first:
        time.sleep(LINK_DELAY)
        add_uplink(lab, net, metric=0)
    moved = alice.wait_event(
        "call.moved", lambda e: e["outcome"] == "followed", timeout=10, since=mark
    )
    registered = alice.wait_event(
        "registration.state",
        lambda e: e["state"] == "registered" and f"@{NEW}" in e["contact"],
        timeout=10,
        since=mark,
    )
    time.sleep(AFTER_MOVE)
    to_bob, to_alice = at_bob.stop(), at_alice.stop()
    peer = net.peer.ipv4
    heard = handoff(to_alice, OLD, NEW, peer, to_peer=False)
    no_route = [
        e
        for e in alice.events.snapshot()[mark:]
        if e.get("event") == "network.changed" and e["state"] == "no_route"
    ]
    return Move(
        handoff(to_bob, OLD, NEW, peer, to_peer=True),
        heard,
        sent_after(to_bob, peer, OLD, heard.last_old),
        moved,
        registered,
        no_route[0] if no_route else None,
        dropped,
    )


def check(result: Move, *, make_first: bool, row: str) -> None:
    """Audio both ways on the new path; the gaps within bounds; print the figures."""
    assert result.moved["address"] == NEW, result.moved
    assert result.to_bob.new_packets >= MIN_PACKETS, result.to_bob
    assert result.to_alice.new_packets >= MIN_PACKETS, result.to_alice
    limit = GAP_LIMIT_MS if make_first else GAP_LIMIT_MS + LINK_DELAY * 1000
    assert result.to_bob.gap_ms <= limit, result.to_bob
    assert result.to_alice.gap_ms <= limit, result.to_alice
    if not make_first:  # said while no uplink carried us, within a bounded time
        assert result.no_route is not None
        assert float(result.no_route["ts"]) - result.dropped < LINK_DELAY, result.no_route
    print(
        f"plain follow ({row}): gap at bob {result.to_bob.gap_ms:.0f} ms,",
        f"at alice {result.to_alice.gap_ms:.0f} ms, lost {result.lost} packets",
    )


@pytest.mark.parametrize("make_first", [True, False], ids=["make-before-break", "break-first"])
def test_baresip_follows_the_calling_phone(
    lab: Lab, uplinks: tuple[Uplinks, Kamailio, Baresip], make_first: bool
) -> None:
    net, _, bob = uplinks
    alice = alice_phone(lab, net)
    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "30", duration=12)
    alice.wait_event("call.media", timeout=20)
    bob.wait_event("CALL_ESTABLISHED", timeout=10)

    result = move(lab, net, alice, make_first=make_first)

    assert alice.wait_exit(30) == 0, alice.stderr_tail()
    check(result, make_first=make_first, row="mover calls")
    bob.wait_event("CALL_CLOSED", timeout=10)  # our BYE reached bob from the new address


@pytest.mark.parametrize("make_first", [True, False], ids=["make-before-break", "break-first"])
def test_baresip_follows_the_answering_phone(
    lab: Lab, uplinks: tuple[Uplinks, Kamailio, Baresip], make_first: bool
) -> None:
    net, kamailio, bob = uplinks
    alice = alice_phone(lab, net).daemon("--auto-answer")
    alice.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    kamailio.wait_registered("alice", timeout=5)
    bob.dial(f"sip:alice@{DOMAIN}")
    confirmed = alice.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    alice.wait_event("call.media", timeout=10)

    result = move(lab, net, alice, make_first=make_first)

    bob.hangup()  # Kamailio sends the BYE to the Contact of alice's re-INVITE
    ended = alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    assert ended["call_id"] == confirmed["call_id"] and ended.get("code") in (None, 200), ended
    check(result, make_first=make_first, row="mover answers")
    alice.stop()


def _reinvites(kamailio: Kamailio) -> int:
    return sum(1 for line in kamailio.events() if line.startswith("LAB-REQUEST INVITE "))


def test_a_link_flapping_three_times_within_a_second_sends_at_most_one_reinvite(
    lab: Lab, uplinks: tuple[Uplinks, Kamailio, Baresip]
) -> None:
    net, kamailio, bob = uplinks
    add_uplink(lab, net)  # a second uplink, so each flap of eth0 is a move to eth1 and back
    alice = alice_phone(lab, net)
    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "30", duration=10)
    alice.wait_event("call.media", timeout=20)
    bob.wait_event("CALL_ESTABLISHED", timeout=10)
    time.sleep(1.0)
    before, mark = _reinvites(kamailio), alice.mark()

    started = time.monotonic()
    for _ in range(3):  # three flaps within a second
        drop_uplink(lab, net)
        time.sleep(0.1)
        lab.ip(net.mover.ns, "link", "set", "eth0", "up")
        lab.ip(net.mover.ns, "route", "replace", "default", "via", "10.0.1.1", "dev", "eth0")
        time.sleep(0.15)
    flapped = time.monotonic() - started
    at_alice = Capture(lab, net.mover.ns, "at-alice-after")
    time.sleep(3.0)  # beyond the guard's hold: a trailing re-INVITE would have gone by now
    heard = at_alice.stop()

    assert flapped < 1.0, flapped
    assert _reinvites(kamailio) - before <= 1, kamailio.events()[-8:]
    moves = [e for e in alice.events.snapshot()[mark:] if e.get("event") == "call.moved"]
    assert sum(1 for e in moves if e["outcome"] == "offered") <= 1, moves
    assert sum(1 for _, s, _ in heard if s == net.peer.ipv4) >= 100  # bob's audio still comes
    assert alice.wait_exit(20) == 0, alice.stderr_tail()
    print(f"flapping link: {len(moves)} call.moved, {_reinvites(kamailio) - before} re-INVITE")
