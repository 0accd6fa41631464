"""RFC 3263 against a real DNS server (dnsmasq): `alexphone resolve` ordering and failover.

dnsmasq runs in a lab namespace and answers for `.test` only (NXDOMAIN for
names it does not hold). The failover test points alice's phone at a zone whose
first SRV target has no SIP server: the REGISTER must end at Kamailio, the
second target (RFC 3263 §4.3).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from lab import Lab, NatNet
from lab_alexphone import Alexphone
from lab_discovery import Dnsmasq, Naptr, Srv
from lab_peers import DOMAIN, USERS, Kamailio

pytestmark = [pytest.mark.interop, pytest.mark.needs("dnsmasq")]

HOSTS = [
    ("sip.lab.test", ["198.51.100.1", "fd42:99::1"]),
    ("sip2.lab.test", ["198.51.100.2"]),
    ("heavy.weights.test", ["192.0.2.1"]),
    ("light.weights.test", ["192.0.2.2"]),
    ("backup.weights.test", ["192.0.2.3"]),
    ("plain.test", ["192.0.2.9"]),
]
SRV = [
    Srv("_sip._udp.lab.test", "sip.lab.test", 5060, 10, 60),
    Srv("_sip._udp.lab.test", "sip2.lab.test", 5060, 20, 40),
    Srv("_sip._tcp.lab.test", "sip.lab.test", 5060, 10, 100),
    Srv("_sips._tcp.lab.test", "sip.lab.test", 5061, 10, 100),
    Srv("_sip._udp.weights.test", "heavy.weights.test", 5060, 10, 90),
    Srv("_sip._udp.weights.test", "light.weights.test", 5070, 10, 10),
    Srv("_sip._udp.weights.test", "backup.weights.test", 5080, 20, 100),
    Srv("_sip._tcp.weights.test", "heavy.weights.test", 5060, 10, 100),
]
NAPTR = [
    Naptr("lab.test", 10, 100, "SIPS+D2T", "_sips._tcp.lab.test"),
    Naptr("lab.test", 20, 100, "SIP+D2T", "_sip._tcp.lab.test"),
    Naptr("lab.test", 30, 100, "SIP+D2U", "_sip._udp.lab.test"),
]


@pytest.fixture
def dns(lab: Lab) -> tuple[str, Dnsmasq]:
    """dnsmasq on 127.0.0.1:53 inside a namespace of its own; (namespace, server)."""
    ns = lab.namespace("dns")
    return ns, Dnsmasq(lab, ns, "127.0.0.1", 53, HOSTS, SRV, NAPTR).start()


def resolve(lab: Lab, ns: str, uri: str, server: str = "127.0.0.1:53") -> list[tuple[str, ...]]:
    """`alexphone resolve URI --json` in `ns`: (transport, host, port, address) in try order."""
    argv = [sys.executable, "-m", "alexphone", "resolve", uri, "--json", "--dns-server", server]
    done = lab.run(ns, argv, timeout=20)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [(r["transport"], r["host"], str(r["port"]), r["address"]) for r in rows]


def test_naptr_order_then_srv_then_a_and_aaaa(lab: Lab, dns: tuple[str, Dnsmasq]) -> None:
    ns, _ = dns
    assert resolve(lab, ns, "sip:alice@lab.test") == [
        ("tls", "sip.lab.test", "5061", "198.51.100.1"),
        ("tls", "sip.lab.test", "5061", "fd42:99::1"),
        ("tcp", "sip.lab.test", "5060", "198.51.100.1"),
        ("tcp", "sip.lab.test", "5060", "fd42:99::1"),
        ("udp", "sip.lab.test", "5060", "198.51.100.1"),
        ("udp", "sip.lab.test", "5060", "fd42:99::1"),
        ("udp", "sip2.lab.test", "5060", "198.51.100.2"),
    ]


def test_transport_param_and_sips(lab: Lab, dns: tuple[str, Dnsmasq]) -> None:
    ns, _ = dns
    assert {t[0] for t in resolve(lab, ns, "sip:alice@lab.test;transport=tcp")} == {"tcp"}
    assert resolve(lab, ns, "sip:alice@lab.test;transport=udp")[-1][1] == "sip2.lab.test"
    assert resolve(lab, ns, "sips:alice@lab.test") == [
        ("tls", "sip.lab.test", "5061", "198.51.100.1"),
        ("tls", "sip.lab.test", "5061", "fd42:99::1"),
    ]


def test_no_naptr_uses_srv_per_transport_and_weights(lab: Lab, dns: tuple[str, Dnsmasq]) -> None:
    ns, _ = dns
    rows = resolve(lab, ns, "sip:bob@weights.test")
    assert [r[0] for r in rows] == ["udp", "udp", "udp", "tcp"]
    assert rows[2][1] == "backup.weights.test"  # priority 20 comes after both of 10
    # RFC 2782 weights: in one process, heavy (90) must lead about 9 times in 10
    script = (
        "import asyncio\n"
        "from alexphone.discovery.resolver import SipResolver\n"
        "from alexphone.sip.uri import parse_sip_uri\n"
        "async def main():\n"
        "    r = SipResolver(('127.0.0.1', 53))\n"
        "    uri = parse_sip_uri('sip:bob@weights.test;transport=udp')\n"
        "    firsts = [(await r.resolve(uri)).targets[0].host for _ in range(200)]\n"
        "    print(firsts.count('heavy.weights.test'))\n"
        "asyncio.run(main())\n"
    )
    heavy = int(lab.run(ns, [sys.executable, "-c", script], timeout=30).stdout)
    assert 160 <= heavy <= 195


def test_no_srv_falls_back_to_a_record(lab: Lab, dns: tuple[str, Dnsmasq]) -> None:
    ns, _ = dns
    assert resolve(lab, ns, "sip:carol@plain.test") == [("udp", "plain.test", "5060", "192.0.2.9")]


def test_unknown_domain_and_dead_server_exit_1_with_one_line(
    lab: Lab, dns: tuple[str, Dnsmasq]
) -> None:
    ns, _ = dns
    base = [sys.executable, "-m", "alexphone", "resolve"]
    done = lab.run(ns, [*base, "sip:x@nope.test", "--dns-server", "127.0.0.1:53"], check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "alexphone: cannot resolve nope.test: no such domain"
    ]
    started = time.monotonic()
    dead = [*base, "sip:x@lab.test", "--dns-server", "127.0.0.1:54"]  # nothing listens: no hang
    done = lab.run(ns, dead, timeout=30, check=False)
    assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 15


def test_register_fails_over_to_the_second_srv_target(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    # 198.51.100.2 has no SIP server: TCP gets a reset at once, so the first target fails fast
    zone_hosts = [("down.lab.test", ["198.51.100.2"]), ("sip.lab.test", ["198.51.100.1"])]
    srv = [
        Srv("_sip._tcp.lab.test", "down.lab.test", 5060, 10, 100),
        Srv("_sip._tcp.lab.test", "sip.lab.test", 5060, 20, 100),
    ]
    naptr = [Naptr("lab.test", 10, 100, "SIP+D2T", "_sip._tcp.lab.test")]
    server = Dnsmasq(lab, nat_net.pub.ns, "198.51.100.2", 53, zone_hosts, srv, naptr).start()
    a1 = nat_net.a1
    phone = Alexphone(lab, a1.ns, "alice", listen=[f"tcp:{a1.ipv4}:5060"])
    password = phone.password_file(USERS["alice"])
    phone.common += ["--account", f"sip:alice@{DOMAIN}", "--password-file", str(password)]
    phone.common += ["--dns-server", server.server, "--no-mdns", "-v"]
    phone.daemon()
    phone.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    kamailio.wait_registered("alice", timeout=5)
    failed = [e for e in phone.events.snapshot() if e.get("state") == "failed"]
    assert failed == []
    # the first SRV target was really tried and given up (RFC 3263 §4.3), not skipped
    assert "target ('198.51.100.2', 5060) failed" in phone.stderr_tail(20000)
    phone.stop()


def test_numeric_uri_needs_no_dns() -> None:
    """RFC 3263 §4.2: a numeric host is used as it is, no DNS server asked."""
    done = subprocess.run(
        [sys.executable, "-m", "alexphone", "resolve", "sip:a@192.0.2.1:5070", "--json"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert json.loads(done.stdout) == {
        "transport": "udp",
        "host": "192.0.2.1",
        "port": 5070,
        "address": "192.0.2.1",
    }
