"""A routed lab for moves between uplinks, and the far end's view of a handoff (tcpdump).

Topology (no NAT, so a plain SIP peer can reach whatever address we announce):

    m (the mover) ── eth0 10.0.1.2 ──┐
                  ╌╌ eth1 10.0.2.2 ╌╌┤ rt (router, 10.0.1.1 / 10.0.2.1 / 10.0.9.1)
                                     └── br9 ── srv 10.0.9.2 (Kamailio)
                                              └─ peer 10.0.9.3 (baresip, or another phone)

``add_uplink`` brings eth1 up with its own default route (a worse metric while eth0 lives),
``drop_uplink`` takes a link down (its routes go with it, as when Wi-Fi goes off).
Networks that cannot carry a call: ``add_ipv6_uplink`` gives eth1 only IPv6 (no IPv4 address
or route), ``close_portal`` makes the router drop every UDP and TCP packet of an uplink (a
captive portal before its login; ICMP still passes) until ``open_portal``.

``Capture`` runs tcpdump on every interface of a namespace; ``handoff`` reads it back: the
last RTP packet between the peer and our old address, the first with our new one, and what
the peer sent to the old address after that (lost to the move).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

from lab import Host, Lab, Process

_PACKET = re.compile(
    r"^(\d+\.\d+) .*?IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): UDP"
)
SIP_PORT = 5060
# RTP version 2 without RTCP's payload types (RFC 5761 §4): no checks, no consent, no RTCP
RTP_ONLY = "udp[8] & 0xc0 == 0x80 and (udp[9] & 0x7f < 64 or udp[9] & 0x7f > 95)"


@dataclass(frozen=True, slots=True)
class Uplinks:
    """The namespaces of the routed lab."""

    router: Host
    mover: Host  # on eth0 at first
    server: Host
    peer: Host


def uplinks_topology(lab: Lab) -> Uplinks:
    """Build the routed lab of the module doc; the mover starts on eth0 (10.0.1.2)."""
    router = Host(lab.namespace("rt"), "10.0.9.1", "")
    lab.sysctl(router.ns, "net.ipv4.ip_forward=1")
    lab.bridge(router.ns, "br9")
    lab.address(router.ns, "br9", "10.0.9.1/24")
    hosts = []
    for role, ip in (("srv", "10.0.9.2"), ("peer", "10.0.9.3")):
        host = Host(lab.namespace(role), ip, "")
        lab.veth(host.ns, "eth0", router.ns, f"p-{role}", master="br9")
        lab.address(host.ns, "eth0", f"{ip}/24")
        lab.ip(host.ns, "route", "add", "default", "via", "10.0.9.1")
        hosts.append(host)
    mover = Host(lab.namespace("m"), "10.0.1.2", "")
    net = Uplinks(router, mover, hosts[0], hosts[1])
    add_uplink(lab, net, "eth0", lan=1, metric=0)
    return net


def add_uplink(lab: Lab, net: Uplinks, name: str = "eth1", lan: int = 2, metric: int = 200) -> str:
    """Give the mover a new uplink on 10.0.<lan>.0/24 with a default route; its address."""
    lab.veth(net.mover.ns, name, net.router.ns, f"p-m{lan}")
    lab.address(net.router.ns, f"p-m{lan}", f"10.0.{lan}.1/24")
    address = f"10.0.{lan}.2"
    lab.address(net.mover.ns, name, f"{address}/24")
    gateway = ["via", f"10.0.{lan}.1", "dev", name, "metric", str(metric)]
    lab.ip(net.mover.ns, "route", "add", "default", *gateway)
    return address


def raise_uplink(lab: Lab, net: Uplinks, name: str, lan: int, metric: int) -> str:
    """Bring the mover's uplink ``name`` (10.0.<lan>.0/24) up again, or for the first time,
    with a default route of ``metric``; its address."""
    done = lab.run(net.mover.ns, ["ip", "link", "show", name], check=False)
    if done.returncode != 0:
        return add_uplink(lab, net, name, lan, metric)
    lab.ip(net.mover.ns, "link", "set", name, "up")
    gateway = ["via", f"10.0.{lan}.1", "dev", name, "metric", str(metric)]
    lab.ip(net.mover.ns, "route", "replace", "default", *gateway)
    return f"10.0.{lan}.2"


def add_ipv6_uplink(lab: Lab, net: Uplinks, name: str = "eth1", lan: int = 2) -> str:
    """Give the mover an uplink with only IPv6 (fd00:<lan>::2/64, an IPv6 default route, no
    IPv4 address or route); its address."""
    lab.veth(net.mover.ns, name, net.router.ns, f"p-m{lan}")
    lab.sysctl(net.router.ns, "net.ipv6.conf.all.forwarding=1")
    lab.address(net.router.ns, f"p-m{lan}", f"fd00:{lan}::1/64")
    address = f"fd00:{lan}::2"
    lab.address(net.mover.ns, name, f"{address}/64")
    lab.ip(net.mover.ns, "-6", "route", "add", "default", "via", f"fd00:{lan}::1", "dev", name)
    return address


def close_portal(lab: Lab, net: Uplinks, lan: int = 2) -> None:
    """The router drops all UDP and TCP to and from the mover's uplink on 10.0.<lan>.0/24."""
    rules = [
        "add table inet portal",
        "add chain inet portal forward { type filter hook forward priority 0; }",
        f"add rule inet portal forward iifname p-m{lan} meta l4proto {{ tcp, udp }} drop",
        f"add rule inet portal forward oifname p-m{lan} meta l4proto {{ tcp, udp }} drop",
    ]
    for rule in rules:
        lab.run(net.router.ns, ["nft", *rule.split()])


