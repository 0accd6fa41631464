"""Interop with avahi (the Linux mDNS responder): it sees us, we see it, goodbyes included.

avahi-daemon runs with a private dbus-daemon in h2; alexphone runs in h1. Both
bind mDNS to their namespace's eth0 only.
"""

from __future__ import annotations

import json
import sys

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_discovery import Avahi

pytestmark = [pytest.mark.interop, pytest.mark.needs("avahi-daemon", "avahi-browse", "dbus-daemon")]


def test_avahi_browse_resolves_our_service_with_port_and_txt(
    lab: Lab, flat_lan: list[Host]
) -> None:
    h1, h2, _ = flat_lan
    avahi = Avahi(lab, h2.ns).start()
    phone = Alexphone(lab, h1.ns, "alice", listen=[f"udp:{h1.ipv4}:5072"], mdns=True)
    phone.common += ["--user", "alice", "--display-name", "Alice", "--mdns-interface", "eth0"]
    phone.daemon()
    # avahi-browse -p: =;iface;proto;name;type;domain;host;address;port;"txt" "txt"...
    line = avahi.browse_until(lambda f: len(f) > 9 and f[3] == "Alice")
    assert line[4] == "_sip._udp" and line[7] == h1.ipv4 and line[8] == "5072"
    txt = line[9]
    for pair in ('"alex=1"', '"role=ua"', '"user=alice"', '"txtvers=1"'):
        assert pair in txt, txt
    assert f'"contact=sip:alice@{h1.ipv4}:5072"' in txt


def test_avahi_published_service_comes_and_goes_in_peers(lab: Lab, flat_lan: list[Host]) -> None:
    h1, h2, _ = flat_lan
    avahi = Avahi(lab, h2.ns).start()
    publisher = avahi.publish("carol", "_sip._udp", 5062, "user=carol", "role=proxy")
    argv = [sys.executable, "-m", "alexphone", "peers", "--json", "--timeout", "12"]
    argv += ["--mdns-interface", "eth0"]
    peers = lab.spawn(h1.ns, argv, lab.workdir / "peers.log", timeout=30)
    peers.wait_for_log(r'"event": "peer.added".*"name": "carol"', timeout=8)
    added = next(
        json.loads(line)
        for line in peers.log_text().splitlines()
        if '"peer.added"' in line and '"carol"' in line
    )
    assert added["uri"] == f"sip:carol@{h2.ipv4}:5062"
    assert added["role"] == "proxy" and added["alex"] is False
    publisher.stop()  # avahi-publish exits: avahi-daemon sends the goodbye (TTL 0)
    peers.wait_for_log(r'"event": "peer.removed".*"name": "carol"', timeout=5)
    assert peers.wait(20) == 0
