"""The ALEX cache model (docs/ALEX.md "ALEX cache"): keys, outcomes, lifetimes, network fingerprint.

An entry says how a pair of addresses fared with one peer on one local network. A success
under 120 s old lets the pair be nominated after a single authenticated probe; up to 24 h it
only moves the pair to the front; a failure under 60 s pushes it back. Entries made on another
network (another fingerprint) are ignored, never deleted: the laptop may come back.
Times are wall-clock seconds (the cache outlives the process); the caller passes ``now``.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from alexphone.alex.candidate import format_hostport, parse_hostport
from alexphone.core.address import Address
from alexphone.core.errors import ParseError


class Outcome(Enum):
    """What the last probe of the pair showed."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class CacheUse(Enum):
    """What an entry is good for now."""

    NOMINATE = "nominate"  # first, unfrozen, nominated after one authenticated probe
    ORDER = "order"  # first, checked as usual
    AVOID = "avoid"  # recently failed: last
    EXPIRED = "expired"  # ignore (and may be deleted)


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """Lifetimes in seconds (docs/ALEX.md "ALEX cache")."""

    nominate_for: float = 120.0
    order_for: float = 24 * 3600.0
    failure_for: float = 60.0


@dataclass(frozen=True, slots=True)
class CacheKey:
    """Peer instance (or AOR), flow, local base and remote, each "ip:port/transport", network."""

    peer: str
    flow: str
    local: str
    remote: str
    network: str


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One cached outcome."""

    key: CacheKey
    outcome: Outcome
    updated: float  # wall-clock time of the last probe result
    last_success: float | None = None
    rtt: float | None = None  # seconds

    def use(self, now: float, policy: CachePolicy | None = None) -> CacheUse:
        """Classify the entry at ``now`` under ``policy``."""
        policy = policy if policy is not None else CachePolicy()
        if self.outcome is Outcome.FAILED:
            return CacheUse.AVOID if now - self.updated < policy.failure_for else CacheUse.EXPIRED
        seen = self.last_success if self.last_success is not None else self.updated
        if now - seen < policy.nominate_for:
            return CacheUse.NOMINATE
        return CacheUse.ORDER if now - seen < policy.order_for else CacheUse.EXPIRED


def endpoint(address: Address, transport: str = "udp") -> str:
    """Key text of a transport address: "192.0.2.1:5060/udp", "[2001:db8::1]:5060/udp"."""
    return f"{format_hostport(address)}/{transport.lower()}"


def parse_endpoint(text: str) -> tuple[Address, str]:
    """Inverse of ``endpoint``; ParseError if malformed."""
    hostport, slash, transport = text.rpartition("/")
    if not slash or not transport:
        raise ParseError(f"bad cache endpoint {text!r}")
    return parse_hostport(hostport), transport


def network_fingerprint(prefixes: Iterable[str], gateways: Iterable[str] = ()) -> str:
    """A short stable digest of the local network: interface prefixes and default gateways."""
    networks = sorted({str(ipaddress.ip_interface(p).network) for p in prefixes})
    routers = sorted({ipaddress.ip_address(g).compressed for g in gateways})
    text = "|".join(networks) + "#" + "|".join(routers)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def success(key: CacheKey, now: float, rtt: float | None) -> CacheEntry:
    """The entry recording a pair that answered an authenticated probe at ``now``."""
    return CacheEntry(key, Outcome.SUCCEEDED, now, now, rtt)


def failure(key: CacheKey, now: float, previous: CacheEntry | None = None) -> CacheEntry:
    """The entry recording a failed pair (an earlier success time is kept for the record)."""
    last = previous.last_success if previous is not None else None
    return CacheEntry(key, Outcome.FAILED, now, last, None)


def rank(
    entries: Iterable[CacheEntry], now: float, policy: CachePolicy | None = None
) -> list[CacheEntry]:
    """Usable entries, best first: nominate-able, then ordering hints by recency and RTT."""
    order = {CacheUse.NOMINATE: 0, CacheUse.ORDER: 1, CacheUse.AVOID: 2}
    usable = [(order[u], e) for e in entries if (u := e.use(now, policy)) in order]
    usable.sort(key=lambda t: (t[0], -(t[1].last_success or 0.0), t[1].rtt or 0.0))
    return [entry for _, entry in usable]
