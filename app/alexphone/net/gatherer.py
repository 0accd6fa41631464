"""Host, server-reflexive and relayed candidates on real sockets (docs/ALEX.md "Gathering").

Each ``SocketBase`` is one bound socket of one flow. Its host candidates are the socket's own
address, or every interface address of its family when it is bound to the wildcard (loopback
never; link-local only when asked, i.e. toward a link-local peer). Its server-reflexive
candidate comes from a mapping already known (the ``received``/``rport`` a registrar wrote into
our REGISTER's Via, RFC 3581 §4) or from a STUN Binding sent from that very socket through its
``StunClient``. Media flows may also get a TURN relayed candidate (aioice, own socket); ``sip``
never does (the proxy path is the signaling relay). All of it runs concurrently and bounded:
STUN 1.5 s, TURN 3 s by default. A failure leaves out what it could not find and is reported
as a ``GatheringFailed`` value; it never fails the call. Without ``stun`` but with ``turn``,
the TURN server answers the Binding requests (every TURN server is a STUN server, RFC 8656 §2).
The pure part (priorities, foundations, redundancy) lives in ``alexphone.alex.gathering``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from alexphone.alex.candidate import (
    Candidate,
    CandidateType,
    candidate_priority,
    flow_component,
)
from alexphone.alex.gathering import (
    HostAddress,
    host_candidates,
    local_preference,
    reflexive_candidate,
    relayed_candidate,
)
from alexphone.core.address import Address
from alexphone.net import interfaces
from alexphone.net.source_address import source_address
from alexphone.net.stun_client import StunClient, resolve_server
from alexphone.net.turn_client import RelayAllocation, TurnSettings, allocate_relay

log = logging.getLogger(__name__)

STUN_TIMEOUT = 1.5
TURN_TIMEOUT = 3.0
Interfaces = Callable[[], Sequence[interfaces.InterfaceAddress]]


@dataclass(frozen=True, slots=True)
class SocketBase:
    """One bound socket of a flow, and how to learn its public mapping."""

    flow: str  # "sip" or "m<line>.<component>"
    local: Address  # bound address; 0.0.0.0 or :: stands for every interface of the family
    transport: str = "udp"
    stun: StunClient | None = None  # sends from this socket; None: no STUN for it
    reflexive: Address | None = None  # a mapping already known (REGISTER received/rport)
    relay: bool = False  # also allocate a TURN relayed address for this flow (media only)


@dataclass(frozen=True, slots=True)
class GatheringFailed:
    """A server-reflexive or relayed candidate could not be found (the call goes on without)."""

    flow: str
    kind: CandidateType  # SRFLX or RELAY
    server: str
    reason: str


@dataclass(slots=True)
class Gathered:
    """What gathering found; holds the live TURN allocations until ``close``."""

    candidates: list[Candidate] = field(default_factory=list)
    relays: dict[str, RelayAllocation] = field(default_factory=dict)
    problems: list[GatheringFailed] = field(default_factory=list)

    async def close(self) -> None:
        """Free every TURN allocation (at call end)."""
        relays, self.relays = list(self.relays.values()), {}
        await asyncio.gather(*(relay.close() for relay in relays))


class Gatherer:
    """Gathers the candidates of a call's sockets with the configured STUN and TURN servers."""

    def __init__(
        self,
        stun: Address | None = None,
        turn: TurnSettings | None = None,
        *,
        stun_timeout: float = STUN_TIMEOUT,
        turn_timeout: float = TURN_TIMEOUT,
        interfaces: Interfaces = interfaces.local_addresses,
    ) -> None:
        self.stun = stun if stun is not None else (turn.server if turn is not None else None)
        self.turn = turn
        self.stun_timeout = stun_timeout
        self.turn_timeout = turn_timeout
        self._interfaces = interfaces

    async def gather(
        self, bases: Sequence[SocketBase], *, include_link_local: bool = False
    ) -> Gathered:
        """Gather every base concurrently; never raises for a server that fails or is silent."""
        found = Gathered()
        listed = [
            HostAddress(a.interface, a.address) for a in self._interfaces() if not a.ip.is_loopback
        ]
        await asyncio.gather(*(self._one(b, listed, include_link_local, found) for b in bases))
        unique: dict[tuple[str, str, Address], Candidate] = {}
        for candidate in sorted(found.candidates, key=lambda c: -c.priority):
            # RFC 8445 §5.1.3: the same transport address twice is redundant; keep the best
            unique.setdefault((candidate.flow, candidate.transport, candidate.address), candidate)
        found.candidates = sorted(
            unique.values(), key=lambda c: (c.flow != "sip", c.flow, -c.priority)
        )
        for problem in found.problems:
            log.info(
                "gathering %s: no %s candidate from %s: %s",
                problem.flow,
                problem.kind.value,
                problem.server,
                problem.reason,
            )
        return found

    async def _one(
        self,
        base: SocketBase,
        listed: list[HostAddress],
        include_link_local: bool,
        found: Gathered,
    ) -> None:
        host, port = base.local
        version = ipaddress.ip_address(host.partition("%")[0]).version
        if ipaddress.ip_address(host.partition("%")[0]).is_unspecified:
            own = [a for a in listed if ipaddress.ip_address(a.ip).version == version]
        else:
            own = [HostAddress("bound", host)]
        hosts = host_candidates(
            base.flow, base.transport, port, own, include_link_local=include_link_local
        )
        found.candidates.extend(hosts)
        jobs = [self._reflexive(base, hosts, version, found)]
        if base.relay and base.flow != "sip" and self.turn is not None:
            jobs.append(self._relayed(base, self.turn, found))
        await asyncio.gather(*jobs)

    async def _reflexive(
        self, base: SocketBase, hosts: list[Candidate], version: int, found: Gathered
    ) -> None:
        if base.reflexive is not None:
            origin = _base_candidate(base, hosts, None)
            mapped = base.reflexive
            server = "registrar"
        elif self.stun is not None and base.stun is not None:
            family = socket.AF_INET6 if version == 6 else socket.AF_INET
            server_address = await resolve_server(self.stun, family)
            if server_address is None:
                log.debug("no IPv%d address for STUN server %s", version, self.stun[0])
                return
            server = f"stun:{self.stun[0]}:{self.stun[1]}"
            origin = _base_candidate(base, hosts, server_address[0])
            answer = await base.stun.binding(server_address, self.stun_timeout)
            if answer is None:
                reason = f"no answer within {self.stun_timeout:g} s"
                found.problems.append(
                    GatheringFailed(base.flow, CandidateType.SRFLX, server, reason)
                )
                return
            mapped = answer
        else:
            return
        candidate = reflexive_candidate(origin, mapped, server)
        if candidate is not None:
            found.candidates.append(candidate)

    async def _relayed(self, base: SocketBase, turn: TurnSettings, found: Gathered) -> None:
        outcome = await allocate_relay(turn, self.turn_timeout)
        if isinstance(outcome, str):
            found.problems.append(
                GatheringFailed(base.flow, CandidateType.RELAY, turn.label, outcome)
            )
            return
        found.relays[base.flow] = outcome
        found.candidates.append(
            relayed_candidate(
                base.flow, base.transport, outcome.relayed, outcome.mapped, turn.label
            )
        )


def _base_candidate(base: SocketBase, hosts: list[Candidate], toward: str | None) -> Candidate:
    """The host candidate packets to ``toward`` leave from (made up if it is not announced)."""
    host, port = base.local
    ip = ipaddress.ip_address(host.partition("%")[0])
    if ip.is_unspecified:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        ip = ipaddress.ip_address(source_address(toward, family))
    for candidate in hosts:
        if candidate.address == (ip.compressed, port):
            return candidate
    # e.g. bound to loopback toward a loopback server: the base exists, it is just not announced
    preference = candidate_priority(
        CandidateType.HOST.preference,
        local_preference(ip.compressed, len(hosts)),
        flow_component(base.flow),
    )
    return Candidate(
        base.flow, base.transport, (ip.compressed, port), CandidateType.HOST, preference, "b"
    )
