"""Notices when the machine changes network (addresses or default gateway).

On Linux the kernel announces every link, address and route change over rtnetlink
(``netlink_watch``); a burst of announcements is settled (``change_settler``) and then the
interface table is compared with the last one, so a move is reported within tens of
milliseconds and only when something we use changed. Where rtnetlink is unavailable (another
platform, a sandbox) the table is polled instead.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from alexphone.net.change_settler import DEFAULT_TIMES, ChangeSettler, SettleTimes
from alexphone.net.interfaces import (
    InterfaceAddress,
    default_gateways,
    local_addresses,
    network_fingerprint,
)
from alexphone.net.netlink_watch import NetlinkUnavailable, watch_rtnetlink
from alexphone.net.task_set import TaskSet

log = logging.getLogger(__name__)

Snapshot = Callable[[], tuple[list[InterfaceAddress], list[str]]]
# watch(on_message, on_ready): runs until cancelled, raises NetlinkUnavailable when it cannot
Watch = Callable[[Callable[[str], None], Callable[[], None]], Awaitable[None]]


def system_snapshot() -> tuple[list[InterfaceAddress], list[str]]:
    """Return the current addresses and default gateways."""
    return local_addresses(), default_gateways()


class NetworkMonitor:
    """Reports fingerprint changes of the interface table, on kernel events or by polling."""

    def __init__(
        self,
        on_change: Callable[[list[InterfaceAddress], str], None],
        *,
        interval: float = 2.0,
        snapshot: Snapshot = system_snapshot,
        watch: Watch | None = watch_rtnetlink,
        times: SettleTimes = DEFAULT_TIMES,
    ) -> None:
        self._on_change = on_change
        self._interval = interval
        self._snapshot = snapshot
        self._watch = watch
        self._settler = ChangeSettler(times)
        self._timer: asyncio.TimerHandle | None = None
        self.fingerprint: str | None = None
        self._seen: frozenset[str] | None = None  # our addresses: a renumbering in the same
        # prefix keeps the fingerprint but still moves our Contact
        self._gateways: tuple[str, ...] = ()  # the last snapshot's default gateways
        self.watching = asyncio.Event()  # set once kernel announcements are subscribed
        self.polling = False  # True when falling back to polling
        self._tasks = TaskSet(log, "network watch")

    @property
    def routed(self) -> bool:
        """Tell whether the last snapshot had a default route."""
        return bool(self._gateways)

    @property
    def families(self) -> frozenset[socket.AddressFamily]:
        """The address families in which the last snapshot had a default route."""
        return frozenset(
            socket.AF_INET6 if ":" in gateway else socket.AF_INET for gateway in self._gateways
        )

    def start(self) -> None:
        """Take the first snapshot now, then follow kernel announcements (or poll)."""
        self.check()
        self._tasks.spawn(self._run())

    async def stop(self) -> None:
        """Stop watching."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self._tasks.close()

    def check(self, taken: tuple[list[InterfaceAddress], list[str]] | None = None) -> bool:
        """Compare the network with the last snapshot (or ``taken``); report and return True
        if it changed."""
        try:
            addresses, gateways = self._snapshot() if taken is None else taken
        except OSError as exc:
            log.debug("cannot read interfaces: %s", exc)
            return False
        fingerprint = network_fingerprint(addresses, gateways)
        self._gateways = tuple(gateways)
        # link-local addresses come and go with every link and carry no call
        seen = frozenset(a.address for a in addresses if not a.is_link_local)
        changed = self._seen is not None and (fingerprint, seen) != (self.fingerprint, self._seen)
        self.fingerprint, self._seen = fingerprint, seen
        if changed:
            log.info("network changed: now %s", ", ".join(a.address for a in addresses))
            self._on_change(addresses, fingerprint)
        return changed

    async def _run(self) -> None:
        if self._watch is not None:
            try:
                await self._watch(self._kernel_message, self._subscribed)
            except NetlinkUnavailable as exc:
                log.info("%s; polling the interfaces every %g s", exc, self._interval)
        self.polling = True
        while True:
            await asyncio.sleep(self._interval)
            self.check()

    def _subscribed(self) -> None:
        self.check()  # a change between the first snapshot and the subscription
        self.watching.set()

    def _kernel_message(self, event: str) -> None:
        log.debug("rtnetlink %s", event)
        self._settler.kernel_message(asyncio.get_running_loop().time())
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        due = self._settler.get_timer()
        if due is not None:
            self._timer = asyncio.get_running_loop().call_at(due, self._fire)

    def _fire(self) -> None:
        self._timer = None
        now = asyncio.get_running_loop().time()
        if self._settler.handle_timer(now):
            try:
                taken = self._snapshot()
            except OSError as exc:
                log.debug("cannot read interfaces: %s", exc)
                taken = None
            # the route usually follows the address within ms: report the move once, whole
            half_moved = taken is not None and self.routed and not taken[1]
            if taken is not None and not (half_moved and self._settler.defer(now)):
                self._settler.checked(now, self.check(taken), routed=bool(taken[1]))
        self._arm()
