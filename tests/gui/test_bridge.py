"""The engine thread keeps commands given while its engine is still starting.

The engine reports ``ua.ready`` before it has started LAN discovery and hands out its
client only after that; a command given in between (the set-up assistant's Try button)
used to be dropped, so its answer never came.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import Command, ListAudioDevices, Shutdown, TryAccount
from alexphone.engine.events import Event, UaReady
from alexphone.gui.bridge import EngineThread, EventBridge

WAIT_MS = 5000


class SlowStartingEngine:
    """Says ua.ready, then waits for ``release`` before it takes commands; echoes them back."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.taken: list[Command] = []

    async def __call__(
        self, emit: Callable[[Event], None], started: Callable[[PhoneClient], None]
    ) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        emit(UaReady(("udp:127.0.0.1:5060",), "/nowhere"))
        await loop.run_in_executor(None, self.release.wait, 5.0)

        def deliver(command: Command) -> None:
            self.taken.append(command)
            if isinstance(command, Shutdown):
                stop.set()
            else:
                emit(UaReady((type(command).__name__,), "taken"))

        started(PhoneClient(loop, deliver))
        await stop.wait()


def test_a_command_given_before_the_engine_takes_commands_reaches_it(qtbot: QtBot) -> None:
    engine = SlowStartingEngine()
    bridge = EventBridge()
    thread = EngineThread(engine, bridge)
    with qtbot.waitSignal(bridge.event_received, timeout=WAIT_MS):
        thread.start()  # ua.ready, the client not handed out yet
    assert thread.client is None
    trial = TryAccount("sip:alice@example.com", "pw")
    thread.submit(trial)
    thread.submit(ListAudioDevices())

    with qtbot.waitSignal(
        bridge.event_received,
        timeout=WAIT_MS,
        check_params_cb=lambda e: isinstance(e, UaReady) and e.listen == ("ListAudioDevices",),
    ):
        engine.release.set()

    assert engine.taken == [trial, ListAudioDevices()]  # both, in the order given
    assert thread.shut_down(WAIT_MS)


def test_closing_while_the_engine_starts_stops_it_once_it_can(qtbot: QtBot) -> None:
    engine = SlowStartingEngine()
    bridge = EventBridge()
    thread = EngineThread(engine, bridge)
    with qtbot.waitSignal(bridge.event_received, timeout=WAIT_MS):
        thread.start()

    assert not thread.shut_down(0)  # still starting: Shutdown is kept
    engine.release.set()

    assert thread.wait(WAIT_MS)
    assert engine.taken == [Shutdown()]
    thread.submit(ListAudioDevices())  # after the end: dropped, nothing raised
    assert engine.taken == [Shutdown()]
