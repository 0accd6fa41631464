"""Two check agents joined in memory through simulated NATs and a TURN server, on a fake clock.

The network model is small but faithful to what ICE logic depends on (RFC 4787 terms):
- a Site is a LAN (hosts by address) behind an optional Nat, or on the public side;
- a Nat maps an internal endpoint to a public port either per internal endpoint
  (endpoint-independent mapping: "cone") or per (internal endpoint, destination)
  ("symmetric"), and filters inbound packets endpoint-independently ("full cone"), per remote
  address, or per remote address and port ("port-restricted", the lab's NAT);
- IPv6 addresses are routed without NAT (as in the lab);
- a TURN server relays for its clients, with IP-only permissions installed when a client
  sends to a peer or announces the peer's candidates (RFC 8656 §9).
Every datagram takes ``latency`` seconds. ``AlexPair.run`` advances the clock to the next
timer or delivery until both agents completed or the deadline passed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum, auto

from alexphone.alex.candidate import Candidate
from alexphone.alex.checks import CheckAgent
from alexphone.alex.events import AgentEvent, PairSelected, Role
from alexphone.alex.gathering import (
    HostAddress,
    host_candidates,
    reflexive_candidate,
    relayed_candidate,
)
from alexphone.alex.pacing import ProbeBudget
from alexphone.alex.probe import CheckConfig, Credentials, Datagram
from alexphone.core.address import Address
from alexphone.core.clock import FakeClock

STUN_SERVER: Address = ("198.51.100.1", 3478)
TURN_IP = "198.51.100.2"


class Mapping(Enum):
    """NAT mapping behaviour (RFC 4787 §4.1)."""

    ENDPOINT_INDEPENDENT = auto()  # cone
    ADDRESS_PORT_DEPENDENT = auto()  # symmetric


class Filtering(Enum):
    """NAT filtering behaviour (RFC 4787 §5)."""

    ENDPOINT_INDEPENDENT = auto()  # full cone
    ADDRESS_DEPENDENT = auto()  # restricted cone
    ADDRESS_PORT_DEPENDENT = auto()  # port-restricted cone (and symmetric NATs)


@dataclass
class Nat:
    """An IPv4 NAPT with one public address."""

    public_ip: str
    mapping: Mapping = Mapping.ENDPOINT_INDEPENDENT
    filtering: Filtering = Filtering.ADDRESS_PORT_DEPENDENT
    _next_port: int = 40000
    _by_key: dict[object, int] = field(default_factory=dict)
    _internal: dict[int, Address] = field(default_factory=dict)
    _sent_to: dict[int, set[Address]] = field(default_factory=dict)

    def outbound(self, internal: Address, dest: Address) -> Address:
        """Translate a packet's source; creates the mapping and opens the filter."""
        key: object = internal if self.mapping is Mapping.ENDPOINT_INDEPENDENT else (internal, dest)
        port = self._by_key.get(key)
        if port is None:
            port = self._next_port
            self._next_port += 7
            self._by_key[key] = port
            self._internal[port] = internal
            self._sent_to[port] = set()
        self._sent_to[port].add(dest)
        return (self.public_ip, port)

    def inbound(self, port: int, source: Address) -> Address | None:
        """The internal destination of a packet to our public ``port``, None if filtered."""
        internal = self._internal.get(port)
        if internal is None:
            return None
        allowed = self._sent_to[port]
        if self.filtering is Filtering.ADDRESS_DEPENDENT:
            return internal if any(a[0] == source[0] for a in allowed) else None
        if self.filtering is Filtering.ADDRESS_PORT_DEPENDENT:
            return internal if source in allowed else None
        return internal


@dataclass
class Site:
    """A LAN (or the public side when ``nat`` is None)."""

    name: str
    nat: Nat | None = None


@dataclass
class Endpoint:
    """One agent on a site, with its interface addresses and media port."""

    name: str
    site: Site
    ips: list[str]
    role: Role
    port: int = 5004
    flows: tuple[str, ...] = ("m0.1",)
    stun: bool = True
    turn: bool = True
    tie_breaker: int | None = None
    config: CheckConfig = field(default_factory=CheckConfig)
    agent: CheckAgent = field(init=False)
    candidates: list[Candidate] = field(default_factory=list)
    relays: dict[Address, set[str]] = field(default_factory=dict)  # relayed address -> permits
    events: list[AgentEvent] = field(default_factory=list)
    timed_events: list[tuple[float, AgentEvent]] = field(default_factory=list)  # (when, event)
    received: int = 0

    def selected(self, flow: str = "m0.1") -> PairSelected | None:
        """The PairSelected event of ``flow``, if any."""
        for event in self.events:
            if isinstance(event, PairSelected) and event.flow == flow:
                return event
        return None


