"""DNS-SD advertisement and browsing of SIP services (RFC 6763) with python-zeroconf.

Everything runs on the caller's event loop through ``AsyncZeroconf`` and
``AsyncServiceBrowser`` (never the threaded browser). ``interfaces`` restricts
the multicast sockets (interface names or addresses); with none given,
zeroconf uses every interface. A name conflict is resolved as RFC 6762 §9 and RFC 6763
Appendix D suggest, by trying "Name (2)", "Name (3)", … instead of failing.
Malformed records from other hosts are dropped with a debug log.

Browsing keeps one resolve task per service name. A goodbye (RFC 6762 §10.1)
cancels the name's pending resolve, and record updates for a name whose PTR is
gone start none: otherwise a resolve finishing after the goodbye would bring
back a peer that left, and it would stay until its TTL ran out.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from zeroconf import (
    BadTypeInNameException,
    IPVersion,
    NonUniqueNameException,
    ServiceInfo,
    ServiceStateChange,
    Zeroconf,
)
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from alexphone.core.errors import ConfigError
from alexphone.discovery.peer_table import ServiceRecord
from alexphone.discovery.txt_record import TxtRecord
from alexphone.net.interfaces import local_addresses

log = logging.getLogger(__name__)

UDP_TYPE = "_sip._udp.local."
TCP_TYPE = "_sip._tcp.local."
BLINK_TYPE = "_sipuri._udp.local."  # the type Blink browses
SERVICE_TYPES = (UDP_TYPE, TCP_TYPE, BLINK_TYPE)
MAX_RENAMES = 20
RESOLVE_TIMEOUT_MS = 3000


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What we publish: instance name, SIP ports per transport, TXT, host name."""

    instance: str
    host_name: str  # "alexphone-1a2b.local."
    txt: TxtRecord
    udp_port: int | None = None
    tcp_port: int | None = None


def interface_addresses(choices: Sequence[str]) -> list[str]:
    """Turn --mdns-interface values (names or addresses) into IPv4/IPv6 addresses."""
    known = local_addresses(include_loopback=True)
    found: list[str] = []
    for choice in choices:
        try:
            found.append(str(ipaddress.ip_address(choice)))
            continue
        except ValueError:
            pass
        matches = [a.address for a in known if a.interface == choice and a.ip.version == 4]
        if not matches:
            raise ConfigError(f"--mdns-interface {choice!r}: no such interface with IPv4")
        found += matches
    return found


def instance_of(name: str, service_type: str) -> str | None:
    """Return the instance part of a full service name, None if it is not of that type."""
    suffix = "." + service_type
    if not name.lower().endswith(suffix.lower()) or len(name) <= len(suffix):
        return None
    return name[: -len(suffix)]


def record_from_info(info: Any, service_type: str) -> ServiceRecord | None:
    """Build a ServiceRecord from a resolved service info (None if it is unusable)."""
    if not info.port or not info.server:
        log.debug("DNS-SD: %s has no SRV port/target, ignored", info.name)
        return None
    addresses = tuple(info.parsed_scoped_addresses())
    return ServiceRecord(
        service_type,
        info.server,
        int(info.port),
        addresses,
        TxtRecord.from_properties(info.properties),
    )


