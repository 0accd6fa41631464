"""Zero-configuration LAN calls: two daemons find each other by DNS-SD and call by name.

Three namespaces on one bridge (flat_lan). No registrar, no proxy, no address
is given to the caller: only the callee's instance name. mDNS is bound to each
namespace's eth0, never to the root namespace.
"""

from __future__ import annotations

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone

pytestmark = [pytest.mark.interop, pytest.mark.needs("ip")]

MEDIA = ["--audio-in", "silence", "--audio-out", "null", "--codecs", "pcmu"]


def daemon(lab: Lab, host: Host, name: str, display: str, port: int = 5060) -> Alexphone:
    """An alexphone daemon on `host` that advertises itself as `display`."""
    phone = Alexphone(lab, host.ns, name, listen=[f"udp:{host.ipv4}:{port}"], mdns=True)
    phone.common += ["--user", name, "--display-name", display, "--mdns-interface", "eth0", *MEDIA]
    return phone


def test_two_daemons_find_each_other_and_call_by_instance_name(
    lab: Lab, flat_lan: list[Host]
) -> None:
    h1, h2, h3 = flat_lan
    alice = daemon(lab, h1, "alice", "Alice").daemon()
    bob = daemon(lab, h2, "bob", "Bob's phone").daemon("--auto-answer")
    seen_by_alice = alice.wait_event("peer.added", lambda e: e["name"] == "Bob's phone", 10)
    assert seen_by_alice["uri"] == f"sip:bob@{h2.ipv4}:5060"
    assert h2.ipv4 in seen_by_alice["addresses"]
    assert seen_by_alice["alex"] is True and seen_by_alice["role"] == "ua"
    assert seen_by_alice["callable"] is True
    bob.wait_event("peer.added", lambda e: e["name"] == "Alice", 10)

    # a second phone claims the same name: RFC 6762 §9 conflict → renamed, nobody crashes
    twin = daemon(lab, h3, "bob2", "Bob's phone").daemon()
    alice.wait_event("peer.added", lambda e: e["name"] == "Bob's phone (2)", 15)
    assert twin.process is not None and twin.process.running()

    caller = daemon(lab, h1, "alice-call", "Alice calling", port=5070)
    caller.start_call("Bob's phone", duration=1.0)
    caller.wait_event("call.state", lambda e: e["state"] == "ended", 20)
    code, events = caller.wait_exit(15), caller.events.snapshot()
    states = [e["state"] for e in events if e.get("event") == "call.state"]
    assert "confirmed" in states, events
    assert code == 0
    placed = next(e for e in events if e.get("event") == "call.state")
    assert placed["remote"] == f"sip:bob@{h2.ipv4}:5060"
    bob.wait_event("call.state", lambda e: e["state"] == "confirmed", 5)

    mark = alice.mark()
    bob.stop()  # goodbye packets: alice drops bob at once, not after the TTL
    alice.wait_event("peer.removed", lambda e: e["name"] == "Bob's phone", 5, since=mark)
