"""Gathering against coturn from behind a NAT: `alexphone addresses` and a relayed round trip.

coturn runs in pub on 198.51.100.1:3478; alexphone runs in a1 (10.0.1.2) behind nat1, whose
public address is 198.51.100.11. What a call would announce must hold host, the NAT mapping
learnt by STUN from the very socket (srflx 198.51.100.11) and, for media, a TURN relayed
address on 198.51.100.1; a wrong TURN password costs the relay and nothing else.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from typing import Any

import pytest
from lab import Lab, NatNet
from lab_coturn import Coturn
from lab_peers import USERS

pytestmark = [pytest.mark.interop, pytest.mark.needs("turnserver")]

ITEM_KEYS = {"flow", "transport", "address", "port", "typ", "pri", "fnd", "raddr", "item"}


@pytest.fixture
def coturn(lab: Lab, nat_net: NatNet) -> Coturn:
    """STUN/TURN for alice/alicepw@lab.test on 198.51.100.1:3478."""
    return Coturn(lab, nat_net.pub.ns, nat_net.pub.ipv4).start()


def addresses(
    lab: Lab, nat_net: NatNet, coturn: Coturn, password: str
) -> tuple[list[dict[str, Any]], str]:
    """Run `alexphone addresses --json` in a1; (items, stderr)."""
    secret = lab.workdir / "turn-password"
    secret.write_text(password)
    argv = [
        sys.executable, "-m", "alexphone", "addresses", "--json",
        "--listen", f"udp:{nat_net.a1.ipv4}:5060", "--stun", coturn.server,
        "--turn", coturn.uri, "--turn-user", "alice", "--turn-password-file", str(secret),
    ]  # fmt: skip
    done = lab.run(nat_net.a1.ns, argv, timeout=20)
    return [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def kinds(items: list[dict[str, Any]], flow: str) -> dict[str, list[dict[str, Any]]]:
    """The items of one flow grouped by typ."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if item["flow"] == flow:
            grouped.setdefault(item["typ"], []).append(item)
    return grouped


def test_addresses_learns_srflx_and_relay_behind_nat(
    lab: Lab, nat_net: NatNet, coturn: Coturn
) -> None:
    items, stderr = addresses(lab, nat_net, coturn, USERS["alice"])

    assert all(set(item) == ITEM_KEYS for item in items), items
    sip, media = kinds(items, "sip"), kinds(items, "m0.1")
    assert [i["address"] for i in sip["host"]] == [nat_net.a1.ipv4]
    assert [i["address"] for i in sip["srflx"]] == [nat_net.nat1.ipv4]
    assert sip["srflx"][0]["raddr"] == f"{nat_net.a1.ipv4}:5060"
    assert "relay" not in sip  # no TURN for signaling (docs/ALEX.md "Gathering")
    assert [i["address"] for i in media["srflx"]] == [nat_net.nat1.ipv4]
    (relay,) = media["relay"]
    assert relay["address"] == nat_net.pub.ipv4
    assert relay["raddr"].startswith(f"{nat_net.nat1.ipv4}:")
    assert relay["item"] == (
        f"m0.1 udp {nat_net.pub.ipv4}:{relay['port']};typ=relay;pri={relay['pri']}"
        f";fnd={relay['fnd']};raddr={relay['raddr']}"
    )
    # best first within a flow: host > srflx > relay (RFC 8445 §5.1.2.2)
    assert [i["typ"] for i in items if i["flow"] == "m0.1"] == ["host", "srflx", "relay"]
    assert "no relay" not in stderr


def test_wrong_turn_password_costs_only_the_relay(
    lab: Lab, nat_net: NatNet, coturn: Coturn
) -> None:
    items, stderr = addresses(lab, nat_net, coturn, "not-the-password")

    media = kinds(items, "m0.1")
    assert "relay" not in media
    assert [i["address"] for i in media["host"]] == [nat_net.a1.ipv4]
    assert [i["address"] for i in media["srflx"]] == [nat_net.nat1.ipv4]
    assert "m0.1: no relay from turn:198.51.100.1:3478" in stderr


