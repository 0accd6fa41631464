"""One-shot look-ups the faces offer beside a running phone (``alexphone peers``,
``resolve``, ``addresses``, ``cache``): LAN peers, RFC 3263 targets, the addresses a
call would announce, and the profile's ALEX cache.

Results are the engine contract's types; the faces only print them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from alexphone.core.address import Address
from alexphone.discovery.resolver import SipResolver
from alexphone.engine.alexcall.gathering import address_lines, gather_addresses
from alexphone.engine.events import (
    CacheOutcome,
    Event,
    Flow,
    PeerAdded,
    PeerRemoved,
    ProxyDiscovered,
)
from alexphone.engine.lan_discovery import browse_peers
from alexphone.engine.settings import PhoneSettings, sip_uri_option
from alexphone.net.gatherer import Gathered
from alexphone.store.alex_cache import AlexCacheStore
from alexphone.store.database import DATABASE_NAME, open_database


class PathUse(Enum):
    """What a cached path is good for now (docs/ALEX.md "ALEX cache")."""

    NOMINATE = "nominate"  # tried first and nominated by its first check
    ORDER = "order"  # tried first, checked as usual
    AVOID = "avoid"  # failed recently: tried last
    EXPIRED = "expired"  # ignored


@dataclass(frozen=True, slots=True)
class ResolvedTarget:
    """One place a request to the URI goes, in the order RFC 3263 tries them."""

    transport: str  # udp|tcp|tls
    host: str  # the name the address came from
    port: int
    address: str

    def to_json(self) -> dict[str, object]:
        """Return the target as JSON-ready values."""
        return {
            "transport": self.transport,
            "host": self.host,
            "port": self.port,
            "address": self.address,
        }


@dataclass(frozen=True, slots=True)
class CachedPath:
    """One ALEX cache entry and what it is good for at the time it was read."""

    peer: str
    flow: Flow
    local: str
    remote: str
    network: str
    outcome: CacheOutcome
    use: PathUse
    age_s: float
    rtt_ms: float | None

    def to_json(self) -> dict[str, object]:
        """Return the entry as JSON-ready values (enums as their strings)."""
        return {
            "peer": self.peer,
            "flow": self.flow.value,
            "local": self.local,
            "remote": self.remote,
            "network": self.network,
            "outcome": self.outcome.value,
            "use": self.use.value,
            "age_s": self.age_s,
            "rtt_ms": self.rtt_ms,
        }


@dataclass(frozen=True, slots=True)
class AddressReport:
    """What a call would announce now, and the STUN/TURN servers that did not answer."""

    gathered: Gathered
    problems: tuple[str, ...]  # "FLOW: no srflx from SERVER: REASON"

    def lines(self, as_json: bool) -> list[str]:
        """Return one line per candidate: its ALEX-item header line, or a JSON object."""
        return address_lines(self.gathered, as_json)


async def resolve_targets(uri: str, dns_server: Address | None) -> tuple[ResolvedTarget, ...]:
    """Return the RFC 3263 targets of ``uri`` (ConfigError if it is not a SIP URI)."""
    resolution = await SipResolver(dns_server).resolve(sip_uri_option(uri, "URI"))
    return tuple(
        ResolvedTarget(t.transport.value, t.host, t.port, t.address) for t in resolution.targets
    )


async def announced_addresses(settings: PhoneSettings) -> AddressReport:
    """Gather for real from throwaway sockets on ``settings.listen`` with its STUN/TURN."""
    gathered = await gather_addresses(settings)
    problems = tuple(
        f"{p.flow}: no {p.kind.value} from {p.server}: {p.reason}" for p in gathered.problems
    )
    return AddressReport(gathered, problems)


async def browse_lan(
    settings: PhoneSettings, emit: Callable[[Event], None], duration: float
) -> tuple[PeerAdded, ...]:
    """Browse DNS-SD for ``duration`` s without advertising; return the peers seen at the end.

    ``emit`` hears each peer once (again only when what it publishes changes, or after it
    left), however many service types it publishes, and each proxy once.
    """
    once = OncePerPeer(emit)
    found = await browse_peers(settings, once, duration)
    return tuple(event for event in found if isinstance(event, PeerAdded))


class OncePerPeer:
    """Passes an event on only when it tells something not told yet about its peer/proxy."""

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._told: dict[tuple[str, str], Event] = {}

    def __call__(self, event: Event) -> None:
        match event:
            case PeerAdded(peer=name):
                key = ("peer", name.casefold())
            case PeerRemoved(peer=name):
                if self._told.pop(("peer", name.casefold()), None) is not None:
                    self._emit(event)
                return
            case ProxyDiscovered(domain=domain, uri=uri):
                key = ("proxy", f"{domain} {uri}")
            case _:
                self._emit(event)
                return
        if self._told.get(key) != event:
            self._told[key] = event
            self._emit(event)


def alex_cache_paths(profile: Path, now: float) -> tuple[CachedPath, ...]:
    """Return the profile's ALEX cache entries (ConfigError if its database is unusable)."""
    connection = open_database(profile / DATABASE_NAME)
    try:
        entries = AlexCacheStore(connection).entries()
    finally:
        connection.close()
    return tuple(
        CachedPath(
            e.key.peer,
            Flow(e.key.flow),
            *(e.key.local, e.key.remote, e.key.network),
            CacheOutcome(e.outcome.value),
            PathUse(e.use(now).value),
            round(now - e.updated, 1),
            round(e.rtt * 1000, 2) if e.rtt is not None else None,
        )
        for e in entries
    )


def clear_alex_cache(profile: Path) -> int:
    """Delete every ALEX cache entry of the profile; return how many went."""
    connection = open_database(profile / DATABASE_NAME)
    try:
        return AlexCacheStore(connection).clear()
    finally:
        connection.close()