class AlexPair:
    """Joins two endpoints through the simulated network; drives both agents."""

    def __init__(self, a: Endpoint, b: Endpoint, *, latency: float = 0.010, seed: int = 1) -> None:
        self.a, self.b = a, b
        self.latency = latency
        self.clock = FakeClock(1000.0)
        self.budget = ProbeBudget()
        self._rng = random.Random(seed)
        self._in_flight: list[tuple[float, int, Endpoint, Address, Address, bytes]] = []
        self._seq = 0
        self.dropped = 0
        for endpoint, number in ((a, 1), (b, 2)):
            self._gather(endpoint, number)

    # -- set-up ------------------------------------------------------------------------------

    def _gather(self, endpoint: Endpoint, number: int) -> None:
        ufrag = f"ufrag{endpoint.name}"
        pwd = f"password{endpoint.name}".ljust(22, "x")
        tie_breaker = endpoint.tie_breaker
        if tie_breaker is None:
            tie_breaker = self._rng.getrandbits(64)
        endpoint.agent = CheckAgent(
            endpoint.role,
            Credentials(ufrag, pwd),
            tie_breaker,
            budget=self.budget,
            rng=random.Random(number),
            config=endpoint.config,
        )
        interfaces = [HostAddress("eth0", ip) for ip in endpoint.ips]
        found: list[Candidate] = []
        for index, flow in enumerate(endpoint.flows):
            port = endpoint.port + 2 * index
            hosts = host_candidates(flow, "udp", port, interfaces)
            found.extend(hosts)
            for host in hosts:
                if host.family != 4 or endpoint.site.nat is None:
                    continue
                if endpoint.stun:
                    mapped = endpoint.site.nat.outbound(host.address, STUN_SERVER)
                    srflx = reflexive_candidate(host, mapped, "stun")
                    if srflx is not None:
                        found.append(srflx)
                if endpoint.turn:
                    relayed = (TURN_IP, 50000 + 100 * number + index)
                    mapped = endpoint.site.nat.outbound(host.address, (TURN_IP, 3478))
                    found.append(relayed_candidate(flow, "udp", relayed, mapped, "turn"))
                    endpoint.relays[relayed] = set()
        endpoint.candidates = found
        endpoint.agent.add_local_candidates(found)

    def exchange(self) -> None:
        """Give each agent the other's credentials and candidates (the offer/answer)."""
        for me, peer in ((self.a, self.b), (self.b, self.a)):
            me.agent.set_remote(peer.agent.local, list(peer.candidates))
            for permits in me.relays.values():
                permits.update(c.address[0] for c in peer.candidates)

    def start(self) -> None:
        """Exchange candidates and start both agents at the same instant."""
        self.exchange()
        now = self.clock()
        self.a.agent.start(now)
        self.b.agent.start(now)

    # -- network -----------------------------------------------------------------------------

    def _endpoints(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)

    def _send(self, sender: Endpoint, datagram: Datagram, now: float) -> None:
        base, dest = datagram.base, datagram.remote
        if base in sender.relays:
            sender.relays[base].add(dest[0])  # the TURN client installs a permission
            self._public(base, dest, datagram.data, now)
            return
        for peer in self._endpoints():
            if peer.site is sender.site and dest[0] in peer.ips:
                self._deliver(peer, dest, base, datagram.data, now)
                return
        nat = sender.site.nat
        if nat is not None and ":" not in base[0]:
            self._public(nat.outbound(base, dest), dest, datagram.data, now)
        else:
            self._public(base, dest, datagram.data, now)

    def _public(self, source: Address, dest: Address, data: bytes, now: float) -> None:
        for peer in self._endpoints():
            if dest in peer.relays:
                if source[0] in peer.relays[dest]:
                    self._deliver(peer, dest, source, data, now)
                else:
                    self.dropped += 1
                return
            nat = peer.site.nat
            if nat is not None and dest[0] == nat.public_ip:
                internal = nat.inbound(dest[1], source)
                if internal is not None and internal[0] in peer.ips:
                    self._deliver(peer, internal, source, data, now)
                    return
            elif (nat is None or ":" in dest[0]) and dest[0] in peer.ips:
                self._deliver(peer, dest, source, data, now)
                return
        self.dropped += 1  # private address off its LAN, or filtered by a NAT

    def _deliver(
        self, peer: Endpoint, base: Address, source: Address, data: bytes, now: float
    ) -> None:
        self._seq += 1
        self._in_flight.append((now + self.latency, self._seq, peer, base, source, data))

    # -- driving -----------------------------------------------------------------------------

    def _flush(self, now: float) -> None:
        for endpoint in self._endpoints():
            for datagram in endpoint.agent.datagrams_to_send(now):
                self._send(endpoint, datagram, now)
            while (event := endpoint.agent.next_event()) is not None:
                endpoint.events.append(event)
                endpoint.timed_events.append((now, event))

    def run(
        self, duration: float, *, until_selected: bool = True, max_steps: int = 100_000
    ) -> None:
        """Advance time by up to ``duration``; stop early once both sides selected every flow."""
        end = self.clock() + duration
        for _ in range(max_steps):
            now = self.clock()
            self._flush(now)
            if until_selected and self.all_selected():
                return
            times = [t for e in self._endpoints() if (t := e.agent.get_timer()) is not None]
            times += [item[0] for item in self._in_flight]
            if not times or min(times) > end:
                self.clock.now = end
                return
            self.clock.now = max(now, min(times))
            now = self.clock()
            due = sorted(item for item in self._in_flight if item[0] <= now)
            self._in_flight = [item for item in self._in_flight if item[0] > now]
            for _, _, peer, base, source, data in due:
                peer.received += 1
                peer.agent.receive(data, base, source, now)
            for endpoint in self._endpoints():
                timer = endpoint.agent.get_timer()
                if timer is not None and timer <= now:
                    endpoint.agent.handle_timer(now)
        raise AssertionError("simulation did not settle")

    def all_selected(self) -> bool:
        """Tell whether both endpoints selected a pair for each of their flows."""
        return all(e.selected(f) is not None for e in self._endpoints() for f in e.flows)
