"""Every account's registration: one REGISTER driver per account, each with its own state.

The accounts register side by side, each toward its own first hop over its own transport
(``AccountSettings.first_hop``); each reports its own ``registration.state`` events. Their
Contacts are what an incoming request's Request-URI is matched against
(``engine.account_match``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alexphone.core.ids import IdFactory
from alexphone.engine.account_registration import AccountRegistration
from alexphone.engine.events import Event
from alexphone.engine.settings import AccountSettings
from alexphone.engine.user_agent import UserAgent
from alexphone.sip.uri import SipUri


class Registrations:
    """Starts, moves and stops the registrations of every account of the phone."""

    def __init__(
        self,
        ua: UserAgent,
        accounts: tuple[AccountSettings, ...],
        emit: Callable[[Event], None],
        ids: IdFactory,
    ) -> None:
        self.ua = ua
        self.accounts = accounts
        self.emit = emit
        self.ids = ids
        self.by_account: dict[str, AccountRegistration] = {}
        self._moving: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Send every account's first REGISTER (the lookups run side by side)."""
        for account in self.accounts:
            self.by_account[account.key] = AccountRegistration(
                self.ua, account, self.emit, self.ids
            )
        await asyncio.gather(*(r.start() for r in self.by_account.values()))

    def contacts(self) -> dict[str, SipUri]:
        """Return the Contact each account registers, by account key."""
        return {
            key: registration.machine.contact
            for key, registration in self.by_account.items()
            if registration.machine is not None
        }

    def network_changed(self) -> None:
        """Re-register every account from our new address (mobility)."""
        for registration in self.by_account.values():
            registration.network_changed()

    def first_hop_changed(self) -> None:
        """Move every registration to a new outbound proxy: unregister, register again."""
        if self.by_account and self._moving is None:
            self._moving = asyncio.get_running_loop().create_task(self._reregister())

    async def _reregister(self) -> None:
        try:
            await self.stop(3.0)
            await self.start()
        finally:
            self._moving = None

    async def stop(self, timeout: float) -> None:
        """Unregister every account, waiting at most ``timeout`` seconds for the answers."""
        await asyncio.gather(*(r.stop(timeout) for r in self.by_account.values()))
