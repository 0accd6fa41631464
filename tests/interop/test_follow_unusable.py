"""A move to a network that cannot carry the call is said, and the call comes back with it.

alice (alexphone on the wildcard IPv4 address, plain SIP) is registered with Kamailio in the
routed lab of lab_uplinks (in the IPv6 row, answering bob's baresip); her machine moves to
an uplink that cannot carry a call, then connectivity returns and the same process carries
on:

- IPv6 only: eth1 has only IPv6, then eth0 goes. ``network.changed`` says ``other_family``
  at once and alice sends nothing she cannot send (no REGISTER, no re-INVITE); when eth0
  comes back she says ``connected``, registers again and both directions of audio resume.
- captive portal (a registered daemon, no call): eth1 is an IPv4 uplink whose router drops
  all UDP and TCP, then eth0 goes. Nothing local can tell; the re-REGISTER goes unanswered
  and after Timer F (32 s) ``registration.state`` says ``failed`` 408. When the portal opens,
  the registration retry (RFC 5626 §4.5 base time, 30 s) registers from the new uplink.
  (A call there ends on its own media timeout, 30 s without RTP, before the follow
  re-INVITE's Timer B says ``call.moved`` ``unanswered``.)
"""

from __future__ import annotations

import time

import pytest
from lab import Lab
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, Baresip, Event, Kamailio
from lab_uplinks import (
    Capture,
    Uplinks,
    add_ipv6_uplink,
    add_uplink,
    close_portal,
    drop_uplink,
    open_portal,
    raise_uplink,
    sent_after,
)
from test_follow_baresip import alice_phone

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio", "baresip")]

OLD, PORTAL = "10.0.1.2", "10.0.2.2"
SAID_WITHIN = 3.0  # seconds from the uplink's loss to network.changed (netlink: ~0.3 s)
TIMER_F = 32.0  # RFC 3261 §17.1.2.2: 64*T1, when an unanswered REGISTER gives up
SLACK = 10.0  # seconds of margin on the bounds that wait protocol timers
REGISTER_RETRY = 30.0  # the registration's first retry after a failure (RFC 5626 §4.5)
AFTER = 2.0  # seconds of audio checked once connectivity returned
MIN_PACKETS = 50  # of those, each way (20 ms frames)


def _in_call(lab: Lab, net: Uplinks, kamailio: Kamailio, bob: Baresip) -> tuple[Alexphone, Event]:
    """alice registered and answering bob's call, audio flowing; her call.state confirmed."""
    alice = alice_phone(lab, net).daemon("--auto-answer")
    alice.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    kamailio.wait_registered("alice", timeout=5)
    bob.dial(f"sip:alice@{DOMAIN}")
    confirmed = alice.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    alice.wait_event("call.media", timeout=10)
    return alice, confirmed


def _check_audio(
    net: Uplinks, at_bob: Capture, at_alice: Capture, address: str, since: float
) -> tuple[int, int]:
    """Both directions of the call's audio flow between bob and ``address`` after ``since``."""
    time.sleep(AFTER)
    to_bob, to_alice = at_bob.stop(), at_alice.stop()
    peer = net.peer.ipv4
    heard_by_bob = sent_after(to_bob, address, peer, since)
    heard_by_alice = sent_after(to_alice, peer, address, since)
    assert heard_by_bob >= MIN_PACKETS, (heard_by_bob, len(to_bob))
    assert heard_by_alice >= MIN_PACKETS, (heard_by_alice, len(to_alice))
    return heard_by_bob, heard_by_alice


def _hang_up(alice: Alexphone, bob: Baresip, confirmed: Event) -> None:
    """bob hangs up: the same call, never restarted, ends normally."""
    bob.hangup()
    ended = alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
    assert ended["call_id"] == confirmed["call_id"] and ended.get("code") in (None, 200), ended
    alice.stop()


def _since(alice: Alexphone, mark: int, name: str) -> list[Event]:
    return [e for e in alice.events.snapshot()[mark:] if e.get("event") == name]


def test_a_move_to_an_ipv6_only_network_is_said_and_the_call_resumes_when_ipv4_returns(
    lab: Lab, uplinks: tuple[Uplinks, Kamailio, Baresip]
) -> None:
    net, kamailio, bob = uplinks
    alice, confirmed = _in_call(lab, net, kamailio, bob)
    add_ipv6_uplink(lab, net)
    time.sleep(1.0)  # the IPv6 uplink is up and settled beside eth0
    mark, dropped = alice.mark(), time.time()

    drop_uplink(lab, net)  # only IPv6 is left
    said = alice.wait_event(
        "network.changed", lambda e: e["state"] == "other_family", timeout=10, since=mark
    )
    time.sleep(2.0)  # an outage of two seconds on the IPv6-only network
    back_mark = alice.mark()
    at_bob, at_alice = Capture(lab, net.peer.ns, "at-bob"), Capture(lab, net.mover.ns, "at-alice")
    returned = time.time()
    raise_uplink(lab, net, "eth0", 1, 0)
    alice.wait_event(
        "network.changed", lambda e: e["state"] == "connected", timeout=10, since=back_mark
    )
    again = alice.wait_event(
        "registration.state",
        lambda e: e["state"] == "registered" and f"@{OLD}" in e["contact"],
        timeout=10,
        since=back_mark,
    )
    heard = _check_audio(net, at_bob, at_alice, OLD, returned)

    said_after = float(said["ts"]) - dropped
    assert said_after < SAID_WITHIN, said
    failed = [e for e in _since(alice, mark, "registration.state") if e["state"] == "failed"]
    assert not failed, failed  # nothing was sent where it could not go
    moves = _since(alice, mark, "call.moved")
    assert all(e["address"] != "127.0.0.1" for e in moves), moves
    registered_after = float(again["ts"]) - returned
    _hang_up(alice, bob, confirmed)
    print(
        f"IPv6-only network: other_family {said_after * 1000:.0f} ms after eth0 went;",
        f"registered again {registered_after * 1000:.0f} ms after it returned;",
        f"packets after the return: {heard[0]} to bob, {heard[1]} to alice",
    )


def test_a_move_behind_a_captive_portal_is_said_and_the_registration_returns_once_it_opens(
    lab: Lab, uplinks: tuple[Uplinks, Kamailio, Baresip]
) -> None:
    net, kamailio, _ = uplinks
    alice = alice_phone(lab, net).daemon()
    alice.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    kamailio.wait_registered("alice", timeout=5)
    add_uplink(lab, net)  # eth1, 10.0.2.2, behind the portal
    close_portal(lab, net)
    time.sleep(1.0)  # the second uplink is up and settled beside eth0
    mark, dropped = alice.mark(), time.time()

    drop_uplink(lab, net)  # the portal's uplink is the only one left
    failed = alice.wait_event(
        "registration.state",
        lambda e: e["state"] == "failed" and e["code"] == 408,
        timeout=TIMER_F + SLACK,
        since=mark,
    )
    opened, open_mark = time.time(), alice.mark()
    open_portal(lab, net)
    again = alice.wait_event(
        "registration.state",
        lambda e: e["state"] == "registered" and f"@{PORTAL}" in e["contact"],
        timeout=REGISTER_RETRY + SLACK,
        since=open_mark,
    )

    said_after = float(failed["ts"]) - dropped
    registered_after = float(again["ts"]) - opened
    assert f"@{PORTAL}" in failed["contact"], failed  # the REGISTER went from the new uplink
    alice.stop()
    print(
        f"captive portal: registration failed 408 {said_after:.1f} s after eth0 went;",
        f"registered from the new uplink {registered_after:.1f} s after the portal opened",
    )
