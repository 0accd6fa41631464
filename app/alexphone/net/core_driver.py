"""Runs one sans-I/O protocol core on the event loop: flush what it queued, keep one timer.

Every core the engine runs (the transaction layer, a registration, a STUN transaction, a 2xx
retransmitter, the ALEX check agent, the LAN peer table) has the surface of aioquic's
``QuicConnection``: inputs that take ``now``, queues to drain, ``get_timer()`` and
``handle_timer(now)``. The adapter around a core is this class, written once, the way aioquic's
``QuicConnectionProtocol.transmit()`` is: after feeding an input the owner calls
``transmit()``, which drains the queues through the owner's ``flush(now)`` (send the datagrams,
hand the events on) and moves the single loop timer to the core's next deadline. When the
timer fires the core gets ``handle_timer(now)`` and the same ``transmit()`` follows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class TimedCore(Protocol):
    """A sans-I/O core with one deadline (aioquic's ``get_timer``/``handle_timer`` pair)."""

    def get_timer(self) -> float | None:
        """Return when ``handle_timer`` must next be called, None when nothing is due."""
        ...

    def handle_timer(self, now: float) -> None:
        """Run what the deadline that passed at ``now`` asks for."""
        ...


class Cancellable(Protocol):
    """A scheduled callback (``asyncio.TimerHandle``)."""

    def cancel(self) -> None:
        """Stop the callback from running."""
        ...


class Scheduler(Protocol):
    """The part of the event loop a driver uses: its clock and absolute-time callbacks."""

    def time(self) -> float:
        """Return the loop's monotonic time in seconds."""
        ...

    def call_at(self, when: float, callback: Callable[[], object], /) -> Cancellable:
        """Run ``callback`` at loop time ``when``."""
        ...


Flush = Callable[[float], None]  # drains the core's output queues at ``now``
C = TypeVar("C", bound=TimedCore)


class CoreDriver(Generic[C]):
    """Drives ``core``: ``transmit()`` after every input; the timer re-arms itself."""

    def __init__(self, core: C, flush: Flush, *, loop: Scheduler | None = None) -> None:
        self.core = core
        self._flush = flush
        self._loop: Scheduler = loop if loop is not None else asyncio.get_running_loop()
        self._handle: Cancellable | None = None
        self._deadline: float | None = None
        self.closed = False

    def now(self) -> float:
        """Return the loop's clock, the ``now`` every input to the core takes."""
        return self._loop.time()

    @property
    def deadline(self) -> float | None:
        """Return when the loop timer fires next, None when none is armed."""
        return self._deadline if self._handle is not None else None

    def transmit(self) -> None:
        """Drain the core through ``flush`` and move the loop timer to the core's deadline."""
        try:
            self._flush(self.now())
        finally:  # a failing consumer must not leave the core without its timer
            self._arm()

    def close(self) -> None:
        """Cancel the timer for good; ``transmit`` still flushes but arms nothing."""
        self.closed = True
        self._cancel()

    def _arm(self) -> None:
        deadline = None if self.closed else self.core.get_timer()
        if self._handle is not None and deadline == self._deadline:
            return  # already armed for that time (aioquic keeps the handle too)
        self._cancel()
        if deadline is not None:
            self._deadline = deadline
            self._handle = self._loop.call_at(deadline, self._fire)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._deadline = None

    def _fire(self) -> None:
        deadline = self._deadline
        self._handle = None
        self._deadline = None
        if self.closed or deadline is None:
            return
        # the loop may run a handle a clock tick early: never hand the core a time before its
        # own deadline, or it would do nothing and ask for the same deadline again
        self.core.handle_timer(max(deadline, self.now()))
        self.transmit()