def open_portal(lab: Lab, net: Uplinks) -> None:
    """Let the mover's traffic through again (the portal's login went through)."""
    lab.run(net.router.ns, ["nft", "delete", "table", "inet", "portal"])


def drop_uplink(lab: Lab, net: Uplinks, name: str = "eth0") -> None:
    """Take the mover's link down: its address stops working and its routes go."""
    lab.ip(net.mover.ns, "link", "set", name, "down")


class Capture:
    """tcpdump of RTP (no SIP, STUN or RTCP) on every interface of ``ns``, with timestamps."""

    def __init__(self, lab: Lab, ns: str, name: str, seconds: float = 120.0) -> None:
        self.path = lab.workdir / f"{name}.tcpdump.txt"
        argv = ["tcpdump", "-i", "any", "-n", "-tt", "-l", "-q"]
        argv += [f"udp and not port {SIP_PORT} and {RTP_ONLY}"]
        self.process: Process = lab.spawn(ns, argv, self.path, timeout=seconds)
        deadline = time.monotonic() + 10
        while "listening on" not in self.text() and time.monotonic() < deadline:
            time.sleep(0.05)  # tcpdump says so on stderr once it captures

    def text(self) -> str:
        """What tcpdump wrote so far."""
        return self.path.read_text(errors="replace") if self.path.exists() else ""

    def stop(self) -> list[tuple[float, str, str]]:
        """Stop tcpdump; every packet as (time, source ip, destination ip)."""
        self.process.stop()
        packets = []
        for line in self.text().splitlines():
            match = _PACKET.match(line)
            if match is not None:
                packets.append((float(match[1]), match[2], match[4]))
        return packets


@dataclass(frozen=True, slots=True)
class Handoff:
    """One direction of a move, as seen in a capture."""

    last_old: float  # the last packet with our old address
    first_new: float  # the first with our new address
    new_packets: int  # packets with our new address

    @property
    def gap_ms(self) -> float:
        """From the last packet on the old path to the first on the new one."""
        return (self.first_new - self.last_old) * 1000


def handoff(
    packets: list[tuple[float, str, str]], old: str, new: str, peer: str, *, to_peer: bool
) -> Handoff:
    """The handoff between ``peer`` and us (old -> new address), one direction."""

    def ours(source: str, destination: str, address: str) -> bool:
        pair = (address, peer) if to_peer else (peer, address)
        return (source, destination) == pair

    old_times = [t for t, s, d in packets if ours(s, d, old)]
    new_times = [t for t, s, d in packets if ours(s, d, new)]
    assert old_times and new_times, (old, new, peer, to_peer, len(packets))
    return Handoff(max(old_times), min(new_times), len(new_times))


def longest_silence(
    packets: list[tuple[float, str, str]], peer: str, start: float, end: float, *, to_peer: bool
) -> float:
    """The longest wait (ms) within [start, end] between RTP packets of one direction
    (to ``peer`` from any address of ours, or back): the silence the far end hears."""
    chosen = sorted(
        t for t, s, d in packets if start < t < end and (d == peer if to_peer else s == peer)
    )
    stamps = [start, *chosen, end]
    return max(b - a for a, b in itertools.pairwise(stamps)) * 1000


def sent_after(packets: list[tuple[float, str, str]], source: str, to: str, since: float) -> int:
    """Packets ``source`` sent to ``to`` after ``since`` (lost when ``to`` is gone)."""
    return sum(1 for t, s, d in packets if s == source and d == to and t > since)
