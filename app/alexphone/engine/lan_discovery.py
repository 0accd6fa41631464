"""Engine glue for discovery: DNS-SD on the engine loop, peer events, proxy proposals.

Starts the DNS-SD service (advertise + browse) when mDNS is on, keeps the peer
table, emits ``peer.added`` / ``peer.removed``, re-announces our addresses when
the network changes, and finds an outbound proxy from the local domain's
``_sip._udp`` SRV (the phone asks again after each network change). With no
--proxy, a proxy found for the account's own domain is handed to ``on_proxy``
so the phone sends through it (RFC 3261 §8.1.2); it is handed again when it
changes, and None when the domain stops offering one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace

from alexphone.core.errors import AlexphoneError, ParseError
from alexphone.discovery.dns_sd import Advertisement, DnsSd, interface_addresses
from alexphone.discovery.outbound_proxy import discover_outbound_proxy, system_domain
from alexphone.discovery.peer_table import ChangeKind, Peer, PeerChange, PeerTable, ServiceRecord
from alexphone.discovery.resolver import SipResolver
from alexphone.discovery.txt_record import PeerRole, TxtRecord
from alexphone.engine.alexcall.hub import instance_urn
from alexphone.engine.events import (
    ErrorReported,
    ErrorSource,
    Event,
    PeerAdded,
    PeerKind,
    PeerRemoved,
    ProxyDiscovered,
    ProxySource,
)
from alexphone.engine.settings import PhoneSettings
from alexphone.net.core_driver import CoreDriver
from alexphone.net.interfaces import InterfaceAddress, local_addresses
from alexphone.net.task_set import TaskSet
from alexphone.net.transport import ListenSpec, TransportKind
from alexphone.sip.uri import SipUri, parse_sip_uri

log = logging.getLogger(__name__)
PROXY_WAIT = 2.0  # seconds start() waits for the outbound proxy lookup


class LanDiscovery:
    """Owns DNS-SD and the peer table for one phone; everything runs on the engine loop."""

    def __init__(
        self,
        settings: PhoneSettings,
        emit: Callable[[Event], None],
        *,
        advertise: bool = True,
        on_proxy: Callable[[SipUri | None], None] | None = None,
        resolver: SipResolver | None = None,
    ) -> None:
        self.settings = settings
        self.emit = emit
        self.table = PeerTable()
        self.instance: str | None = None
        self.proxy: SipUri | None = None  # the discovered outbound proxy in use
        self._on_proxy = on_proxy
        self._resolver = resolver
        self._advertise = advertise
        self._loop = asyncio.get_running_loop()
        self._dns_sd: DnsSd | None = None
        self._allowed: list[str] = []
        self._bound: list[ListenSpec] = []
        self._expiry = CoreDriver(self.table, self._flush_expired)  # the records' TTLs
        self._tasks = TaskSet(log, "discovery task")
        self._updated = asyncio.Event()

    async def start(self, bound: Sequence[ListenSpec]) -> None:
        """Browse (and advertise ``bound``) when mDNS is on; look for an outbound proxy."""
        self._bound = list(bound)
        if self.settings.mdns:
            self._allowed = interface_addresses(self.settings.mdns_interfaces)
            self._dns_sd = DnsSd(self._on_record, self._on_goodbye, interfaces=self._allowed)
            await self._dns_sd.start()
            if self._advertise and self._bound:
                self._tasks.spawn(self._publish())
        if self.settings.account is not None and self.settings.proxy is None:
            # bounded: the first REGISTER should go through the proxy, but not wait long
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.look_up_proxy(), PROXY_WAIT)

    async def stop(self) -> None:
        """Send goodbyes and stop browsing."""
        self._expiry.close()
        await self._tasks.close()
        if self._dns_sd is not None:
            await self._dns_sd.close()
            self._dns_sd = None

    # -- lookups for the phone ------------------------------------------------------------
    def peers(self) -> list[Peer]:
        """Return every peer in the table."""
        return self.table.peers()

    @property
    def browsing(self) -> bool:
        """Tell whether DNS-SD runs (peers may still appear)."""
        return self._dns_sd is not None

    def call_target(self, text: str) -> SipUri | None:
        """Return the URI to call a LAN peer: an instance name, or a sip: URI naming its host."""
        target = self._peer_target(text)
        if target is not None or not text.lower().startswith(("sip:", "sips:")):
            return target
        try:
            uri = parse_sip_uri(text)
        except ParseError:
            return None
        target = self._peer_target(uri.host)
        if target is None or uri.user is None:
            return target
        return SipUri(host=target.host, user=uri.user, port=target.port, params=target.params)

    def when_found(
        self, text: str, timeout: float, callback: Callable[[SipUri | None], None]
    ) -> None:
        """Call ``callback`` with the peer's URI once ``text`` names one (None after timeout)."""
        self._tasks.spawn(self._wait_for(text, timeout, callback))

    async def _wait_for(
        self, text: str, timeout: float, callback: Callable[[SipUri | None], None]
    ) -> None:
        deadline = self._loop.time() + timeout
        while (target := self.call_target(text)) is None:
            left = deadline - self._loop.time()
            if left <= 0:
                break
            self._updated.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._updated.wait(), left)
        callback(target)

    def _peer_target(self, name: str) -> SipUri | None:
        peer = self.table.find(name)
        if peer is None:
            return None
        return peer.target(peer.callable_addresses(self._local())) or peer.target(peer.addresses)

    # -- advertising ----------------------------------------------------------------------
    def _advertised_addresses(self) -> list[str]:
        hosts = {spec.host for spec in self._bound}
        specific = sorted(h for h in hosts if h not in ("0.0.0.0", "::", ""))
        if specific and len(specific) == len(hosts):
            return specific
        found = [a for a in self._local() if not a.is_link_local or a.ip.version == 6]
        if self._allowed:
            names = {a.interface for a in self._local() if a.address in self._allowed}
            found = [a for a in found if a.interface in names]
        else:
            found = [a for a in found if not a.ip.is_loopback]
        return [a.address for a in found]

    def _advertisement(self, addresses: Sequence[str]) -> Advertisement:
        settings = self.settings
        account = settings.account
        user = account.aor.user if account is not None and account.aor.user else settings.user
        udp = next((s.port for s in self._bound if s.kind is TransportKind.UDP), None)
        tcp = next((s.port for s in self._bound if s.kind is TransportKind.TCP), None)
        port = udp if udp is not None else tcp
        contact = ""
        if addresses and port is not None:
            uri = SipUri(host=addresses[0], user=user, port=port)
            contact = str(uri if udp is not None else uri.with_params(transport="tcp"))
        txt = TxtRecord(
            user=user,
            name=settings.display_name or user,
            contact=contact,
            # the profile's stable RFC 5626 instance, the one ALEX sends as inst=
            instance=instance_urn(settings.profile).strip("<>"),
            alex=True,
            role=PeerRole.UA,
        )
        host = f"alexphone-{uuid.uuid4().hex[:8]}.local."
        return Advertisement(settings.display_name or user, host, txt, udp, tcp)

    async def _publish(self) -> None:
        dns_sd = self._dns_sd
        addresses = self._advertised_addresses()
        if dns_sd is None or not addresses:
            return
        try:
            self.instance = await dns_sd.advertise(self._advertisement(addresses), addresses)
        except (AlexphoneError, OSError) as exc:  # a conflict storm or socket error: no crash
            self.emit(ErrorReported(ErrorSource.MDNS, f"cannot advertise on the LAN: {exc}"))

    def network_changed(self) -> None:
        """The phone's network moved: advertise the new addresses, look the proxy up again."""
        if self._dns_sd is not None and self.instance is not None:
            self._tasks.spawn(self._dns_sd.readdress(self._advertised_addresses()))
        if self.settings.account is not None and self.settings.proxy is None:
            self._tasks.spawn(self.look_up_proxy())

    async def look_up_proxy(self) -> None:
        """Look up the local domain's proxy; emit ``proxy.discovered`` and adopt it if it fits."""
        domain = self.settings.local_domain or system_domain()
        if domain is None:
            self._adopt(None)
            return
        resolver = self._resolver or SipResolver(self.settings.dns_server)
        try:
            proxy = await discover_outbound_proxy(resolver, domain)
        except AlexphoneError as exc:  # DNS is down: keep the proxy we have
            log.info("outbound proxy lookup for %s failed: %s", domain, exc)
            return
        if proxy is not None:
            self.emit(ProxyDiscovered(domain, str(proxy), ProxySource.DNS))
        self._adopt(proxy if self._serves_account(domain) else None)

    def _serves_account(self, domain: str) -> bool:
        account = self.settings.account
        if account is None or self.settings.proxy is not None:
            return False
        host = account.aor.host.lower().rstrip(".")
        domain = domain.lower().rstrip(".")
        return host == domain or host.endswith("." + domain)

    def _adopt(self, proxy: SipUri | None) -> None:
        if proxy == self.proxy:
            return
        log.info("outbound proxy for the account: %s", proxy or "none")
        self.proxy = proxy
        if self._on_proxy is not None:
            self._on_proxy(proxy)

    # -- browsing -------------------------------------------------------------------------
    def _on_record(self, instance: str, record: ServiceRecord) -> None:
        self._changed(self.table.update(instance, record, self._loop.time()))

    def _on_goodbye(self, instance: str, service_type: str) -> None:
        self._changed(self.table.remove(instance, service_type))

    def _flush_expired(self, now: float) -> None:
        while (change := self.table.next_change()) is not None:
            self._announce(change)

    def _changed(self, change: PeerChange | None) -> None:
        if change is not None:
            self._announce(change)
        self._expiry.transmit()

    def _announce(self, change: PeerChange) -> None:
        self.emit(self._event(change))
        self._updated.set()

    def _event(self, change: PeerChange) -> Event:
        peer = change.peer
        fields = (peer.name, peer.uri(), peer.addresses, peer.txt.alex, PeerKind(peer.role.value))
        if change.kind is ChangeKind.REMOVED:
            return PeerRemoved(*fields)
        if peer.role is not PeerRole.UA:
            self.emit(ProxyDiscovered(_domain_of(peer), peer.uri(), ProxySource.MDNS))
            with contextlib.suppress(ParseError):
                if self.proxy is None and self._serves_account(_domain_of(peer)):
                    self._adopt(parse_sip_uri(peer.uri()).with_params(lr=None))
        return self.peer_event(peer)

    def peer_event(self, peer: Peer) -> PeerAdded:
        """Return the ``peer.added`` event describing ``peer`` now."""
        fields = (peer.name, peer.uri(), peer.addresses, peer.txt.alex, PeerKind(peer.role.value))
        return PeerAdded(*fields, callable=bool(peer.callable_addresses(self._local())))

    def _local(self) -> list[InterfaceAddress]:
        try:
            return local_addresses(include_loopback=True)
        except OSError:
            return []


def _domain_of(peer: Peer) -> str:
    """Return the domain a LAN proxy serves: its contact's host, else its host name."""
    if peer.txt.contact:
        with contextlib.suppress(ParseError):
            return parse_sip_uri(peer.txt.contact).host
    return peer.primary.server.rstrip(".")


async def browse_peers(
    settings: PhoneSettings, emit: Callable[[Event], None], duration: float
) -> list[Event]:
    """Browse DNS-SD for ``duration`` s without advertising (live events to ``emit``).

    Returns one ``peer.added`` per peer still in the table at the end.
    """
    lan = LanDiscovery(replace(settings, mdns=True, accounts=()), emit, advertise=False)
    await lan.start([])
    try:
        await asyncio.sleep(max(0.0, duration))
    finally:
        await lan.stop()
    return [lan.peer_event(peer) for peer in lan.peers()]