RELAY_SCRIPT = """
import asyncio, sys
from alexphone.net.turn_client import TurnSettings, allocate_relay

async def main():
    relay = await allocate_relay(TurnSettings((sys.argv[1], 3478), "alice", "alicepw"), 3.0)
    assert not isinstance(relay, str), relay
    got = asyncio.get_running_loop().create_future()
    relay.on_receive = lambda data, addr: got.done() or got.set_result((data, addr))
    relay.send(b"ping", (sys.argv[2], int(sys.argv[3])))
    data, addr = await asyncio.wait_for(got, 5)
    print("RELAYED", relay.relayed[0], relay.relayed[1], data.decode(), addr[0], flush=True)
    await relay.close()
    print("ACTIVE", relay.active)

asyncio.run(main())
"""


def test_relay_carries_datagrams_both_ways_and_is_freed(
    lab: Lab, nat_net: NatNet, coturn: Coturn
) -> None:
    peer = lab.socket(nat_net.pub.ns, socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((nat_net.pub_ipv4_alt, 0))
    peer.settimeout(15)
    seen: list[tuple[bytes, tuple[str, int]]] = []

    def echo() -> None:
        try:
            data, source = peer.recvfrom(2048)
        except OSError:
            return
        seen.append((data, source))
        peer.sendto(b"pong", source)

    worker = threading.Thread(target=echo, daemon=True)
    worker.start()
    try:
        argv = [sys.executable, "-c", RELAY_SCRIPT, nat_net.pub.ipv4, *map(str, peer.getsockname())]
        done = lab.run(nat_net.a1.ns, argv, timeout=20)
    finally:
        worker.join(16)
        peer.close()

    relayed = done.stdout.split("RELAYED ", 1)[1].splitlines()[0].split()
    assert relayed[0] == nat_net.pub.ipv4 and relayed[2:] == ["pong", nat_net.pub_ipv4_alt]
    assert seen[0][0] == b"ping" and seen[0][1] == (nat_net.pub.ipv4, int(relayed[1]))
    assert "ACTIVE False" in done.stdout  # the allocation was given back at close


def test_addresses_announces_the_ipv6_audio_pair_of_a_dual_stack_phone(
    lab: Lab, nat_net: NatNet, coturn: Coturn
) -> None:
    # A phone listening on IPv4 and IPv6 opens an IPv6 RTP pair beside the IPv4 one
    # (media_family.py); `addresses` must show what such a call announces: both families,
    # the routed IPv6 host first (docs/ALEX.md "Gathering"), srflx only for IPv4 here.
    argv = [
        sys.executable, "-m", "alexphone", "addresses", "--json",
        "--listen", f"udp:{nat_net.a1.ipv4}:5060", "--listen", f"udp:[{nat_net.a1.ipv6}]:5060",
        "--stun", coturn.server,
    ]  # fmt: skip
    done = lab.run(nat_net.a1.ns, argv, timeout=20)
    items = [json.loads(line) for line in done.stdout.splitlines()]
    media = [i for i in items if i["flow"] == "m0.1"]
    assert [(i["typ"], i["address"]) for i in media] == [
        ("host", nat_net.a1.ipv6),
        ("host", nat_net.a1.ipv4),
        ("srflx", nat_net.nat1.ipv4),
    ], media
    v6_port, v4_port = media[0]["port"], media[1]["port"]
    assert v6_port % 2 == 0 and v4_port % 2 == 0  # RTP on even ports (RFC 3550 §11)
    sip_hosts = [i["address"] for i in items if i["flow"] == "sip" and i["typ"] == "host"]
    assert sip_hosts == [nat_net.a1.ipv6, nat_net.a1.ipv4]
