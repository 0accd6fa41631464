"""Notices when the machine changes network (addresses or default gateway)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from alexphone.net.interfaces import (
    InterfaceAddress,
    default_gateways,
    local_addresses,
    network_fingerprint,
)
from alexphone.net.task_set import TaskSet

log = logging.getLogger(__name__)

Snapshot = Callable[[], tuple[list[InterfaceAddress], list[str]]]


def system_snapshot() -> tuple[list[InterfaceAddress], list[str]]:
    """Return the current addresses and default gateways."""
    return local_addresses(), default_gateways()


class NetworkMonitor:
    """Polls the interface table on the event loop and reports fingerprint changes."""

    def __init__(
        self,
        on_change: Callable[[list[InterfaceAddress], str], None],
        *,
        interval: float = 2.0,
        snapshot: Snapshot = system_snapshot,
    ) -> None:
        self._on_change = on_change
        self._interval = interval
        self._snapshot = snapshot
        self.fingerprint: str | None = None
        self._seen: frozenset[str] | None = None  # our addresses: a renumbering in the same
        # prefix keeps the fingerprint but still moves our Contact
        self._tasks = TaskSet(log, "network poll")

    def start(self) -> None:
        """Take the first snapshot now and poll from then on."""
        self.check()
        self._tasks.spawn(self._poll())

    async def stop(self) -> None:
        """Stop polling."""
        await self._tasks.close()

    def check(self) -> bool:
        """Compare the network with the last snapshot; report and return True if it changed."""
        try:
            addresses, gateways = self._snapshot()
        except OSError as exc:
            log.debug("cannot read interfaces: %s", exc)
            return False
        fingerprint = network_fingerprint(addresses, gateways)
        seen = frozenset(a.address for a in addresses)
        changed = self._seen is not None and (fingerprint, seen) != (self.fingerprint, self._seen)
        self.fingerprint, self._seen = fingerprint, seen
        if changed:
            log.info("network changed: now %s", ", ".join(a.address for a in addresses))
            self._on_change(addresses, fingerprint)
        return changed

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self.check()
