"""Keeps one account registered: drives the sans-I/O Registration with loop timers.

Each account has its own driver (``engine.registrations`` holds them): its own first hop
and transport, Contact, digest credentials and state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, TransportError
from alexphone.core.ids import IdFactory
from alexphone.engine.events import Event, RegistrationChanged, RegistrationState
from alexphone.engine.settings import AccountSettings
from alexphone.engine.sip_stack import Destination
from alexphone.engine.user_agent import UserAgent
from alexphone.net.core_driver import CoreDriver
from alexphone.net.task_set import TaskSet
from alexphone.net.transport import TransportKind
from alexphone.sip.auth import DigestCredentials
from alexphone.sip.message import Response
from alexphone.sip.registration import Account, Registration, RegistrationPhase
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)

_SHOWN = {
    RegistrationPhase.UNREGISTERED: RegistrationState.UNREGISTERED,
    RegistrationPhase.REGISTERING: RegistrationState.REGISTERING,
    RegistrationPhase.REGISTERED: RegistrationState.REGISTERED,
    RegistrationPhase.REFRESHING: RegistrationState.REGISTERED,
    RegistrationPhase.UNREGISTERING: RegistrationState.REGISTERED,
    RegistrationPhase.FAILED: RegistrationState.FAILED,
}

_IN_FLIGHT = frozenset({RegistrationPhase.REFRESHING, RegistrationPhase.UNREGISTERING})


class AccountRegistration:
    """REGISTERs an account, refreshes it, and unregisters on stop."""

    def __init__(
        self,
        ua: UserAgent,
        settings: AccountSettings,
        emit: Callable[[Event], None],
        ids: IdFactory,
    ) -> None:
        self.ua = ua
        self.settings = settings
        self.emit = emit
        self.ids = ids
        self.machine: Registration | None = None
        self.destination: Destination | None = None
        self._driver: CoreDriver[Registration] | None = None
        self._settled = asyncio.Event()
        self._moves = TaskSet(log, "re-REGISTER after a network change")
        self._sent_by: Address | None = None

    async def start(self) -> None:
        """Resolve the registrar and send the first REGISTER."""
        account = self.settings
        target = account.first_hop(self.ua.settings.proxy)
        try:
            self.destination = await self.ua.resolve(target)
        except (ConfigError, TransportError) as exc:
            self._emit(RegistrationState.FAILED, 503, str(exc))
            return
        sent_by = self.ua.stack.transport.sent_by(
            self.destination.kind, self.destination.address[0]
        )
        credentials = (
            DigestCredentials(account.auth_username, account.password)
            if account.password is not None
            else None
        )
        machine_account = Account(
            aor=account.aor,
            registrar=account.registrar_uri,
            credentials=credentials,
            expires=account.expires,
            display_name=self.ua.settings.display_name,
            user_agent=self.ua.settings.user_agent,
            # docs/ALEX.md "Negotiation": the feature tag tells callers we speak ALEX (RFC 3840)
            contact_params=(("+sip.alex", None),) if self.ua.alex is not None else (),
        )
        contact = self.ua.messages.contact_for(self.destination, account=account).uri
        assert isinstance(contact, SipUri)
        self._sent_by = sent_by
        self.machine = Registration(
            machine_account,
            self.ids,
            sent_by=sent_by,
            transport=self.destination.kind.value,
            contact=contact,
        )
        self._driver = CoreDriver(self.machine, self._flush)
        self.machine.start(self.ua.stack.now())
        self._transmit()

    def network_changed(self) -> None:
        """Re-register from our new address at once (mobility: the Contact moved)."""
        if self.machine is None:
            return
        self._moves.spawn(self._move())

    async def _move(self) -> None:
        machine = self.machine
        assert machine is not None
        target = self.settings.first_hop(self.ua.settings.proxy)
        try:  # the first hop may resolve differently from the new network
            self.destination = await self.ua.resolve(target)
        except (ConfigError, TransportError) as exc:
            log.info("registrar lookup after a network change failed: %s", exc)
        destination = self.destination
        if destination is None:
            return
        sent_by = self.ua.stack.transport.sent_by(destination.kind, destination.address[0])
        contact = self.ua.messages.contact_for(destination, account=self.settings).uri
        assert isinstance(contact, SipUri)
        self._sent_by = sent_by
        machine.update_local(sent_by, destination.kind.value, contact)
        machine.refresh_now(self.ua.stack.now())
        self._transmit()

    async def stop(self, timeout: float = 3.0) -> None:
        """Unregister (Expires: 0) and wait for the answer, at most ``timeout`` seconds."""
        await self._moves.close()
        if self.machine is None:
            return
        self._settled.clear()
        self.machine.stop(self.ua.stack.now())
        self._transmit()
        if self.machine.state is RegistrationPhase.UNREGISTERING:
            try:
                await asyncio.wait_for(self._settled.wait(), timeout)
            except TimeoutError:
                log.info("no answer to un-REGISTER within %.1fs", timeout)
        if self._driver is not None:
            self._driver.close()

    def on_response(self, response: Response) -> None:
        """Feed a REGISTER response to the machine."""
        if self.machine is not None and response.status >= 200:
            self.machine.receive_response(response, self.ua.stack.now())
            self._learn_mapping(response)
            self._transmit()

    def _learn_mapping(self, response: Response) -> None:
        """Tell ALEX how the registrar saw our UDP SIP socket (the ``sip`` srflx)."""
        alex, machine, destination = self.ua.alex, self.machine, self.destination
        if alex is None or machine is None or destination is None or self._sent_by is None:
            return
        if destination.kind is TransportKind.UDP and 200 <= response.status < 300:
            alex.learn_sip_mapping(self._sent_by, machine.public_address)

    def on_failure(self, status: int, reason: str) -> None:
        """A REGISTER timed out (408) or could not be sent (503)."""
        if self.machine is None:
            return
        if status == 408:
            self.machine.timed_out(self.ua.stack.now())
        else:
            self.machine.transport_failed(self.ua.stack.now())
        self._transmit()

    def _transmit(self) -> None:
        if self._driver is not None:
            self._driver.transmit()

    def _flush(self, now: float) -> None:
        machine = self.machine
        assert machine is not None and self.destination is not None
        while (request := machine.next_request()) is not None:
            proxy = self.settings.route(self.ua.settings.proxy)
            if proxy is not None and "Route" not in request.headers:
                request.headers.add("Route", f"<{proxy.with_params(lr=None)}>")
            self.ua.send_request(request, self, self.destination)
        while (event := machine.next_event()) is not None:
            if event.state in _IN_FLIGHT:
                continue  # still registered while a refresh or un-REGISTER is under way
            self._emit(_SHOWN[event.state], event.code, event.reason, event.expires)
            if event.state in (RegistrationPhase.UNREGISTERED, RegistrationPhase.FAILED):
                self._settled.set()

    def _emit(
        self, state: RegistrationState, code: int | None, reason: str, expires: int | None = None
    ) -> None:
        contact = str(self.machine.contact) if self.machine is not None else ""
        aor = self.settings.key
        self.emit(RegistrationChanged(aor, state, code, reason, expires, contact))
