"""Account set-up help for the first-run assistant: where a domain's server is, and whether
an address and password register there, without keeping anything.

A trial runs its own AccountRegistration beside the phone's (responses find it through the
transaction it sent, not through any registry), waits for the first final outcome, then
unregisters, so the phone is left exactly as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alexphone.core.errors import ConfigError, TransportError
from alexphone.core.ids import IdFactory
from alexphone.engine.account_registration import AccountRegistration
from alexphone.engine.events import (
    AccountTried,
    Event,
    RegistrarLocated,
    RegistrationChanged,
    RegistrationState,
    TrialOutcome,
)
from alexphone.engine.settings import AccountSettings, sip_uri_option
from alexphone.engine.user_agent import UserAgent
from alexphone.net.flow import format_address
from alexphone.net.task_set import TaskSet
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.uri import SipUri

log = logging.getLogger(__name__)
TRIAL_MARGIN = 8.0  # seconds past Timer F, so a silent server shows as such (408)
_WRONG_PASSWORD = frozenset({401, 403, 407})


def trial_timeout(timers: TimerConfig) -> float:
    """How long a trial waits for a final outcome: Timer F (64*T1, 32 s by default) and more."""
    return timers.f + TRIAL_MARGIN


def trial_outcome(event: RegistrationChanged | None, resolved: bool) -> TrialOutcome:
    """Say in a user's terms what the first final registration event meant."""
    if event is None or event.code == 408:
        return TrialOutcome.NO_ANSWER
    if event.state is RegistrationState.REGISTERED:
        return TrialOutcome.REGISTERED
    if not resolved:
        return TrialOutcome.NO_SERVER
    if event.code in _WRONG_PASSWORD:
        return TrialOutcome.WRONG_PASSWORD
    return TrialOutcome.REFUSED


class AccountTrials:
    """Runs LocateRegistrar and TryAccount for one phone, each as a task of its own."""

    def __init__(self, ua: UserAgent, emit: Callable[[Event], None], ids: IdFactory) -> None:
        self._ua = ua
        self._emit = emit
        self._ids = ids
        self._tasks = TaskSet(log, "account trial")

    def locate(self, domain: str) -> None:
        """Look ``domain`` up (RFC 3263) and emit RegistrarLocated."""
        self._tasks.spawn(self._locate(domain))

    def try_account(self, aor: str, password: str) -> None:
        """Register ``aor`` once, unregister, and emit AccountTried."""
        self._tasks.spawn(self._try(aor, password))

    async def close(self) -> None:
        """Cancel the trials still running."""
        await self._tasks.close()

    async def _locate(self, domain: str) -> None:
        text = domain.strip()
        try:
            uri = sip_uri_option(text, "domain")
            found = await self._ua.locator.destinations(
                SipUri(host=uri.host, port=uri.port, scheme=uri.scheme)
            )
        except (ConfigError, TransportError) as exc:  # ResolutionError is a TransportError
            self._emit(RegistrarLocated(text, (), str(exc)))
            return
        targets = tuple(f"{d.kind.value} {format_address(d.address)}" for d in found)
        self._emit(RegistrarLocated(text, targets))

    async def _try(self, aor_text: str, password: str) -> None:
        try:
            aor = sip_uri_option(aor_text.strip(), "SIP address")
            account = AccountSettings(aor=aor, password=password)
        except ConfigError as exc:
            self._emit(AccountTried(aor_text, TrialOutcome.REFUSED, None, str(exc)))
            return
        final: asyncio.Future[RegistrationChanged] = asyncio.get_running_loop().create_future()

        def seen(event: Event) -> None:
            settled = (RegistrationState.REGISTERED, RegistrationState.FAILED)
            ours = isinstance(event, RegistrationChanged) and event.state in settled
            if ours and not final.done():
                assert isinstance(event, RegistrationChanged)
                final.set_result(event)

        registration = AccountRegistration(self._ua, account, seen, self._ids)
        event: RegistrationChanged | None = None
        try:
            await registration.start()
            timeout = trial_timeout(self._ua.stack.layer.config)
            event = await asyncio.wait_for(asyncio.shield(final), timeout)
        except TimeoutError:
            pass
        finally:
            await registration.stop()
        resolved = registration.destination is not None
        outcome = trial_outcome(event, resolved)
        code, reason = (event.code, event.reason) if event is not None else (None, "no answer")
        self._emit(AccountTried(str(aor), outcome, code, reason))
