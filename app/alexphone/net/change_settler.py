"""Decides when a burst of kernel network messages is worth a look at the interface table.

Theory of operation: one move (a cable pulled, a Wi-Fi roam, a VPN up) arrives from rtnetlink
as a burst of messages within a few milliseconds — link down, address gone, routes flushed,
then the new link's address and default route. Reading the table after every message would
report half-moved states, so each message (re)arms a short *settle* window and the table is
read once, when the burst has been quiet for that long. The caller then compares the table
with the last one it reported and tells the settler whether it changed.

A link that flaps (down/up several times within a second) must not move calls back and forth
each time: after a reported change, the next look waits for a *hold-down* to pass, so the
flaps in between fold into one comparison against the state that was reported. The first
change after a quiet period is never delayed beyond the settle window.

A move is often announced in two bursts: the address, then (a few ms later, from DHCP or
the connection manager) the default route. When a look finds the default route gone, the
caller may ``defer`` once: the next kernel message (the route coming) brings the look back
within the settle window, and without one the half-moved state is reported after
``route_grace`` (a network with no route is a state to report too). A reported state without
a default route starts no hold-down, so the route of a new uplink is looked at as soon as
it settles.

Sans-I/O: time is an argument, the caller arms ``get_timer()`` and calls ``handle_timer``.
"""

from __future__ import annotations

from dataclasses import dataclass

SETTLE = 0.020  # seconds of quiet after the last kernel message before reading the table
HOLD_DOWN = 0.250  # seconds after a reported change before the next look
ROUTE_GRACE = 0.500  # seconds a look without a default route waits for one


@dataclass(frozen=True, slots=True)
class SettleTimes:
    """How long a burst must be quiet, and how long to hold down after a reported change."""

    settle: float = SETTLE
    hold_down: float = HOLD_DOWN
    route_grace: float = ROUTE_GRACE

    def __post_init__(self) -> None:
        if min(self.settle, self.hold_down, self.route_grace) < 0:
            raise ValueError("settle and hold-down times cannot be negative")


DEFAULT_TIMES = SettleTimes()


class ChangeSettler:
    """Turns kernel message arrival times into the moments to compare the network table."""

    def __init__(self, times: SettleTimes = DEFAULT_TIMES) -> None:
        self._times = times
        self._due: float | None = None  # when to read the table, None when nothing is pending
        self._reported_at: float | None = None  # when the last real change was reported
        self._deferred = False  # a look already waited for a default route

    def kernel_message(self, now: float) -> None:
        """Note that the kernel announced a link, address or route change at ``now``."""
        due = now + self._times.settle
        if self._reported_at is not None:
            due = max(due, self._reported_at + self._times.hold_down)
        self._due = due

    def get_timer(self) -> float | None:
        """When ``handle_timer`` should run next, or None when no look is pending."""
        return self._due

    def handle_timer(self, now: float) -> bool:
        """Return True when the caller should compare the table now (then call ``checked``)."""
        if self._due is None or now < self._due:
            return False
        self._due = None
        return True

    def defer(self, now: float) -> bool:
        """The look found no default route: wait ``route_grace`` once; False if already did."""
        if self._deferred:
            return False
        self._deferred = True
        self._due = now + self._times.route_grace
        return True

    def checked(self, now: float, changed: bool, *, routed: bool = True) -> None:
        """Record the comparison's outcome: a real change with a default route starts the
        hold-down. A change to a state without one does not: the route that comes next (a new
        uplink's, announced a moment after its address) is the move calls wait for."""
        self._deferred = False
        if changed and routed:
            self._reported_at = now
