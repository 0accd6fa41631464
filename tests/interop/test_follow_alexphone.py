"""Two ALEX phones through Kamailio: the call follows the mover, caller or callee.

The routed lab of lab_uplinks: alice (the mover, on the wildcard address) and bob both run
ALEX. Mid-call alice's second uplink comes up and, a second later, her first goes down
(make-before-break), or the first goes and the second comes a second later. Each move
restarts the checks (docs/ALEX.md "Restart"): new credentials in a re-INVITE, checks on
the new uplink, audio selected on it. RTP is captured in both namespaces; the far end's
longest silence around the move is the handoff gap.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from lab import Lab
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Kamailio
from lab_uplinks import (
    Capture,
    Uplinks,
    add_uplink,
    drop_uplink,
    handoff,
    longest_silence,
    uplinks_topology,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio")]

OLD, NEW = "10.0.1.2", "10.0.2.2"
GAP_LIMIT_MS = 200.0
LINK_DELAY = 1.0
AFTER_MOVE = 2.0
MIN_PACKETS = 50


def _phone(lab: Lab, ns: str, name: str, listen: str, server: str) -> Alexphone:
    phone = Alexphone(
        lab, ns, name, listen=[listen], audio_in="tone:440", audio_out="null", args=["-v"]
    )
    password = phone.password_file(USERS[name])
    phone.common += ["--account", f"sip:{name}@{DOMAIN}", "--password-file", str(password)]
    phone.common += ["--proxy", f"sip:{server}:5060"]
    return phone


@pytest.fixture
def phones(lab: Lab) -> Iterator[tuple[Uplinks, Alexphone, Alexphone]]:
    """The routed lab with Kamailio; alice (the mover) and bob, neither started yet."""
    net = uplinks_topology(lab)
    Kamailio(lab, net.server.ns, [net.server.ipv4]).start()
    server = net.server.ipv4
    alice = _phone(lab, net.mover.ns, "alice", "udp:0.0.0.0:5060", server)
    bob = _phone(lab, net.peer.ns, "bob", f"udp:{net.peer.ipv4}:5060", server)
    yield net, alice, bob


def _move_and_check(
    lab: Lab, net: Uplinks, alice: Alexphone, call_id: str, make_first: bool, row: str
) -> None:
    at_bob = Capture(lab, net.peer.ns, "at-bob")
    at_alice = Capture(lab, net.mover.ns, "at-alice")
    time.sleep(1.0)
    start = time.time()
    if make_first:
        add_uplink(lab, net)
        time.sleep(1.0)
    mark, dropped = alice.mark(), time.time()
    drop_uplink(lab, net)
    if not make_first:
        time.sleep(LINK_DELAY)
        add_uplink(lab, net, metric=0)
    selected = alice.wait_event(
        "alex.selected",
        lambda e: e["call_id"] == call_id and e["flow"] == "audio" and NEW in str(e["local"]),
        timeout=15,
        since=mark if not make_first else 0,
    )
    time.sleep(AFTER_MOVE)
    end = time.time()
    to_bob, to_alice = at_bob.stop(), at_alice.stop()
    peer = net.peer.ipv4
    gap_bob = longest_silence(to_bob, peer, start, end, to_peer=True)
    gap_alice = longest_silence(to_alice, peer, start, end, to_peer=False)
    assert handoff(to_bob, OLD, NEW, peer, to_peer=True).new_packets >= MIN_PACKETS
    assert handoff(to_alice, OLD, NEW, peer, to_peer=False).new_packets >= MIN_PACKETS
    limit = GAP_LIMIT_MS if make_first else GAP_LIMIT_MS + LINK_DELAY * 1000
    assert gap_bob <= limit and gap_alice <= limit, (gap_bob, gap_alice, selected)
    print(
        f"ALEX follow ({row}): audio on {selected['local']} -> {selected['remote']}",
        f"{float(selected['ts']) - dropped:+.2f} s after the drop;",
        f"longest silence at bob {gap_bob:.0f} ms, at alice {gap_alice:.0f} ms",
    )


@pytest.mark.parametrize("make_first", [True, False], ids=["make-before-break", "break-first"])
def test_alex_call_follows_the_calling_phone(
    lab: Lab, phones: tuple[Uplinks, Alexphone, Alexphone], make_first: bool
) -> None:
    net, alice, bob = phones
    bob.daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "40", duration=14)
    first = alice.wait_event("alex.selected", lambda e: e["flow"] == "audio", timeout=20)

    _move_and_check(lab, net, alice, str(first["call_id"]), make_first, "mover calls")

    assert alice.wait_exit(30) == 0, alice.stderr_tail()
    bob.stop()


@pytest.mark.parametrize("make_first", [True, False], ids=["make-before-break", "break-first"])
def test_alex_call_follows_the_answering_phone(
    lab: Lab, phones: tuple[Uplinks, Alexphone, Alexphone], make_first: bool
) -> None:
    net, alice, bob = phones
    alice.daemon("--auto-answer")
    alice.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    bob.start_call(f"sip:alice@{DOMAIN}", "--timeout", "40", duration=14)
    first = alice.wait_event("alex.selected", lambda e: e["flow"] == "audio", timeout=20)

    _move_and_check(lab, net, alice, str(first["call_id"]), make_first, "mover answers")

    assert bob.wait_exit(30) == 0, bob.stderr_tail()  # its BYE found alice at her new address
    alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    alice.stop()