class DnsSd:
    """Publishes our SIP services and reports others' (resolved records and goodbyes)."""

    def __init__(
        self,
        on_record: Callable[[str, ServiceRecord], None],
        on_goodbye: Callable[[str, str], None],
        *,
        interfaces: Sequence[str] = (),
        service_types: Sequence[str] = SERVICE_TYPES,
    ) -> None:
        self._on_record = on_record
        self._on_goodbye = on_goodbye
        self.interfaces = list(interfaces)
        self.service_types = tuple(service_types)
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._infos: list[ServiceInfo] = []
        self._own: set[str] = set()  # full names we publish (lower-case)
        self._live: set[str] = set()  # names browsed and not said goodbye (lower-case)
        self._resolving: dict[str, asyncio.Task[None]] = {}  # by lower-case name
        self.instance: str | None = None

    async def start(self, browse: bool = True) -> None:
        """Open the mDNS sockets and, if asked, browse every SIP service type."""
        if self.interfaces:
            v6 = any(":" in a for a in self.interfaces)
            self._zc = AsyncZeroconf(
                interfaces=self.interfaces, ip_version=IPVersion.All if v6 else IPVersion.V4Only
            )
        else:
            self._zc = AsyncZeroconf()
        if browse:
            self._browser = AsyncServiceBrowser(
                self._zc.zeroconf, list(self.service_types), handlers=[self._on_change]
            )

    async def advertise(self, ad: Advertisement, addresses: Sequence[str]) -> str:
        """Register our services, renaming on conflict; return the instance name used."""
        zc = self._require()
        for attempt in range(1, MAX_RENAMES + 1):
            name = ad.instance if attempt == 1 else f"{ad.instance} ({attempt})"
            infos = self._infos_for(ad, name, addresses)
            self._own.update(info.name.lower() for info in infos)
            # every type probes at once: one probe time (~1 s, RFC 6762 §8.1) instead of three
            results = await asyncio.gather(
                *[self._register(zc, info) for info in infos], return_exceptions=True
            )
            self._infos = [i for i, r in zip(infos, results, strict=True) if r is None]
            errors = [r for r in results if isinstance(r, BaseException)]
            if any(not isinstance(e, NonUniqueNameException) for e in errors):
                raise next(e for e in errors if not isinstance(e, NonUniqueNameException))
            if errors:
                log.info("DNS-SD: %r is taken, trying another name", name)
                await self._unregister()
                continue
            self.instance = name
            return name
        raise ConfigError(f"DNS-SD: no free instance name like {ad.instance!r}")

    @staticmethod
    async def _register(zc: AsyncZeroconf, info: ServiceInfo) -> None:
        """Probe (RFC 6762 §8.1), then announce; NonUniqueNameException on a conflict."""
        await (await zc.async_register_service(info))

    async def readdress(self, addresses: Sequence[str]) -> None:
        """Re-announce our services with a new address list (RFC 6762 §8.4)."""
        zc = self._require()
        for info in self._infos:
            info.addresses = [ipaddress.ip_address(a).packed for a in addresses]
            await (await zc.async_update_service(info))

    async def close(self) -> None:
        """Send goodbyes for our services (RFC 6762 §10.1), stop browsing, close sockets."""
        if self._zc is None:
            return
        for task in list(self._resolving.values()):
            task.cancel()
        self._resolving.clear()
        self._live.clear()
        if self._browser is not None:
            await self._browser.async_cancel()
        await self._unregister()
        await self._zc.async_close()
        self._zc = None

    def _require(self) -> AsyncZeroconf:
        if self._zc is None:
            raise RuntimeError("DnsSd.start() was not awaited")
        return self._zc

    def _infos_for(
        self, ad: Advertisement, name: str, addresses: Sequence[str]
    ) -> list[ServiceInfo]:
        packed = [ipaddress.ip_address(a.split("%")[0]).packed for a in addresses]
        properties = ad.txt.to_properties()
        infos: list[ServiceInfo] = []
        for service_type in self.service_types:
            port = ad.tcp_port if service_type == TCP_TYPE else ad.udp_port
            if port is None:
                continue
            infos.append(
                ServiceInfo(
                    service_type,
                    f"{name}.{service_type}",
                    port=port,
                    properties=properties,
                    server=ad.host_name,
                    addresses=packed,
                )
            )
        return infos

    async def _unregister(self) -> None:
        zc = self._zc
        infos, self._infos = self._infos, []
        if zc is None or not infos:
            return
        await asyncio.gather(*[await zc.async_unregister_service(info) for info in infos])

    def _on_change(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        del zeroconf
        key = name.lower()
        if key in self._own:
            return  # our own services are not peers
        instance = instance_of(name, service_type)
        if instance is None:
            log.debug("DNS-SD: malformed service name %r ignored", name)
            return
        log.debug("DNS-SD: %s %s", state_change.name, name)
        if state_change is ServiceStateChange.Removed:
            self._live.discard(key)
            self._cancel_resolve(key)  # its answer would revive a peer that left
            self._on_goodbye(instance, service_type)
            return
        if state_change is ServiceStateChange.Updated and key not in self._live:
            log.debug("DNS-SD: records for %s without its PTR ignored", name)
            return
        self._live.add(key)
        self._cancel_resolve(key)  # newer records: the cache answers the new resolve
        task = asyncio.get_running_loop().create_task(self._resolve(service_type, name, instance))
        self._resolving[key] = task
        task.add_done_callback(lambda done: self._resolved(key, done))

    def _cancel_resolve(self, key: str) -> None:
        task = self._resolving.pop(key, None)
        if task is not None:
            task.cancel()

    def _resolved(self, key: str, task: asyncio.Task[None]) -> None:
        if self._resolving.get(key) is task:
            del self._resolving[key]

    async def _resolve(self, service_type: str, name: str, instance: str) -> None:
        zc = self._zc
        if zc is None:
            return
        try:
            info = AsyncServiceInfo(service_type, name)
            if not await info.async_request(zc.zeroconf, RESOLVE_TIMEOUT_MS):
                log.debug("DNS-SD: %s did not resolve", name)
                return
            record = record_from_info(info, service_type)
        except (BadTypeInNameException, ValueError, UnicodeError) as exc:
            log.debug("DNS-SD: malformed record for %r ignored: %s", name, exc)
            return
        if record is not None:
            self._on_record(instance, record)
