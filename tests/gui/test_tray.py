"""The tray: status line, show/hide, call again, do not disturb (486), quit, notices."""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from alexphone.engine.commands import Decline, PlaceCall
from alexphone.engine.events import (
    CallChanged,
    CallState,
    Direction,
    RegistrationChanged,
    RegistrationState,
)
from alexphone.gui.main_window import MainWindow

WindowFactory = Callable[..., MainWindow]


def test_the_status_follows_registration_and_calls(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    tray = window.tray
    assert tray.status == "Not registered"
    window.bridge.forward(
        RegistrationChanged("sip:alice@example.com", RegistrationState.REGISTERED, 200)
    )
    qtbot.waitUntil(lambda: tray.status == "Registered: sip:alice@example.com", timeout=1000)
    window.bridge.forward(CallChanged("c-1", Direction.OUT, "sip:bob@x", CallState.CONFIRMED))
    qtbot.waitUntil(lambda: tray.status.endswith(": sip:bob@x"), timeout=1000)
    assert "Registered" not in tray.status
    window.bridge.forward(CallChanged("c-1", Direction.OUT, "sip:bob@x", CallState.ENDED, 200))
    qtbot.waitUntil(lambda: tray.status.startswith("Registered"), timeout=1000)
    assert tray.icon.toolTip() == f"Alexphone — {tray.status}"


def test_do_not_disturb_declines_incoming_calls_as_busy(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.tray.dnd_action.trigger()
    assert window.tray.do_not_disturb
    assert window.tray.status.endswith("(do not disturb)")
    ringing = CallChanged("c-2", Direction.IN, "sip:carol@x", CallState.RINGING)
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        window.bridge.forward(ringing)
    assert sent.args == [Decline("c-2", busy=True)]
    assert "c-2" not in window.incoming_dialogs
    assert not window.ringer.playing
    window.tray.dnd_action.trigger()  # off again: the next call rings
    window.bridge.forward(CallChanged("c-3", Direction.IN, "sip:dave@x", CallState.RINGING))
    qtbot.waitUntil(lambda: "c-3" in window.incoming_dialogs, timeout=1000)


def test_call_again_dials_the_last_address(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    assert not window.tray.dial_last_action.isEnabled()
    window.place_call("sip:erin@example.com")
    assert window.tray.dial_last_action.isEnabled()
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        window.tray.dial_last_action.trigger()
    assert sent.args == [PlaceCall("sip:erin@example.com")]


def test_show_hide_toggles_the_window_and_quit_closes_it(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    window.tray.show_action.trigger()
    assert not window.isVisible()
    window.tray.show_action.trigger()
    assert window.isVisible()
    window.tray.quit_action.trigger()
    assert not window.isVisible()


def test_the_window_menu_offers_do_not_disturb(make_window: WindowFactory) -> None:
    window = make_window()
    actions = window.menuBar().actions()[0].menu().actions()
    assert window.tray.dnd_action in actions
