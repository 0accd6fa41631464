"""The one thread-safe door into a running engine."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from alexphone.engine.commands import Command


class PhoneClient:
    """Hands commands from any thread to the engine's event loop, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[Command], None]) -> None:
        self._loop = loop
        self._deliver = deliver

    def submit(self, command: Command) -> None:
        """Queue ``command`` for the engine; returns at once, from any thread."""
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._deliver, command)
