"""The process-wide part of ALEX: what every call of one phone shares (docs/ALEX.md).

One probe budget (one probe per 5 ms for the whole process), the cache store, the network
fingerprint, the public mapping of each SIP socket the registrar revealed, and the STUN hook on
every SIP UDP socket: a STUN datagram goes to the gathering clients first, then to each call's
call in turn until one owns it. Each call's ``AlexCall`` (session.py) joins the hub when it
starts and leaves when it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from alexphone.alex.candidate import Candidate
from alexphone.alex.gathering import reflexive_candidate
from alexphone.alex.pacing import ProbeBudget
from alexphone.core.address import Address
from alexphone.core.ids import IdFactory
from alexphone.engine.events import Event
from alexphone.engine.settings import PhoneSettings
from alexphone.net.flow import is_wildcard
from alexphone.net.gatherer import Gathered
from alexphone.net.interfaces import default_gateways, local_addresses, network_fingerprint
from alexphone.net.stun_client import StunClient
from alexphone.net.task_set import TaskSet
from alexphone.net.transport import SipTransport, TransportKind
from alexphone.store.alex_cache import AlexCacheStore

log = logging.getLogger(__name__)


class HubMember(Protocol):
    """What the hub needs of a call's session."""

    def receive_sip(self, data: bytes, local: Address, remote: Address) -> bool:
        """Take a STUN datagram from a SIP socket; True if it was this call's."""
        ...

    def close(self) -> None:
        """Stop the call's checks."""
        ...


def needs_gathering(settings: PhoneSettings) -> bool:
    """Tell whether calls wait for STUN/TURN before announcing (only with --stun/--turn)."""
    return settings.stun is not None or settings.turn is not None


def instance_urn(profile: Path) -> str:
    """A stable RFC 5626 instance URN for a profile (``inst``, the peer's cache key)."""
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, profile.resolve().as_uri())}>"


class AlexHub:
    """Process-wide ALEX state shared by the calls of one phone."""

    def __init__(
        self,
        transport: SipTransport,
        emit: Callable[[Event], None],
        ids: IdFactory,
        *,
        profile: Path,
        cache: AlexCacheStore | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.transport = transport
        self.emit = emit
        self.ids = ids
        self.cache = cache
        self.rng = rng if rng is not None else random.Random()
        self.budget = ProbeBudget()  # one probe per 5 ms for the whole process
        self.instance = instance_urn(profile)
        self._members: dict[str, HubMember] = {}  # by Call-ID: the calls taking SIP STUN
        self._sip_public: dict[Address, Address] = {}  # SIP sent-by -> REGISTER received/rport
        self.loop = asyncio.get_running_loop()
        self._freeing = TaskSet(log, "TURN release")
        self._stun_clients: list[StunClient] = []  # STUN from a SIP socket while gathering
        transport.set_stun_handler(self._on_sip_stun)

    def join(self, call_id: str, member: HubMember) -> None:
        """A call's ALEX starts: STUN on the SIP sockets may be its own from now on."""
        self._members[call_id] = member

    def leave(self, call_id: str) -> None:
        """A call's ALEX closed."""
        self._members.pop(call_id, None)

    @contextlib.contextmanager
    def sip_stun_client(self, bound: Address) -> Iterator[StunClient]:
        """A StunClient sending from the SIP socket ``bound``; its answers come to it while
        the ``with`` block runs."""

        def send(data: bytes, server: Address) -> None:
            self.transport.send_datagram(data, bound, server)

        client = StunClient(send)
        self._stun_clients.append(client)
        try:
            yield client
        finally:
            self._stun_clients.remove(client)

    def learn_sip_mapping(self, local: Address, public: Address | None) -> None:
        """Remember how the registrar saw a SIP socket (RFC 3581 §4): the ``sip`` srflx."""
        if public is None:
            self._sip_public.pop(local, None)
        else:
            self._sip_public[local] = public

    def forget_mappings(self) -> None:
        """Our network changed: the registrar's view of our SIP sockets is of the old one."""
        self._sip_public.clear()

    def sip_mapping(self, bound: Address) -> Address | None:
        """The public mapping known for a SIP socket bound to ``bound``, if any."""
        for (host, port), public in self._sip_public.items():
            if port == bound[1] and (host == bound[0] or is_wildcard(bound[0])):
                return public
        return None

    def registered_reflexive(self, hosts: list[Candidate]) -> list[Candidate]:
        """The ``sip`` srflx candidates the registrar's Via received/rport revealed (no waiting)."""
        found: list[Candidate] = []
        for host in hosts:
            public = self.sip_mapping(host.address)
            if public is None or not _same_family(public[0], host.address[0]):
                continue
            candidate = reflexive_candidate(host, public, "registrar")
            if candidate is not None:
                found.append(candidate)
        return found

    def free_later(self, gathered: Gathered) -> None:
        """Free a call's TURN allocations in the background (the call has ended)."""
        self._freeing.spawn(gathered.close())

    def network(self) -> str:
        """The fingerprint of the network we are on now (cache key)."""
        return network_fingerprint(local_addresses(), default_gateways())

    def sip_bound(self) -> list[Address]:
        """The bound addresses of our UDP SIP listeners."""
        return [(s.host, s.port) for s in self.transport.listeners if s.kind is TransportKind.UDP]

    def _on_sip_stun(self, data: bytes, local: Address, remote: Address) -> None:
        if any(client.receive(data, remote) for client in self._stun_clients):
            return
        for member in list(self._members.values()):
            if member.receive_sip(data, local, remote):
                return
        log.debug("STUN from %s on %s owned by no call", remote, local)

    def close(self) -> None:
        """Stop every session and unhook the SIP sockets."""
        for member in list(self._members.values()):
            member.close()
        self.transport.set_stun_handler(None)


def _same_family(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a).version == ipaddress.ip_address(b).version
    except ValueError:
        return False
