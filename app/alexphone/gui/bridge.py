"""The one crossing between the engine thread and the GUI (docs/ARCHITECTURE.md "Threads").

``EngineThread.run`` owns an asyncio loop for the engine's whole life. The
engine reports through ``EventBridge.forward``, which only emits a Qt signal:
the bridge lives in the GUI thread, so Qt queues every event to it and the
GUI's one dispatcher sees them in order. Commands go the other way through
the engine's ``PhoneClient``, the only thread-safe engine object. Exceptions
never cross: a crash becomes the ``failed`` signal carrying its text.

A command given while the engine is still starting (it reports ``ua.ready`` before it
has started LAN discovery and its registration, and only then hands out its client) is
kept and handed over, in order, the moment the client exists; dropping it would leave
the user waiting for an answer that never comes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import Command, Shutdown
from alexphone.engine.events import Event

log = logging.getLogger(__name__)
EARLY_COMMANDS = 256  # commands kept for an engine that is still starting

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
        self._lock = threading.Lock()  # submit (GUI thread) against _started (engine thread)
        self._early: list[Command] = []

    def run(self) -> None:
        """Run the engine to completion (Qt calls this in the new thread)."""
        try:
            asyncio.run(self._runner(self._bridge.forward, self._started))
        except Exception:  # the engine's own failures are events; this is a crash
            text = traceback.format_exc()
            log.error("engine crashed:\n%s", text)
            self.failed.emit(text)

    def _started(self, client: PhoneClient) -> None:
        with self._lock:
            early, self._early = self._early, []
            for command in early:  # Shutdown among them if the window closed meanwhile
                client.submit(command)
            self.client = client
        self._bridge.client_ready.emit(client)

    def submit(self, command: Command) -> None:
        """Hand ``command`` to the engine, or keep it until the starting engine takes commands.

        Dropped once the engine has stopped, or never started.
        """
        with self._lock:
            if self.client is None and self.isRunning():
                if len(self._early) < EARLY_COMMANDS:
                    self._early.append(command)
                else:
                    log.warning("engine still starting: %s dropped", type(command).__name__)
                return
        if self.client is not None and self.isRunning():
            self.client.submit(command)

    def shut_down(self, timeout_ms: int = 2500) -> bool:
        """Ask the engine to say goodbye and stop; True if it stopped within ``timeout_ms``."""
        if not self.isRunning():
            return True
        self.submit(Shutdown())
        return self.wait(timeout_ms)
