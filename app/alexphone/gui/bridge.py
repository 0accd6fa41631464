"""The one crossing between the engine thread and the GUI (docs/ARCHITECTURE.md "Threads").

``EngineThread.run`` owns an asyncio loop for the engine's whole life. The
engine reports through ``EventBridge.forward``, which only emits a Qt signal:
the bridge lives in the GUI thread, so Qt queues every event to it and the
GUI's one dispatcher sees them in order. Commands go the other way through
the engine's ``PhoneClient``, the only thread-safe engine object. Exceptions
never cross: a crash becomes the ``failed`` signal carrying its text.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import Command, Shutdown
from alexphone.engine.events import Event

log = logging.getLogger(__name__)

EngineRunner = Callable[
    [Callable[[Event], None], Callable[[PhoneClient], None]], Coroutine[Any, Any, None]
]
"""Runs one phone: ``runner(emit, on_started)``; built by the composition root (cli)."""


class EventBridge(QObject):
    """Receives engine events from any thread and re-emits them in the GUI thread.

    Signals:
        event_received(Event): one engine event, delivered in order.
        client_ready(PhoneClient): the engine accepts commands.
    """

    event_received = Signal(object)
    client_ready = Signal(object)

    def forward(self, event: Event) -> None:
        """Forward ``event`` (called on the engine thread; Qt queues the delivery)."""
        self.event_received.emit(event)


class EngineThread(QThread):
    """Runs the engine's asyncio loop in its own thread until Shutdown.

    Signals:
        failed(str): the engine stopped with an exception (its traceback text).
    """

    failed = Signal(str)

    def __init__(self, runner: EngineRunner, bridge: EventBridge) -> None:
        super().__init__()
        self.setObjectName("engine")
        self._runner = runner
        self._bridge = bridge
        self.client: PhoneClient | None = None
        self._stop_requested = False

    def run(self) -> None:
        """Run the engine to completion (Qt calls this in the new thread)."""
        try:
            asyncio.run(self._runner(self._bridge.forward, self._started))
        except Exception:  # the engine's own failures are events; this is a crash
            text = traceback.format_exc()
            log.error("engine crashed:\n%s", text)
            self.failed.emit(text)

    def _started(self, client: PhoneClient) -> None:
        self.client = client
        if self._stop_requested:  # the window closed while the engine was starting
            client.submit(Shutdown())
        self._bridge.client_ready.emit(client)

    def submit(self, command: Command) -> None:
        """Hand ``command`` to the engine; dropped if it has not started or has stopped."""
        if self.client is not None and self.isRunning():
            self.client.submit(command)

    def shut_down(self, timeout_ms: int = 2500) -> bool:
        """Ask the engine to say goodbye and stop; True if it stopped within ``timeout_ms``."""
        if not self.isRunning():
            return True
        self._stop_requested = True
        self.submit(Shutdown())
        return self.wait(timeout_ms)
