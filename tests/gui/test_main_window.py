"""The main window without an engine: commands it sends, dialogs it opens, input it refuses."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.engine.client import PhoneClient
from alexphone.engine.commands import Answer, Decline, PlaceCall
from alexphone.engine.events import CallChanged, CallState, Direction, Event
from alexphone.engine.history import CallHistory
from alexphone.gui.main_window import MainWindow
from alexphone.store.contacts import Contact
from alexphone.store.history import HistoryStore

WindowFactory = Callable[..., MainWindow]


def test_double_clicking_a_contact_places_a_call(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.contacts.add(Contact("Bob", "sip:bob@example.com"))
    window.show()
    view = window.side_tabs.contact_view
    rect = view.visualRect(view.model().index(0, 0))
    # A real double-click starts with a press; the view ignores a lone double-click event.
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sent.args == [PlaceCall("sip:bob@example.com")]


def test_enter_on_a_searched_contact_places_a_call(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.contacts.add(Contact("Alice", "sip:alice@example.com"))
    window.contacts.add(Contact("Bob", "sip:bob@example.com"))
    window.show()
    window.side_tabs.search.setText("bob")
    view = window.side_tabs.contact_view
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert sent.args == [PlaceCall("sip:bob@example.com")]


def test_incoming_call_opens_the_dialog_and_accept_answers(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    ringing = CallChanged("c-1", Direction.IN, "sip:carol@example.com", CallState.RINGING)
    window.bridge.forward(ringing)
    qtbot.waitUntil(lambda: "c-1" in window.incoming_dialogs, timeout=1000)
    dialog = window.incoming_dialogs["c-1"]
    assert dialog.isVisible()
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(dialog.accept_button, Qt.MouseButton.LeftButton)
    assert sent.args == [Answer("c-1")]
    assert not dialog.isVisible()


def test_decline_and_a_caller_who_gives_up(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    engine_history = CallHistory(HistoryStore(window.context.database))  # as the engine does

    def forward(event: CallChanged) -> None:
        engine_history.observe(event)
        window.bridge.forward(event)

    forward(CallChanged("c-2", Direction.IN, "sip:d@x", CallState.RINGING))
    forward(CallChanged("c-3", Direction.IN, "sip:e@x", CallState.RINGING))
    qtbot.waitUntil(lambda: len(window.incoming_dialogs) == 2, timeout=1000)
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.mouseClick(window.incoming_dialogs["c-2"].decline_button, Qt.MouseButton.LeftButton)
    assert sent.args == [Decline("c-2")]
    dialog = window.incoming_dialogs["c-3"]
    ended = CallChanged("c-3", Direction.IN, "sip:e@x", CallState.ENDED, 487, "Cancelled")
    with qtbot.assertNotEmitted(window.command_sent):
        forward(ended)
    assert not dialog.isVisible() and window.incoming_dialogs == {}
    assert window.history.rowCount() == 2
    assert window.history.index(0, 0).data() == "✕ Missed"


def test_bad_address_is_refused_inline(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    window.show()
    window.dial_box.edit.setText("sip:bob@exa mple.com")
    with qtbot.assertNotEmitted(window.command_sent):
        qtbot.keyClick(window.dial_box.edit, Qt.Key.Key_Return)
    assert window.dial_box.error.isVisible()
    assert "is not a SIP URI" in window.dial_box.error.text()
    window.dial_box.edit.setText("sip:bob@example.com")
    assert not window.dial_box.error.isVisible()
    with qtbot.waitSignal(window.command_sent, timeout=1000) as sent:
        qtbot.keyClick(window.dial_box.edit, Qt.Key.Key_Return)
    assert sent.args == [PlaceCall("sip:bob@example.com")]


def test_engine_crash_shows_the_log_and_restart_works(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    attempts: list[int] = []

    def runner() -> Callable[..., Coroutine[Any, Any, None]]:
        async def run(
            emit: Callable[[Event], None], started: Callable[[PhoneClient], None]
        ) -> None:
            attempts.append(1)
            raise OSError(98, "Address already in use")

        return run

    window = make_window(runner)
    window.show()
    window.start_engine()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=3000)
    assert "Address already in use" in window.banner.text()
    window.restart_engine()
    qtbot.waitUntil(lambda: len(attempts) == 2, timeout=3000)
