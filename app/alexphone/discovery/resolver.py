"""Locating SIP servers (RFC 3263 §4) with dnspython's asyncio resolver.

Numeric host → that address. Host with a port → A/AAAA. Otherwise NAPTR
(SIP+D2U, SIP+D2T, SIPS+D2T by order, then preference) → SRV in RFC 2782
order (``processing_order()``) → A/AAAA; no NAPTR → SRV per transport; no SRV
→ A/AAAA on the default port. ``transport=`` skips NAPTR; ``sips:`` means TLS.
A timeout or SERVFAIL at one step falls back to the next (RFC 3263 §4.1) and is
reported in ``Resolution.problems``; an unknown domain raises ResolutionError.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, TransportError
from alexphone.net.transport import TransportKind
from alexphone.sip.uri import SipUri

DEFAULT_PORTS = {TransportKind.UDP: 5060, TransportKind.TCP: 5060, TransportKind.TLS: 5061}
# RFC 3263 §4.1 / RFC 3263 Table: NAPTR service field → transport (SCTP is not supported)
NAPTR_SERVICES = {
    "SIP+D2U": TransportKind.UDP,
    "SIP+D2T": TransportKind.TCP,
    "SIPS+D2T": TransportKind.TLS,
}
SRV_PREFIX = {
    TransportKind.UDP: "_sip._udp.",
    TransportKind.TCP: "_sip._tcp.",
    TransportKind.TLS: "_sips._tcp.",
}


class ResolutionError(TransportError):
    """No target could be found for a URI (unknown domain, or DNS failed throughout)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One place to send a request, in the order it should be tried."""

    transport: TransportKind
    host: str  # the name the address came from (SRV target or the URI's host)
    port: int
    address: str

    def to_json(self) -> dict[str, object]:
        """Return the target as JSON-ready values."""
        return {
            "transport": self.transport.value,
            "host": self.host,
            "port": self.port,
            "address": self.address,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """The targets for a URI and the DNS failures met on the way."""

    targets: tuple[Target, ...]
    problems: tuple[str, ...] = ()


def parse_nameserver(text: str) -> Address:
    """Parse ``HOST:PORT`` / ``[V6]:PORT`` / ``HOST`` (port 53); ConfigError if invalid."""
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(rest.removeprefix(":"), text)
    elif text.count(":") == 1:
        host, _, rest = text.partition(":")
        port = _port(rest, text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"--dns-server {text!r}: give an IP address, e.g. 127.0.0.1:53") from None
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"--dns-server {whole!r}: bad port")
    return int(text)


def naptr_order(
    records: Iterable[Any], *, sips: bool, transports: Iterable[TransportKind]
) -> list[tuple[TransportKind, str]]:
    """Return (transport, SRV name) from NAPTR records by order, then preference (RFC 3403 §4.1)."""
    usable = set(transports)
    chosen: list[tuple[int, int, TransportKind, str]] = []
    for record in records:
        service = record.service.decode("ascii", "replace").upper()
        kind = NAPTR_SERVICES.get(service)
        flags = record.flags.decode("ascii", "replace").lower()
        if kind is None or kind not in usable or flags != "s":  # RFC 3263 §4.1: "S" flag only
            continue
        if sips and kind is not TransportKind.TLS:  # RFC 3263 §4.1: SIPS needs TLS
            continue
        replacement = record.replacement.to_text(omit_final_dot=True)
        chosen.append((record.order, record.preference, kind, replacement))
    chosen.sort(key=lambda item: (item[0], item[1]))
    return [(kind, name) for _, _, kind, name in chosen]


def srv_order(records: Any) -> list[Address]:
    """Return (target, port) from an SRV rdataset in RFC 2782 order; "." targets dropped."""
    ordered: list[Address] = []
    for record in records.processing_order():
        if record.target == dns.name.root:  # RFC 2782: "." = service decidedly not available
            continue
        ordered.append((record.target.to_text(omit_final_dot=True), int(record.port)))
    return ordered


class _Missing(Exception):
    """The name exists with no such record, or does not exist at all."""

    def __init__(self, nxdomain: bool) -> None:
        super().__init__("nxdomain" if nxdomain else "no answer")
        self.nxdomain = nxdomain


class SipResolver:
    """RFC 3263 resolution against the system's or a given DNS server."""

    def __init__(
        self,
        nameserver: Address | None = None,
        *,
        timeout: float = 2.0,
        transports: Sequence[TransportKind] = (
            TransportKind.UDP,
            TransportKind.TCP,
            TransportKind.TLS,
        ),
    ) -> None:
        self.transports = tuple(transports)
        self.timeout = timeout
        try:
            self._dns = dns.asyncresolver.Resolver(configure=nameserver is None)
        except dns.resolver.NoResolverConfiguration:
            self._dns = dns.asyncresolver.Resolver(configure=False)
            self._dns.nameservers = ["127.0.0.1"]
        if nameserver is not None:
            self._dns.nameservers = [nameserver[0]]
            self._dns.port = nameserver[1]
        self._dns.lifetime = timeout

    async def resolve(self, uri: SipUri) -> Resolution:
        """Return the targets for ``uri`` in try order; ResolutionError if there are none."""
        problems: list[str] = []
        budget = self.timeout * 4  # a dead server must not make a caller wait per query
        try:
            async with asyncio.timeout(budget):
                targets = await self._resolve(uri, problems)
        except TimeoutError:
            raise ResolutionError(f"cannot resolve {uri.host}: DNS did not answer") from None
        if not targets:
            host = uri.param("maddr") or uri.host
            why = "; ".join(problems) if problems else "no such domain"
            raise ResolutionError(f"cannot resolve {host}: {why}")
        return Resolution(tuple(targets), tuple(problems))

    async def _resolve(self, uri: SipUri, problems: list[str]) -> list[Target]:
        host = uri.param("maddr") or uri.host
        sips = uri.scheme == "sips"
        wanted = self._transport(uri)
        if _is_numeric(host):  # RFC 3263 §4.2: a numeric IP needs no lookup
            kind = wanted or (TransportKind.TLS if sips else TransportKind.UDP)
            return [Target(kind, host, uri.port or DEFAULT_PORTS[kind], host)]
        if uri.port is not None:  # RFC 3263 §4.2: an explicit port means A/AAAA only
            kind = wanted or (TransportKind.TLS if sips else TransportKind.UDP)
            return await self._addresses(kind, host, uri.port, problems)
        if wanted is not None:
            services = [(wanted, SRV_PREFIX[wanted] + host)]
        else:
            services = await self._naptr(host, sips, problems)
            if not services:  # RFC 3263 §4.1: no NAPTR → SRV per supported transport
                kinds = [TransportKind.TLS] if sips else self.transports
                services = [(k, SRV_PREFIX[k] + host) for k in kinds if k in self.transports]
        targets: list[Target] = []
        srv_found = False
        for kind, name in services:
            for target_host, port in await self._srv(name, problems):
                srv_found = True
                targets += await self._addresses(kind, target_host, port, problems)
        if not srv_found:  # RFC 3263 §4.2: no SRV → A/AAAA of the domain, default port
            kind = wanted or (TransportKind.TLS if sips else TransportKind.UDP)
            targets = await self._addresses(kind, host, DEFAULT_PORTS[kind], problems)
        return targets

    async def lookup_srv(self, name: str) -> list[Address]:
        """Return (target, port) of the SRV records at ``name`` in RFC 2782 order ([] if none)."""
        return await self._srv(name, [])

    def _transport(self, uri: SipUri) -> TransportKind | None:
        name = uri.transport
        if name is None:
            return None
        if uri.scheme == "sips":  # RFC 3263 §4.1: sips over tcp is TLS
            return TransportKind.TLS
        try:
            return TransportKind(name)
        except ValueError:
            raise ResolutionError(f"unsupported transport {name!r}") from None

    async def _naptr(
        self, host: str, sips: bool, problems: list[str]
    ) -> list[tuple[TransportKind, str]]:
        try:
            records = await self._query(host, "NAPTR", problems)
        except _Missing:
            return []
        return naptr_order(records, sips=sips, transports=self.transports)

    async def _srv(self, name: str, problems: list[str]) -> list[Address]:
        try:
            return srv_order(await self._query(name, "SRV", problems))
        except _Missing:
            return []

    async def _addresses(
        self, kind: TransportKind, host: str, port: int, problems: list[str]
    ) -> list[Target]:
        found: list[Target] = []
        for rdtype in ("A", "AAAA"):
            try:
                records = await self._query(host, rdtype, problems)
            except _Missing:
                continue
            found += [Target(kind, host, port, record.address) for record in records]
        return found

    async def _query(self, name: str, rdtype: str, problems: list[str]) -> Any:
        """Return the rdataset; _Missing if absent; a timeout/SERVFAIL counts as absent."""
        try:
            answer = await self._dns.resolve(
                name, dns.rdatatype.from_text(rdtype), search=False, raise_on_no_answer=False
            )
        except dns.resolver.NXDOMAIN:
            raise _Missing(nxdomain=True) from None
        except dns.resolver.NoNameservers:
            problems.append(f"{rdtype} {name}: the DNS server failed (SERVFAIL/REFUSED)")
            raise _Missing(nxdomain=False) from None
        except dns.exception.Timeout:
            problems.append(f"{rdtype} {name}: no answer within {self.timeout:g}s")
            raise _Missing(nxdomain=False) from None
        except dns.exception.DNSException as exc:
            problems.append(f"{rdtype} {name}: {exc}")
            raise _Missing(nxdomain=False) from None
        if answer.rrset is None:
            raise _Missing(nxdomain=False)
        return answer.rrset


def _is_numeric(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return True
