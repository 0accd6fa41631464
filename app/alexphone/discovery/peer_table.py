"""The live table of SIP peers seen through DNS-SD; time is passed in, nothing here does I/O.

One peer is one instance name (RFC 6763 §4.1); it may publish several service
types (`_sip._udp`, `_sip._tcp`, `_sipuri._udp`), each kept as its own record
with its own expiry. The peer goes away when its last record is removed
(goodbye, RFC 6762 §10.1) or expires.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from alexphone.discovery.txt_record import PeerRole, TxtRecord
from alexphone.net.interfaces import InterfaceAddress, on_local_subnet
from alexphone.sip.uri import SipUri

DEFAULT_TTL = 4500.0  # RFC 6762 §10: the TTL of PTR/SRV/TXT records
# Which service record speaks for the peer when it publishes several.
_PREFERENCE = ("_sip._udp.local.", "_sip._tcp.local.", "_sipuri._udp.local.")


class ChangeKind(Enum):
    """How the table changed."""

    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One resolved DNS-SD service instance: SRV target and port, addresses, TXT."""

    service_type: str  # "_sip._udp.local."
    server: str  # "alice-laptop.local."
    port: int
    addresses: tuple[str, ...]  # IPv6 link-local with "%scope"
    txt: TxtRecord

    @property
    def transport(self) -> str:
        """Return the SIP transport the service type names ("udp" or "tcp")."""
        return "tcp" if "._tcp." in self.service_type else "udp"


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer as the faces see it: its name and every record it published."""

    name: str
    records: tuple[ServiceRecord, ...]

    @property
    def primary(self) -> ServiceRecord:
        """Return the record that speaks for the peer (UDP first)."""
        return min(self.records, key=_rank)

    @property
    def addresses(self) -> tuple[str, ...]:
        """Return every address of every record, in order, without repeats."""
        return tuple(dict.fromkeys(a for r in sorted(self.records, key=_rank) for a in r.addresses))

    @property
    def txt(self) -> TxtRecord:
        """Return the primary record's TXT."""
        return self.primary.txt

    @property
    def role(self) -> PeerRole:
        """Return what the peer offers (ua, proxy, registrar)."""
        return self.txt.role

    def uri(self) -> str:
        """Return the peer's SIP URI: its TXT contact, else one built from SRV and address."""
        if self.txt.contact:
            return self.txt.contact
        target = self.target(self.addresses[:1])
        return str(target) if target is not None else f"sip:{self.primary.server.rstrip('.')}"

    def target(self, addresses: Iterable[str]) -> SipUri | None:
        """Return a URI to call the peer at the first of ``addresses`` (None if empty)."""
        record = self.primary
        for address in addresses:
            user = record.txt.user or None
            uri = SipUri(host=address.split("%")[0], user=user, port=record.port)
            return uri.with_params(transport="tcp") if record.transport == "tcp" else uri
        return None

    def callable_addresses(self, local: Iterable[InterfaceAddress]) -> list[str]:
        """Return the addresses on one of our subnets (link-local ones always count)."""
        networks = list(local)
        found: list[str] = []
        for address in self.addresses:
            try:
                ip = ipaddress.ip_address(address.split("%")[0])
            except ValueError:
                continue
            if (ip.is_link_local and "%" in address) or on_local_subnet(address, networks):
                found.append(address)
        return found


@dataclass(frozen=True, slots=True)
class PeerChange:
    """One change of the table, for peer.added / peer.removed events."""

    kind: ChangeKind
    peer: Peer


def _rank(record: ServiceRecord) -> int:
    try:
        return _PREFERENCE.index(record.service_type.lower())
    except ValueError:
        return len(_PREFERENCE)


class PeerTable:
    """Peers keyed by instance name (case-insensitive), each record with an expiry."""

    def __init__(self, ttl: float = DEFAULT_TTL) -> None:
        self.ttl = ttl
        self._names: dict[str, str] = {}  # folded name -> name as published
        self._records: dict[str, dict[str, tuple[ServiceRecord, float]]] = {}
        self._expired: deque[PeerChange] = deque()

    def update(
        self, name: str, record: ServiceRecord, now: float, ttl: float | None = None
    ) -> PeerChange | None:
        """Add or refresh one record; return the change (None if nothing visible changed)."""
        key = name.casefold()
        records = self._records.setdefault(key, {})
        before = self._peer(key) if records else None
        self._names[key] = name
        records[record.service_type.lower()] = (record, now + (self.ttl if ttl is None else ttl))
        after = self._peer(key)
        if before is None:
            return PeerChange(ChangeKind.ADDED, after)
        return None if before == after else PeerChange(ChangeKind.UPDATED, after)

    def remove(self, name: str, service_type: str) -> PeerChange | None:
        """Drop one record (a goodbye); return REMOVED when it was the peer's last."""
        key = name.casefold()
        records = self._records.get(key)
        if not records or service_type.lower() not in records:
            return None
        before = self._peer(key)
        del records[service_type.lower()]
        return self._settle(key, records, before)

    def expire(self, now: float) -> list[PeerChange]:
        """Drop every record whose TTL ran out at ``now``; return the changes."""
        changes: list[PeerChange] = []
        for key, records in list(self._records.items()):
            stale = [t for t, (_, deadline) in records.items() if deadline <= now]
            if not stale:
                continue
            before = self._peer(key)
            for service_type in stale:
                del records[service_type]
            changes.append(self._settle(key, records, before))
        return changes

    def get_timer(self) -> float | None:
        """Return the earliest record deadline, None when the table is empty."""
        deadlines = [d for records in self._records.values() for _, d in records.values()]
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        """Expire what ran out at ``now``; the changes wait in ``next_change``."""
        self._expired.extend(self.expire(now))

    def next_change(self) -> PeerChange | None:
        """Return the next change ``handle_timer`` made, None when none is left."""
        return self._expired.popleft() if self._expired else None

    def get(self, name: str) -> Peer | None:
        """Return the peer with this instance name (any case), None if unknown."""
        key = name.casefold()
        return self._peer(key) if self._records.get(key) else None

    def find(self, text: str) -> Peer | None:
        """Return the peer named ``text``: its instance name, else its host name.

        The TXT ``name`` is not used: after a conflict two peers share it (RFC 6762 §9).
        """
        if (peer := self.get(text)) is not None:
            return peer
        folded = text.casefold().rstrip(".")
        for peer in self.peers():
            if folded in {r.server.casefold().rstrip(".") for r in peer.records}:
                return peer
        return None

    def peers(self) -> list[Peer]:
        """Return every peer, sorted by name."""
        return sorted((self._peer(k) for k, r in self._records.items() if r), key=_name_key)

    def _peer(self, key: str) -> Peer:
        records = tuple(r for r, _ in self._records[key].values())
        return Peer(self._names[key], tuple(sorted(records, key=_rank)))

    def _settle(
        self, key: str, records: dict[str, tuple[ServiceRecord, float]], before: Peer
    ) -> PeerChange:
        """Report UPDATED while records remain, else forget the peer (REMOVED, last state)."""
        if records:
            return PeerChange(ChangeKind.UPDATED, self._peer(key))
        del self._records[key]
        del self._names[key]
        return PeerChange(ChangeKind.REMOVED, before)


def _name_key(peer: Peer) -> str:
    return peer.name.casefold()
