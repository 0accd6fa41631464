"""Run real phones on loopback in one event loop and wait on the events they emit."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from alexphone.engine.commands import Command, ListCalls, ReportStats, Shutdown
from alexphone.engine.events import (
    CallChanged,
    CallsListed,
    CallState,
    CallStats,
    Direction,
    Event,
    UaReady,
)
from alexphone.engine.phone import Phone
from alexphone.engine.settings import PhoneSettings
from alexphone.net.flow import ListenSpec

E = TypeVar("E", bound=Event)
T = TypeVar("T")

WAIT = 5.0  # seconds any single outcome may take on loopback
TEST_BUDGET = 20.0  # seconds a whole test may take


def run(coroutine: Coroutine[Any, Any, T], budget: float = TEST_BUDGET) -> T:
    """Run ``coroutine`` in a fresh event loop, failing if it takes longer than ``budget``."""
    return asyncio.run(asyncio.wait_for(coroutine, budget))


class EventLog:
    """Every event one phone emitted, in order, with a way to wait for the next ones."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def append(self, event: Event) -> None:
        """Record ``event`` and wake the waiters (the phone's emit callback)."""
        self.events.append(event)
        self._changed.set()

    async def wait_for(
        self, kind: type[E], predicate: Callable[[E], bool] = lambda _: True, timeout: float = WAIT
    ) -> E:
        """Return the first ``kind`` event matching ``predicate``, waiting up to ``timeout``."""

        def first() -> E | None:
            return next((e for e in self.events if isinstance(e, kind) and predicate(e)), None)

        await self.wait_until(lambda: first() is not None, timeout, f"no matching {kind.__name__}")
        found = first()
        assert found is not None
        return found

    async def wait_until(
        self, condition: Callable[[], bool], timeout: float = WAIT, what: str = "condition"
    ) -> None:
        """Wait until ``condition()`` holds after some event, failing after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{what} within {timeout}s; saw {self.events!r}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def calls(self) -> list[CallChanged]:
        """Return the call.state events seen so far."""
        return [event for event in self.events if isinstance(event, CallChanged)]

    def states(self) -> list[CallState]:
        """Return the call states seen so far, in order."""
        return [event.state for event in self.calls()]


class RunningPhone:
    """One started phone: its engine, event log, run task and bound listener."""

    def __init__(self, settings: PhoneSettings) -> None:
        self.log = EventLog()
        self.phone = Phone(settings, self.log.append)
        self.task: asyncio.Task[None] | None = None
        self.listen: ListenSpec | None = None

    async def start(self) -> RunningPhone:
        """Start the phone and wait for ``ua.ready``."""
        self.task = asyncio.get_running_loop().create_task(self.phone.run())
        ready_wait = asyncio.ensure_future(self.log.wait_for(UaReady))
        done, _ = await asyncio.wait({ready_wait, self.task}, return_when=asyncio.FIRST_COMPLETED)
        if ready_wait not in done:
            ready_wait.cancel()
            self.task.result()  # re-raise what stopped the phone
            raise AssertionError("phone stopped before ua.ready")
        self.listen = ListenSpec.parse(ready_wait.result().listen[0])
        return self

    def uri(self, user: str = "alexphone") -> str:
        """Return a SIP URI reaching this phone on its first listener."""
        assert self.listen is not None
        host = f"[{self.listen.host}]" if ":" in self.listen.host else self.listen.host
        suffix = "" if self.listen.kind.value == "udp" else f";transport={self.listen.kind.value}"
        return f"sip:{user}@{host}:{self.listen.port}{suffix}"

    def execute(self, command: Command) -> None:
        """Hand ``command`` to the phone (we are on its loop)."""
        self.phone.execute(command)

    def stats(self, call_id: str) -> CallStats | None:
        """Ask the engine for the call's RTP counters now (ReportStats); None without media."""
        seen = len(self.log.events)
        self.execute(ReportStats(call_id))  # answered synchronously on this loop
        found = [e for e in self.log.events[seen:] if isinstance(e, CallStats)]
        return next((e for e in found if e.call_id == call_id), None)

    def active_calls(self) -> tuple[CallChanged, ...]:
        """Ask the engine for the calls not ended (ListCalls): each one's latest call.state."""
        seen = len(self.log.events)
        self.execute(ListCalls())
        (listed,) = [e for e in self.log.events[seen:] if isinstance(e, CallsListed)]
        return listed.calls

    async def call_state(
        self, state: CallState, direction: Direction | None = None, timeout: float = WAIT
    ) -> CallChanged:
        """Wait for the first call.state event in ``state`` (and ``direction``, if given)."""
        return await self.log.wait_for(
            CallChanged,
            lambda e: e.state is state and (direction is None or e.direction is direction),
            timeout,
        )

    async def stop(self, timeout: float = WAIT) -> None:
        """Shut the phone down and wait for its run task to end."""
        if self.task is None:
            return
        if not self.task.done():
            self.execute(Shutdown())
        try:
            await asyncio.wait_for(self.task, timeout)
        finally:
            self.task = None


def settings_for(profile: Path, listen: str = "udp:127.0.0.1:0", **options: Any) -> PhoneSettings:
    """Return phone settings listening on ``listen`` with a profile under ``profile``."""
    return PhoneSettings(listen=(ListenSpec.parse(listen),), profile=profile, **options)


class PhonePair:
    """Two phones, ``a`` and ``b``, started together and always shut down together."""

    def __init__(self, a: PhoneSettings, b: PhoneSettings) -> None:
        self.a = RunningPhone(a)
        self.b = RunningPhone(b)

    @classmethod
    def on(cls, tmp_path: Path, listen: str = "udp:127.0.0.1:0", **b_options: Any) -> PhonePair:
        """Return a pair on the same kind of listener; ``b_options`` go to B's settings."""
        a = settings_for(tmp_path / "a", listen, user="alice")
        b = replace(settings_for(tmp_path / "b", listen, user="bob"), **b_options)
        return cls(a, b)

    async def __aenter__(self) -> PhonePair:
        try:
            await self.a.start()
            await self.b.start()
        except BaseException:
            await self._stop_all()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stop_all()

    async def _stop_all(self) -> None:
        results = await asyncio.gather(self.a.stop(), self.b.stop(), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
